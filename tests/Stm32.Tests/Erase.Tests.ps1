# Clear-Stm32Flash against the simulated chips (instant timing).
Describe 'Clear-Stm32Flash' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '../Common.ps1')
        $script:Data = (Resolve-Path (Join-Path $PSScriptRoot '../data')).ProviderPath
        function Test-Erased($Session, [uint32] $Address, [int] $Length) {
            $b = (Read-Stm32Memory -Session $Session -Address $Address -Length $Length).Bytes
            [Convert]::ToHexString($b) -ceq ('FF' * $b.Length)
        }
        # Programs 0x00 bytes over [Address, Address+Length) so erasing shows.
        function Set-Filled($Session, [uint32] $Address, [int] $Length) {
            $img = [Stm32.Protocol.Firmware.FirmwareImage]::FromBytes($Address, [byte[]]::new($Length))
            $null = $img | Write-Stm32Firmware -Session $Session -WarningAction SilentlyContinue -ErrorAction Stop
        }
    }
    AfterEach { Remove-AllStm32Session }

    It '-All erases the whole flash' {
        $s = Connect-Stm32 $F103
        Set-Filled $s 0x08000000 0x800
        Set-Filled $s 0x0801FC00 0x400
        $s | Clear-Stm32Flash -All -Confirm:$false
        Test-Erased $s 0x08000000 0x20000 | Should -BeTrue
    }

    It '-All erases a part without mass erase (page by page, L0 0x417) and a dual-bank part (0x419)' -ForEach @(
        @{ Port = 'sim://0x417?timing=instant' }
        @{ Port = 'sim://0x419?timing=instant' }
    ) {
        $s = Connect-Stm32 $Port
        $flash = (Get-Stm32Info -Session $s).FlashSize
        # The first page, the middle (bank 2 of a dual-bank part) and the last page.
        Set-Filled $s 0x08000000 0x100
        Set-Filled $s (0x08000000 + $flash / 2) 0x100
        Set-Filled $s (0x08000000 + $flash - 0x100) 0x100
        $r = $s | Clear-Stm32Flash -All -Confirm:$false -PassThru
        $r.All | Should -BeTrue
        $r.Length | Should -Be $s.Device.Flash.Length
        Test-Erased $s 0x08000000 $flash | Should -BeTrue
    }

    It '-Page erases those pages only, and -PassThru says which' {
        $s = Connect-Stm32 $F103
        Set-Filled $s 0x08000000 0x1000
        $r = $s | Clear-Stm32Flash -Page 1, 2 -Confirm:$false -PassThru
        $r | Should -BeOfType ([Stm32.PowerShell.Stm32EraseResult])
        $r.Pages | Should -Be @(1, 2)
        $r.Address | Should -Be 0x08000400
        $r.Length | Should -Be 0x800
        $r.Session | Should -Be $s
        Test-Erased $s 0x08000400 0x800 | Should -BeTrue
        Test-Erased $s 0x08000000 0x400 | Should -BeFalse
        Test-Erased $s 0x08000C00 0x400 | Should -BeFalse
    }

    It '-Sector erases sectors of an STM32F407 (0x413)' {
        $s = Connect-Stm32 $F407
        Set-Filled $s 0x08000000 0x10000
        $r = $s | Clear-Stm32Flash -Sector 1 -Confirm:$false -PassThru
        $r.EraseUnit | Should -Be 'sector'
        $r.Address | Should -Be 0x08004000
        $r.Length | Should -Be 16KB
        Test-Erased $s 0x08004000 0x4000 | Should -BeTrue
        Test-Erased $s 0x08000000 0x4000 | Should -BeFalse
        Test-Erased $s 0x08008000 0x4000 | Should -BeFalse
    }

    It 'refuses the wrong erase unit for the part (EraseUnitMismatch)' {
        $f1 = Connect-Stm32 $F103
        $e = { $f1 | Clear-Stm32Flash -Sector 1 -Confirm:$false -ErrorAction Stop } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeExactly 'EraseUnitMismatch,Stm32.PowerShell.Commands.ClearStm32FlashCommand'
        $e.Exception.Message | Should -Match 'use -Page'
        $f4 = Connect-Stm32 $F407
        { $f4 | Clear-Stm32Flash -Page 1 -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'EraseUnitMismatch,Stm32.PowerShell.Commands.ClearStm32FlashCommand'
    }

    It 'refuses a page past the end (PageOutOfRange)' {
        $s = Connect-Stm32 $F103
        $e = { $s | Clear-Stm32Flash -Page 128 -Confirm:$false -ErrorAction Stop } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeExactly 'PageOutOfRange,Stm32.PowerShell.Commands.ClearStm32FlashCommand'
        $e.Exception.Message | Should -Match 'pages 0 to 127'
    }

    It '-Address -Length rounds out to whole pages with a warning naming what else is erased' {
        $s = Connect-Stm32 $F103
        Set-Filled $s 0x08000000 0xC00
        $r = $s | Clear-Stm32Flash -Address 0x08000500 -Length 0x400 -Confirm:$false -PassThru -WarningVariable w -WarningAction SilentlyContinue
        $r.Pages | Should -Be @(1, 2)
        ($w -join ' ') | Should -Match '0x08000400-0x080004FF'
        ($w -join ' ') | Should -Match '0x08000900-0x08000BFF'
        Test-Erased $s 0x08000400 0x800 | Should -BeTrue
        Test-Erased $s 0x08000000 0x400 | Should -BeFalse
    }

    It 'no warning when the range is whole pages' {
        $s = Connect-Stm32 $F103
        $null = $s | Clear-Stm32Flash -Address 0x08000400 -Length 0x400 -Confirm:$false -WarningVariable w
        $w | Should -BeNullOrEmpty
    }

    It 'refuses a range outside the flash (AddressOutOfRange)' {
        $s = Connect-Stm32 $F103
        { $s | Clear-Stm32Flash -Address 0x0801FF00 -Length 0x200 -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'AddressOutOfRange,Stm32.PowerShell.Commands.ClearStm32FlashCommand'
    }

    It 'erases nothing under -WhatIf' {
        $s = Connect-Stm32 $F103
        Set-Filled $s 0x08000000 0x400
        $s | Clear-Stm32Flash -All -WhatIf
        $s | Clear-Stm32Flash -Page 0 -WhatIf
        Test-Erased $s 0x08000000 0x400 | Should -BeFalse
    }

    It 'takes the session by property name and by -SessionId' {
        $s = Connect-Stm32 $F103
        $null = Connect-Stm32 $F407
        ([pscustomobject]@{ Session = $s } | Clear-Stm32Flash -Page 3 -Confirm:$false -PassThru).Session | Should -Be $s
        (Clear-Stm32Flash -SessionId $s.Id -Page 3 -Confirm:$false -PassThru).Session | Should -Be $s
    }

    It 'is ConfirmImpact High, so it asks first' {
        (Get-Command Clear-Stm32Flash).ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0].ConfirmImpact |
            Should -Be 'High'
    }

    It '-Verify checks the erased pages read blank: by read-back on 2.2, by Get Checksum on 3.3' -ForEach @(
        @{ Port = 'sim://0x410?timing=instant'; Method = 'ReadBack' }
        @{ Port = 'sim://0x413?timing=instant&protocol=3.3'; Method = 'Checksum' }
    ) {
        $s = Connect-Stm32 $Port
        Set-Filled $s 0x08000000 0x8000
        # Whole pages (16-31) on the F1, sector 1 on the F4.
        $r = $s | Clear-Stm32Flash -Address 0x08004000 -Length 0x4000 -Verify -Confirm:$false -PassThru
        $r.Verified | Should -BeTrue
        $r.VerifyMethod | Should -Be $Method
        $r.Method | Should -Be 'Pages'
        $r.ToString() | Should -Match 'checked blank'
        Test-Erased $s $r.Address $r.Length | Should -BeTrue
    }

    It 'refuses to erase write-protected pages before sending anything (the chip would ACK and not erase); -All and -WhatIf too' {
        # A runspace of its own: its simulated chip (and the protection) goes with it.
        $ps = New-TestPowerShell
        try {
            $out = $ps.AddScript(@"
`$s = Connect-Stm32 '$F103'
`$null = [Stm32.Protocol.Firmware.FirmwareImage]::FromBytes(0x08000000, [byte[]](1..64)) | Write-Stm32Firmware -Session `$s
Protect-Stm32Flash -Session `$s -Page 0 -Confirm:`$false -WarningAction SilentlyContinue
`$s | Clear-Stm32Flash -Page 0 -Confirm:`$false
`$s | Clear-Stm32Flash -All -Confirm:`$false
`$s | Clear-Stm32Flash -Page 0 -WhatIf
[Convert]::ToHexString((`$s | Read-Stm32Memory 0x08000000 64).Bytes)
(`$s | Clear-Stm32Flash -Page 4 -Verify -Confirm:`$false -PassThru).Verified
"@).Invoke()
            # -WhatIf shows the plan, and the plan is refused: it says what the run would say.
            $ps.Streams.Error.Count | Should -Be 3
            foreach ($e in $ps.Streams.Error) {
                $e.FullyQualifiedErrorId | Should -BeExactly 'WriteProtected,Stm32.PowerShell.Commands.ClearStm32FlashCommand'
                $e.Exception.Message | Should -Match 'Nothing was sent'
                $e.ErrorDetails.RecommendedAction | Should -Match 'Unprotect-Stm32Flash -Write'
            }
            $ps.Streams.Error[0].Exception.Message | Should -Match 'Refusing to erase page 0 \(0x08000000-0x080003FF\)'
            $ps.Streams.Error[1].Exception.Message | Should -Match 'pages 0-3'
            # Page 0 still holds its data; an unprotected page erases and checks blank.
            $out[0] | Should -BeExactly ([Convert]::ToHexString([byte[]](1..64)))
            $out[1] | Should -BeTrue
        }
        finally { $ps.Dispose() }
    }

    It 'a bootloader that refuses the mass-erase code: -All warns and erases page by page' {
        $ps = New-TestPowerShell
        try {
            $out = $ps.AddScript(@"
`$s = Connect-Stm32 '$F103'
`$null = [Stm32.Protocol.Firmware.FirmwareImage]::FromBytes(0x0801FC00, [byte[]](1..64)) | Write-Stm32Firmware -Session `$s
# The chip behind sim://0x410 refuses FF 00 after 43 BC, as one built from ST's reference flash code does.
`$t = (Get-Command Connect-Stm32).ImplementingType.Assembly.GetType('Stm32.PowerShell.Infrastructure.ModuleState')
`$chip = `$t.GetProperty('Simulators').GetValue(`$t.GetProperty('Current').GetValue(`$null)).Find('0x410')
`$chip.Options.RefuseMassErase = `$true
`$s | Clear-Stm32Flash -All -Verify -Confirm:`$false -PassThru -WarningVariable w
`$w
"@).Invoke()
            $ps.Streams.Error | Should -BeNullOrEmpty
            $r = $out[0]
            $r.All | Should -BeTrue
            $r.Method | Should -Be 'Pages'
            $r.Verified | Should -BeTrue
            ($out[1..($out.Count - 1)] -join ' ') | Should -Match 'refused the mass-erase code'
            ($out[1..($out.Count - 1)] -join ' ') | Should -Match 'erasing the 128 pages one by one'
        }
        finally { $ps.Dispose() }
    }

    It 'refuses a read-protected chip with ReadProtected' {
        $ps = New-TestPowerShell
        try {
            $null = $ps.AddScript(@"
Connect-Stm32 -Port 'sim://0x410?timing=instant&rdp=1' -WarningAction SilentlyContinue | Clear-Stm32Flash -Page 0 -Confirm:`$false
"@).Invoke()
            ($ps.Streams.Error | Select-Object -First 1).FullyQualifiedErrorId | Should -BeExactly 'ReadProtected,Stm32.PowerShell.Commands.ClearStm32FlashCommand'
        }
        finally { $ps.Dispose() }
    }

    It 'stops before contacting a chip the session knows is read-protected (nothing sent)' {
        $ps = New-TestPowerShell
        try {
            $out = $ps.AddScript(@"
function Get-TestChip { `${function:Get-TestChip} }
`$s = Connect-Stm32 -Port 'sim://0x410?timing=instant&rdp=1' -WarningAction SilentlyContinue
`$null = `$s | Get-Stm32Info -WarningAction SilentlyContinue
`$chip = Get-TestChip '0x410'
`$before = `$chip.CommandCount
`$s | Clear-Stm32Flash -Page 0 -Confirm:`$false
`$s | Clear-Stm32Flash -All -Confirm:`$false
`$chip.CommandCount - `$before
"@).Invoke()
            $out[0] | Should -Be 0 -Because 'not one command may reach a chip known to refuse the erase'
            $ps.Streams.Error.Count | Should -Be 2
            foreach ($e in $ps.Streams.Error) {
                $e.FullyQualifiedErrorId | Should -BeExactly 'ReadProtected,Stm32.PowerShell.Commands.ClearStm32FlashCommand'
                $e.ErrorDetails.RecommendedAction | Should -Match 'Unprotect-Stm32Flash -ReadOut'
            }
        }
        finally { $ps.Dispose() }
    }
}
