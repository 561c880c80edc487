# A tour of the Stm32 module on a simulated STM32F103 (no board needed).
# Copy any of these lines into your own scripts: replace sim://0x410 with your port (/dev/ttyUSB0, COM3).
$ErrorActionPreference = 'Stop'
Import-Module ($env:STM32_MODULE_PATH ?? "$PSScriptRoot/../out/Stm32/Stm32.psd1")

# Is my chip supported? The catalog answers before any wiring.
Get-Stm32Device -Name STM32F103C8 | Format-Table

# Connect to the bootloader (realistic timing: every byte costs its wire time at 115200 baud).
$session = Connect-Stm32 -Port sim://0x410
$session | Format-Table

# What is this chip?
$session | Get-Stm32Info

# Sessions live until you disconnect them.
Get-Stm32Session | Disconnect-Stm32 -Confirm:$false
