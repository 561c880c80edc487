# Dot-sourced by every Pester file: imports the built module (out/Stm32) by path.
# build.ps1 sets STM32_MODULE_PATH; run by hand, the default is the repository's out/Stm32.
$script:ModulePath = if ($env:STM32_MODULE_PATH) { $env:STM32_MODULE_PATH } else { Join-Path $PSScriptRoot '../out/Stm32/Stm32.psd1' }
$script:ModulePath = (Resolve-Path -LiteralPath $script:ModulePath).ProviderPath
Import-Module $script:ModulePath -Force -ErrorAction Stop

# Instant timing keeps the tests fast; the demo uses realistic timing.
$script:F103 = 'sim://0x410?timing=instant'
$script:F407 = 'sim://0x413?timing=instant'

function Remove-AllStm32Session {
    Get-Stm32Session | Disconnect-Stm32 -Confirm:$false
}

# The internal protocol connection of a session, for tests that need the chip's memory
# before the Read/Write cmdlets exist.
function Get-TestConnection([Parameter(Mandatory)] $Session) {
    $Session.GetType().GetProperty('Connection', [Reflection.BindingFlags]'NonPublic,Instance').GetValue($Session)
}

# The simulated chip behind sim://<Key> ("0x410") in this runspace, to see its state (CommandCount,
# Peek) without a session: ModuleState and the registry are internal, reached by reflection.
function Get-TestChip([string] $Key) {
    $t = (Get-Command Connect-Stm32).ImplementingType.Assembly.GetType('Stm32.PowerShell.Infrastructure.ModuleState')
    $state = $t.GetProperty('Current').GetValue($null)
    $t.GetProperty('Simulators').GetValue($state).Find($Key)
}

# Runs a script in a fresh runspace with the module imported; returns the PowerShell object (caller disposes).
function New-TestPowerShell {
    $ps = [powershell]::Create()
    $null = $ps.AddScript("Import-Module '$script:ModulePath'").Invoke()
    $ps.Commands.Clear()
    $ps
}

# Start-Stm32Simulator in a thread job; returns the job and the endpoint object it wrote first.
function Start-TestSimulator([string[]] $Arguments) {
    $module = $ModulePath
    $job = Start-ThreadJob -ScriptBlock {
        param($module, $arguments)
        Import-Module $module
        $splat = @{}
        $positional = [System.Collections.Generic.List[object]]::new()
        for ($i = 0; $i -lt $arguments.Count; $i++) {
            if ($arguments[$i] -like '-*') {
                $name = $arguments[$i].TrimStart('-')
                if ($i + 1 -lt $arguments.Count -and $arguments[$i + 1] -notlike '-*') { $splat[$name] = $arguments[++$i] } else { $splat[$name] = $true }
            }
            else { $positional.Add($arguments[$i]) }
        }
        Start-Stm32Simulator @splat @positional
    } -ArgumentList $module, $Arguments
    $clock = [Diagnostics.Stopwatch]::StartNew()
    $endpoint = $null
    while (-not $endpoint -and $clock.Elapsed.TotalSeconds -lt 15) {
        $endpoint = Receive-Job $job -ErrorAction Stop
        if (-not $endpoint) {
            if ($job.State -in 'Failed', 'Completed', 'Stopped') { throw "the simulator job ended ($($job.State)): $($job.ChildJobs[0].Error)" }
            Start-Sleep -Milliseconds 20
        }
    }
    if (-not $endpoint) { Stop-Job $job; Remove-Job $job -Force; throw 'the simulator did not report an endpoint within 15 s' }
    [pscustomobject]@{ Job = $job; Endpoint = $endpoint }
}

function Stop-TestSimulator($Simulator) {
    if ($Simulator) {
        Stop-Job $Simulator.Job
        Remove-Job $Simulator.Job -Force
    }
}
