# Import-Stm32Firmware and Export-Stm32Firmware: files to images and back, no chip needed.
Describe 'Import-Stm32Firmware and Export-Stm32Firmware' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '../Common.ps1')
        $script:Data = (Resolve-Path (Join-Path $PSScriptRoot '../data')).ProviderPath
    }
    AfterEach { Remove-AllStm32Session }

    Context 'Import-Stm32Firmware' {
        It 'reads every form of blinky-f103 to the same image (<_>)' -ForEach @('blinky-f103.hex', 'blinky-f103.srec', 'blinky-f103.s3.srec', 'blinky-f103.elf', 'blinky-f103.bin') {
            $reference = Import-Stm32Firmware -LiteralPath (Join-Path $Data 'blinky-f103.hex')
            $image = Import-Stm32Firmware -Path (Join-Path $Data $_)
            $image | Should -BeOfType ([Stm32.Protocol.Firmware.FirmwareImage])
            $image.Sha256 | Should -Be $reference.Sha256
            $image.DataBytes | Should -Be 272
            $image.LowestAddress | Should -Be 0x08000000
        }

        It 'places a raw binary at -Address' {
            $image = Import-Stm32Firmware -Path (Join-Path $Data 'blinky-f103.bin') -Address 0x08004000
            $image.LowestAddress | Should -Be 0x08004000
        }

        It 'refuses -Address for files with addresses of their own (<_>), naming the file' -ForEach @('blinky-f103.hex', 'blinky-f103.srec', 'blinky-f103.elf') {
            $e = { Import-Stm32Firmware -Path (Join-Path $Data $_) -Address 0x08004000 -ErrorAction Stop } | Should -Throw -PassThru
            $e.FullyQualifiedErrorId | Should -BeExactly 'AddressNotApplicable,Stm32.PowerShell.Commands.ImportStm32FirmwareCommand'
            $e.Exception.Message | Should -Match ([regex]::Escape($_))
            $e.Exception.Message | Should -Match 'raw binaries'
            # -Format Binary says the file is a raw binary after all: then -Address places it.
            (Import-Stm32Firmware -Path (Join-Path $Data $_) -Format Binary -Address 0x08004000).LowestAddress | Should -Be 0x08004000
        }

        It 'honours -Format over the extension' {
            Copy-Item (Join-Path $Data 'blinky-f103.hex') TestDrive:/blinky.txt
            (Import-Stm32Firmware -Path TestDrive:/blinky.txt -Format IntelHex).DataBytes | Should -Be 272
        }

        It 'expands wildcards to one image per file' {
            $images = Import-Stm32Firmware -Path (Join-Path $Data 'sparse-f103*.hex')
            $images.Count | Should -Be 2
            $images[0].Sha256 | Should -Be $images[1].Sha256
        }

        It 'takes files from Get-ChildItem by property name (LiteralPath)' {
            $images = Get-ChildItem (Join-Path $Data 'blinky-f103.*') -Include *.hex, *.elf | Import-Stm32Firmware
            @($images).Count | Should -Be 2
            ($images.Sha256 | Select-Object -Unique).Count | Should -Be 1
        }

        It 'shows segments with start, end and size in hex, the bytes and the SHA-256' {
            $text = Import-Stm32Firmware -Path (Join-Path $Data 'sparse-f103.hex') | Out-String -Width 200
            $text | Should -Match '0x08000000-0x0800010B\s+0x10C bytes'
            $text | Should -Match '0x0801FC00-0x0801FC13\s+0x14 bytes'
            $text | Should -Match 'DataBytes\s+: 288'
            $text | Should -Match 'Sha256\s+: [0-9a-f]{64}'
            $text | Should -Match 'StartAddress\s+: 0x08000040'
        }

        It 'reports a bad file as FileInvalid with the file and line' {
            $lines = Get-Content (Join-Path $Data 'blinky-f103.hex')
            $lines[2] = $lines[2].Substring(0, $lines[2].Length - 2) + '00'   # break the checksum of line 3
            Set-Content TestDrive:/bad.hex $lines
            $e = { Import-Stm32Firmware -Path TestDrive:/bad.hex -ErrorAction Stop } | Should -Throw -PassThru
            $e.FullyQualifiedErrorId | Should -BeExactly 'FileInvalid,Stm32.PowerShell.Commands.ImportStm32FirmwareCommand'
            $e.CategoryInfo.Category | Should -Be 'InvalidData'
            $e.Exception.Message | Should -Match 'bad\.hex, line 3'
        }

        It 'reports a missing file as FileNotFound' {
            { Import-Stm32Firmware -Path TestDrive:/nope.hex -ErrorAction Stop } |
                Should -Throw -ErrorId 'FileNotFound,Stm32.PowerShell.Commands.ImportStm32FirmwareCommand'
            { Import-Stm32Firmware -LiteralPath TestDrive:/nope[1].hex -ErrorAction Stop } |
                Should -Throw -ErrorId 'FileNotFound,Stm32.PowerShell.Commands.ImportStm32FirmwareCommand'
        }
    }

    Context 'Export-Stm32Firmware' {
        It 'converts ELF to <_> and back to the same image' -ForEach @('hex', 'srec', 's19', 'bin') {
            $elf = Import-Stm32Firmware -Path (Join-Path $Data 'blinky-f103.elf')
            $out = Join-Path TestDrive: "blinky.$_"
            $elf | Export-Stm32Firmware -Path $out
            (Import-Stm32Firmware -Path $out).Sha256 | Should -Be $elf.Sha256
        }

        It 'keeps the gaps of a sparse image in HEX and fills them in a binary' {
            $sparse = Import-Stm32Firmware -Path (Join-Path $Data 'sparse-f103.hex')
            $sparse | Export-Stm32Firmware TestDrive:/s.hex
            $sparse | Export-Stm32Firmware TestDrive:/s.bin
            (Import-Stm32Firmware TestDrive:/s.hex).Sha256 | Should -Be $sparse.Sha256
            (Get-Item TestDrive:/s.bin).Length | Should -Be 130068
            (Import-Stm32Firmware TestDrive:/s.bin).Sha256 | Should -Be (Import-Stm32Firmware (Join-Path $Data 'sparse-f103.bin')).Sha256
        }

        It 'writes the format named by -Format whatever the extension' {
            Import-Stm32Firmware (Join-Path $Data 'blinky-f103.hex') | Export-Stm32Firmware TestDrive:/out.txt -Format SRecord
            (Get-Content TestDrive:/out.txt -TotalCount 1) | Should -Match '^S0'
        }

        It 'returns the file with -PassThru' {
            $f = Import-Stm32Firmware (Join-Path $Data 'blinky-f103.hex') | Export-Stm32Firmware TestDrive:/p.hex -PassThru
            $f | Should -BeOfType ([System.IO.FileInfo])
            $f.Length | Should -BeGreaterThan 0
        }

        It 'replaces an existing file, but not with -NoClobber (FileExists)' {
            $image = Import-Stm32Firmware (Join-Path $Data 'blinky-f103.hex')
            Set-Content TestDrive:/e.hex 'old'
            $image | Export-Stm32Firmware TestDrive:/e.hex
            (Get-Content TestDrive:/e.hex -TotalCount 1) | Should -Not -Be 'old'
            Set-Content TestDrive:/e.hex 'old'
            { $image | Export-Stm32Firmware TestDrive:/e.hex -NoClobber -ErrorAction Stop } |
                Should -Throw -ErrorId 'FileExists,Stm32.PowerShell.Commands.ExportStm32FirmwareCommand'
            Get-Content TestDrive:/e.hex | Should -Be 'old'
        }

        It 'refuses a file it may not write before anything upstream reads the chip (Read-Stm32Memory | Export-Stm32Firmware -NoClobber)' {
            $s = Connect-Stm32 $F103
            Set-Content TestDrive:/backup.s19 'keep'
            $chip = Get-TestChip '0x410'
            $before = $chip.CommandCount
            { $s | Read-Stm32Memory | Export-Stm32Firmware TestDrive:/backup.s19 -NoClobber -ErrorAction Stop } |
                Should -Throw -ErrorId 'FileExists,Stm32.PowerShell.Commands.ExportStm32FirmwareCommand'
            { $s | Read-Stm32Memory | Export-Stm32Firmware TestDrive:/backup.elf -ErrorAction Stop } |
                Should -Throw -ErrorId 'FormatNotSupported,Stm32.PowerShell.Commands.ExportStm32FirmwareCommand'
            { $s | Read-Stm32Memory | Export-Stm32Firmware TestDrive:/no/such/folder/b.hex -ErrorAction Stop } |
                Should -Throw -ErrorId 'FileWriteFailed,Stm32.PowerShell.Commands.ExportStm32FirmwareCommand'
            $chip.CommandCount | Should -Be $before -Because 'the flash is not read for a file that cannot be written'
            Get-Content TestDrive:/backup.s19 | Should -Be 'keep'
        }

        It 'returns the file as Get-Item does (mode and size in the table), with -PassThru' {
            $f = Import-Stm32Firmware (Join-Path $Data 'blinky-f103.hex') | Export-Stm32Firmware TestDrive:/t.hex -PassThru
            $f.PSIsContainer | Should -BeFalse
            $table = $f | Format-Table | Out-String -Width 200
            $table | Should -Match ([regex]::Escape("$($f.Length) t.hex"))
        }

        It 'replaces a read-only file only with -Force' {
            $image = Import-Stm32Firmware (Join-Path $Data 'blinky-f103.hex')
            Set-Content TestDrive:/ro.hex 'old'
            (Get-Item TestDrive:/ro.hex).IsReadOnly = $true
            { $image | Export-Stm32Firmware TestDrive:/ro.hex -ErrorAction Stop } |
                Should -Throw -ErrorId 'FileWriteFailed,Stm32.PowerShell.Commands.ExportStm32FirmwareCommand'
            $image | Export-Stm32Firmware TestDrive:/ro.hex -Force
            (Import-Stm32Firmware TestDrive:/ro.hex).Sha256 | Should -Be $image.Sha256
        }

        It 'writes nothing under -WhatIf' {
            Import-Stm32Firmware (Join-Path $Data 'blinky-f103.hex') | Export-Stm32Firmware TestDrive:/w.hex -WhatIf
            'TestDrive:/w.hex' | Should -Not -Exist
        }

        It 'refuses ELF and unknown extensions (FormatNotSupported)' {
            $image = Import-Stm32Firmware (Join-Path $Data 'blinky-f103.hex')
            { $image | Export-Stm32Firmware TestDrive:/x.elf -ErrorAction Stop } |
                Should -Throw -ErrorId 'FormatNotSupported,Stm32.PowerShell.Commands.ExportStm32FirmwareCommand'
            { $image | Export-Stm32Firmware TestDrive:/x.dat -ErrorAction Stop } |
                Should -Throw -ErrorId 'FormatNotSupported,Stm32.PowerShell.Commands.ExportStm32FirmwareCommand'
        }
    }
}
