# Issue 6: read and write protection and option bytes, the seed's workflow on simulated F1, F4 and G0.
# Each part is reached with an explicit protocol version, which makes it a chip of its own in the
# runspace's registry ("0x410@2.2", not the "0x410" other test files use), so a failure here cannot
# leave their chips protected. Level 2 is only ever written in a throw-away runspace.
Describe 'Protection and option bytes' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '../Common.ps1')

        # A write through the protocol (Write-Stm32Firmware lives in another branch), verified by read
        # back; a verify failure goes through ExplainVerifyFailure as the write cmdlet's should.
        function Invoke-TestWrite($Session, [uint32] $Address, [byte[]] $Data) {
            $c = Get-TestConnection $Session
            $image = [Stm32.Protocol.Firmware.FirmwareImage]::FromBytes($Address, $Data)
            $options = [Stm32.Protocol.Programming.WriteOptions]::new()
            $options.Erase = 'None'
            $options.Verify = $true
            $options.ForceReadBack = $true
            try {
                $null = [Stm32.Protocol.Programming.FlashProgrammer]::Write($c, $image, $options, $null, [Threading.CancellationToken]::None)
            }
            catch {
                $e = $_.Exception
                while ($e -is [System.Management.Automation.MethodInvocationException] -and $e.InnerException) { $e = $e.InnerException }
                if ($e -is [Stm32.Protocol.Bootloader.Stm32VerifyException]) {
                    throw [Stm32.Protocol.Programming.ProtectionOperations]::ExplainVerifyFailure($c, $e, [Threading.CancellationToken]::None)
                }
                throw $e
            }
        }
        # The module's one exception-to-ErrorRecord map, as every cmdlet (the write cmdlet too) uses it.
        function Get-TestErrorRecord([Exception] $Exception) {
            $m = [Stm32.PowerShell.Infrastructure.Stm32CmdletBase].GetMethod('ErrorFor', [Reflection.BindingFlags]'NonPublic,Static')
            $m.Invoke($null, @($Exception, $null))
        }
        function Read-TestFlash($Session, [uint32] $Address, [int] $Count) {
            (Get-TestConnection $Session).Read($Address, $Count, $null, [Threading.CancellationToken]::None)
        }
    }
    AfterEach { Remove-AllStm32Session }

    Context '<Name>: the seed''s workflow' -ForEach @(
        @{ Name = 'F1 (0x410)'; Port = 'sim://0x410?timing=instant&protocol=2.2'; Unit = 'page'; Page = 5; Extra = '4, 6-7'; PageAddress = 0x08001400; Bit = 'NRstStop'; Level2 = $false }
        @{ Name = 'F4 (0x413)'; Port = 'sim://0x413?timing=instant&protocol=3.1'; Unit = 'sector'; Page = 2; Extra = $null; PageAddress = 0x08008000; Bit = 'NRstStdby'; Level2 = $true }
        @{ Name = 'G0 (0x466)'; Port = 'sim://0x466?timing=instant&protocol=3.1'; Unit = 'page'; Page = 3; Extra = $null; PageAddress = 0x08001800; Bit = 'NRstStop'; Level2 = $true }
    ) {
        BeforeEach {
            # Start every test from an open chip with no write protection and factory user bits.
            $s = Connect-Stm32 -Port $Port
            if ($s.IsReadProtected) { Unprotect-Stm32Flash -Session $s -ReadOut -Confirm:$false }
            Unprotect-Stm32Flash -Session $s -Write -Confirm:$false
            $ob = Get-Stm32OptionByte -Session $s
            $on = @{ $Bit = $true }
            if ($ob.$Bit -eq $false) { Set-Stm32OptionByte -Session $s -Confirm:$false @on }
            $s | Disconnect-Stm32 -Confirm:$false
        }

        It 'read protection: protect, see it, fail to read with a helpful error, unprotect (flash erased, session usable)' {
            $s = Connect-Stm32 -Port $Port
            Invoke-TestWrite $s 0x08000000 ([byte[]](1..16))
            Protect-Stm32Flash -Session $s -ReadOut -Confirm:$false

            $s.IsReadProtected | Should -BeTrue
            $s.ReadProtection | Should -Be 'Level1'
            $i = $s | Get-Stm32Info
            $i.IsReadProtected | Should -BeTrue
            $i.ReadProtection | Should -Be 'Level1'
            $i.WriteProtectedPages | Should -BeNullOrEmpty
            $i.WriteProtection | Should -Match 'read-protected'

            $e = { $s | Get-Stm32OptionByte -ErrorAction Stop } | Should -Throw -PassThru
            $e.FullyQualifiedErrorId | Should -BeExactly 'ReadProtected,Stm32.PowerShell.Commands.GetStm32OptionByteCommand'
            $e.CategoryInfo.Category | Should -Be 'SecurityError'
            $e.Exception.Message | Should -Match 'read-protected \(RDP level 1\)'
            $e.Exception.Message | Should -Match 'Unprotect-Stm32Flash -ReadOut'
            $e.Exception.Message | Should -Match 'erases the whole flash'
            $e.ErrorDetails.RecommendedAction | Should -Match 'ERASES ITS WHOLE FLASH'
            # Write protection needs an open chip too.
            { Protect-Stm32Flash -Session $s -Page 0 -Confirm:$false -ErrorAction Stop -WarningAction SilentlyContinue } |
                Should -Throw -ErrorId 'ReadProtected,Stm32.PowerShell.Commands.ProtectStm32FlashCommand'

            $out = Unprotect-Stm32Flash -Session $s -ReadOut -Confirm:$false -PassThru
            $out.IsReadProtected | Should -BeFalse
            $out.ReadProtection | Should -Be 'Level0'
            $s.IsOpen | Should -BeTrue
            $s.IsReadProtected | Should -BeFalse
            # Erased, and the same session reads and writes again.
            Read-TestFlash $s 0x08000000 16 | Should -Be (,[byte] 0xFF * 16)
            Invoke-TestWrite $s 0x08000000 ([byte[]](1..16))
            Read-TestFlash $s 0x08000000 16 | Should -Be ([byte[]](1..16))
            (Get-Stm32OptionByte -Session $s).ReadProtection | Should -Be 'Level0'
        }

        It 'write protection: protect a <Unit>, see it, a write to it fails naming the address, unprotect' {
            $s = Connect-Stm32 -Port $Port
            (Get-TestConnection $s).ErasePages([int[]] @($Page), $null, [Threading.CancellationToken]::None)
            $out = Protect-Stm32Flash -Session $s -Page $Page -Confirm:$false -PassThru -WarningVariable warn -WarningAction SilentlyContinue
            if ($Extra) {
                ($warn -join ' ') | Should -Match ([regex]::Escape("pages $Extra get write-protected too"))
            }
            else { $warn | Should -BeNullOrEmpty }
            $out.WriteProtectedPages | Should -Contain $Page
            $s.WriteProtectedPages | Should -Contain $Page
            (Get-Stm32Info -Session $s).WriteProtectedPages | Should -Contain $Page
            (Get-Stm32OptionByte -Session $s).WriteProtectedPages | Should -Contain $Page

            $e = { Invoke-TestWrite $s $PageAddress ([byte[]](1..32)) } | Should -Throw -PassThru
            $e.Exception | Should -BeOfType ([Stm32.Protocol.Programming.Stm32WriteProtectedException])
            $e.Exception.Page | Should -Be $Page
            $e.Exception.Address | Should -Be $PageAddress
            $e.Exception.Message | Should -Match ('0x{0:X8}' -f $PageAddress)
            $e.Exception.Message | Should -Match 'write-protected'
            $e.Exception.Message | Should -Match 'Unprotect-Stm32Flash -Write'
            $record = Get-TestErrorRecord $e.Exception
            $record.FullyQualifiedErrorId | Should -BeExactly 'WriteProtected'
            $record.CategoryInfo.Category | Should -Be 'PermissionDenied'
            $record.ErrorDetails.RecommendedAction | Should -Match 'Unprotect-Stm32Flash -Write'
            Read-TestFlash $s $PageAddress 32 | Should -Be (,[byte] 0xFF * 32)

            $out = Unprotect-Stm32Flash -Session $s -Write -Confirm:$false -PassThru
            $out.WriteProtectedPages | Should -BeNullOrEmpty
            $out.WriteProtection | Should -Be 'none'
            Invoke-TestWrite $s $PageAddress ([byte[]](1..32))
            Read-TestFlash $s $PageAddress 32 | Should -Be ([byte[]](1..32))
        }

        It 'write protection by -Address -Length and -Sector, keeping what was protected; -Replace replaces' {
            $s = Connect-Stm32 -Port $Port
            Protect-Stm32Flash -Session $s -Address $PageAddress -Length 1 -Confirm:$false -WarningAction SilentlyContinue
            Protect-Stm32Flash -Session $s -Sector 0 -Confirm:$false -WarningAction SilentlyContinue
            $pages = (Get-Stm32OptionByte -Session $s).WriteProtectedPages
            $pages | Should -Contain 0
            $pages | Should -Contain $Page
            Protect-Stm32Flash -Session $s -Sector 0 -Replace -Confirm:$false -WarningAction SilentlyContinue
            (Get-Stm32OptionByte -Session $s).WriteProtectedPages | Should -Not -Contain $Page
        }

        It 'changes a user option bit, reads it back after the reset; -WhatIf changes nothing' {
            $s = Connect-Stm32 -Port $Port
            $before = Get-Stm32OptionByte -Session $s
            $before.$Bit | Should -BeTrue

            $off = @{ $Bit = $false }
            # -WhatIf's own line goes to the host; the same plan text is on the verbose stream.
            $text = Set-Stm32OptionByte -Session $s -WhatIf -Verbose @off 4>&1 | Out-String
            $text | Should -Match ([regex]::Escape("${Bit}: 1 -> 0"))
            (Get-Stm32OptionByte -Session $s).Raw | Should -Be $before.Raw

            $r = Set-Stm32OptionByte -Session $s -Confirm:$false -PassThru @off
            $r.Written | Should -BeTrue
            $r.After.$Bit | Should -BeFalse
            $r.Plan.Changes.Field | Should -Contain $Bit
            # The chip reset, and the session resynchronised: a fresh read agrees.
            (Get-Stm32OptionByte -Session $s).$Bit | Should -BeFalse
            # A new connection (the value survives a reset) too.
            $s | Disconnect-Stm32 -Confirm:$false
            (Connect-Stm32 -Port $Port | Get-Stm32OptionByte).$Bit | Should -BeFalse
        }

        It 'refuses read protection level 2 without -Force (also with -Confirm:$false), and -WhatIf changes nothing' {
            $s = Connect-Stm32 -Port $Port
            $before = (Get-Stm32OptionByte -Session $s).Raw
            if ($Level2) {
                $e = { Set-Stm32OptionByte -Session $s -ReadProtection Level2 -Confirm:$false -ErrorAction Stop } | Should -Throw -PassThru
                $e.FullyQualifiedErrorId | Should -BeExactly 'ReadProtectionLevel2Refused,Stm32.PowerShell.Commands.SetStm32OptionByteCommand'
                $e.Exception.Message | Should -Match 'permanent'
                { Set-Stm32OptionByte -Session $s -RdpByte 0xCC -Confirm:$false -ErrorAction Stop } |
                    Should -Throw -ErrorId 'ReadProtectionLevel2Refused,Stm32.PowerShell.Commands.SetStm32OptionByteCommand'
                $text = Set-Stm32OptionByte -Session $s -ReadProtection Level2 -Force -WhatIf -Verbose 4>&1 | Out-String
                $text | Should -Match 'LEVEL 2 IS PERMANENT'
            }
            else {
                # F1 has no level 2 at all.
                { Set-Stm32OptionByte -Session $s -ReadProtection Level2 -Confirm:$false -ErrorAction Stop } |
                    Should -Throw -ErrorId 'InvalidArgument,Stm32.PowerShell.Commands.SetStm32OptionByteCommand'
            }
            $s.IsOpen | Should -BeTrue
            (Get-Stm32OptionByte -Session $s).Raw | Should -Be $before
        }
    }

    Context 'Level 2 (in a throw-away runspace)' {
        It 'with -Force but without an explicit -Confirm:$false the second question is asked; a host that cannot ask refuses' {
            $ps = New-TestPowerShell
            try {
                $out = $ps.AddScript(@'
$ConfirmPreference = 'None'   # no ShouldProcess prompt: only the ShouldContinue question is left
$s = Connect-Stm32 -Port 'sim://0x413?timing=instant'
Set-Stm32OptionByte -Session $s -ReadProtection Level2 -Force
$s.IsOpen
(Get-Stm32OptionByte -Session $s).ReadProtection
'@).Invoke()
                $ps.Streams.Error.Count | Should -Be 1
                $ps.Streams.Error[0].FullyQualifiedErrorId | Should -BeExactly 'ReadProtectionLevel2Refused,Stm32.PowerShell.Commands.SetStm32OptionByteCommand'
                $ps.Streams.Error[0].Exception.Message | Should -Match 'Nothing was written'
                $out[0] | Should -BeTrue
                $out[1] | Should -Be 'Level0'
            }
            finally { $ps.Dispose() }
        }

        It '-Force -Confirm:$false alone does not skip the typed confirmation: a host that cannot ask refuses' {
            $ps = New-TestPowerShell
            try {
                $out = $ps.AddScript(@'
$s = Connect-Stm32 -Port 'sim://0x466?timing=instant'
Set-Stm32OptionByte -Session $s -ReadProtection Level2 -Force -Confirm:$false
$s.IsOpen
(Get-Stm32OptionByte -Session $s).ReadProtection
'@).Invoke()
                $ps.Streams.Error.Count | Should -Be 1
                $ps.Streams.Error[0].FullyQualifiedErrorId | Should -BeExactly 'ReadProtectionLevel2Refused,Stm32.PowerShell.Commands.SetStm32OptionByteCommand'
                $ps.Streams.Error[0].Exception.Message | Should -Match '-Level2ProductId 0x466'
                $out[0] | Should -BeTrue
                $out[1] | Should -Be 'Level0'
            }
            finally { $ps.Dispose() }
        }

        It '-Level2ProductId naming another chip refuses and writes nothing' {
            $ps = New-TestPowerShell
            try {
                $out = $ps.AddScript(@'
$s = Connect-Stm32 -Port 'sim://0x466?timing=instant'
Set-Stm32OptionByte -Session $s -ReadProtection Level2 -Force -Confirm:$false -Level2ProductId 0x413
(Get-Stm32OptionByte -Session $s).ReadProtection
'@).Invoke()
                $ps.Streams.Error.Count | Should -Be 1
                $ps.Streams.Error[0].FullyQualifiedErrorId | Should -BeExactly 'ReadProtectionLevel2Refused,Stm32.PowerShell.Commands.SetStm32OptionByteCommand'
                $ps.Streams.Error[0].Exception.Message | Should -Match 'does not match the connected chip \(0x466'
                $out[0] | Should -Be 'Level0'
            }
            finally { $ps.Dispose() }
        }

        It 'with -Force -Confirm:$false -Level2ProductId naming the chip writes level 2: the chip never answers again and the session closes' {
            $ps = New-TestPowerShell
            try {
                $out = $ps.AddScript(@'
$s = Connect-Stm32 -Port 'sim://0x466?timing=instant'
$r = Set-Stm32OptionByte -Session $s -ReadProtection Level2 -Force -Confirm:$false -Level2ProductId 0x466 -PassThru -WarningAction SilentlyContinue
$r.ChipSilent
$s.IsOpen
try { $null = Connect-Stm32 -Port 'sim://0x466?timing=instant' -ErrorAction Stop; 'answered' } catch { $_.FullyQualifiedErrorId }
'@).Invoke()
                $out[0] | Should -BeTrue
                $out[1] | Should -BeFalse
                $out[2] | Should -BeExactly 'BootloaderNoResponse,Stm32.PowerShell.Commands.ConnectStm32Command'
            }
            finally { $ps.Dispose() }
        }

        It 'at the keyboard, Enter at both prompts (or "y" at the second) writes nothing; typing the product ID does' {
            # A console host reading its answers from standard input, as a person at the keyboard
            # would type them: the ShouldProcess prompt defaults to Yes, the typed one to No.
            $script = @"
Import-Module '$ModulePath'
`$s = Connect-Stm32 -Port 'sim://0x413?timing=instant'
Set-Stm32OptionByte -Session `$s -ReadProtection Level2 -Force
'after two Enters: ' + (Get-Stm32OptionByte -Session `$s).ReadProtection
Set-Stm32OptionByte -Session `$s -ReadProtection Level2 -Force
'after y, y: ' + (Get-Stm32OptionByte -Session `$s).ReadProtection
Set-Stm32OptionByte -Session `$s -ReadProtection Level2 -Force -WarningAction SilentlyContinue
'after y, 0x413: open=' + `$s.IsOpen
"@
            $file = Join-Path $TestDrive 'level2-keyboard.ps1'
            Set-Content -LiteralPath $file -Value $script
            $text = "`n`ny`ny`ny`n0x413`n" | & (Join-Path $PSHOME 'pwsh') -NoProfile -File $file 2>&1 | Out-String
            $text | Should -Match 'Type the chip''s product ID, 0x413'
            $text | Should -Match 'after two Enters: Level0'
            $text | Should -Match 'after y, y: Level0'
            $text | Should -Match 'after y, 0x413: open=False'
        }
    }

    Context 'Readout unprotect progress, and level 1 through the option bytes' {
        It 'Unprotect-Stm32Flash -ReadOut writes progress while the chip erases, and completes it' {
            $ps = New-TestPowerShell
            try {
                $null = $ps.AddScript(@'
$s = Connect-Stm32 -Port 'sim://0x413?timing=instant'
Protect-Stm32Flash -ReadOut -Confirm:$false
Unprotect-Stm32Flash -ReadOut -Confirm:$false
'@).Invoke()
                $ps.Streams.Error.Count | Should -Be 0
                $p = @($ps.Streams.Progress)
                $p.Count | Should -BeGreaterOrEqual 2
                $p[0].Activity | Should -Match 'Lifting read protection'
                $p[-1].RecordType | Should -Be 'Completed'
            }
            finally { $ps.Dispose() }
        }

        It 'Set-Stm32OptionByte -ReadProtection Level1 protects (nothing to read back), Unprotect-Stm32Flash -ReadOut recovers' {
            $s = Connect-Stm32 -Port 'sim://0x413?timing=instant&protocol=3.1'
            $r = Set-Stm32OptionByte -Session $s -ReadProtection Level1 -Confirm:$false -PassThru -WarningVariable warn -WarningAction SilentlyContinue
            $r.Written | Should -BeTrue
            $r.After | Should -BeNullOrEmpty
            ($warn -join ' ') | Should -Match 'read-protected now'
            $s.ReadProtection | Should -Be 'Level1'
            Unprotect-Stm32Flash -Session $s -ReadOut -Confirm:$false
            $s.ReadProtection | Should -Be 'Level0'
            (Get-Stm32OptionByte -Session $s).ReadProtection | Should -Be 'Level0'
        }
    }

    Context 'Families the bootloader cannot reach' {
        It 'H7 (0x450): Get-/Set-Stm32OptionByte give OptionBytesNotSupported; Get-Stm32Info still works' {
            $s = Connect-Stm32 -Port 'sim://0x450?timing=instant'
            $e = { $s | Get-Stm32OptionByte -ErrorAction Stop } | Should -Throw -PassThru
            $e.FullyQualifiedErrorId | Should -BeExactly 'OptionBytesNotSupported,Stm32.PowerShell.Commands.GetStm32OptionByteCommand'
            $e.Exception.Message | Should -Match 'not possible through this bootloader'
            { $s | Set-Stm32OptionByte -NRstStop $false -Confirm:$false -ErrorAction Stop } |
                Should -Throw -ErrorId 'OptionBytesNotSupported,Stm32.PowerShell.Commands.SetStm32OptionByteCommand'
            $i = $s | Get-Stm32Info
            $i.ReadProtection | Should -Be 'Level0'
            $i.WriteProtectedPages | Should -BeNullOrEmpty
            $i.WriteProtection | Should -Match 'not possible through this bootloader'
        }
    }

    Context 'Parameters and views' {
        It 'Set-Stm32OptionByte without a field is an InvalidArgument error' {
            $null = Connect-Stm32 -Port 'sim://0x410?timing=instant&protocol=2.2'
            { Set-Stm32OptionByte -Confirm:$false -ErrorAction Stop } |
                Should -Throw -ErrorId 'InvalidArgument,Stm32.PowerShell.Commands.SetStm32OptionByteCommand'
        }

        It '-Raw writes the block byte for byte and refuses wrong complements' {
            $s = Connect-Stm32 -Port 'sim://0x410?timing=instant&protocol=2.2'
            $raw = (Get-Stm32OptionByte -Session $s).Raw
            $raw[4] = 0x12; $raw[5] = 0xED    # Data0 and its complement
            Set-Stm32OptionByte -Session $s -Raw $raw -Confirm:$false
            (Get-Stm32OptionByte -Session $s).Data0 | Should -Be 0x12
            $raw[5] = 0x00
            $e = { Set-Stm32OptionByte -Session $s -Raw $raw -Confirm:$false -ErrorAction Stop } | Should -Throw -PassThru
            $e.FullyQualifiedErrorId | Should -Match '^InvalidArgument,'
            (Get-Stm32OptionByte -Session $s).Data0 | Should -Be 0x12   # nothing was written
            Set-Stm32OptionByte -Session $s -Data0 0xFF -Confirm:$false
            (Get-Stm32OptionByte -Session $s).Data0 | Should -Be 0xFF
        }

        It 'Set-Stm32OptionByte -PassThru carries its Session, pipes on by it, and has a view' {
            # A second open session: without a Session property the next cmdlet could not tell which one.
            $null = Connect-Stm32 -Port $F407
            $s = Connect-Stm32 -Port 'sim://0x410?timing=instant&protocol=2.2'
            try {
                $r = $s | Set-Stm32OptionByte -Data1 0x34 -Confirm:$false -PassThru
                $r | Should -BeOfType ([Stm32.PowerShell.Stm32OptionByteWriteResult])
                $r.Session | Should -Be $s
                $r.Written | Should -BeTrue
                $r.ChipSilent | Should -BeFalse
                $r.Before.Data1 | Should -Be 0xFF
                $r.After.Data1 | Should -Be 0x34
                $r.Plan.Changes.Field | Should -Contain 'Data1'
                $r.Warnings | Should -BeNullOrEmpty
                ($r | Get-Stm32OptionByte -ErrorAction Stop).Data1 | Should -Be 0x34
                ($r | Out-String -Width 200) | Should -Match "Device\s+: STM32F10xxx Medium-density \(session $($s.Id), "
                # Nothing to change: nothing written, still with its session.
                $same = $s | Set-Stm32OptionByte -Data1 0x34 -Confirm:$false -PassThru
                $same.Written | Should -BeFalse
                $same.Session | Should -Be $s
                (Get-Command Set-Stm32OptionByte).OutputType.Type | Should -Contain ([Stm32.PowerShell.Stm32OptionByteWriteResult])
            }
            finally { $s | Set-Stm32OptionByte -Data1 0xFF -Confirm:$false }
        }

        It 'the option byte view shows the fields and the raw bytes in hex' {
            $text = Connect-Stm32 -Port 'sim://0x410?timing=instant&protocol=2.2' | Get-Stm32OptionByte | Out-String -Width 200
            $text | Should -Match 'F1 option bytes at 0x1FFFF800'
            $text | Should -Match 'ReadProtection\s+: Level0 \(RDP 0xA5\)'
            $text | Should -Match 'NRstStop\s+: 1'
            $text | Should -Match 'Raw\s+: 1FFFF800: A5 5A '
        }

        It 'Get-Stm32Info shows read protection and write protection' {
            $text = Connect-Stm32 -Port 'sim://0x410?timing=instant&protocol=2.2' | Get-Stm32Info | Out-String -Width 200
            $text | Should -Match 'ReadProtection\s+: Level0'
            $text | Should -Match 'WriteProtection\s+: none'
        }

        It 'High impact cmdlets declare it; -WhatIf on Unprotect-Stm32Flash -ReadOut erases nothing' {
            foreach ($n in 'Set-Stm32OptionByte', 'Protect-Stm32Flash', 'Unprotect-Stm32Flash') {
                $t = (Get-Command $n).ImplementingType
                ($t.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)).ConfirmImpact | Should -Be 'High'
            }
            $s = Connect-Stm32 -Port 'sim://0x410?timing=instant&protocol=2.2'
            Invoke-TestWrite $s 0x08000400 ([byte[]](1..8))
            Unprotect-Stm32Flash -Session $s -ReadOut -WhatIf
            Protect-Stm32Flash -Session $s -ReadOut -WhatIf
            $s.IsReadProtected | Should -BeFalse
            Read-TestFlash $s 0x08000400 8 | Should -Be ([byte[]](1..8))
        }

        It 'the -WhatIf lines (written to the host) show before and after, the permanence of level 2 and the erase' {
            # "What if:" goes to the host, not to a stream: run a child pwsh and read its output.
            $script = @"
Import-Module '$ModulePath'
`$s = Connect-Stm32 -Port 'sim://0x413?timing=instant'
`$before = (Get-Stm32OptionByte).Raw
Set-Stm32OptionByte -NRstStop `$false -WhatIf
Set-Stm32OptionByte -ReadProtection Level2 -Force -WhatIf
Unprotect-Stm32Flash -ReadOut -WhatIf
Protect-Stm32Flash -Page 1 -WhatIf
'unchanged: ' + ([Convert]::ToHexString((Get-Stm32OptionByte).Raw) -eq [Convert]::ToHexString(`$before))
"@
            $text = & (Join-Path $PSHOME 'pwsh') -NoProfile -NonInteractive -Command $script 2>&1 | Out-String
            $text | Should -Match 'What if: .*NRstStop: 1 -> 0'
            $text | Should -Match 'What if: .*ReadProtection: Level0 \(0xAA\) -> Level2 \(0xCC\).*LEVEL 2 IS PERMANENT'
            $text | Should -Match 'What if: .*ERASES THE WHOLE FLASH'
            $text | Should -Match 'What if: .*Write-protect sector 1 of'
            $text | Should -Match 'unchanged: True'
        }
    }
}
