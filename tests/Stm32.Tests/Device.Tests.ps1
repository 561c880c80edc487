Describe 'Get-Stm32Device' {
    BeforeAll { . (Join-Path $PSScriptRoot '../Common.ps1') }
    AfterEach { Remove-AllStm32Session }

    It 'lists the whole catalog' {
        $all = Get-Stm32Device
        $all.Count | Should -BeGreaterThan 50
        $all[0] | Should -BeOfType ([Stm32.Protocol.Devices.DeviceInfo])
    }

    It 'answers "is my STM32F030 supported?" by part number' {
        $rows = Get-Stm32Device -Name STM32F030
        $rows.ProductIdHex | Should -Contain '0x440'
        $rows.ProductIdHex | Should -Contain '0x444'
        (Get-Stm32Device -Name stm32f103c8t6).ProductIdHex | Should -Contain '0x410'
    }

    It 'matches wildcards on the name' {
        (Get-Stm32Device -Name '*F40xxx*').ProductId | Should -Contain 0x413
    }

    It 'answers popular part numbers with the rows of their product IDs, and only those' -TestCases @(
        @{ Name = 'STM32F401RE'; Pids = @('0x433') }
        @{ Name = 'STM32F411CEU6'; Pids = @('0x431') }
        @{ Name = 'STM32F072RB'; Pids = @('0x448') }
        @{ Name = 'STM32F303RE'; Pids = @('0x446') }
        @{ Name = 'STM32F303CC'; Pids = @('0x422') }
        @{ Name = 'STM32WB55'; Pids = @('0x495') }
        @{ Name = 'STM32F103'; Pids = @('0x410', '0x412', '0x414', '0x430') }
    ) {
        param($Name, $Pids)
        @(Get-Stm32Device -Name $Name -ErrorAction Stop).ProductIdHex | Sort-Object | Should -Be $Pids
    }

    It 'matches wildcards on the parts a row covers (*F072*)' {
        (Get-Stm32Device -Name '*F072*').ProductIdHex | Should -Be '0x448'
    }

    It 'says honestly that no row covers a part, and suggests a query that lists something' {
        $e = { Get-Stm32Device -Name STM32L010RBT6 -ErrorAction Stop } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeExactly 'DeviceNotFound,Stm32.PowerShell.Commands.GetStm32DeviceCommand'
        $e.Exception.Message | Should -BeLike '*no row for the STM32L010 line*'
        $e.ErrorDetails.RecommendedAction | Should -Be "Get-Stm32Device -Name 'STM32L0*'"
        (& ([scriptblock]::Create($e.ErrorDetails.RecommendedAction))).ProductIdHex | Should -Contain '0x417'
    }

    It 'warns that a row found by part number is known by name only' {
        $row = Get-Stm32Device -Name STM32C071RBT6 -WarningVariable w -WarningAction SilentlyContinue
        $row.ProductIdHex | Should -Be '0x493'
        "$w" | Should -BeLike '*by name only*'
    }

    It 'serves sim:// by part number, and lists the rows a line stands for' {
        (Connect-Stm32 -Port 'sim://STM32F103C8T6?timing=instant').ProductId | Should -Be 0x410
        $e = { Connect-Stm32 -Port 'sim://STM32F103?timing=instant' -ErrorAction Stop } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeLike 'DeviceNotFound,*'
        $e.Exception.Message | Should -BeLike '*may be any of 4 catalog rows: 0x412 *0x410 *0x414 *0x430 *sim://0x412*'
        @(& ([scriptblock]::Create($e.ErrorDetails.RecommendedAction))).Count | Should -Be 4
    }

    It 'finds a row by -ProductId' {
        $d = Get-Stm32Device -ProductId 0x413
        $d.Name | Should -Be 'STM32F40xxx/41xxx'
        $d.Layout.IsUniform | Should -BeFalse
    }

    It 'takes ProductId by property name (a session pipes to its catalog row)' {
        (Connect-Stm32 -Port $F103 | Get-Stm32Device).Name | Should -Be 'STM32F10xxx Medium-density'
    }

    It 'reports an unknown product ID as DeviceNotFound' {
        $e = { Get-Stm32Device -ProductId 0xFFF -ErrorAction Stop } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeExactly 'DeviceNotFound,Stm32.PowerShell.Commands.GetStm32DeviceCommand'
        $e.CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'reports a name without wildcards that matches nothing, and is quiet for a wildcard' {
        { Get-Stm32Device -Name NOPE123 -ErrorAction Stop } | Should -Throw -ErrorId 'DeviceNotFound,Stm32.PowerShell.Commands.GetStm32DeviceCommand'
        Get-Stm32Device -Name 'NOPE*' -ErrorAction Stop | Should -BeNullOrEmpty
    }

    It 'formats the catalog as a table' {
        $text = Get-Stm32Device -ProductId 0x410 | Out-String -Width 200
        $text | Should -Match 'PID\s+Name'
        $text | Should -Match '0x410\s+STM32F10xxx Medium-density'
    }
}
