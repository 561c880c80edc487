Describe 'Get-Stm32Info' {
    BeforeAll { . (Join-Path $PSScriptRoot '../Common.ps1') }
    AfterEach { Remove-AllStm32Session }

    It 'describes an STM32F103 (sim://0x410): bootloader 2.2, 128 KiB in 1 KiB pages' {
        $i = Connect-Stm32 -Port $F103 | Get-Stm32Info
        $i | Should -BeOfType ([Stm32.PowerShell.Stm32DeviceInfo])
        $i.DeviceName | Should -Be 'STM32F10xxx Medium-density'
        $i.ProductId | Should -Be 0x410
        $i.ProductIdHex | Should -Be '0x410'
        $i.Family | Should -Be 'F1'
        $i.BootloaderVersion | Should -Be '2.2'
        $i.Commands | Should -Contain '0x00 Get'
        $i.Commands | Should -Contain '0x43 Erase'
        $i.FlashStart | Should -Be 0x08000000
        $i.FlashSize | Should -Be 128KB
        $i.EraseUnit | Should -Be 'page'
        $i.PageSize | Should -Be 1KB
        $i.PageCount | Should -Be 128
        $i.FlashLayout | Should -Be '128 pages of 1 KiB'
        $i.Ram.Start | Should -Be 0x20000200
        $i.OptionBytes.Start | Should -Be 0x1FFFF800
        $i.SystemMemory.Start | Should -Be 0x1FFFF000
        $i.UniqueId | Should -Match '^[0-9A-F]{24}$'
        $i.IsReadProtected | Should -BeFalse
        $i.IsReadProtected | Should -Not -BeNullOrEmpty
        $i.ReadProtection | Should -Be 'Level0'
    }

    It 'describes an STM32F407 (sim://0x413): bootloader 3.1, Extended Erase, sectors' {
        $i = Connect-Stm32 -Port $F407 | Get-Stm32Info
        $i.DeviceName | Should -Be 'STM32F40xxx/41xxx'
        $i.BootloaderVersion | Should -Be '3.1'
        $i.Commands | Should -Contain '0x44 Extended Erase'
        $i.EraseUnit | Should -Be 'sector'
        $i.PageSize | Should -Be 0
        $i.FlashLayout | Should -Match '^4 x 16 KiB, 1 x 64 KiB, \d+ x 128 KiB sectors$'
    }

    It 'takes the session from the pipeline by value' {
        $s = Connect-Stm32 -Port $F103
        ($s | Get-Stm32Info).Session | Should -Be $s
    }

    It 'takes the session by property name from any object with a Session property' {
        $s = Connect-Stm32 -Port $F103
        $null = Connect-Stm32 -Port $F407
        ([pscustomobject]@{ Session = $s } | Get-Stm32Info).ProductId | Should -Be 0x410
        # Its own output carries the session, so it pipes on.
        ($s | Get-Stm32Info | Get-Stm32Info).ProductId | Should -Be 0x410
    }

    It 'takes -SessionId, also by property name' {
        $null = Connect-Stm32 -Port $F103
        $b = Connect-Stm32 -Port $F407
        (Get-Stm32Info -SessionId $b.Id).ProductId | Should -Be 0x413
        ([pscustomobject]@{ SessionId = $b.Id } | Get-Stm32Info).ProductId | Should -Be 0x413
    }

    It 'uses the single open session when none is named' {
        $null = Connect-Stm32 -Port $F407
        (Get-Stm32Info).ProductId | Should -Be 0x413
    }

    It 'refuses a closed session with SessionClosed' {
        $s = Connect-Stm32 -Port $F103
        $s | Disconnect-Stm32 -Confirm:$false
        $e = { $s | Get-Stm32Info -ErrorAction Stop } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeExactly 'SessionClosed,Stm32.PowerShell.Commands.GetStm32InfoCommand'
        $e.CategoryInfo.Category | Should -Be 'ConnectionError'
    }

    It 'reports NoSession when nothing is open' {
        { Get-Stm32Info -ErrorAction Stop } | Should -Throw -ErrorId 'NoSession,Stm32.PowerShell.Commands.GetStm32InfoCommand'
    }

    It 'formats as a list with flash, layout and commands' {
        $text = Connect-Stm32 -Port $F103 | Get-Stm32Info | Out-String -Width 200
        $text | Should -Match 'DeviceName\s+: STM32F10xxx Medium-density'
        $text | Should -Match 'Flash\s+: 128 KiB at 0x08000000'
        $text | Should -Match 'Layout\s+: 128 pages of 1 KiB'
        $text | Should -Match 'Commands\s+: 0x00 Get, '
        $text | Should -Match 'IsReadProtected\s+: False'
        $text | Should -Match 'ReadProtection\s+: Level0 \(open\)'
    }

    It 'reports and formats a read-protected chip (rdp=1) as Level1' {
        try {
            $i = Connect-Stm32 -Port 'sim://0x412?timing=instant&rdp=1' | Get-Stm32Info -WarningAction SilentlyContinue
            $i.IsReadProtected | Should -BeTrue
            $i.ReadProtection | Should -Be 'Level1'
            $text = $i | Out-String -Width 200
            $text | Should -Match 'IsReadProtected\s+: True'
            $text | Should -Match 'ReadProtection\s+: Level1: flash unreadable'
        }
        finally {
            # The level stays on the runspace's simulated chip: open it again for later tests.
            Remove-AllStm32Session
            Connect-Stm32 -Port 'sim://0x412?timing=instant&rdp=0' -WarningAction SilentlyContinue | Disconnect-Stm32 -Confirm:$false
        }
    }
}

