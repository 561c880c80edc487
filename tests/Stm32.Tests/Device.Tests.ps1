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
