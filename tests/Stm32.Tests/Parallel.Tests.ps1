Describe 'Many boards at once (ForEach-Object -Parallel, thread jobs)' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '../Common.ps1')
        $script:Blinky = (Resolve-Path (Join-Path $PSScriptRoot '../data/blinky-f103.hex')).ProviderPath
    }
    AfterEach { Remove-AllStm32Session }

    It 'flashes and verifies four simulated boards in parallel runspaces, each with its own session store' {
        $results = 1..4 | ForEach-Object -ThrottleLimit 4 -Parallel {
            Import-Module $using:ModulePath
            $r = Connect-Stm32 -Port 'sim://0x410?timing=instant' |
                Write-Stm32Firmware -Path $using:Blinky -Verify -ErrorAction Stop
            [pscustomobject]@{
                Board    = $_
                Verified = $r.Verified
                Sha256   = $r.Sha256
                Sessions = @(Get-Stm32Session).Count
            }
            Get-Stm32Session | Disconnect-Stm32
        }
        $expected = (Import-Stm32Firmware -Path $script:Blinky).Sha256
        $results.Count | Should -Be 4
        $results.Verified | Should -Be @($true, $true, $true, $true)
        $results.Sha256 | Should -Be @($expected, $expected, $expected, $expected)
        # Each runspace saw only its own session: the store is per runspace.
        $results.Sessions | Should -Be @(1, 1, 1, 1)
        @(Get-Stm32Session).Count | Should -Be 0
    }

    It 'runs in thread jobs and returns result objects that export to CSV' {
        $jobs = 1..2 | ForEach-Object {
            Start-ThreadJob -ArgumentList $script:ModulePath, $script:Blinky {
                param($module, $file)
                Import-Module $module
                Connect-Stm32 -Port 'sim://0x413?timing=instant' | Write-Stm32Firmware -Path $file -Verify -ErrorAction Stop |
                    Select-Object @{ n = 'Device'; e = { $_.Session.DeviceName } }, Sha256, DataBytes, Verified, VerifyMethod
                Get-Stm32Session | Disconnect-Stm32
            }
        }
        $rows = $jobs | Receive-Job -Wait -AutoRemoveJob
        $rows.Count | Should -Be 2
        $csv = $rows | ConvertTo-Csv | ConvertFrom-Csv
        $csv.Verified | Should -Be @('True', 'True')
        $csv[0].Device | Should -Be 'STM32F40xxx/41xxx'
    }
}