# A chip whose catalog row has no memory map: no flash to try a Read on, so read protection was
# not checked and must not show as Level0. The simulator refuses such a row, so it is served
# (Start-Stm32Simulator, in a thread job) from a full user row, which is then taken away before
# Connect-Stm32 identifies the chip. User rows are process-wide, so the job sees them too.
Describe 'Get-Stm32Info for a chip without a memory map in the catalog' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '../Common.ps1')
        $script:Header = 'pid_hex,name,ram_start,ram_end,flash_start,flash_end,page_size_or_sector_layout,option_bytes_start,option_bytes_end,system_memory_start,system_memory_end,flags,pages_per_sector'

        function Import-TestRow([string] $Row) {
            $f = Join-Path $TestDrive 'rows.csv'
            Set-Content -LiteralPath $f $Header, $Row
            $null = Import-Stm32Device -LiteralPath $f
        }

        # An F103 served from its built-in row, known to the session only by a user row without
        # flash addresses (with or without its option area); returns the simulator and the session.
        function Connect-F103WithoutFlashMap([string] $OptionArea = ',') {
            $sim = Start-TestSimulator @('-Device', '0x410', '-Port', 'tcp://127.0.0.1:0', '-Timing', 'Instant', '-TimeoutSec', '60')
            try {
                Import-TestRow "0x410,STM32F10xxx without a flash map,0x20000200,0x20005000,,,,$OptionArea,0x1FFFF000,0x1FFFF800,,4"
                $s = Connect-Stm32 -Port $sim.Endpoint.Endpoint -WarningAction SilentlyContinue
            }
            catch { Stop-TestSimulator $sim; throw }
            return $sim, $s
        }
    }
    AfterEach {
        Remove-AllStm32Session
        [Stm32.Protocol.Devices.DeviceCatalog]::ClearUserRows()
    }

    It 'leaves IsReadProtected and ReadProtection $null and shows them as unknown (<Name>)' -ForEach @(
        @{ Name = 'a built-in row without flash addresses (0x453)'; ProductId = '0x453'
            Full = '0x453,STM32C031xx,0x20001000,0x20003000,0x08000000,0x08008000,2048,0x1FFF7800,0x1FFF787F,0x1FFF0000,0x1FFF1800,,1'
            Then = $null; DeviceName = 'STM32C031xx' }
        @{ Name = 'a product ID the catalog does not know (0x999)'; ProductId = '0x999'
            Full = '0x999,My test part,0x20001000,0x20004000,0x08000000,0x08010000,2048,,,0x1FFF0000,0x1FFF7000,,1'
            Then = $null; DeviceName = 'Unknown STM32 (0x999)' }
        @{ Name = 'a user row without flash addresses (0x999)'; ProductId = '0x999'
            Full = '0x999,My test part,0x20001000,0x20004000,0x08000000,0x08010000,2048,,,0x1FFF0000,0x1FFF7000,,1'
            Then = '0x999,My part without a map,0x20001000,0x20004000,,,,,,0x1FFF0000,0x1FFF7000,,1'; DeviceName = 'My part without a map' }
    ) {
        Import-TestRow $Full
        $sim = Start-TestSimulator @('-Device', $ProductId, '-Port', 'tcp://127.0.0.1:0', '-Timing', 'Instant', '-TimeoutSec', '60')
        try {
            if ($Then) { Import-TestRow $Then } else { [Stm32.Protocol.Devices.DeviceCatalog]::ClearUserRows() }
            $s = Connect-Stm32 -Port $sim.Endpoint.Endpoint -WarningAction SilentlyContinue
            $i = $s | Get-Stm32Info -WarningAction SilentlyContinue
            $i.DeviceName | Should -Be $DeviceName
            $i.Device.Flash.IsEmpty | Should -BeTrue
            $i.IsReadProtected | Should -BeNullOrEmpty
            $i.ReadProtection | Should -BeNullOrEmpty
            $s.IsReadProtected | Should -BeNullOrEmpty
            $s.ReadProtection | Should -BeNullOrEmpty
            $text = $i | Out-String -Width 250
            $text | Should -Match 'IsReadProtected\s+: unknown \(the catalog has no memory map for this chip'
            $text | Should -Match 'ReadProtection\s+: unknown \(the catalog has no memory map for this chip'
            $text | Should -Not -Match 'Level0|Level1|IsReadProtected\s+: (True|False)'
            $text | Should -Match 'Flash\s+: unknown \(the catalog has no memory map for this chip; Import-Stm32Device adds one\)'
            $text | Should -Match 'Layout\s+: unknown \(the catalog has no memory map for this chip\)'
        }
        finally { Stop-TestSimulator $sim }
    }

    It 'says not read-protected where the option bytes could be read (a user row with options but no flash)' {
        $sim, $s = Connect-F103WithoutFlashMap '0x1FFFF800,0x1FFFF80F'
        try {
            $i = $s | Get-Stm32Info -WarningAction SilentlyContinue
            $i.Device.Flash.IsEmpty | Should -BeTrue
            # The RDP byte was read, so the level is known, and so is that reads are allowed.
            $i.ReadProtection | Should -Be ([Stm32.Protocol.Devices.ReadProtectionLevel]::Level0)
            $i.IsReadProtected | Should -BeFalse
            $i.IsReadProtected | Should -Not -BeNullOrEmpty
            # The session learnt it from that Read too.
            $s.IsReadProtected | Should -BeFalse
            $s.IsReadProtected | Should -Not -BeNullOrEmpty
            $text = $i | Out-String -Width 250
            $text | Should -Match 'IsReadProtected\s+: False'
            $text | Should -Match 'ReadProtection\s+: Level0'
        }
        finally { Stop-TestSimulator $sim }
    }

    It 'protects and unprotects a chip whose row has no flash, checking each through its system memory' {
        $sim, $s = Connect-F103WithoutFlashMap
        try {
            Protect-Stm32Flash -Session $s -ReadOut -Confirm:$false
            $s.IsReadProtected | Should -BeTrue
            ($s | Get-Stm32Info -WarningAction SilentlyContinue).ReadProtection | Should -Be ([Stm32.Protocol.Devices.ReadProtectionLevel]::Level1)
            { Read-Stm32Memory -Session $s -Address 0x20000200 -Length 4 -ErrorAction Stop } | Should -Throw -ErrorId 'ReadProtected,Stm32.PowerShell.Commands.ReadStm32MemoryCommand'

            Unprotect-Stm32Flash -Session $s -ReadOut -Confirm:$false
            $s.IsReadProtected | Should -BeFalse
            $s.IsReadProtected | Should -Not -BeNullOrEmpty
        }
        finally { Stop-TestSimulator $sim }
    }

    It 'refuses Readout Protect and Unprotect on a chip the catalog knows nothing of, before sending them' {
        $full = '0x999,My test part,0x20001000,0x20004000,0x08000000,0x08010000,2048,,,0x1FFF0000,0x1FFF7000,,1'
        Import-TestRow $full
        $sim = Start-TestSimulator @('-Device', '0x999', '-Port', 'tcp://127.0.0.1:0', '-Timing', 'Instant', '-TimeoutSec', '60')
        try {
            [Stm32.Protocol.Devices.DeviceCatalog]::ClearUserRows()
            $s = Connect-Stm32 -Port $sim.Endpoint.Endpoint -WarningAction SilentlyContinue
            { Protect-Stm32Flash -Session $s -ReadOut -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'DeviceLayoutUnknown,Stm32.PowerShell.Commands.ProtectStm32FlashCommand'
            { Unprotect-Stm32Flash -Session $s -ReadOut -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'DeviceLayoutUnknown,Stm32.PowerShell.Commands.UnprotectStm32FlashCommand'
            Disconnect-Stm32 -Session $s
            # With its row back, the chip shows it was not touched: open, and its flash still there.
            Import-TestRow $full
            $s = Connect-Stm32 -Port $sim.Endpoint.Endpoint
            ($s | Get-Stm32Info).IsReadProtected | Should -BeFalse
        }
        finally { Stop-TestSimulator $sim }
    }
}
