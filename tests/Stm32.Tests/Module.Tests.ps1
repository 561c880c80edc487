Describe 'The Stm32 module' {
    BeforeAll {
        . (Join-Path $PSScriptRoot '../Common.ps1')
        $script:Expected = 'Connect-Stm32', 'Disconnect-Stm32', 'Get-Stm32Device', 'Get-Stm32Info', 'Get-Stm32Session',
            'Clear-Stm32Flash', 'Export-Stm32Firmware', 'Import-Stm32Firmware', 'Read-Stm32Memory', 'Start-Stm32Application', 'Test-Stm32Firmware', 'Write-Stm32Firmware'
        $script:Expected += 'Get-Stm32Port', 'Start-Stm32Simulator'
        $script:Expected += 'Import-Stm32Device'
    }
    AfterEach { Remove-AllStm32Session }

    It 'has a valid manifest' {
        $m = Test-ModuleManifest -Path $ModulePath -ErrorAction Stop
        $m.RootModule | Should -Be 'Stm32.PowerShell.dll'
        $m.CompatiblePSEditions | Should -Be @('Core')
        $m.PowerShellVersion | Should -Be ([version]'7.6.9')
        $m.PrivateData.PSData.Tags | Should -Contain 'PSEdition_Core'
    }

    # The manifest's PowerShellVersion is the one minimum: README, the local tool and ReleaseNotes agree with it.
    It 'names one minimum PowerShell version in the manifest, README, dotnet-tools.json and the ReleaseNotes' {
        $root = Join-Path $PSScriptRoot '../..'
        $m = Import-PowerShellDataFile (Join-Path $root 'Stm32.psd1')
        $min = [version] $m.PowerShellVersion
        $min | Should -Be ([version]'7.6.9') -Because 'System.IO.Ports 10.0.14 (Directory.Packages.props) is the copy pwsh 7.6.9 loads'
        $readme = Get-Content -Raw (Join-Path $root 'README.md')
        $readme | Should -Match "the module needs $([regex]::Escape($min)) or later"
        (Get-Content -Raw (Join-Path $root 'dotnet-tools.json') | ConvertFrom-Json).tools.powershell.version | Should -Be "$min"
        $notes = $m.PrivateData.PSData.ReleaseNotes
        $notes | Should -Match "PowerShell $([regex]::Escape($min)) or later"
        # Not stale: every cmdlet the module exports is in them.
        foreach ($c in $m.CmdletsToExport) { $notes | Should -Match "\b$c\b" -Because 'the ReleaseNotes describe what this version exports' }
    }

    It 'exports exactly the cmdlets of the manifest' {
        $Expected = @($Expected) + @('Get-Stm32OptionByte', 'Set-Stm32OptionByte', 'Protect-Stm32Flash', 'Unprotect-Stm32Flash')
        $exported = (Get-Module Stm32).ExportedCmdlets.Keys | Sort-Object
        $exported | Should -Be ($Expected | Sort-Object)
        (Get-Module Stm32).ExportedFunctions.Count | Should -Be 0
        (Get-Module Stm32).ExportedAliases.Count | Should -Be 0
    }

    It 'ships no System.Management.Automation.dll' {
        Join-Path (Split-Path $ModulePath) 'System.Management.Automation.dll' | Should -Not -Exist
    }

    It 'declares an output type for <_>' -ForEach @('Connect-Stm32', 'Disconnect-Stm32', 'Get-Stm32Device', 'Get-Stm32Info', 'Get-Stm32Session',
        'Clear-Stm32Flash', 'Export-Stm32Firmware', 'Import-Stm32Firmware', 'Read-Stm32Memory', 'Start-Stm32Application', 'Test-Stm32Firmware', 'Write-Stm32Firmware') {
        (Get-Command $_).OutputType.Count | Should -BeGreaterThan 0
    }

    It 'declares an output type for <_>' -ForEach @('Get-Stm32OptionByte', 'Set-Stm32OptionByte', 'Protect-Stm32Flash', 'Unprotect-Stm32Flash', 'Import-Stm32Device') {
        (Get-Command $_).OutputType.Count | Should -BeGreaterThan 0
    }

    It 'loads views for sessions, device info and catalog rows' {
        (Get-FormatData -TypeName Stm32.PowerShell.Stm32Session).FormatViewDefinition[0].Control.GetType().Name | Should -Be 'TableControl'
        (Get-FormatData -TypeName Stm32.PowerShell.Stm32DeviceInfo).FormatViewDefinition[0].Control.GetType().Name | Should -Be 'ListControl'
        (Get-FormatData -TypeName Stm32.Protocol.Devices.DeviceInfo).FormatViewDefinition[0].Control.GetType().Name | Should -Be 'TableControl'
    }

    It 'formats a session as a table with the device and bootloader' {
        $text = Connect-Stm32 -Port $F103 | Out-String -Width 200
        $text | Should -Match 'BaudRate'
        $text | Should -Match 'STM32F10xxx Medium-density'
        $text | Should -Match 'Bootloader'
    }

    It 'closes the sessions of the runspace when the module is removed' {
        $ps = New-TestPowerShell
        try {
            $s = $ps.AddScript("Connect-Stm32 -Port '$F103'").Invoke()[0]
            $s.IsOpen | Should -BeTrue
            $ps.Commands.Clear()
            $null = $ps.AddScript('Remove-Module Stm32').Invoke()
            $s.IsOpen | Should -BeFalse
        }
        finally { $ps.Dispose() }
    }
}
