# What the person at the keyboard reads: result views, CSV of results, warnings and error wording.
Describe 'Output for the person at the keyboard' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '../Common.ps1')
        $script:Data = (Resolve-Path (Join-Path $PSScriptRoot '../data')).ProviderPath
        $script:Blinky = Join-Path $Data 'blinky-f103.hex'
        # Every cell of a CSV row: none may be a .NET type name (System.Int32[], System.String[], ...).
        function Get-CsvCell($Object) {
            $row = $Object | ConvertTo-Csv | ConvertFrom-Csv
            $row.PSObject.Properties | ForEach-Object { [pscustomobject]@{ Name = $_.Name; Value = $_.Value } }
        }
    }
    AfterEach { Remove-AllStm32Session }

    Context 'Export-Csv of results' {
        It 'writes a write result with page ranges and hex addresses, no type names' {
            $r = Connect-Stm32 $F103 | Write-Stm32Firmware -Path (Join-Path $Data 'sparse-f103.hex') -Verify
            $cells = Get-CsvCell $r
            $cells | Where-Object Value -Match '^System\.' | Should -BeNullOrEmpty -Because 'a CSV cell must be data, not a type name'
            ($cells | Where-Object Name -eq 'PagesErased').Value | Should -Be '0, 127'
            ($cells | Where-Object Name -eq 'LowestAddressHex').Value | Should -Be '0x08000000'
            ($cells | Where-Object Name -eq 'HighestAddressHex').Value | Should -Be '0x0801FC13'
            # What the erase cleared beyond the image, and the plan carried out, as text.
            ($cells | Where-Object Name -eq 'Collateral').Value | Should -Be '0x0800010C-0x080003FF: blank; 0x0801FC14-0x0801FFFF: blank'
            ($cells | Where-Object Name -eq 'Plan').Value | Should -BeLike 'Write sparse-f103.hex (288 bytes at 0x08000000-0x0801FC13): erase pages 0, 127 *'
            # Scripts still get numbers.
            $r.PagesErased | Should -Be @(0, 127)
            $r.PagesErased.Count | Should -Be 2
            $r.PagesErased -contains 127 | Should -BeTrue
            $r.LowestAddress | Should -Be 0x08000000
        }

        It 'writes an erase result with its pages as ranges' {
            $r = Connect-Stm32 $F103 | Clear-Stm32Flash -Page (0..63) -Confirm:$false -PassThru
            $cells = Get-CsvCell $r
            $cells | Where-Object Value -Match '^System\.' | Should -BeNullOrEmpty
            ($cells | Where-Object Name -eq 'Pages').Value | Should -Be '0-63'
            ($cells | Where-Object Name -eq 'AddressHex').Value | Should -Be '0x08000000'
            "$r" | Should -Be 'pages 0-63 erased'
        }

        It 'writes a compare result and an option-byte result without type names' {
            $s = Connect-Stm32 $F103
            Get-CsvCell ($s | Test-Stm32Firmware -Path $Blinky) | Where-Object Value -Match '^System\.' | Should -BeNullOrEmpty
            $o = $s | Set-Stm32OptionByte -Data0 0x12 -Confirm:$false -PassThru
            Get-CsvCell $o | Where-Object { $_.Value -match '^System\.' -and $_.Name -notin 'Plan' } | Should -BeNullOrEmpty
        }
    }

    Context 'Views' {
        It 'shows the pages a write erased as ranges with a count' {
            $text = Connect-Stm32 $F103 | Write-Stm32Firmware -Path (Join-Path $Data 'sparse-f103.hex') -EraseAll | Out-String -Width 200
            $text | Should -Match '(?m)Erased\s+: whole flash \(mass erase\)\s*$'
            $s = Get-Stm32Session
            $s | Clear-Stm32Flash -All -Confirm:$false
            $bin = Join-Path $TestDrive 'five-pages.bin'
            [IO.File]::WriteAllBytes($bin, [byte[]]::new(5 * 1024 - 16))
            $text = $s | Write-Stm32Firmware -Path $bin | Out-String -Width 200
            $text | Should -Match '(?m)Erased\s+: 5 pages: 0-4\s*$'
        }

        It 'shows before and after of the changed field in Set-Stm32OptionByte -PassThru' {
            $text = Connect-Stm32 $F103 | Set-Stm32OptionByte -NRstStop $false -Confirm:$false -PassThru | Out-String -Width 200
            $text | Should -Match '(?m)^Before\s+: NRstStop: 1\s*$'
            $text | Should -Match '(?m)^After\s+: NRstStop: 0 \(read back after the reset\)\s*$'
            $r = Get-Stm32Session | Set-Stm32OptionByte -NRstStop $true -Confirm:$false -PassThru
            $r.BeforeValues | Should -Be 'NRstStop: 0'
            $r.AfterValues | Should -Be 'NRstStop: 1'
        }
    }

    Context 'Wording' {
        It 'says the Protect-Stm32Flash plan once under -WhatIf; the warning names only the extra pages' {
            $script = @"
Import-Module '$ModulePath'
`$null = Connect-Stm32 -Port '$F103'
Protect-Stm32Flash -Page 5 -WhatIf 3>&1
"@
            $text = & (Join-Path $PSHOME 'pwsh') -NoProfile -NonInteractive -Command $script 2>&1 | Out-String -Width 400
            ([regex]::Matches($text, 'Write-protect page 5 of')).Count | Should -Be 1 -Because 'the plan is said once, by What if'
            $text | Should -Match 'pages 4, 6-7 get write-protected too: one protection bit covers 4 pages'
            $text | Should -Not -Match 'pages 5\b' -Because 'one page is "page 5"'
        }

        It 'names one page or sector in the singular and says which numbers do not exist' {
            $s = Connect-Stm32 $F103
            $e = { $s | Protect-Stm32Flash -Page 200 -Confirm:$false -ErrorAction Stop } | Should -Throw -PassThru
            $e.Exception.Message | Should -Match 'there is no page 200\.$'
            $e = { $s | Protect-Stm32Flash -Sector 200, 201 -Confirm:$false -ErrorAction Stop } | Should -Throw -PassThru
            $e.Exception.Message | Should -Match 'there are no sectors 200-201\.$'
            $e.Exception.Message | Should -Not -Match '\(es\)|\(s\)'
        }

        It 'never shows a .NET parameter name in an error (<Name>)' -ForEach @(
            @{ Name = 'a raw option block of the wrong length'; Script = { $s | Set-Stm32OptionByte -Raw 1, 2, 3 -Confirm:$false -ErrorAction Stop } }
            @{ Name = 'an option field the family lacks'; Script = { $s | Set-Stm32OptionByte -NSwBoot0 $false -Confirm:$false -ErrorAction Stop } }
            @{ Name = 'a page the chip lacks'; Script = { $s | Protect-Stm32Flash -Page 500 -Confirm:$false -ErrorAction Stop } }
        ) {
            $s = Connect-Stm32 $F103
            $e = $Script | Should -Throw -PassThru
            $e.Exception.Message | Should -Not -Match "\(Parameter '"
            $e.ToString() | Should -Not -Match "\(Parameter '"
        }

        It 'warns when a sim:// name asks for other timing than the chip it reaches was made with' {
            $ps = New-TestPowerShell
            try {
                $null = $ps.AddScript("Connect-Stm32 'sim://0x410' | Disconnect-Stm32; Connect-Stm32 'sim://0x410?timing=instant' | Disconnect-Stm32").Invoke()
                $ps.Streams.Error | Should -BeNullOrEmpty
                @($ps.Streams.Warning) | Should -HaveCount 1
                $ps.Streams.Warning[0].Message | Should -Match 'sim://0x410 was made with realistic timing and keeps it'
            }
            finally { $ps.Dispose() }
        }
    }
}
