Describe 'Tab completion' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '../Common.ps1')
        function Complete([string] $line) {
            (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches
        }
    }
    AfterEach { Remove-AllStm32Session }

    It 'completes -Port with sim:// names from the catalog' {
        $m = Complete 'Connect-Stm32 -Port sim://0x41'
        $m.CompletionText | Should -Contain 'sim://0x410'
        $m.CompletionText | Should -Contain 'sim://0x413'
        $m.CompletionText | ForEach-Object { $_ | Should -BeLike 'sim://0x41*' }
    }

    It 'completes -Port with the ports of open sessions' {
        $null = Connect-Stm32 -Port $F407
        (Complete 'Connect-Stm32 -Port sim://0x413?').CompletionText | Should -Contain $F407
    }

    It 'completes -SessionId with the ids of open sessions' {
        $a = Connect-Stm32 -Port $F103
        $b = Connect-Stm32 -Port $F407
        $m = Complete 'Get-Stm32Info -SessionId '
        $m.CompletionText | Should -Contain ([string] $a.Id)
        $m.CompletionText | Should -Contain ([string] $b.Id)
        (Complete 'Get-Stm32Session -Id ').CompletionText | Should -Contain ([string] $b.Id)
    }
}
