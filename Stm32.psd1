@{
    RootModule           = 'Stm32.PowerShell.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '4f0b8a52-9a7e-4d61-8c55-2e1f3b7c9d10'
    Author               = 'Stm32 contributors'
    CompanyName          = 'Stm32 contributors'
    Copyright            = '(c) Stm32 contributors. All rights reserved.'
    Description          = 'Programs STM32 microcontrollers through their ROM bootloader over a serial port (ST AN3155), with a simulated chip (sim://) for trying it without a board.'
    PowerShellVersion    = '7.6'
    CompatiblePSEditions = @('Core')
    # PowerShell 7 (the Core edition) on Windows, Linux and macOS. Windows PowerShell 5.1 (the
    # Desktop edition, on .NET Framework) is not supported and will not import the module.
    FormatsToProcess     = @('Stm32.format.ps1xml')
    CmdletsToExport      = @(
        'Connect-Stm32'
        'Disconnect-Stm32'
        'Get-Stm32Device'
        'Get-Stm32Info'
        'Get-Stm32Session'
        # Protection and option bytes (issue 6)
        'Get-Stm32OptionByte'
        'Set-Stm32OptionByte'
        'Protect-Stm32Flash'
        'Unprotect-Stm32Flash'
        'Clear-Stm32Flash'
        'Export-Stm32Firmware'
        'Import-Stm32Firmware'
        'Read-Stm32Memory'
        'Start-Stm32Application'
        'Test-Stm32Firmware'
        'Write-Stm32Firmware'
        'Start-Stm32Simulator'
        'Get-Stm32Port'
        # User device rows (issue 2)
        'Import-Stm32Device'
    )
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('STM32', 'AN3155', 'bootloader', 'flash', 'serial', 'embedded', 'PSEdition_Core', 'Linux', 'Windows', 'MacOS')
            ProjectUri   = 'https://github.com/stm32-powershell/Stm32'
            ReleaseNotes = 'First cmdlets: Connect-Stm32 (serial ports and sim:// simulated chips), Get-Stm32Session, Disconnect-Stm32, Get-Stm32Info, Get-Stm32Device. Needs PowerShell 7.6.9 or later (System.IO.Ports 10.0.14).'
        }
    }
}
