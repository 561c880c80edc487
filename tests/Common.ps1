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

# Runs a script in a fresh runspace with the module imported; returns the PowerShell object (caller disposes).
function New-TestPowerShell {
    $ps = [powershell]::Create()
    $null = $ps.AddScript("Import-Module '$script:ModulePath'").Invoke()
    $ps.Commands.Clear()
    $ps
}
