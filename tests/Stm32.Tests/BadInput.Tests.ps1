# Issue 8, "Bad input, tried on purpose": every cmdlet fed the inputs users get wrong. Each row
# names the call, the ErrorId it must end in and what its message must name (file, line, address),
# and the simulated chip's flash and option bytes must hash the same before and after.
BeforeDiscovery {
    # F1 = sim://0x410 (STM32F103: 128 KiB in 1 KiB pages, RAM from 0x20000200 for the user),
    # F4 = sim://0x413 (STM32F407: 1 MiB in 12 sectors). $s is a session to that chip, $d the
    # folder of the malformed files (made in BeforeAll).
    $script:Rows = @(
        # ---- malformed files: Intel HEX
        @{ Name = 'HEX bad checksum'; Chip = 'F1'; Id = 'FileInvalid'; Match = 'bad-checksum\.hex.*line 2'
            Call = { param($s, $d) $s | Write-Stm32Firmware -Path "$d/bad-checksum.hex" -Confirm:$false -ErrorAction Stop } }
        @{ Name = 'HEX non-hex character'; Chip = 'F1'; Id = 'FileInvalid'; Match = 'non-hex\.hex.*line 2'
            Call = { param($s, $d) $s | Write-Stm32Firmware -Path "$d/non-hex.hex" -Confirm:$false -ErrorAction Stop } }
        @{ Name = 'HEX record length that does not match its byte count'; Chip = 'F1'; Id = 'FileInvalid'; Match = 'bad-length\.hex.*line 2'
            Call = { param($s, $d) $s | Write-Stm32Firmware -Path "$d/bad-length.hex" -Confirm:$false -ErrorAction Stop } }
        @{ Name = 'HEX unknown record type'; Chip = 'F1'; Id = 'FileInvalid'; Match = 'unknown-type\.hex.*line 3'
            Call = { param($s, $d) $s | Write-Stm32Firmware -Path "$d/unknown-type.hex" -Confirm:$false -ErrorAction Stop } }
        @{ Name = 'HEX without an end record'; Chip = 'F1'; Id = 'FileInvalid'; Match = 'no-end\.hex.*end'
            Call = { param($s, $d) $s | Write-Stm32Firmware -Path "$d/no-end.hex" -Confirm:$false -ErrorAction Stop } }
        @{ Name = 'HEX file cut short'; Chip = 'F1'; Id = 'FileInvalid'; Match = 'truncated\.hex.*line 2'
            Call = { param($s, $d) $s | Write-Stm32Firmware -Path "$d/truncated.hex" -Confirm:$false -ErrorAction Stop } }
        @{ Name = 'HEX with two different bytes for one address'; Chip = 'F1'; Id = 'FileInvalid'; Match = 'overlap\.hex.*line 3.*0x08000000'
            Call = { param($s, $d) $s | Write-Stm32Firmware -Path "$d/overlap.hex" -Confirm:$false -ErrorAction Stop } }
        @{ Name = 'HEX file named .bin'; Chip = 'F1'; Id = 'FileInvalid'; Match = 'hex-named\.bin.*Intel HEX'
            Call = { param($s, $d) $s | Write-Stm32Firmware -Path "$d/hex-named.bin" -Confirm:$false -ErrorAction Stop } }
        @{ Name = 'HEX bad checksum (Test-Stm32Firmware)'; Chip = 'F1'; Id = 'FileInvalid'; Match = 'bad-checksum\.hex.*line 2'
            Call = { param($s, $d) $s | Test-Stm32Firmware -Path "$d/bad-checksum.hex" -ErrorAction Stop } }
        @{ Name = 'HEX bad checksum (Import-Stm32Firmware)'; Chip = 'F1'; Id = 'FileInvalid'; Match = 'bad-checksum\.hex.*line 2'
            Call = { param($s, $d) Import-Stm32Firmware -Path "$d/bad-checksum.hex" -ErrorAction Stop } }
        # ---- S-record and ELF
        @{ Name = 'S-record bad checksum'; Chip = 'F1'; Id = 'FileInvalid'; Match = 'bad-checksum\.srec.*line 2'
            Call = { param($s, $d) $s | Write-Stm32Firmware -Path "$d/bad-checksum.srec" -Confirm:$false -ErrorAction Stop } }
        @{ Name = 'S-record byte count that does not match the record'; Chip = 'F1'; Id = 'FileInvalid'; Match = 'bad-count\.srec.*line 2'
            Call = { param($s, $d) $s | Write-Stm32Firmware -Path "$d/bad-count.srec" -Confirm:$false -ErrorAction Stop } }
        @{ Name = 'S-record S5 record count that does not match'; Chip = 'F1'; Id = 'FileInvalid'; Match = 'bad-s5\.srec.*line 4'
            Call = { param($s, $d) $s | Write-Stm32Firmware -Path "$d/bad-s5.srec" -Confirm:$false -ErrorAction Stop } }
        @{ Name = 'ELF for another machine (x86-64)'; Chip = 'F1'; Id = 'FileInvalid'; Match = 'not-arm\.elf.*ARM'
            Call = { param($s, $d) $s | Write-Stm32Firmware -Path "$d/not-arm.elf" -Confirm:$false -ErrorAction Stop } }
        @{ Name = 'ELF cut short'; Chip = 'F1'; Id = 'FileInvalid'; Match = 'truncated\.elf'
            Call = { param($s, $d) $s | Write-Stm32Firmware -Path "$d/truncated.elf" -Confirm:$false -ErrorAction Stop } }
        @{ Name = 'an empty file'; Chip = 'F1'; Id = 'FileInvalid'; Match = 'empty\.hex'
            Call = { param($s, $d) $s | Write-Stm32Firmware -Path "$d/empty.hex" -Confirm:$false -ErrorAction Stop } }
        @{ Name = 'a HEX file with no data'; Chip = 'F1'; Id = 'EmptyImage'; Match = 'only-end\.hex'
            Call = { param($s, $d) $s | Write-Stm32Firmware -Path "$d/only-end.hex" -Confirm:$false -ErrorAction Stop } }
        # ---- images that do not fit the chip
        @{ Name = 'an image larger than the flash'; Chip = 'F1'; Id = 'ImageOutOfRange'; Match = '0x08020000'
            Call = { param($s, $d) $s | Write-Stm32Firmware -Path "$d/too-big.bin" -Confirm:$false -ErrorAction Stop } }
        @{ Name = 'an image in the RAM the bootloader reserves'; Chip = 'F1'; Id = 'ImageOutOfRange'; Match = '0x20000000'
            Call = { param($s, $d) $s | Write-Stm32Firmware -Path "$d/in-reserved-ram.hex" -Confirm:$false -ErrorAction Stop } }
        @{ Name = 'an image in no memory at all'; Chip = 'F1'; Id = 'ImageOutOfRange'; Match = '0x60000000'
            Call = { param($s, $d) $s | Write-Stm32Firmware -Path "$d/nowhere.hex" -Confirm:$false -ErrorAction Stop } }
        @{ Name = 'a .bin placed past the flash end by -Address'; Chip = 'F1'; Id = 'ImageOutOfRange'; Match = '0x08020000'
            Call = { param($s, $d) $s | Write-Stm32Firmware -Path "$d/small.bin" -Address 0x0801FFF0 -Confirm:$false -ErrorAction Stop } }
        @{ Name = 'an image in no memory (Test-Stm32Firmware)'; Chip = 'F1'; Id = 'ImageOutOfRange'; Match = '0x60000000'
            Call = { param($s, $d) $s | Test-Stm32Firmware -Path "$d/nowhere.hex" -ErrorAction Stop } }
        # ---- addresses that are not aligned, lengths and counts
        @{ Name = 'Start at an address not on a 4-byte boundary'; Chip = 'F1'; Id = 'AddressOutOfRange'; Match = '0x08000001'
            Call = { param($s, $d) $s | Start-Stm32Application -Address 0x08000001 -Confirm:$false -ErrorAction Stop } }
        @{ Name = 'Start at an address in no memory'; Chip = 'F1'; Id = 'AddressOutOfRange'; Match = '0x60000000'
            Call = { param($s, $d) $s | Start-Stm32Application -Address 0x60000000 -Confirm:$false -ErrorAction Stop } }
        @{ Name = 'Clear a range of length zero'; Chip = 'F1'; Id = 'ParameterArgumentValidationError'; Match = 'Length'
            Call = { param($s, $d) $s | Clear-Stm32Flash -Address 0x08000400 -Length 0 -Confirm:$false -ErrorAction Stop } }
        @{ Name = 'Clear a negative length'; Chip = 'F1'; Id = 'CannotConvertArgumentNoMessage'; Match = 'Length'
            Call = { param($s, $d) $s | Clear-Stm32Flash -Address 0x08000400 -Length -1 -Confirm:$false -ErrorAction Stop } }
        @{ Name = 'Clear a huge range'; Chip = 'F1'; Id = 'AddressOutOfRange'; Match = '0x08000000'
            Call = { param($s, $d) $s | Clear-Stm32Flash -Address 0x08000000 -Length ([uint32]::MaxValue) -Confirm:$false -ErrorAction Stop } }
        @{ Name = 'Clear a range outside the flash'; Chip = 'F1'; Id = 'AddressOutOfRange'; Match = '0x20000200'
            Call = { param($s, $d) $s | Clear-Stm32Flash -Address 0x20000200 -Length 1024 -Confirm:$false -ErrorAction Stop } }
        @{ Name = 'Read a length of zero'; Chip = 'F1'; Id = 'ParameterArgumentValidationError'; Match = 'Length'
            Call = { param($s, $d) $s | Read-Stm32Memory -Address 0x08000000 -Length 0 -ErrorAction Stop } }
        @{ Name = 'Read a negative length'; Chip = 'F1'; Id = 'ParameterArgumentValidationError'; Match = 'Length'
            Call = { param($s, $d) $s | Read-Stm32Memory -Address 0x08000000 -Length -1 -ErrorAction Stop } }
        @{ Name = 'Read a huge length'; Chip = 'F1'; Id = 'AddressOutOfRange'; Match = '0x08000000'
            Call = { param($s, $d) $s | Read-Stm32Memory -Address 0x08000000 -Length ([int]::MaxValue) -ErrorAction Stop } }
        @{ Name = 'Read from no memory'; Chip = 'F1'; Id = 'AddressOutOfRange'; Match = '0x60000000'
            Call = { param($s, $d) $s | Read-Stm32Memory -Address 0x60000000 -Length 16 -ErrorAction Stop } }
        @{ Name = 'Read across the end of the 32-bit space'; Chip = 'F1'; Id = 'AddressOutOfRange'; Match = '0xFFFFFFF0'
            Call = { param($s, $d) $s | Read-Stm32Memory -Address 4294967280 -Length 256 -ErrorAction Stop } }
        # ---- pages and sectors
        @{ Name = 'a page number past the flash'; Chip = 'F1'; Id = 'PageOutOfRange'; Match = '128'
            Call = { param($s, $d) $s | Clear-Stm32Flash -Page 128 -Confirm:$false -ErrorAction Stop } }
        @{ Name = 'a negative page number'; Chip = 'F1'; Id = 'ParameterArgumentValidationError'; Match = 'Page'
            Call = { param($s, $d) $s | Clear-Stm32Flash -Page -1 -Confirm:$false -ErrorAction Stop } }
        @{ Name = 'a sector number past the flash'; Chip = 'F4'; Id = 'PageOutOfRange'; Match = '12'
            Call = { param($s, $d) $s | Clear-Stm32Flash -Sector 12 -Confirm:$false -ErrorAction Stop } }
        @{ Name = '-Page on an F4 (sectors)'; Chip = 'F4'; Id = 'EraseUnitMismatch'; Match = 'Sector'
            Call = { param($s, $d) $s | Clear-Stm32Flash -Page 0 -Confirm:$false -ErrorAction Stop } }
        @{ Name = '-Sector on an F1 (pages)'; Chip = 'F1'; Id = 'EraseUnitMismatch'; Match = 'Page'
            Call = { param($s, $d) $s | Clear-Stm32Flash -Sector 0 -Confirm:$false -ErrorAction Stop } }
        @{ Name = 'write protection of a page past the flash'; Chip = 'F1'; Id = 'PageOutOfRange'; Match = '999'
            Call = { param($s, $d) $s | Protect-Stm32Flash -Page 999 -Confirm:$false -ErrorAction Stop } }
        @{ Name = 'write protection of a WRP sector past the flash'; Chip = 'F4'; Id = 'PageOutOfRange'; Match = '99'
            Call = { param($s, $d) $s | Protect-Stm32Flash -Sector 99 -Confirm:$false -ErrorAction Stop } }
        @{ Name = 'write protection of a range outside the flash'; Chip = 'F1'; Id = 'AddressOutOfRange'; Match = '0x60000000'
            Call = { param($s, $d) $s | Protect-Stm32Flash -Address 0x60000000 -Length 16 -Confirm:$false -ErrorAction Stop } }
        # ---- option bytes, contradictions, output files
        @{ Name = 'a raw option block of the wrong size'; Chip = 'F1'; Id = 'InvalidArgument'; Match = '16 bytes; 3'
            Call = { param($s, $d) $s | Set-Stm32OptionByte -Raw ([byte[]](1, 2, 3)) -Confirm:$false -ErrorAction Stop } }
        @{ Name = 'a BOR level that does not exist'; Chip = 'F1'; Id = 'ParameterArgumentValidationError'; Match = 'BorLevel'
            Call = { param($s, $d) $s | Set-Stm32OptionByte -BorLevel 9 -Confirm:$false -ErrorAction Stop } }
        @{ Name = '-EraseAll with -NoErase'; Chip = 'F1'; Id = 'InvalidArgument'; Match = 'EraseAll'
            Call = { param($s, $d) $s | Write-Stm32Firmware -Path "$d/small.bin" -EraseAll -NoErase -Confirm:$false -ErrorAction Stop } }
        @{ Name = 'Read to a file of no known format'; Chip = 'F1'; Id = 'FormatNotSupported'; Match = 'dump\.foo'
            Call = { param($s, $d) $s | Read-Stm32Memory -OutFile "$d/dump.foo" -ErrorAction Stop } }
        @{ Name = 'Read to a folder that does not exist'; Chip = 'F1'; Id = 'FileWriteFailed'; Match = 'no-such-folder'
            Call = { param($s, $d) $s | Read-Stm32Memory -OutFile "$d/no-such-folder/dump.bin" -ErrorAction Stop } }
        @{ Name = 'Export of an image to an ELF file'; Chip = 'F1'; Id = 'FormatNotSupported'; Match = 'out\.elf'
            Call = { param($s, $d) Import-Stm32Firmware "$d/small.bin" | Export-Stm32Firmware -Path "$d/out.elf" -Confirm:$false -ErrorAction Stop } }
        # ---- ports, sessions, names
        @{ Name = 'a port that does not exist'; Chip = 'F1'; Id = 'PortNotFound'; Match = 'ttyNoSuchPort'
            Call = { param($s, $d) Connect-Stm32 -Port '/dev/ttyNoSuchPort' -ErrorAction Stop } }
        @{ Name = 'a sim:// product ID that matches no device'; Chip = 'F1'; Id = 'DeviceNotFound'; Match = '0xABC'
            Call = { param($s, $d) Connect-Stm32 -Port 'sim://0xABC?timing=instant' -ErrorAction Stop } }
        @{ Name = 'a sim:// name that matches no device'; Chip = 'F1'; Id = 'DeviceNotFound'; Match = 'NoSuchChip'
            Call = { param($s, $d) Connect-Stm32 -Port 'sim://NoSuchChip' -ErrorAction Stop } }
        @{ Name = 'a sim:// option that does not exist'; Chip = 'F1'; Id = 'InvalidPortName'; Match = 'timing'
            Call = { param($s, $d) Connect-Stm32 -Port 'sim://0x410?timing=slow' -ErrorAction Stop } }
        @{ Name = 'a baud rate of zero'; Chip = 'F1'; Id = 'ParameterArgumentValidationError'; Match = 'BaudRate'
            Call = { param($s, $d) Connect-Stm32 -Port 'sim://0x410?timing=instant' -BaudRate 0 -ErrorAction Stop } }
        @{ Name = 'a product ID wider than 12 bits'; Chip = 'F1'; Id = 'ParameterArgumentValidationError'; Match = 'ProductId'
            Call = { param($s, $d) Get-Stm32Device -ProductId 0x1000 -ErrorAction Stop } }
        @{ Name = 'a served simulator of a device that does not exist'; Chip = 'F1'; Id = 'DeviceNotFound'; Match = '0xABC'
            Call = { param($s, $d) Start-Stm32Simulator -Device 0xABC -Port "$d/nope" -ErrorAction Stop } }
        @{ Name = 'a session that was closed (Write)'; Chip = 'F1'; Id = 'SessionClosed'; Match = 'closed'
            Call = { param($s, $d) $s | Disconnect-Stm32; $s | Write-Stm32Firmware -Path "$d/small.bin" -Confirm:$false -ErrorAction Stop } }
        @{ Name = 'a session that was closed (Clear)'; Chip = 'F1'; Id = 'SessionClosed'; Match = 'closed'
            Call = { param($s, $d) $s | Disconnect-Stm32; $s | Clear-Stm32Flash -All -Confirm:$false -ErrorAction Stop } }
        @{ Name = 'a session that was closed (Read)'; Chip = 'F1'; Id = 'SessionClosed'; Match = 'closed'
            Call = { param($s, $d) $s | Disconnect-Stm32; $s | Read-Stm32Memory -Address 0x08000000 -Length 16 -ErrorAction Stop } }
        @{ Name = 'a session that was closed (Get-Stm32Info)'; Chip = 'F1'; Id = 'SessionClosed'; Match = 'closed'
            Call = { param($s, $d) $s | Disconnect-Stm32; $s | Get-Stm32Info -ErrorAction Stop } }
        @{ Name = 'a session that was closed (Test-Stm32Firmware)'; Chip = 'F1'; Id = 'SessionClosed'; Match = 'closed'
            Call = { param($s, $d) $s | Disconnect-Stm32; $s | Test-Stm32Firmware -Path "$d/small.bin" -ErrorAction Stop } }
        @{ Name = 'a session that was closed (Set-Stm32OptionByte)'; Chip = 'F1'; Id = 'SessionClosed'; Match = 'closed'
            Call = { param($s, $d) $s | Disconnect-Stm32; $s | Set-Stm32OptionByte -NRstStop $false -Confirm:$false -ErrorAction Stop } }
        @{ Name = 'a session that was closed (Start-Stm32Application)'; Chip = 'F1'; Id = 'SessionClosed'; Match = 'closed'
            Call = { param($s, $d) $s | Disconnect-Stm32; $s | Start-Stm32Application -Confirm:$false -ErrorAction Stop } }
        # ---- the device catalog
        @{ Name = 'a device file with a bad row'; Chip = 'F1'; Id = 'FileInvalid'; Match = 'bad-devices\.csv, line 3'
            Call = { param($s, $d) Import-Stm32Device -Path "$d/bad-devices.csv" -ErrorAction Stop } }
        @{ Name = 'a device file that does not exist'; Chip = 'F1'; Id = 'FileNotFound'; Match = 'no-devices\.json'
            Call = { param($s, $d) Import-Stm32Device -Path "$d/no-devices.json" -ErrorAction Stop } }
        @{ Name = 'a session Id that is not open'; Chip = 'F1'; Id = 'SessionNotFound'; Match = '9999'
            Call = { param($s, $d) Write-Stm32Firmware -SessionId 9999 -Path "$d/small.bin" -Confirm:$false -ErrorAction Stop } }
    )
}

