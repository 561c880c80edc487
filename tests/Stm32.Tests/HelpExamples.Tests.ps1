# Every example of the cmdlet help (Get-Help <cmdlet> -Examples) runs, each in a fresh runspace,
# against simulated chips. The rules (real ports become sim://, Setup, SimPort, Needs, Skip, the
# files the examples use) are in tests/DocRunner.ps1. The examples come from the help the module
# ships (en-US MAML), and the hidden keys from Stm32.help.psd1, which the MAML is generated from.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot '../Common.ps1')
    $source = Import-PowerShellDataFile (Join-Path $PSScriptRoot '../../src/Stm32.PowerShell/Help/Stm32.help.psd1')
    $script:Examples = foreach ($name in (Get-Module Stm32).ExportedCmdlets.Keys | Sort-Object) {
        $shipped = @((Get-Help $name -Examples).examples.example)
        $n = 0
        foreach ($ex in $shipped) {
            $keys = $source[$name].Examples[$n]
            $n++
            $missing = @(foreach ($need in @($keys.Needs | Where-Object { $_ })) {
                    if ($need -eq 'Linux') { if (-not $IsLinux) { $need } }
                    elseif (-not (Get-Command $need -CommandType Application -ErrorAction Ignore)) { $need }
                })
            @{
                Cmdlet = $name; Number = $n; Code = [string] $ex.code
                Setup = $keys.Setup; SimPort = $keys.SimPort; Skip = $keys.Skip
                Missing = $missing -join ', '
            }
        }
    }
}

Describe 'Help examples' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '../Common.ps1')
        . (Join-Path $PSScriptRoot '../DocRunner.ps1')
        $script:Folder = New-DocFolder (Join-Path $TestDrive 'examples')
    }
    AfterEach { Remove-AllStm32Session }

    It 'has examples to run' {
        $Examples.Count | Should -BeGreaterThan 40
    }

    It '<Cmdlet> example <Number> runs as a sim:// session' -ForEach $Examples {
        if ($Skip) { Set-ItResult -Skipped -Because $Skip }
        if ($Missing) { Set-ItResult -Skipped -Because "it needs $Missing, which this machine lacks" }
        $simPort = if ($SimPort) { $SimPort } else { $DocSimPort }
        # An example that connects nothing itself uses the single open session a reader would have.
        $setup = if ($null -ne $Setup) { $Setup } elseif ($Code -notmatch 'Connect-Stm32|Start-Stm32Simulator') { "`$null = Connect-Stm32 -Port $simPort" } else { '' }
        $ps = New-DocPowerShell $Folder
        try {
            if ($setup) {
                $r = Invoke-DocCode $ps (ConvertTo-DocCode $setup -SimPort $simPort)
                $r.Errors | Should -BeNullOrEmpty -Because 'the setup of the example works'
            }
            $code = ConvertTo-DocCode $Code -SimPort $simPort
            $r = Invoke-DocCode $ps $code -TimeoutSec 60
            $r.TimedOut | Should -BeFalse -Because "example $Number of $Cmdlet must end"
            $r.Errors | Should -BeNullOrEmpty -Because "example $Number of $Cmdlet runs as written (as:`n$code)"
        }
        finally { Close-DocPowerShell $ps }
    }

    # The served-simulator examples wait for the endpoint in a loop: a job that fails must end it.
    It 'ends the Start-Stm32Simulator example''s wait with the error when the simulator job fails' {
        $code = @((Get-Help Start-Stm32Simulator -Examples).examples.example | Where-Object { $_.code -match 'tcp://127\.0\.0\.1:0' })[0].code
        $code | Should -Match 'Receive-Job'
        $broken = $code -replace '0x413', '0xABC'   # no such device: the job fails at once
        $ps = New-DocPowerShell $Folder
        try {
            $r = Invoke-DocCode $ps (ConvertTo-DocCode $broken) -TimeoutSec 30
            $r.TimedOut | Should -BeFalse -Because 'the loop must not wait for ever on a failed job'
            ($r.Errors -join "`n") | Should -Match '0xABC'
        }
        finally { Close-DocPowerShell $ps }
    }
}
