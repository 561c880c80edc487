Describe 'Connect-Stm32' {
    BeforeAll { . (Join-Path $PSScriptRoot '../Common.ps1') }
    AfterEach { Remove-AllStm32Session }

    Context 'a simulated STM32F103 (sim://0x410)' {
        BeforeAll {
            Remove-AllStm32Session
            $script:s = Connect-Stm32 -Port $F103
        }

        It 'returns an open session' {
            $s | Should -BeOfType ([Stm32.PowerShell.Stm32Session])
            $s.IsOpen | Should -BeTrue
            $s.InBootloader | Should -BeTrue
            $s.Port | Should -Be $F103
            $s.BaudRate | Should -Be 115200
            $s.Parity | Should -Be 'Even'
        }

        It 'identifies the chip' {
            $s.DeviceName | Should -Be 'STM32F10xxx Medium-density'
            $s.ProductId | Should -Be 0x410
            $s.BootloaderVersion | Should -Be '2.2'
            $s.Device.ProductId | Should -Be 0x410
            $s.IsReadProtected | Should -BeFalse
        }

        It 'lists the commands of a 2.2 bootloader (Erase, not Extended Erase)' {
            $s.Commands | Should -Contain '0x00'
            $s.Commands | Should -Contain '0x11'
            $s.Commands | Should -Contain '0x43'
            $s.Commands | Should -Not -Contain '0x44'
        }

        It 'has the documented properties' {
            $names = $s.PSObject.Properties.Name
            foreach ($p in 'Id', 'Port', 'BaudRate', 'Parity', 'DeviceName', 'ProductId', 'BootloaderVersion', 'Commands',
                'IsOpen', 'IsReadProtected', 'InBootloader', 'Device', 'ConnectedAt') {
                $names | Should -Contain $p
            }
            $names | Should -Not -Contain 'Connection' -Because 'the protocol connection is internal'
        }

        It 'has read-only public properties' {
            $s.GetType().GetProperties() | Where-Object CanWrite | Should -BeNullOrEmpty
        }
    }

    It 'identifies sim://0x413 as an STM32F40xxx/41xxx with bootloader 3.1 and Extended Erase' {
        $s = Connect-Stm32 -Port $F407
        $s.DeviceName | Should -Be 'STM32F40xxx/41xxx'
        $s.ProductId | Should -Be 0x413
        $s.BootloaderVersion | Should -Be '3.1'
        $s.Commands | Should -Contain '0x44'
        $s.Commands | Should -Not -Contain '0x43'
    }

    It 'takes the port by position, from the pipeline and by property name' {
        (Connect-Stm32 $F103).Port | Should -Be $F103
        Remove-AllStm32Session
        ($F103 | Connect-Stm32).Port | Should -Be $F103
        Remove-AllStm32Session
        ([pscustomobject]@{ PortName = $F407 } | Connect-Stm32).Port | Should -Be $F407
    }

    It 'uses the baud rate and parity it was given' {
        $s = Connect-Stm32 -Port $F103 -BaudRate 57600 -Parity None
        $s.BaudRate | Should -Be 57600
        $s.Parity | Should -Be 'None'
    }

    It 'picks the bootloader version from ?protocol=' {
        $s = Connect-Stm32 -Port 'sim://0x410?timing=instant&protocol=3.1'
        $s.BootloaderVersion | Should -Be '3.1'
    }

    It 'finds a simulated device by name' {
        (Connect-Stm32 -Port 'sim://STM32F10xxx Medium-density?timing=instant').ProductId | Should -Be 0x410
    }

    It 'connects to a read-protected chip (rdp=1); the first cmdlet that works with it finds out' {
        $s = Connect-Stm32 -Port 'sim://0x414?timing=instant&rdp=1'
        # Connecting only identifies the chip (sync, Get, Get Version, Get ID): not known yet.
        $s.IsReadProtected | Should -BeNullOrEmpty
        $s.ReadProtection | Should -BeNullOrEmpty
        $i = $s | Get-Stm32Info -WarningAction SilentlyContinue
        $i.IsReadProtected | Should -BeTrue
        $i.ReadProtection | Should -Be 'Level1'
        $i.FlashSizeSource | Should -Be 'catalog'
        $s.IsReadProtected | Should -BeTrue
        $s | Disconnect-Stm32 -Confirm:$false
        # The level stays on the chip, as option bytes do, until it is programmed again.
        ((Connect-Stm32 -Port 'sim://0x414?timing=instant') | Get-Stm32Info -WarningAction SilentlyContinue).IsReadProtected | Should -BeTrue
        Remove-AllStm32Session
        $s = Connect-Stm32 -Port 'sim://0x414?timing=instant&rdp=0' -WarningAction SilentlyContinue
        ($s | Get-Stm32Info).IsReadProtected | Should -BeFalse
        $s.IsReadProtected | Should -BeFalse
    }

    It 'resumes a chip the last session left synchronised, without the sync probe wait' {
        $first = Connect-Stm32 -Port 'sim://0x413?timing=instant'
        $first | Get-Stm32Info | Out-Null
        $first | Disconnect-Stm32
        $verbose = Connect-Stm32 -Port 'sim://0x413?timing=instant' -Verbose 4>&1
        $session = $verbose | Where-Object { $_ -is [Stm32.PowerShell.Stm32Session] }
        ($verbose | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join ' ' |
            Should -Match 'left the chip synchronised: syncing with 0x7F 0x7F'
        ($session | Get-Stm32Info).ProductId | Should -Be 0x413
        (Read-Stm32Memory -Session $session -Address 0x08000000 -Length 16).Length | Should -Be 16
        $session | Disconnect-Stm32
        # A session that ended in the application leaves no such hint.
        $s = Connect-Stm32 -Port 'sim://0x410?timing=instant'
        $s | Write-Stm32Firmware -Path (Join-Path $PSScriptRoot '../data/blinky-f103.hex') -Confirm:$false | Out-Null
        $s | Start-Stm32Application -Confirm:$false -ErrorAction Stop
        $s | Disconnect-Stm32
        $again = Connect-Stm32 -Port 'sim://0x410?timing=instant' -Verbose -ErrorAction SilentlyContinue 4>&1
        ($again | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join ' ' |
            Should -Not -Match 'left the chip synchronised'
    }

    Context 'errors' {
        It 'reports a sim:// name that matches no device as DeviceNotFound' {
            $e = { Connect-Stm32 -Port 'sim://0x999?timing=instant' -ErrorAction Stop } |
                Should -Throw -PassThru -ErrorId 'DeviceNotFound,Stm32.PowerShell.Commands.ConnectStm32Command'
            $e.FullyQualifiedErrorId | Should -BeExactly 'DeviceNotFound,Stm32.PowerShell.Commands.ConnectStm32Command'
            $e.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        }

        It 'reports a bad sim:// option as InvalidPortName' {
            $e = { Connect-Stm32 -Port 'sim://0x410?timing=warp' -ErrorAction Stop } | Should -Throw -PassThru
            $e.FullyQualifiedErrorId | Should -BeExactly 'InvalidPortName,Stm32.PowerShell.Commands.ConnectStm32Command'
            $e.CategoryInfo.Category | Should -Be 'InvalidArgument'
        }

        It 'reports a serial port that does not exist as PortNotFound' -Skip:$IsWindows {
            $e = { Connect-Stm32 -Port /dev/ttyNOPE -ErrorAction Stop } | Should -Throw -PassThru
            $e.FullyQualifiedErrorId | Should -BeExactly 'PortNotFound,Stm32.PowerShell.Commands.ConnectStm32Command'
            $e.CategoryInfo.Category | Should -Be 'ObjectNotFound'
            $e.Exception.Message | Should -Match 'ttyNOPE'
        }

        It 'refuses a port that an open session holds (PortInUse) and keeps the first session' {
            $first = Connect-Stm32 -Port $F103
            $e = { Connect-Stm32 -Port $F103 -ErrorAction Stop } | Should -Throw -PassThru
            $e.FullyQualifiedErrorId | Should -BeExactly 'PortInUse,Stm32.PowerShell.Commands.ConnectStm32Command'
            $e.CategoryInfo.Category | Should -Be 'ResourceBusy'
            $e.Exception.Message | Should -Match "session $($first.Id)"
            $first.IsOpen | Should -BeTrue
            @(Get-Stm32Session).Count | Should -Be 1
        }

        It 'explains "no response" with what was sent, what came back and the likely causes in order' {
            $e = { Connect-Stm32 -Port 'sim://0x410?timing=instant&boot0=0' -TimeoutMs 100 -ErrorAction Stop } | Should -Throw -PassThru
            $e.FullyQualifiedErrorId | Should -BeExactly 'BootloaderNoResponse,Stm32.PowerShell.Commands.ConnectStm32Command'
            $e.CategoryInfo.Category | Should -Be 'ConnectionError'
            $m = $e.ErrorDetails.Message
            $m | Should -Match 'sent 7F'
            $m | Should -Match 'received nothing'
            $m = $m.Substring($m.IndexOf('Likely causes'))
            $causes = 'BOOT0', 'TX and RX', 'baud rate', '8E1', 'Another program', 'Read protection'
            $positions = $causes | ForEach-Object { $m.IndexOf($_) }
            $positions | Should -Not -Contain -1
            $positions | Should -Be ($positions | Sort-Object)
        }

        It 'gets no answer from a chip at read-protection level 2' {
            $e = { Connect-Stm32 -Port 'sim://0x413?timing=instant&protocol=3.3&rdp=2' -TimeoutMs 50 -ErrorAction Stop } | Should -Throw -PassThru
            $e.FullyQualifiedErrorId | Should -BeExactly 'BootloaderNoResponse,Stm32.PowerShell.Commands.ConnectStm32Command'
        }

        It 'refuses rdp=2 on a family that has no level 2' {
            $e = { Connect-Stm32 -Port 'sim://0x412?timing=instant&rdp=2' -ErrorAction Stop } | Should -Throw -PassThru
            $e.FullyQualifiedErrorId | Should -BeExactly 'InvalidPortName,Stm32.PowerShell.Commands.ConnectStm32Command'
        }

        It 'frees the port after a failed connect' {
            { Connect-Stm32 -Port 'sim://0x410?timing=instant&boot0=0' -TimeoutMs 50 -ErrorAction Stop } |
                Should -Throw -ErrorId 'BootloaderNoResponse,Stm32.PowerShell.Commands.ConnectStm32Command'
            (Connect-Stm32 -Port $F103).IsOpen | Should -BeTrue
        }

        It 'validates -Parity' {
            { Connect-Stm32 -Port $F103 -Parity Mark } | Should -Throw -ErrorId 'ParameterArgumentValidationError,Stm32.PowerShell.Commands.ConnectStm32Command'
        }
    }

    It 'stops on Ctrl+C (PowerShell.Stop) while waiting for a chip that never answers' {
        $ps = New-TestPowerShell
        try {
            $null = $ps.AddScript("Connect-Stm32 -Port 'sim://0x411?timing=instant&boot0=0' -Retry 100")
            $handle = $ps.BeginInvoke()
            Start-Sleep -Milliseconds 400
            $ps.InvocationStateInfo.State | Should -Be 'Running'
            $clock = [Diagnostics.Stopwatch]::StartNew()
            $ps.Stop()
            $clock.Stop()
            # Structural, not a race with the clock: 101 attempts of at least 500 ms each take over 50 s,
            # so returning within 10 s (generous for a loaded machine) means the wait was stopped.
            $clock.Elapsed.TotalSeconds | Should -BeLessThan 10
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
            $ps.Commands.Clear()
            $ps.AddScript('@(Get-Stm32Session).Count').Invoke()[0] | Should -Be 0
        }
        finally { $ps.Dispose() }
    }
}
