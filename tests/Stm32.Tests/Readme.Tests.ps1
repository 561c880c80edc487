# Every code block of README.md runs, in order, in one runspace, against simulated chips: what a
# reader types from top to bottom works. The rules (real ports become sim://0x410, the no-run marker
# for blocks that cannot run here, the files the blocks use) are in tests/DocRunner.ps1.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot '../Common.ps1')
    . (Join-Path $PSScriptRoot '../DocRunner.ps1')
    $script:Blocks = @(Get-MarkdownCodeBlock (Join-Path $PSScriptRoot '../../README.md') | ForEach-Object {
            @{ Line = $_.Line; Code = $_.Code; Skip = $_.Skip; First = ($_.Code -split "`n")[0].Trim() }
        })
}

Describe 'README.md, every block in order' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '../Common.ps1')
        . (Join-Path $PSScriptRoot '../DocRunner.ps1')
        $script:Folder = New-DocFolder (Join-Path $TestDrive 'readme')
        $script:Ps = New-DocPowerShell $Folder
    }
    AfterAll { Close-DocPowerShell $Ps }

    It 'has code blocks, and runs some of them' {
        $Blocks.Count | Should -BeGreaterThan 10
        @($Blocks | Where-Object { -not $_.Skip }).Count | Should -BeGreaterThan 10
    }

    It 'line <Line>: <First>' -ForEach $Blocks {
        if ($Skip) { Set-ItResult -Skipped -Because "README marks it no-run: $Skip" }
        $code = ConvertTo-DocCode $Code
        $r = Invoke-DocCode $Ps $code
        $r.TimedOut | Should -BeFalse -Because "the block at README.md line $Line must end"
        $r.Errors | Should -BeNullOrEmpty -Because "the block at README.md line $Line runs as written (as:`n$code)"
    }
}

Describe 'The README runner' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '../Common.ps1')
        . (Join-Path $PSScriptRoot '../DocRunner.ps1')
    }

    It 'finds indented and fenced blocks, and takes a no-run marker with its reason' {
        $md = Join-Path $TestDrive 'm.md'
        Set-Content -LiteralPath $md -Value @(
            'Text', '', '    Get-Stm32Session', '    Get-Stm32Device', '', 'More text.', ''
            '<!-- no-run: needs a board -->', '', '    Connect-Stm32 COM3', ''
            '```powershell', 'Get-Stm32Port', '```'
        )
        $b = @(Get-MarkdownCodeBlock $md)
        $b.Count | Should -Be 3
        $b[0].Code | Should -Be "Get-Stm32Session`nGet-Stm32Device"
        $b[0].Line | Should -Be 3
        $b[0].Skip | Should -BeNullOrEmpty
        $b[1].Skip | Should -Be 'needs a board'
        $b[2].Code | Should -Be 'Get-Stm32Port'
    }

    It 'refuses a marker without a reason, or without a block after it' {
        $md = Join-Path $TestDrive 'bad.md'
        Set-Content -LiteralPath $md -Value '<!-- no-run: -->', '', '    Get-Stm32Port'
        { Get-MarkdownCodeBlock $md } | Should -Throw '*needs a reason*'
        Set-Content -LiteralPath $md -Value 'Text', '<!-- no-run: why -->', 'More text.'
        { Get-MarkdownCodeBlock $md } | Should -Throw '*no code block after it*'
    }

    It 'turns real ports into simulated chips, keeps local tcp:// and gives sim:// instant timing' {
        ConvertTo-DocCode 'Connect-Stm32 -Port /dev/ttyUSB0 | Get-Stm32Info' | Should -Be 'Connect-Stm32 -Port sim://0x410?timing=instant | Get-Stm32Info'
        ConvertTo-DocCode 'Connect-Stm32 COM12' | Should -Be 'Connect-Stm32 sim://0x410?timing=instant'
        ConvertTo-DocCode "'/dev/serial/by-id/usb-FTDI_A1-if00-port0', '/dev/ttyACM1'" | Should -Be "'sim://0x410?timing=instant', 'sim://0x410?timing=instant'"
        ConvertTo-DocCode 'Connect-Stm32 -Port tcp://lab-server:3333' | Should -Be 'Connect-Stm32 -Port sim://0x410?timing=instant'
        ConvertTo-DocCode 'Start-Stm32Simulator 0x413 tcp://127.0.0.1:0' | Should -Be 'Start-Stm32Simulator 0x413 tcp://127.0.0.1:0'
        ConvertTo-DocCode "Connect-Stm32 'sim://0x413?protocol=3.3'" | Should -Be "Connect-Stm32 'sim://0x413?protocol=3.3&timing=instant'"
        ConvertTo-DocCode 'Connect-Stm32 sim://0x413?protocol=3.3' | Should -Be "Connect-Stm32 'sim://0x413?protocol=3.3&timing=instant'"
        ConvertTo-DocCode "Connect-Stm32 'sim://0x410?timing=realistic'" | Should -Be "Connect-Stm32 'sim://0x410?timing=realistic'"
        ConvertTo-DocCode 'Connect-Stm32 COM5' -SimPort 'sim://0x413' | Should -Be 'Connect-Stm32 sim://0x413?timing=instant'
        ConvertTo-DocCode 'Import-Module Stm32' | Should -Be "Import-Module '$ModulePath'"
    }
}