Describe 'Bad input, tried on purpose' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '../Common.ps1')
        $script:Ports = @{ F1 = $F103; F4 = $F407 }
        $script:Keys = @{ F1 = '0x410'; F4 = '0x413' }
        $data = (Resolve-Path (Join-Path $PSScriptRoot '../data')).ProviderPath
        $script:Dir = Join-Path $TestDrive 'bad'
        $null = New-Item -ItemType Directory $Dir

        # The whole flash and the option bytes, straight from the simulated chip (no session needed).
        function Get-ChipHash([string] $Key) {
            $chip = Get-TestChip $Key
            $flash = $chip.Device.Flash
            $opt = $chip.Device.OptionBytes
            $sha = [System.Security.Cryptography.SHA256]
            [Convert]::ToHexString($sha::HashData($chip.Peek($flash.Start, [int] $flash.Length))) + '/' +
                [Convert]::ToHexString($sha::HashData($chip.Peek($opt.Start, [int] $opt.Length)))
        }
        function Set-Lines([string] $Name, [string[]] $Lines) {
            [IO.File]::WriteAllText((Join-Path $Dir $Name), ($Lines -join "`n"))
        }

        $ext = ':020000040800F2'
        $rec = ':1000000000500020430000084100000841000008A3'
        $end = ':00000001FF'
        Set-Lines 'bad-checksum.hex' $ext, ':1000000000500020430000084100000841000008A4', $end
        Set-Lines 'non-hex.hex' $ext, ':10000000005000204300000841000008410000G8A3', $end
        Set-Lines 'bad-length.hex' $ext, ':10000000005000204300000841000008410000A3', $end
        Set-Lines 'unknown-type.hex' $ext, $rec, ':00000006FA', $end
        Set-Lines 'no-end.hex' $ext, $rec
        [IO.File]::WriteAllText((Join-Path $Dir 'truncated.hex'), "$ext`n:100000000050002043")
        Set-Lines 'overlap.hex' $ext, $rec, ':1000000001500020430000084100000841000008A2', $end
        Set-Lines 'in-reserved-ram.hex' ':020000042000DA', ':0400000001020304F2', $end
        Set-Lines 'nowhere.hex' ':0200000460009A', ':0400000001020304F2', $end
        $header = 'pid_hex,name,ram_start,ram_end,flash_start,flash_end,page_size_or_sector_layout,option_bytes_start,option_bytes_end,system_memory_start,system_memory_end,flags,pages_per_sector'
        Set-Lines 'bad-devices.csv' $header, '0x998,Fine,,,,,,,,,,,', '0x999,Broken,0x20000200,0x20005000,0x08000000,0x07000000,1024,,,,,,'
        Set-Lines 'empty.hex' @()
        Set-Lines 'only-end.hex' $end
        Copy-Item (Join-Path $data 'blinky-f103.hex') (Join-Path $Dir 'hex-named.bin')
        $srec0 = 'S0130000626C696E6B792D663130332E7372656361'
        $s7 = 'S70508000040B2'
        Set-Lines 'bad-checksum.srec' $srec0, 'S315080000000050002043000008410000084100000896', $s7
        Set-Lines 'bad-count.srec' $srec0, 'S314080000000050002043000008410000084100000895', $s7
        Set-Lines 'bad-s5.srec' $srec0, 'S315080000000050002043000008410000084100000895', 'S315080000100050002043000008410000084100000885', 'S5030005F7', $s7
        $elf = [IO.File]::ReadAllBytes((Join-Path $data 'blinky-f103.elf'))
        $notArm = $elf.Clone(); $notArm[18] = 0x3E; $notArm[19] = 0
        [IO.File]::WriteAllBytes((Join-Path $Dir 'not-arm.elf'), $notArm)
        [IO.File]::WriteAllBytes((Join-Path $Dir 'truncated.elf'), $elf[0..99])
        [IO.File]::WriteAllBytes((Join-Path $Dir 'too-big.bin'), [byte[]]::new(128KB + 4))
        [IO.File]::WriteAllBytes((Join-Path $Dir 'small.bin'), [byte[]](1..32))

        # Something on both chips that an erase or a write would change.
        foreach ($c in 'F1', 'F4') {
            $s = Connect-Stm32 -Port $Ports[$c]
            $null = $s | Write-Stm32Firmware -Path (Join-Path $data 'blinky-f103.hex') -Confirm:$false -WarningAction SilentlyContinue -ErrorAction Stop
            $s | Disconnect-Stm32
        }
    }
    AfterEach { Remove-AllStm32Session }

    It '<Name>: <Id>, and the chip is as it was' -ForEach $Rows {
        $s = Connect-Stm32 -Port $Ports[$Chip]
        $before = Get-ChipHash $Keys[$Chip]
        $e = { & $Call $s $Dir } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeLike "$Id,*"
        $message = "$($e.Exception.Message) $($e.ErrorDetails.Message)"
        if ($env:STM32_SHOW_MESSAGES) { Write-Host "$Name => $($e.FullyQualifiedErrorId): $message" }
        $message | Should -Match $Match
        Get-ChipHash $Keys[$Chip] | Should -Be $before
    }
}
