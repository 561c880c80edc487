Describe 'Get-Stm32Info' {
    BeforeAll { . (Join-Path $PSScriptRoot '../Common.ps1') }
    AfterEach { Remove-AllStm32Session }

    It 'describes an STM32F103 (sim://0x410): bootloader 2.2, 128 KiB in 1 KiB pages' {
        $i = Connect-Stm32 -Port $F103 | Get-Stm32Info
        $i | Should -BeOfType ([Stm32.PowerShell.Stm32DeviceInfo])
        $i.DeviceName | Should -Be 'STM32F10xxx Medium-density'
        $i.ProductId | Should -Be 0x410
        $i.ProductIdHex | Should -Be '0x410'
        $i.Family | Should -Be 'F1'
        $i.BootloaderVersion | Should -Be '2.2'
        $i.Commands | Should -Contain '0x00 Get'
        $i.Commands | Should -Contain '0x43 Erase'
        $i.FlashStart | Should -Be 0x08000000
        $i.FlashSize | Should -Be 128KB
        $i.EraseUnit | Should -Be 'page'
        $i.PageSize | Should -Be 1KB
        $i.PageCount | Should -Be 128
        $i.FlashLayout | Should -Be '128 pages of 1 KiB'
        $i.Ram.Start | Should -Be 0x20000200
        $i.OptionBytes.Start | Should -Be 0x1FFFF800
        $i.SystemMemory.Start | Should -Be 0x1FFFF000
        $i.UniqueId | Should -Match '^[0-9A-F]{24}$'
        $i.IsReadProtected | Should -BeFalse
    }

    It 'describes an STM32F407 (sim://0x413): bootloader 3.1, Extended Erase, sectors' {
        $i = Connect-Stm32 -Port $F407 | Get-Stm32Info
        $i.DeviceName | Should -Be 'STM32F40xxx/41xxx'
        $i.BootloaderVersion | Should -Be '3.1'
        $i.Commands | Should -Contain '0x44 Extended Erase'
        $i.EraseUnit | Should -Be 'sector'
        $i.PageSize | Should -Be 0
        $i.FlashLayout | Should -Match '^4 x 16 KiB, 1 x 64 KiB, \d+ x 128 KiB sectors$'
    }

    It 'takes the session from the pipeline by value' {
        $s = Connect-Stm32 -Port $F103
        ($s | Get-Stm32Info).Session | Should -Be $s
    }

    It 'takes the session by property name from any object with a Session property' {
        $s = Connect-Stm32 -Port $F103
        $null = Connect-Stm32 -Port $F407
        ([pscustomobject]@{ Session = $s } | Get-Stm32Info).ProductId | Should -Be 0x410
        # Its own output carries the session, so it pipes on.
        ($s | Get-Stm32Info | Get-Stm32Info).ProductId | Should -Be 0x410
    }

    It 'takes -SessionId, also by property name' {
        $null = Connect-Stm32 -Port $F103
        $b = Connect-Stm32 -Port $F407
        (Get-Stm32Info -SessionId $b.Id).ProductId | Should -Be 0x413
        ([pscustomobject]@{ SessionId = $b.Id } | Get-Stm32Info).ProductId | Should -Be 0x413
    }

    It 'uses the single open session when none is named' {
        $null = Connect-Stm32 -Port $F407
        (Get-Stm32Info).ProductId | Should -Be 0x413
    }

    It 'refuses a closed session with SessionClosed' {
        $s = Connect-Stm32 -Port $F103
        $s | Disconnect-Stm32 -Confirm:$false
        $e = { $s | Get-Stm32Info -ErrorAction Stop } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeExactly 'SessionClosed,Stm32.PowerShell.Commands.GetStm32InfoCommand'
        $e.CategoryInfo.Category | Should -Be 'ConnectionError'
    }

    It 'reports NoSession when nothing is open' {
        { Get-Stm32Info -ErrorAction Stop } | Should -Throw -ErrorId 'NoSession,Stm32.PowerShell.Commands.GetStm32InfoCommand'
    }

    It 'formats as a list with flash, layout and commands' {
        $text = Connect-Stm32 -Port $F103 | Get-Stm32Info | Out-String -Width 200
        $text | Should -Match 'DeviceName\s+: STM32F10xxx Medium-density'
        $text | Should -Match 'Flash\s+: 128 KiB at 0x08000000'
        $text | Should -Match 'Layout\s+: 128 pages of 1 KiB'
        $text | Should -Match 'Commands\s+: 0x00 Get, '
    }
}
