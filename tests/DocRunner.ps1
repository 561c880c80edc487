# Runs the code that README.md and the cmdlet help show, against simulated chips, so that what a
# reader copies works. Dot-sourced by Readme.Tests.ps1 and HelpExamples.Tests.ps1 (after Common.ps1).
#
# The rules, for whoever writes a README block or a help example:
#
# README.md
#   Every code block (indented by four spaces, or fenced with ```) runs, in the order of the file,
#   in ONE runspace, as a reader typing them one after the other would: variables, sessions and
#   simulated chips carry over from block to block. A block that cannot run here (shell commands
#   such as `dotnet tool restore`, `sudo usermod`, remoting to other machines, wiring) is marked on
#   the nearest non-blank line above it with
#       <!-- no-run: the reason -->
#   and is reported as Skipped with that reason; a marker without a reason, or without a block after
#   it, fails the test. Nothing is ever left out silently.
#
# Help examples (src/Stm32.PowerShell/Help/Stm32.help.psd1)
#   Each example runs in a fresh runspace. Optional keys beside Title, Code and Remarks (not shown
#   in the help):
#     Setup   = code run first, unseen (default: when the example connects nothing itself, a
#               Connect-Stm32 to the simulated STM32F103 the real ports become; '' for none)
#     SimPort = the sim:// port real port names become, for an example whose wiring or chip
#               differs (default sim://0x410)
#     Needs   = tools the example runs ('stm32flash'; 'Linux' for the pseudo-terminal); the test
#               reports Skipped, naming them, where they are missing
#     Skip    = why the example cannot run anywhere here (hardware); reported as Skipped
#
# Both
#   - Real ports become simulated chips: COM<n>, /dev/tty<name>, /dev/serial/by-id/<name> and
#     tcp://<host>:<port> (other than 127.0.0.1, localhost and 0.0.0.0, which Start-Stm32Simulator
#     serves on) become the sim:// port (sim://0x410 unless SimPort says otherwise).
#   - Every sim:// port gets timing=instant unless it names its timing (the tests stay fast).
#   - `Import-Module Stm32` and `Import-Module ./out/Stm32/Stm32.psd1` import the module under test,
#     and its folder is on PSModulePath (thread jobs find it, as an installed module).
#   - The code runs in a folder holding app.hex, app.srec, app.elf and app.bin (tests/data/blinky-f103)
#     and devices.json (a catalog row for product ID 0x999).
#   - Confirmation prompts are answered Yes ($ConfirmPreference = 'None'), as by a user pressing Y;
#     the typed product ID of read protection level 2 is never answered.
#   - The output goes through Out-String, so the format views run too. A block or example passes
#     when it ends within its time limit without an error record.

$script:DocSimPort = 'sim://0x410'

# The code blocks of a Markdown file: Line (1-based, of the first code line), Code, Skip (the reason, or $null).
function Get-MarkdownCodeBlock([Parameter(Mandatory)] [string] $Path) {
    $lines = [IO.File]::ReadAllLines($Path)
    $blocks = [System.Collections.Generic.List[object]]::new()
    $inCode = [System.Collections.Generic.HashSet[int]]::new()   # line indexes inside blocks (a marker shown as code is no marker)
    $i = 0
    while ($i -lt $lines.Count) {
        $line = $lines[$i]
        $start = $i      # the first line of code
        $above = $i - 1  # the line above the block (above the opening fence)
        $code = $null
        if ($line -match '^\s{0,3}(```|~~~)') {
            $fence = $Matches[1]
            $body = [System.Collections.Generic.List[string]]::new()
            $i++
            while ($i -lt $lines.Count -and $lines[$i] -notmatch ('^\s{0,3}' + [regex]::Escape($fence) + '\s*$')) { $body.Add($lines[$i]); $i++ }
            $i++
            $code = $body -join "`n"
            $start = $start + 1
        }
        elseif ($line -match '^(    |\t)\S' -and ($i -eq 0 -or $lines[$i - 1].Trim() -eq '')) {
            $body = [System.Collections.Generic.List[string]]::new()
            while ($i -lt $lines.Count -and ($lines[$i] -match '^(    |\t)' -or ($lines[$i].Trim() -eq '' -and $i + 1 -lt $lines.Count -and $lines[$i + 1] -match '^(    |\t)'))) {
                $body.Add(($lines[$i] -replace '^(    |\t)', '')); $i++
            }
            $code = $body -join "`n"
        }
        else { $i++; continue }
        for ($k = $start; $k -lt $i; $k++) { $null = $inCode.Add($k) }
        # The marker: the nearest non-blank line above the block.
        $j = $above
        while ($j -ge 0 -and $lines[$j].Trim() -eq '') { $j-- }
        $skip = $null
        if ($j -ge 0 -and $lines[$j] -match '<!--\s*no-run\s*:?(.*?)-->') {
            $skip = $Matches[1].Trim()
            if (-not $skip) { throw "${Path}:$($j + 1): a no-run marker needs a reason: <!-- no-run: why -->" }
        }
        $blocks.Add([pscustomobject]@{ Line = $start + 1; Code = $code; Skip = $skip; MarkerLine = if ($skip) { $j + 1 } else { 0 } })
    }
    # A marker that no block follows is a mistake, not a skip.
    $used = @($blocks | Where-Object MarkerLine | ForEach-Object MarkerLine)
    for ($k = 0; $k -lt $lines.Count; $k++) {
        if ($lines[$k] -match '<!--\s*no-run' -and -not $inCode.Contains($k) -and ($k + 1) -notin $used) { throw "${Path}:$($k + 1): a no-run marker with no code block after it." }
    }
    $blocks
}

