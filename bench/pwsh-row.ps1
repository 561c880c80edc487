# Issue 7's cmdlet row: what a station script does, timed inside a warm pwsh.
# Run by bench/Stm32.Bench for each timed run (not meant to be run by hand, though it can be):
#   dotnet pwsh -NoProfile -NonInteractive -File bench/pwsh-row.ps1 -ModulePath out/Stm32/Stm32.psd1 -Port /dev/pts/N -BaudRate 115200 -Image x.bin
# Prints one line of JSON: the timed seconds (Connect-Stm32 | Write-Stm32Firmware -Verify |
# Disconnect-Stm32, on the port the bench serves) and, untimed, how long pwsh start, Import-Module
# and a warm-up on an instant simulated chip took.
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $Port,
    [int] $BaudRate = 115200,
    [Parameter(Mandatory)] [string] $Image
)
$ErrorActionPreference = 'Stop'
# STM32_BENCH_NOPROGRESS=1 measures without progress records (to see what they cost).
if ($env:STM32_BENCH_NOPROGRESS) { $ProgressPreference = 'SilentlyContinue' }
$setup = [Diagnostics.Stopwatch]::StartNew()
Import-Module $ModulePath
# Warm-up (untimed): the same cmdlets on an instant simulated chip, so the timed run measures a
# station that has flashed a board before, not the first-call JIT.
$warm = Connect-Stm32 -Port 'sim://0x410?timing=instant'
$null = $warm | Write-Stm32Firmware -Path $Image -Address 0x08000000 -Verify -Confirm:$false
$warm | Disconnect-Stm32
$setup.Stop()

$timed = [Diagnostics.Stopwatch]::StartNew()
# A pseudo-terminal carries no parity: -Parity None, as stm32flash's -m 8n1.
$session = Connect-Stm32 -Port $Port -BaudRate $BaudRate -Parity None
$result = $session | Write-Stm32Firmware -Path $Image -Address 0x08000000 -Verify -Confirm:$false
$session | Disconnect-Stm32
$timed.Stop()

[pscustomobject]@{
    Seconds      = $timed.Elapsed.TotalSeconds
    SetupSeconds = $setup.Elapsed.TotalSeconds
    Verified     = $result.Verified
    VerifyMethod = "$($result.VerifyMethod)"
    PagesErased  = $result.PagesErased.Count
    Blocks       = $result.BlocksWritten
} | ConvertTo-Json -Compress
