# Read-Stm32Memory and Test-Stm32Firmware against the simulated chips (instant timing).
Describe 'Read-Stm32Memory and Test-Stm32Firmware' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '../Common.ps1')
        $script:Data = (Resolve-Path (Join-Path $PSScriptRoot '../data')).ProviderPath
        $script:Blinky = Join-Path $Data 'blinky-f103.hex'
        function New-Flashed {
            $s = Connect-Stm32 $F103
            $s | Clear-Stm32Flash -All -Confirm:$false
            $null = $s | Write-Stm32Firmware -Path $Blinky -ErrorAction Stop
            $s
        }
    }
    AfterEach { Remove-AllStm32Session }

    Context 'Read-Stm32Memory' {
        It 'reads a range as one block that carries its session' {
            $s = New-Flashed
            $b = $s | Read-Stm32Memory -Address 0x08000000 -Length 272
            $b | Should -BeOfType ([Stm32.PowerShell.Stm32MemoryBlock])
            $b.Address | Should -Be 0x08000000
            $b.Length | Should -Be 272
            $b.Session | Should -Be $s
            [Convert]::ToHexString($b.Bytes) | Should -Be ([Convert]::ToHexString((Import-Stm32Firmware $Blinky).ToFlat()))
        }

        It 'reads the whole flash with neither -Address nor -Length' {
            $b = New-Flashed | Read-Stm32Memory
            $b.Address | Should -Be 0x08000000
            $b.Length | Should -Be 128KB
        }

        It 'takes positional address and length, and the session by property name and -SessionId' {
            $s = New-Flashed
            $null = Connect-Stm32 $F407
            ([pscustomobject]@{ Session = $s } | Read-Stm32Memory 0x08000000 16).Length | Should -Be 16
            (Read-Stm32Memory -SessionId $s.Id 0x08000000 16).Session | Should -Be $s
            ($s | Get-Stm32Info | Read-Stm32Memory 0x08000000 4).Length | Should -Be 4
        }

        It 'shows a hex dump, collapsing repeated lines' {
            $text = New-Flashed | Read-Stm32Memory 0x08000100 0x100 | Out-String -Width 200
            $text | Should -Match '256 bytes at 0x08000100'
            $text | Should -Match '08000100  20 76 65 63 74 6F 72 73  00 00 00 00 07 00 00 00 \| vectors'
            $text | Should -Match '(?m)^\*$'
            $text | Should -Match '080001F0  FF FF'
        }

        It '-OutFile <_> round-trips through Import-Stm32Firmware' -ForEach @('hex', 'srec', 'bin') {
            $s = New-Flashed
            $f = $s | Read-Stm32Memory -Address 0x08000000 -Length 0x400 -OutFile "TestDrive:/backup.$_"
            $f | Should -BeOfType ([System.IO.FileInfo])
            $f.Session | Should -Be $s
            $f.Address | Should -Be 0x08000000
            $f.BytesRead | Should -Be 0x400
            $f.Length | Should -Be (Get-Item $f.FullName).Length
            $image = Import-Stm32Firmware $f.FullName
            $image.DataBytes | Should -Be 0x400
            $block = $s | Read-Stm32Memory -Address 0x08000000 -Length 0x400
            $image.Sha256 | Should -Be $block.Image.Sha256
            # The backup's session pipes on.
            ($f | Get-Stm32Info).ProductId | Should -Be 0x410
        }

        It 'returns the -OutFile as Get-Item does (mode, size, name in the table) with Session, Address and BytesRead' {
            $f = New-Flashed | Read-Stm32Memory 0x08000000 256 -OutFile TestDrive:/v.bin
            $f.PSIsContainer | Should -BeFalse
            $f.Address | Should -Be 0x08000000
            $f.BytesRead | Should -Be 256
            ($f | Format-Table | Out-String -Width 200) | Should -Match '\b256 v\.bin'
        }

        It 'backs the whole flash up and restores it' {
            $s = New-Flashed
            $null = $s | Read-Stm32Memory -OutFile TestDrive:/all.hex
            $s | Clear-Stm32Flash -All -Confirm:$false
            $r = $s | Write-Stm32Firmware -Path TestDrive:/all.hex -Verify
            $r.MassErased | Should -BeTrue
            ($s | Test-Stm32Firmware -Path $Blinky).Matches | Should -BeTrue
        }

        It 'pipes a block to Export-Stm32Firmware by its Image property' {
            New-Flashed | Read-Stm32Memory 0x08000000 272 | Export-Stm32Firmware TestDrive:/b.hex
            (Import-Stm32Firmware TestDrive:/b.hex).Sha256 | Should -Be (Import-Stm32Firmware $Blinky).Sha256
        }

        It 'writes no file under -WhatIf, and honours -NoClobber' {
            $s = New-Flashed
            $s | Read-Stm32Memory 0x08000000 16 -OutFile TestDrive:/w.bin -WhatIf | Should -BeNullOrEmpty
            'TestDrive:/w.bin' | Should -Not -Exist
            Set-Content TestDrive:/k.bin 'keep'
            { $s | Read-Stm32Memory 0x08000000 16 -OutFile TestDrive:/k.bin -NoClobber -ErrorAction Stop } |
                Should -Throw -ErrorId 'FileExists,Stm32.PowerShell.Commands.ReadStm32MemoryCommand'
            Get-Content TestDrive:/k.bin | Should -Be 'keep'
        }

        It 'refuses an -OutFile in a missing folder before reading (FileWriteFailed)' {
            $s = New-Flashed
            { $s | Read-Stm32Memory -OutFile TestDrive:/no/such/folder/b.hex -ErrorAction Stop } |
                Should -Throw -ErrorId 'FileWriteFailed,Stm32.PowerShell.Commands.ReadStm32MemoryCommand'
            $s.IsOpen | Should -BeTrue
        }

        It 'refuses a read-only -OutFile without -Force before reading anything (FileWriteFailed, naming the file); -Force replaces it' {
            $null = New-Flashed
            Remove-AllStm32Session
            $file = Join-Path $TestDrive 'read-only.bin'
            Set-Content -LiteralPath $file 'keep'
            (Get-Item -LiteralPath $file).IsReadOnly = $true
            # In a runspace of its own, to see its progress records: a read writes 'Reading' ones.
            $ps = New-TestPowerShell
            try {
                $out = $ps.AddScript("Connect-Stm32 '$F103' | Read-Stm32Memory -OutFile '$file'").Invoke()
                $out | Should -BeNullOrEmpty
                $ps.Streams.Error.Count | Should -Be 1
                $ps.Streams.Error[0].FullyQualifiedErrorId | Should -BeExactly 'FileWriteFailed,Stm32.PowerShell.Commands.ReadStm32MemoryCommand'
                $ps.Streams.Error[0].Exception.Message | Should -Match ([regex]::Escape($file))
                $ps.Streams.Error[0].Exception.Message | Should -Match 'read-only.*-Force'
                @($ps.Streams.Progress | Where-Object Activity -eq 'Reading') | Should -BeNullOrEmpty -Because 'nothing is read for a file that cannot be written'
            }
            finally { $ps.Dispose() }
            Get-Content -LiteralPath $file | Should -Be 'keep'
            $f = Connect-Stm32 $F103 | Read-Stm32Memory 0x08000000 16 -OutFile $file -Force
            $f.Length | Should -Be 16
            [IO.File]::ReadAllBytes($file) | Should -Be (Import-Stm32Firmware $Blinky).ToFlat()[0..15]
        }

        It 'refuses a read-protected chip with ReadProtected, saying lifting it erases the flash' {
            $ps = New-TestPowerShell
            try {
                $null = $ps.AddScript("Connect-Stm32 -Port 'sim://0x410?timing=instant&rdp=1' -WarningAction SilentlyContinue | Read-Stm32Memory 0x08000000 16").Invoke()
                $err = $ps.Streams.Error | Select-Object -First 1
                $err.FullyQualifiedErrorId | Should -BeExactly 'ReadProtected,Stm32.PowerShell.Commands.ReadStm32MemoryCommand'
                $err.Exception.Message | Should -Match 'Unprotect'
                $err.Exception.Message | Should -Match 'erases the whole flash'
            }
            finally { $ps.Dispose() }
        }

        It 'reports an address the chip refuses with the step and address, and stays usable' {
            # RAM the bootloader reserves: not refused up front (the chip decides there), refused by the chip.
            $s = Connect-Stm32 $F103
            $e = { $s | Read-Stm32Memory 0x20000000 16 -ErrorAction Stop } | Should -Throw -PassThru
            $e.FullyQualifiedErrorId | Should -Match '^(Nack|Timeout),Stm32.PowerShell.Commands.ReadStm32MemoryCommand$'
            $e.ToString() | Should -Match 'step: Read Memory address at 0x20000000'
            ($s | Read-Stm32Memory 0x08000000 4).Length | Should -Be 4
        }

        It 'refuses an address in no memory before sending anything (AddressOutOfRange, issue 8)' {
            $s = Connect-Stm32 $F103
            $e = { $s | Read-Stm32Memory 0x60000000 16 -ErrorAction Stop } | Should -Throw -PassThru
            $e.FullyQualifiedErrorId | Should -BeExactly 'AddressOutOfRange,Stm32.PowerShell.Commands.ReadStm32MemoryCommand'
            $e.ToString() | Should -Match '0x60000000'
        }
    }

    Context 'Test-Stm32Firmware' {
        It 'says the chip matches the file it was written with' {
            $r = New-Flashed | Test-Stm32Firmware -Path (Join-Path $Data 'blinky-f103.elf')
            $r | Should -BeOfType ([Stm32.PowerShell.Stm32CompareResult])
            $r.Matches | Should -BeTrue
            $r.FirstDifference | Should -BeNullOrEmpty
            $r.DifferingBytes | Should -Be 0
            $r.ComparedBytes | Should -Be 272
        }

        It 'finds the first difference and counts the differing bytes' {
            $s = New-Flashed
            $s | Clear-Stm32Flash -Page 0 -Confirm:$false
            $r = $s | Test-Stm32Firmware -Path $Blinky
            $r.Matches | Should -BeFalse
            $r.FirstDifferenceHex | Should -Be '0x08000000'
            $r.DifferingBytes | Should -BeGreaterThan 200
        }

        It '-Quiet returns only $true or $false' {
            $s = New-Flashed
            $s | Test-Stm32Firmware -Path $Blinky -Quiet | Should -BeExactly $true
            $s | Clear-Stm32Flash -Page 0 -Confirm:$false
            $s | Test-Stm32Firmware -Path $Blinky -Quiet | Should -BeExactly $false
        }

        It 'takes an image by value and a raw binary with -Address' {
            $s = New-Flashed
            (Import-Stm32Firmware $Blinky | Test-Stm32Firmware -Session $s).Matches | Should -BeTrue
            (Test-Stm32Firmware -Session $s -LiteralPath (Join-Path $Data 'blinky-f103.bin') -Address 0x08000000 -Quiet) | Should -BeTrue
            (Test-Stm32Firmware -Session $s -Path (Join-Path $Data 'blinky-f103.bin') -Address 0x08000400 -Quiet) | Should -BeFalse
        }

        It 'refuses an image outside the chip (ImageOutOfRange)' {
            $s = Connect-Stm32 $F103
            { $s | Test-Stm32Firmware -Path (Join-Path $Data 'big-f407.hex') -ErrorAction Stop } |
                Should -Throw -ErrorId 'ImageOutOfRange,Stm32.PowerShell.Commands.TestStm32FirmwareCommand'
        }
    }

    Context 'Start-Stm32Application' {
        It 'starts the program at the flash start and leaves the bootloader' {
            $s = New-Flashed
            $s | Start-Stm32Application | Should -BeNullOrEmpty
            $s.InBootloader | Should -BeFalse
            $s.IsOpen | Should -BeTrue
            { $s | Read-Stm32Memory 0x08000000 4 -ErrorAction Stop } |
                Should -Throw -ErrorId 'NotInBootloader,Stm32.PowerShell.Commands.ReadStm32MemoryCommand'
        }

        It 'takes -Address and -PassThru, and the session by -SessionId' {
            $s = New-Flashed
            $r = Start-Stm32Application -SessionId $s.Id -Address 0x08000000 -PassThru
            $r | Should -Be $s
            $r.InBootloader | Should -BeFalse
        }

        It 'does nothing under -WhatIf' {
            $s = New-Flashed
            $s | Start-Stm32Application -WhatIf
            $s.InBootloader | Should -BeTrue
        }

        It 'refuses a session that already left the bootloader (NotInBootloader)' {
            $s = New-Flashed
            $s | Start-Stm32Application
            { $s | Start-Stm32Application -ErrorAction Stop } |
                Should -Throw -ErrorId 'NotInBootloader,Stm32.PowerShell.Commands.StartStm32ApplicationCommand'
        }
    }
}
