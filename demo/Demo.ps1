# A tour of the Stm32 module on a simulated STM32F103 (no board needed): identify, erase,
# flash with verify, back up, run. Copy any of these lines into your own scripts: replace
# sim://0x410 with your port (/dev/ttyUSB0, COM3) and blinky-f103.hex with your firmware.
$ErrorActionPreference = 'Stop'
Import-Module ($env:STM32_MODULE_PATH ?? "$PSScriptRoot/../out/Stm32/Stm32.psd1")
$firmware = Join-Path $PSScriptRoot 'blinky-f103.hex'
$backup = Join-Path ([IO.Path]::GetTempPath()) 'stm32-demo-backup.hex'

# Is my chip supported? The catalog answers before any wiring.
Get-Stm32Device -Name STM32F103C8 | Format-Table | Out-Host

# Connect to the bootloader (realistic timing: every byte costs its wire time at 115200 baud).
$session = Connect-Stm32 -Port sim://0x410
$session | Get-Stm32Info | Out-Host

# What is in the firmware file?
Import-Stm32Firmware -Path $firmware | Out-Host

# Erase the whole flash (scripts say -Confirm:$false; interactively it asks first).
$session | Clear-Stm32Flash -All -Confirm:$false -PassThru | Out-Host

# Write and verify; the result carries the session, the SHA-256 and the timing.
$result = $session | Write-Stm32Firmware -Path $firmware -Verify
$result | Out-Host

# The vector table, as the chip now holds it.
$session | Read-Stm32Memory -Address 0x08000000 -Length 64 | Out-Host

# Back the application's flash up to a file (the first 4 KiB here; no -Address/-Length reads it all).
$session | Read-Stm32Memory -Address 0x08000000 -Length 4KB -OutFile $backup -Force |
    Format-Table Name, Length, @{ n = 'Address'; e = { '0x{0:X8}' -f $_.Address } }, BytesRead | Out-Host
Test-Stm32Firmware -Session $session -Path $backup | Out-Host

# Run it: the bootloader stops listening.
$result | Start-Stm32Application -PassThru | Format-Table Id, Port, DeviceName, InBootloader | Out-Host

Get-Stm32Session | Disconnect-Stm32 -Confirm:$false
