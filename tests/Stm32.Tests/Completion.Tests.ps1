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

    It 'completes -Port sim:// with the rows a name or part number stands for' {
        $m = Complete 'Connect-Stm32 -Port sim://STM32F401'
        $m.CompletionText | Should -Contain 'sim://0x423'
        $m.CompletionText | Should -Contain 'sim://0x433'
        $m.CompletionText | Should -Not -Contain 'sim://0x413'
        (Complete 'Connect-Stm32 -Port sim://F103C8').CompletionText | Should -Be 'sim://0x410'
    }

    It 'completes Get-Stm32Device -Name with catalog names and lines, not file names' {
        $m = Complete 'Get-Stm32Device -Name STM32F40'
        $m.CompletionText | Should -Contain 'STM32F40xxx/41xxx'
        $m.CompletionText | Should -Contain "'STM32F401xD(E)'"   # quoted: parentheses
        $m.CompletionText | Should -Contain 'STM32F401'
        $m.CompletionText | Should -Contain 'STM32F407'
        $m | ForEach-Object { $_.ResultType | Should -Be 'ParameterValue' }
        (Complete 'Get-Stm32Device -Name F07').CompletionText | Should -Contain 'STM32F072'
        (Complete 'Get-Stm32Device F10').CompletionText | Should -Contain "'STM32F10xxx Medium-density'"
    }

    It 'completes Get-Stm32Device -ProductId with product IDs' {
        $m = Complete 'Get-Stm32Device -ProductId 0x41'
        $m.CompletionText | Should -Contain '0x410'
        $m.CompletionText | ForEach-Object { $_ | Should -BeLike '0x41*' }
        ($m | Where-Object CompletionText -EQ '0x410').ToolTip | Should -BeLike '*Medium-density*'
    }

    It 'completes Start-Stm32Simulator -Device with rows it can simulate' {
        $m = Complete 'Start-Stm32Simulator -Device 0x4'
        $m.CompletionText | Should -Contain '0x410'
        $m.CompletionText | Should -Not -Contain '0x44C'   # known by name only: no memory map to simulate
        (Complete 'Start-Stm32Simulator -Device STM32F411').CompletionText | Should -Contain 'STM32F411xx'
        (Complete 'Start-Stm32Simulator -Device STM32F103C8').CompletionText | Should -Be '0x410'
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
