# Write-Stm32Firmware against the simulated chips (instant timing).
Describe 'Write-Stm32Firmware' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '../Common.ps1')
        $script:Data = (Resolve-Path (Join-Path $PSScriptRoot '../data')).ProviderPath
        $script:Blinky = Join-Path $Data 'blinky-f103.hex'
        function Get-FlashHash($Session) {
            $bytes = (Read-Stm32Memory -Session $Session).Bytes
            [Convert]::ToHexString([System.Security.Cryptography.SHA256]::HashData($bytes))
        }
        function New-Erased($Port = $F103) {
            $s = Connect-Stm32 -Port $Port
            $s | Clear-Stm32Flash -All -Confirm:$false
            $s
        }
    }
    AfterEach { Remove-AllStm32Session }

    It 'flashes, verifies and starts in one pipeline' {
        $r = Connect-Stm32 $F103 | Write-Stm32Firmware -Path $Blinky -Verify
        $r | Should -BeOfType ([Stm32.PowerShell.Stm32WriteResult])
        $r.Verified | Should -BeTrue
        $r.VerifyMethod | Should -Be 'ReadBack'   # bootloader 2.2 has no Get Checksum
        $r.DataBytes | Should -Be 272
        $r.Sha256 | Should -Be (Import-Stm32Firmware $Blinky).Sha256
        $r.Path | Should -Be $Blinky
        $r.PagesErased | Should -Be @(0)
        $r.BlocksWritten | Should -Be 2          # 272 bytes: two 256-byte blocks, not one write per HEX line
        $r.BytesWritten | Should -Be 512
        $r.BytesSent | Should -BeGreaterThan 512
        $r.BytesPerSecond | Should -BeGreaterThan 0
        $r.Session.InBootloader | Should -BeTrue
        $s = $r | Start-Stm32Application -PassThru
        $s.InBootloader | Should -BeFalse
    }

    It 'writes the same bytes from every vector format (<_>)' -ForEach @('blinky-f103.hex', 'blinky-f103.srec', 'blinky-f103.s3.srec', 'blinky-f103.elf', 'blinky-f103.bin') {
        $s = New-Erased
        $null = $s | Write-Stm32Firmware -Path (Join-Path $Data $_) -Verify
        $expected = (Import-Stm32Firmware $Blinky).ToFlat(0x08000000, 1024, 0xFF)
        $actual = (Read-Stm32Memory -Session $s -Address 0x08000000 -Length 1024).Bytes
        [Convert]::ToHexString($actual) | Should -Be ([Convert]::ToHexString($expected))
    }

    It 'erases two pages for the sparse .hex but the whole flash for its .bin' {
        $s = New-Erased
        $hex = $s | Write-Stm32Firmware -Path (Join-Path $Data 'sparse-f103.hex') -Verify -WarningAction SilentlyContinue
        $hex.PagesErased | Should -Be @(0, 127)
        $hex.MassErased | Should -BeFalse
        $hex.CollateralErased.Count | Should -Be 2
        $bin = $s | Write-Stm32Firmware -Path (Join-Path $Data 'sparse-f103.bin') -Verify
        $bin.MassErased | Should -BeTrue
        $bin.BlocksSkipped | Should -BeGreaterThan 400      # the 0xFF fill is not sent
        ($s | Test-Stm32Firmware -Path (Join-Path $Data 'sparse-f103.hex')).Matches | Should -BeTrue
    }

    It 'warns before erasing data the image does not cover, and says it holds data' {
        $s = New-Erased
        # Old data in pages 0 and 127, where the sparse image leaves gaps.
        $null = [Stm32.Protocol.Firmware.FirmwareImage]::FromBytes(0x08000000, [byte[]]::new(0x400)) | Write-Stm32Firmware -Session $s
        $null = [Stm32.Protocol.Firmware.FirmwareImage]::FromBytes(0x0801FC00, [byte[]]::new(0x400)) | Write-Stm32Firmware -Session $s
        $r = $s | Write-Stm32Firmware -Path (Join-Path $Data 'sparse-f103.hex') -WarningVariable w -WarningAction SilentlyContinue
        $w | Should -HaveCount 1
        "$w" | Should -Match '0x0800010C-0x080003FF \(756 bytes\): holds data \(756 of its 756 bytes are not 0xFF\)'
        "$w" | Should -Match '0x0801FC14-0x0801FFFF \(1004 bytes\): holds data'
        $r.Collateral.State | Should -Be @('HoldsData', 'HoldsData')
        $r.Collateral.CheckedBy | Should -Be @('ReadBack', 'ReadBack')   # bootloader 2.2: small ranges are read
        $r.CollateralErased | Should -Be @('0x0800010C-0x080003FF', '0x0801FC14-0x0801FFFF')
    }

    It 'does not warn about erasing blank flash; the plan (-Verbose) says it is blank' {
        $s = New-Erased
        $r = $s | Write-Stm32Firmware -Path (Join-Path $Data 'sparse-f103.hex') -WarningVariable w -Verbose 4>&1 | Where-Object { $_ -is [Stm32.PowerShell.Stm32WriteResult] -or $_ -is [System.Management.Automation.VerboseRecord] }
        $w | Should -BeNullOrEmpty
        $result = $r | Where-Object { $_ -is [Stm32.PowerShell.Stm32WriteResult] }
        $verbose = ($r | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }) -join "`n"
        $verbose | Should -Match '0x0800010C-0x080003FF \(756 bytes\): blank \(read: every byte is 0xFF\)'
        $result.Collateral.State | Should -Be @('Blank', 'Blank')
    }

    It 'on an F4 holding a 64 KiB image, a small image warns that the rest of sector 0 holds data (<Why>)' -ForEach @(
        @{ Why = 'bootloader 3.1: read'; Port = 'sim://0x413?timing=instant'; Says = 'holds data \(\d+ of the \d+ bytes read are not 0xFF, the first at 0x08000110'; By = 'ReadBack' }
        @{ Why = 'bootloader 3.3: Get Checksum'; Port = 'sim://0x413?timing=instant&protocol=3.3'; Says = 'holds data \(its Get Checksum differs from that of erased flash\)'; By = 'Checksum' }
    ) {
        $s = Connect-Stm32 $Port
        $old = [byte[]]::new(64KB); (New-Object Random 1).NextBytes($old)
        $null = [Stm32.Protocol.Firmware.FirmwareImage]::FromBytes(0x08000000, $old) | Write-Stm32Firmware -Session $s
        $r = $s | Write-Stm32Firmware -Path $Blinky -WarningVariable w -WarningAction SilentlyContinue
        "$w" | Should -Match ('Erasing sector 0 also clears this range beyond the image: 0x08000110-0x08003FFF \(16112 bytes\): ' + $Says)
        $r.Collateral | Should -HaveCount 1
        $r.Collateral[0].State | Should -Be 'HoldsData'
        $r.Collateral[0].CheckedBy | Should -Be $By
        # It said so before anything changed: -WhatIf and the run carry the same words.
        $r.Plan.Describe() | Should -Match $Says
    }

    It 'on a blank F4 writing big-f407.hex never claims the erased sectors hold data (<Why>)' -ForEach @(
        @{ Why = 'Get Checksum'; Port = 'sim://0x413?timing=instant&protocol=3.3'; Switch = @{} }
        @{ Why = 'no Get Checksum, -CheckCollateral reads it all'; Port = 'sim://0x413?timing=instant'; Switch = @{ CheckCollateral = $true } }
        @{ Why = 'no Get Checksum, not all read'; Port = 'sim://0x413?timing=instant'; Switch = @{} }
    ) {
        $s = Connect-Stm32 $Port
        $r = $s | Write-Stm32Firmware -Path (Join-Path $Data 'big-f407.hex') @Switch -WarningVariable w -WarningAction SilentlyContinue
        "$w" | Should -Not -Match 'holds data'
        $r.Plan.Describe() | Should -Not -Match 'holds data'
        $r.Collateral.State | Should -Not -Contain 'HoldsData'
        if ($Why -eq 'no Get Checksum, not all read') {
            # Too large to read cheaply: it says it does not know, and how to find out.
            "$w" | Should -Match 'may hold data'
            "$w" | Should -Match '-CheckCollateral reads all of it first to find out'
        }
        else {
            $w | Should -BeNullOrEmpty
            $r.Collateral.State | Should -Be @('Blank', 'Blank')
        }
    }

    It '-WhatIf shows the plan the run carries out (the mass-erase choice included), for Write-Stm32Firmware and Clear-Stm32Flash' {
        # "What if:" goes to the host, not to a stream: a child pwsh prints it, then runs the same
        # commands for real and prints the plan each run carried out.
        $script = @"
Import-Module '$ModulePath'
`$s = Connect-Stm32 -Port 'sim://0x413?timing=instant'
`$old = [byte[]]::new(64KB); (New-Object Random 1).NextBytes(`$old)
`$null = [Stm32.Protocol.Firmware.FirmwareImage]::FromBytes(0x08000000, `$old) | Write-Stm32Firmware -Session `$s
Write-Stm32Firmware -Session `$s -Path '$Blinky' -Verify -WhatIf -WarningAction SilentlyContinue
`$r = Write-Stm32Firmware -Session `$s -Path '$Blinky' -Verify -WarningAction SilentlyContinue
'RUN: ' + `$r.Plan.Describe()
`$f = Connect-Stm32 -Port '$F103'
Write-Stm32Firmware -Session `$f -Path '$(Join-Path $Data 'sparse-f103.bin')' -WhatIf
`$r = Write-Stm32Firmware -Session `$f -Path '$(Join-Path $Data 'sparse-f103.bin')'
'RUN: ' + `$r.Plan.Describe()
'MASS: ' + `$r.MassErased
Clear-Stm32Flash -Session `$f -Page 3, 4 -Verify -WhatIf
`$r = Clear-Stm32Flash -Session `$f -Page 3, 4 -Verify -Confirm:`$false -PassThru
'RUN: ' + `$r.Plan.Describe()
"@
        $lines = & (Join-Path $PSHOME 'pwsh') -NoProfile -NonInteractive -Command $script 2>&1 | ForEach-Object { "$_" }
        $whatIf = @($lines | ForEach-Object { if ($_ -match '^What if: Performing the operation "(.*)" on target "') { $Matches[1] } })
        $run = @($lines | Where-Object { $_ -like 'RUN: *' } | ForEach-Object { $_.Substring(5) })
        $whatIf | Should -HaveCount 3 -Because ($lines -join "`n")
        $run | Should -HaveCount 3
        for ($i = 0; $i -lt 3; $i++) { $whatIf[$i] | Should -BeExactly $run[$i] }
        $whatIf[0] | Should -Match 'erase sector 0 \(0x08000000-0x08003FFF\); write 2 blocks of 256 bytes; verify by reading back.*0x08000110-0x08003FFF \(16112 bytes\): holds data'
        $whatIf[1] | Should -Match 'erase the whole flash \(the image touches all 128 pages\) by mass erase, or page by page should the bootloader refuse the mass-erase code'
        $lines | Should -Contain 'MASS: True'
        $whatIf[2] | Should -BeExactly 'Erase pages 3-4 (0x08000C00-0x080013FF), then check that it reads blank by reading it back.'
    }

    It 'takes an image from the pipeline by value, and a memory block by property name' {
        $s = New-Erased
        $r = Import-Stm32Firmware $Blinky | Write-Stm32Firmware -Session $s -Verify
        $r.Path | Should -Be $Blinky
        $block = Read-Stm32Memory -Session $s -Address 0x08000000 -Length 512
        $s | Clear-Stm32Flash -All -Confirm:$false
        $r2 = $block | Write-Stm32Firmware -Verify     # Session and Image both by property name
        $r2.Session | Should -Be $s
        ($s | Test-Stm32Firmware -Path $Blinky -Quiet) | Should -BeTrue
    }

    It 'takes the session by property name and by -SessionId' {
        $s = New-Erased
        $null = Connect-Stm32 $F407
        ([pscustomobject]@{ Session = $s } | Write-Stm32Firmware -Path $Blinky).Session | Should -Be $s
        (Write-Stm32Firmware -SessionId $s.Id -Path $Blinky).Session | Should -Be $s
        ([pscustomobject]@{ SessionId = $s.Id } | Write-Stm32Firmware -Path $Blinky).Session | Should -Be $s
    }

    It 'takes -LiteralPath, and files from Get-ChildItem through Import-Stm32Firmware' {
        $s = New-Erased
        (Write-Stm32Firmware -Session $s -LiteralPath $Blinky).Path | Should -Be $Blinky
        (Get-Item $Blinky | Import-Stm32Firmware | Write-Stm32Firmware -Session $s).Path | Should -Be $Blinky
    }

    It 'writes a raw binary at -Address' {
        $s = New-Erased
        $r = $s | Write-Stm32Firmware -Path (Join-Path $Data 'blinky-f103.bin') -Address 0x08010000 -Verify
        $r.LowestAddress | Should -Be 0x08010000
        $r.PagesErased | Should -Be @(64)
    }

    It '-EraseAll mass-erases first; -NoErase erases nothing' {
        $s = New-Erased
        ($s | Write-Stm32Firmware -Path $Blinky -EraseAll).MassErased | Should -BeTrue
        $s | Clear-Stm32Flash -All -Confirm:$false
        $r = $s | Write-Stm32Firmware -Path $Blinky -NoErase -Verify
        $r.PagesErased.Count | Should -Be 0
        $r.Verified | Should -BeTrue
    }

    It '-Verify also checks that what was erased and not written reads blank (the rest of the flash with -EraseAll)' {
        $s = New-Erased
        $r = $s | Write-Stm32Firmware -Path $Blinky -EraseAll -Verify
        $r.Verified | Should -BeTrue
        $r.BlankChecked | Should -BeTrue
        ($s | Write-Stm32Firmware -Path $Blinky -Verify).BlankChecked | Should -BeTrue -Because 'the unused end of the last touched page was erased too'
        ($s | Write-Stm32Firmware -Path $Blinky).BlankChecked | Should -BeFalse
    }

    It 'refuses -EraseAll with -NoErase' {
        { Connect-Stm32 $F103 | Write-Stm32Firmware -Path $Blinky -EraseAll -NoErase -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidArgument,Stm32.PowerShell.Commands.WriteStm32FirmwareCommand'
    }

    It 'changes nothing under -WhatIf' {
        $s = New-Erased
        $null = $s | Write-Stm32Firmware -Path (Join-Path $Data 'sparse-f103.hex') -WarningAction SilentlyContinue
        $before = Get-FlashHash $s
        $s | Write-Stm32Firmware -Path $Blinky -EraseAll -Verify -Go -WhatIf | Should -BeNullOrEmpty
        $s.InBootloader | Should -BeTrue
        Get-FlashHash $s | Should -Be $before
    }

    It 'reports a bad file as FileInvalid with the line, before touching the chip' {
        $s = New-Erased
        $null = $s | Write-Stm32Firmware -Path $Blinky
        $before = Get-FlashHash $s
        $lines = Get-Content $Blinky
        $lines[4] = $lines[4] -replace '^:10', ':1G'
        Set-Content TestDrive:/bad.hex $lines
        $e = { $s | Write-Stm32Firmware -Path TestDrive:/bad.hex -EraseAll -ErrorAction Stop } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeExactly 'FileInvalid,Stm32.PowerShell.Commands.WriteStm32FirmwareCommand'
        $e.Exception.Message | Should -Match 'bad\.hex, line 5'
        Get-FlashHash $s | Should -Be $before
        $s.IsOpen | Should -BeTrue
    }

    It 'refuses an image outside the chip (ImageOutOfRange, naming the address) and leaves it untouched' {
        $s = New-Erased
        $null = $s | Write-Stm32Firmware -Path $Blinky
        $before = Get-FlashHash $s
        $e = { $s | Write-Stm32Firmware -Path (Join-Path $Data 'big-f407.hex') -ErrorAction Stop } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeExactly 'ImageOutOfRange,Stm32.PowerShell.Commands.WriteStm32FirmwareCommand'
        $e.Exception.Message | Should -Match '0x08020000'
        Get-FlashHash $s | Should -Be $before
    }

    It 'reports a verify failure with the address (VerifyMismatch)' {
        $s = New-Erased
        $null = $s | Write-Stm32Firmware -Path $Blinky
        $other = [Stm32.Protocol.Firmware.FirmwareImage]::FromBytes(0x08000000, [byte[]](1..64))
        $e = { $other | Write-Stm32Firmware -Session $s -NoErase -Verify -ErrorAction Stop } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeExactly 'VerifyMismatch,Stm32.PowerShell.Commands.WriteStm32FirmwareCommand'
        $e.CategoryInfo.Category | Should -Be 'InvalidResult'
        $e.Exception.Message | Should -Match '0x08000000'
    }

    It 'refuses an image with no data (EmptyImage)' {
        Set-Content TestDrive:/empty.hex ':00000001FF'
        { Connect-Stm32 $F103 | Write-Stm32Firmware -Path TestDrive:/empty.hex -ErrorAction Stop } |
            Should -Throw -ErrorId 'EmptyImage,Stm32.PowerShell.Commands.WriteStm32FirmwareCommand'
    }

    It 'reports FileNotFound and AmbiguousPath' {
        $s = Connect-Stm32 $F103
        { $s | Write-Stm32Firmware -Path TestDrive:/none.hex -ErrorAction Stop } |
            Should -Throw -ErrorId 'FileNotFound,Stm32.PowerShell.Commands.WriteStm32FirmwareCommand'
        { $s | Write-Stm32Firmware -Path (Join-Path $Data 'blinky-f103.*') -ErrorAction Stop } |
            Should -Throw -ErrorId 'AmbiguousPath,Stm32.PowerShell.Commands.WriteStm32FirmwareCommand'
        $s.IsOpen | Should -BeTrue
    }

    It 'refuses a read-protected chip with ReadProtected, explaining the way out' {
        $ps = New-TestPowerShell
        try {
            $null = $ps.AddScript(@"
`$s = Connect-Stm32 -Port 'sim://0x410?timing=instant&rdp=1' -WarningAction SilentlyContinue
`$s | Write-Stm32Firmware -Path '$Blinky'
"@).Invoke()
            $err = $ps.Streams.Error | Select-Object -First 1
            $err.FullyQualifiedErrorId | Should -BeExactly 'ReadProtected,Stm32.PowerShell.Commands.WriteStm32FirmwareCommand'
            $err.CategoryInfo.Category | Should -Be 'SecurityError'
            $err.Exception.Message | Should -Match 'erases the whole flash'
        }
        finally { $ps.Dispose() }
    }

    It 'stops before contacting a chip the session knows is read-protected (ReadProtected, the way out)' {
        # In a runspace of its own: ?rdp=1 stays on the runspace's simulated chip.
        $ps = New-TestPowerShell
        try {
            $out = $ps.AddScript(@"
function Get-TestChip { ${function:Get-TestChip} }
`$s = Connect-Stm32 -Port 'sim://0x410?timing=instant&rdp=1' -WarningAction SilentlyContinue
`$null = `$s | Get-Stm32Info -WarningAction SilentlyContinue
`$s.IsReadProtected
`$chip = Get-TestChip '0x410'
`$before = `$chip.CommandCount
`$s | Write-Stm32Firmware -Path '$Blinky' -Verify
`$s | Write-Stm32Firmware -Path '$Blinky' -EraseAll
`$s | Write-Stm32Firmware -Path '$Blinky' -WhatIf
`$chip.CommandCount - `$before
`$s.IsOpen
"@).Invoke()
            $out[0] | Should -BeTrue
            $out[1] | Should -Be 0 -Because 'not one command may reach a chip known to refuse the erase'
            $out[2] | Should -BeTrue
            $ps.Streams.Error.Count | Should -Be 3
            foreach ($e in $ps.Streams.Error) {
                $e.FullyQualifiedErrorId | Should -BeExactly 'ReadProtected,Stm32.PowerShell.Commands.WriteStm32FirmwareCommand'
                $e.Exception.Message | Should -Match 'nothing was sent'
                $e.ErrorDetails.RecommendedAction | Should -Match 'Unprotect-Stm32Flash -ReadOut'
            }
        }
        finally { $ps.Dispose() }
    }

    It 'refuses -Address for a <_> file, which carries its own addresses, before the chip is touched (AddressNotApplicable)' -ForEach @('blinky-f103.hex', 'blinky-f103.srec', 'blinky-f103.elf') {
        $s = New-Erased
        $chip = Get-TestChip '0x410'
        $before = $chip.CommandCount
        $e = { $s | Write-Stm32Firmware -Path (Join-Path $Data $_) -Address 0x08004000 -ErrorAction Stop } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeExactly 'AddressNotApplicable,Stm32.PowerShell.Commands.WriteStm32FirmwareCommand'
        $e.Exception.Message | Should -Match ([regex]::Escape($_))
        $e.Exception.Message | Should -Match '0x08000000-0x0800010F'
        { $s | Test-Stm32Firmware -Path (Join-Path $Data $_) -Address 0x08004000 -ErrorAction Stop } |
            Should -Throw -ErrorId 'AddressNotApplicable,Stm32.PowerShell.Commands.TestStm32FirmwareCommand'
        $chip.CommandCount | Should -Be $before
        # Without -Address the file's own addresses are used, and a raw binary goes where -Address says.
        ($s | Write-Stm32Firmware -Path (Join-Path $Data $_) -Verify).LowestAddress | Should -Be 0x08000000
        ($s | Write-Stm32Firmware -Path (Join-Path $Data 'blinky-f103.bin') -Address 0x08004000 -Verify).LowestAddressHex | Should -Be '0x08004000'
    }

    It 'writes the F407 image by sectors and verifies it with Get Checksum (bootloader 3.3)' {
        $s = Connect-Stm32 'sim://0x413?timing=instant&protocol=3.3'
        $r = $s | Write-Stm32Firmware -Path (Join-Path $Data 'big-f407.hex') -Verify -WarningAction SilentlyContinue
        $r.EraseUnit | Should -Be 'sector'
        $r.PagesErased | Should -Be @(0, 1, 2, 3, 4, 5, 6, 11)
        $r.VerifyMethod | Should -Be 'Checksum'
        ($s | Test-Stm32Firmware -Path (Join-Path $Data 'big-f407.elf')).Matches | Should -BeTrue
    }

    It '-Go starts the program' {
        $r = Connect-Stm32 $F103 | Write-Stm32Firmware -Path $Blinky -Go
        $r.Started | Should -BeTrue
        $r.Session.InBootloader | Should -BeFalse
        { $r | Write-Stm32Firmware -Path $Blinky -ErrorAction Stop } |
            Should -Throw -ErrorId 'NotInBootloader,Stm32.PowerShell.Commands.WriteStm32FirmwareCommand'
    }

    It 'formats the result as a list with erase, write and verify lines' {
        $text = Connect-Stm32 $F103 | Write-Stm32Firmware -Path $Blinky -Verify | Out-String -Width 200
        $text | Should -Match 'Verified\s+: yes \(ReadBack\)'
        $text | Should -Match '(?m)Erased\s+: 1 page: 0\s*$'
        $text | Should -Match 'Duration\s+: [\d.]+ s, [\d,]+ bytes/s'
    }
}
