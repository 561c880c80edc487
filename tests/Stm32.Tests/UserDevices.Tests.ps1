# Issue 2: rows of the user's own in the device catalog (Import-Stm32Device, CSV and JSON).
Describe 'Import-Stm32Device' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '../Common.ps1')
        $script:Header = 'pid_hex,name,ram_start,ram_end,flash_start,flash_end,page_size_or_sector_layout,option_bytes_start,option_bytes_end,system_memory_start,system_memory_end,flags,pages_per_sector,bootloader_ids,bootloader_id_address,source,notes'
        $script:Row999 = '0x999,My STM32F1 clone,0x20000200,0x20005000,0x08000000,0x08010000,1024,0x1FFFF800,0x1FFFF80F,0x1FFFF000,0x1FFFF800,,4,,,mine,"a note, with a comma"'
        $script:Json999 = @'
[
  {
    "pid_hex": "0x999",
    "name": "My JSON part",
    "ram_start": "0x20001000", "ram_end": 536891392,
    "flash_start": "0x08000000", "flash_end": "0x08020000",
    "page_size_or_sector_layout": 1024,
    "option_bytes_start": "0x1FFFF800", "option_bytes_end": "0x1FFFF80F",
    "system_memory_start": "0x1FFFF000", "system_memory_end": "0x1FFFF800",
    "flags": [], "pages_per_sector": 4, "bootloader_ids": ["0x22"], "notes": null
  }
]
'@
        function Clear-UserDevice { [Stm32.Protocol.Devices.DeviceCatalog]::ClearUserRows() }
    }
    AfterEach { Remove-AllStm32Session; Clear-UserDevice }
    AfterAll { Clear-UserDevice }

    It 'adds PID 0x999 from a CSV file and returns the rows' {
        $f = Join-Path $TestDrive 'mine.csv'
        Set-Content -LiteralPath $f $Header, $Row999
        $rows = Import-Stm32Device -Path $f
        $rows | Should -HaveCount 1
        $rows[0] | Should -BeOfType ([Stm32.Protocol.Devices.DeviceInfo])
        $d = Get-Stm32Device -ProductId 0x999
        $d.Name | Should -Be 'My STM32F1 clone'
        $d.Flash.Length | Should -Be 0x10000
        $d.Notes | Should -Be 'a note, with a comma'
        $d.CanProgram | Should -BeTrue
        (Get-Stm32Device -Name 'My STM32F1*').ProductIdHex | Should -Be '0x999'
    }

    It 'adds PID 0x999 from a JSON file (hex strings, JSON numbers, arrays, null)' {
        $f = Join-Path $TestDrive 'mine.json'
        Set-Content -LiteralPath $f $Json999
        $null = Import-Stm32Device -LiteralPath $f
        $d = Get-Stm32Device -ProductId 0x999
        $d.Name | Should -Be 'My JSON part'
        $d.Ram.Start | Should -Be 0x20001000
        $d.Ram.End | Should -Be 0x20005000
        $d.Layout.IsUniform | Should -BeTrue
        $d.BootloaderIds | Should -Be @(0x22)
    }

    It 'lets a user row override a built-in one (0x410), and Import replaces the previous user rows' {
        $f = Join-Path $TestDrive 'override.csv'
        Set-Content -LiteralPath $f $Header, ($Row999 -replace '^0x999,My STM32F1 clone', '0x410,My renamed F103')
        $null = Import-Stm32Device $f
        (Get-Stm32Device -ProductId 0x410).Name | Should -Be 'My renamed F103'
        @(Get-Stm32Device | Where-Object ProductId -EQ 0x410) | Should -HaveCount 1
        $j = Join-Path $TestDrive 'other.json'
        Set-Content -LiteralPath $j $Json999
        $null = Import-Stm32Device $j
        (Get-Stm32Device -ProductId 0x410).Name | Should -Be 'STM32F10xxx Medium-density'
    }

    It 'connects a simulated chip with the user PID (sim://0x999) and identifies it' {
        $f = Join-Path $TestDrive 'sim.json'
        Set-Content -LiteralPath $f $Json999
        $null = Import-Stm32Device $f
        $s = Connect-Stm32 -Port 'sim://0x999?timing=instant&protocol=2.2'
        $s.ProductId | Should -Be 0x999
        $info = $s | Get-Stm32Info
        $info.DeviceName | Should -Be 'My JSON part'
    }

    It 'reports a bad CSV row as FileInvalid with the file and line, and changes nothing' {
        $good = Join-Path $TestDrive 'good.csv'
        Set-Content -LiteralPath $good $Header, $Row999
        $null = Import-Stm32Device $good
        $bad = Join-Path $TestDrive 'bad.csv'
        Set-Content -LiteralPath $bad $Header, ($Row999 -replace '^0x999', '0x998'), ($Row999 -replace '0x08010000', '0x08zz0000')
        $e = { Import-Stm32Device $bad -ErrorAction Stop } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeLike 'FileInvalid,*'
        $e.Exception.Message | Should -Match 'bad\.csv, line 3'
        $e.Exception.Message | Should -Match '0x08zz0000'
        (Get-Stm32Device -ProductId 0x999).Name | Should -Be 'My STM32F1 clone'
        { Get-Stm32Device -ProductId 0x998 -ErrorAction Stop } | Should -Throw -ErrorId 'DeviceNotFound*'
    }

    It 'reports a bad JSON file as FileInvalid with the line (<Why>)' -ForEach @(
        @{ Why = 'unknown property'; Text = "[`n {`n  ""pid_hex"": ""0x999"",`n  ""flsh_start"": ""0x08000000""`n }`n]"; Line = 2; Match = 'flsh_start' }
        @{ Why = 'missing comma'; Text = "[`n {`n  ""pid_hex"": ""0x999""`n  ""name"": ""x""`n }`n]"; Line = 4; Match = "expected ','" }
        @{ Why = 'not a product ID'; Text = "[`n {""pid_hex"": ""0x999"", ""name"": ""a""},`n {""pid_hex"": ""zz"", ""name"": ""b""}`n]"; Line = 3; Match = "'zz' is not a product ID" }
        @{ Why = 'duplicate product ID'; Text = "[`n {""pid_hex"": ""0x999"", ""name"": ""a""},`n {""pid_hex"": 2457, ""name"": ""b""}`n]"; Line = 3; Match = 'already on line 2' }
        @{ Why = 'unclosed array'; Text = "[`n {""pid_hex"": ""0x999"", ""name"": ""a""}`n"; Line = 3; Match = 'not closed' }
    ) {
        $f = Join-Path $TestDrive 'bad.json'
        Set-Content -LiteralPath $f $Text -NoNewline
        $e = { Import-Stm32Device $f -ErrorAction Stop } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeLike 'FileInvalid,*'
        $e.Exception.Message | Should -Match "bad\.json, line $Line\b"
        $e.Exception.Message | Should -Match $Match
        [Stm32.Protocol.Devices.DeviceCatalog]::UserRows.Count | Should -Be 0
    }

    It 'reports a missing file as FileNotFound' {
        { Import-Stm32Device (Join-Path $TestDrive 'none.csv') -ErrorAction Stop } | Should -Throw -ErrorId 'FileNotFound*'
    }

    It 'names Import-Stm32Device in the note of a generic device' {
        [Stm32.Protocol.Devices.DeviceCatalog]::Generic(0x999).Notes | Should -Match 'Import-Stm32Device'
    }
}
