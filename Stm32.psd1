@{
    RootModule           = 'Stm32.PowerShell.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '4f0b8a52-9a7e-4d61-8c55-2e1f3b7c9d10'
    Author               = 'Stm32 contributors'
    CompanyName          = 'Stm32 contributors'
    Copyright            = '(c) Stm32 contributors. All rights reserved.'
    Description          = 'Programs STM32 microcontrollers through their ROM bootloader over a serial port (ST AN3155), with a simulated chip (sim://) for trying it without a board.'
    # The one minimum: System.IO.Ports 10.0.14 is the copy pwsh 7.6.9 loads from $PSHOME (an older
    # pwsh fails to load it). README and ReleaseNotes name this version; Module.Tests checks they agree.
    PowerShellVersion    = '7.6.9'
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
        'Import-Stm32Device'
    )
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('STM32', 'AN3155', 'bootloader', 'flash', 'serial', 'embedded', 'PSEdition_Core', 'Linux', 'Windows', 'MacOS')
            ProjectUri   = 'https://github.com/stm32-powershell/Stm32'
            ReleaseNotes = @'
0.1.0: programs STM32 chips through their ROM bootloader (AN3155) over a serial port, a TCP serial server (tcp://) or a simulated chip (sim://).
Sessions: Connect-Stm32 (DTR/RTS boot sequences, retries), Get-Stm32Session, Disconnect-Stm32 (-Reset starts the application), Get-Stm32Info, Get-Stm32Port.
Flash: Write-Stm32Firmware (erases only the pages the image touches, -Verify, -Go), Test-Stm32Firmware, Read-Stm32Memory (hex dump or -OutFile backup), Clear-Stm32Flash, Start-Stm32Application.
Files: Import-Stm32Firmware and Export-Stm32Firmware (Intel HEX, S-record, ELF, raw binary), checked whole before the chip is touched.
Protection: Get-Stm32OptionByte, Set-Stm32OptionByte, Protect-Stm32Flash, Unprotect-Stm32Flash (read protection level 2 only with -Force and a typed product ID).
Catalog and simulator: Get-Stm32Device, Import-Stm32Device (your own rows), Start-Stm32Simulator (serves a simulated chip to stm32flash or any client).
Noisy lines are met with resyncs, retries and page rewrites; results carry their Session, SHA-256 and recovery counts.
Needs PowerShell 7.6.9 or later (System.IO.Ports 10.0.14).
'@
        }
    }
}