# The code as it runs here: real ports become $SimPort, sim:// ports get instant timing, Stm32 imports the module under test.
function ConvertTo-DocCode([Parameter(Mandatory)] [AllowEmptyString()] [string] $Code, [string] $SimPort = $script:DocSimPort) {
    $real = '(?<![\w/])(/dev/serial/by-id/[^\s''",;|)}]+|/dev/tty[A-Za-z]+[0-9]*|COM[0-9]+\b|tcp://(?!(127\.0\.0\.1|localhost|0\.0\.0\.0)[:/])[^\s''",;|)}]+)'
    $Code = [regex]::Replace($Code, $real, { param($m) $SimPort })
    $Code = [regex]::Replace($Code, '(?<q>[''"]?)(?<port>sim://[^\s''",;|)}]+)', {
            param($m)
            $port = $m.Groups['port'].Value
            $q = $m.Groups['q'].Value
            if ($port -match '[?&]timing=') { return $m.Value }
            $port += if ($port.Contains('?')) { '&timing=instant' } else { '?timing=instant' }
            # A bare word cannot hold '&': quote it.
            if (-not $q -and $port.Contains('&')) { return "'$port'" }
            $q + $port
        })
    $module = $script:ModulePath -replace "'", "''"
    [regex]::Replace($Code, 'Import-Module\s+(\./out/Stm32/Stm32\.psd1|Stm32)(?=\s|$|;)', "Import-Module '$module'")
}

# A folder with the files the README and the examples use, from the repository's vectors.
function New-DocFolder([Parameter(Mandatory)] [string] $Path) {
    $data = (Resolve-Path (Join-Path $PSScriptRoot 'data')).ProviderPath
    $null = New-Item -ItemType Directory -Path $Path -Force
    foreach ($ext in 'hex', 'srec', 'elf', 'bin') { Copy-Item (Join-Path $data "blinky-f103.$ext") (Join-Path $Path "app.$ext") -Force }
    Set-Content -LiteralPath (Join-Path $Path 'devices.json') -Value @'
[ { "pid_hex": "0x999", "name": "My part", "ram_start": "0x20001000", "ram_end": "0x20005000",
    "flash_start": "0x08000000", "flash_end": "0x08020000", "page_size_or_sector_layout": 1024,
    "system_memory_start": "0x1FFFF000", "system_memory_end": "0x1FFFF800" } ]
'@
    $Path
}

# A runspace as a reader's console: the module imported, in $Folder, prompts answered Yes. The
# module's folder goes on PSModulePath (process-wide), as for an installed module, so thread jobs
# and -Parallel runspaces that the code starts find Stm32 too.
function New-DocPowerShell([Parameter(Mandatory)] [string] $Folder) {
    # A folder that holds only the module (a link to the built one), not all of out/: module
    # discovery reads every folder on PSModulePath.
    $modules = Join-Path ([IO.Path]::GetTempPath()) "stm32-doc-modules-$PID"
    $link = Join-Path $modules (Split-Path (Split-Path $script:ModulePath) -Leaf)
    if (-not (Test-Path -LiteralPath $link)) {
        $null = New-Item -ItemType Directory -Path $modules -Force
        $null = New-Item -ItemType SymbolicLink -Path $link -Target (Split-Path $script:ModulePath)
    }
    if (($env:PSModulePath -split [IO.Path]::PathSeparator) -notcontains $modules) {
        $env:PSModulePath = $modules + [IO.Path]::PathSeparator + $env:PSModulePath
    }
    $ps = New-TestPowerShell
    $null = $ps.AddScript("Set-Location -LiteralPath '$($Folder -replace "'", "''")'; `$ConfirmPreference = 'None'").Invoke()
    $ps.Commands.Clear()
    $ps
}

# Runs code in the runspace, its output through Out-String; returns Errors (records and exceptions), Output (text) and TimedOut.
function Invoke-DocCode([Parameter(Mandatory)] $PowerShell, [Parameter(Mandatory)] [string] $Code, [int] $TimeoutSec = 120) {
    $PowerShell.Commands.Clear()
    $PowerShell.Streams.ClearStreams()
    $null = $PowerShell.AddScript($Code).AddCommand('Out-String').AddParameter('Width', 200)
    $errors = [System.Collections.Generic.List[string]]::new()
    $output = ''
    $timedOut = $false
    $async = $PowerShell.BeginInvoke()
    if (-not $async.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds($TimeoutSec))) {
        $timedOut = $true
        $PowerShell.Stop()
    }
    else {
        try { $output = ($PowerShell.EndInvoke($async) | Out-String) }
        catch { $errors.Add("terminating: $($_.Exception.InnerException ?? $_.Exception)") }
    }
    foreach ($e in $PowerShell.Streams.Error) { $errors.Add("$($e.FullyQualifiedErrorId): $e") }
    [pscustomobject]@{ Errors = $errors; Output = $output; TimedOut = $timedOut }
}

# Leaves nothing running: the runspace's jobs (served simulators) and sessions, and the catalog rows an example imported.
function Close-DocPowerShell($PowerShell) {
    if (-not $PowerShell) { return }
    try {
        $PowerShell.Commands.Clear()
        $null = $PowerShell.AddScript('Get-Job | Remove-Job -Force; Get-Stm32Session | Disconnect-Stm32').Invoke()
    }
    catch { }
    $PowerShell.Dispose()
    [Stm32.Protocol.Devices.DeviceCatalog]::ClearUserRows()
}
