#!/usr/bin/env bash
# The Windows lane: the module's Windows code paths (System.IO.Ports' Windows implementation,
# SerialPortLink's Windows read, COM port names, Get-Stm32Port from the registry) run under Wine
# 8 (Debian's wine64), in PowerShell 7.6.9 hosted by a self-contained win-x64 program
# (tests/windows/host), against simulated chips served on Linux pseudo-terminals that Wine maps to
# COM ports.
#
#   tests/windows/run.sh [results-dir]     (build the module first: dotnet pwsh ./build.ps1)
#   STM32_LANE_FILTER='*Stop*' tests/windows/run.sh     (only the tests whose names match)
#
# Writes <results-dir>/windows-counts.json ({Passed, Failed, Skipped}; default out/TestResults)
# and ends with "windows lane: N passed, N failed, N skipped". Without wine64 or gcc every test
# reports skipped (never passed). build.ps1 -Task Test runs this and adds the counts to its line.
#
# Known traps, each handled below:
#  - /usr/lib/wine/wine64, not wine (which wants the 32-bit wine32 package).
#  - WINEDLLOVERRIDES=mscoree= breaks every .NET program (System.Runtime fails to load);
#    mshtml=;winedbg.exe=d only skips the Gecko prompt and the debugger.
#  - .NET's W^X double mapping crashes now and then under Wine ("Internal CLR error
#    0x80131506" in a finalizer): DOTNET_EnableWriteXorExecute=0.
#  - Wine asks a COM port's device for its modem lines (TIOCMGET), which a pty refuses, so
#    SerialPort.Open fails with "Request not supported": ptymodem.c (LD_PRELOAD) answers them.
#  - COM ports are mapped in HKLM\Software\Wine\Ports, then wineserver -k (a bare dosdevices
#    symlink opens but GetPortNames does not list it).
#  - A pty carries no parity: the tests use -Parity None.
#  - Wine lets two processes open one COM port, so PortBusy between processes cannot be shown.
set -uo pipefail
started=$SECONDS
root=$(cd "$(dirname "$0")/../.." && pwd)
lane=$root/tests/windows
out=$root/out/windows
results=${1:-$root/out/TestResults}
mkdir -p "$out" "$results"
results=$(cd "$results" && pwd)
counts=$results/windows-counts.json
rm -f "$counts" "$results/wine-write64k.txt" "$results/windows-bench.txt"
pester=${STM32_PESTER:-$HOME/.nuget/packages/pester/5.7.1/tools/Pester.psd1}
module=$root/out/Stm32/Stm32.psd1
wine=${STM32_WINE64:-/usr/lib/wine/wine64}   # Debian wine64; another install can be named here
wineserver=$(dirname "$wine")/wineserver
if [ -n "${STM32_PWSH:-}" ]; then pwsh=("$STM32_PWSH"); else pwsh=(dotnet pwsh); fi

say() { echo "windows lane: $*"; }
winpath() { local p=${1//\//\\}; echo "Z:$p"; }
finish() {
  if [ -f "$counts" ]; then
    count() { grep -o "\"$1\": *[0-9]*" "$counts" | grep -o '[0-9]*$'; }
    p=$(count Passed); f=$(count Failed); s=$(count Skipped)
  else
    p=0; f=1; s=0; echo '{ "Passed": 0, "Failed": 1, "Skipped": 0 }' > "$counts"
    say "the tests produced no results: counted as one failure"
  fi
  say "wall time $((SECONDS - started)) s"
  say "$p passed, $f failed, $s skipped"
  exit 0
}
# Every test reports skipped, with the reason: the lane's Pester file under Linux PowerShell.
skip_all() {
  say "SKIPPED: $1"
  (cd "$root" && NO_COLOR=1 "${pwsh[@]}" -NoProfile -NonInteractive -File "$lane/Invoke-Lane.ps1" -PesterPath "$pester" -ResultsDir "$results" >/dev/null)
  finish
}

[ -f "$module" ] || { say "out/Stm32 is not built (dotnet pwsh ./build.ps1)"; finish; }
[ -x "$wine" ] || skip_all "wine64 is not installed (Debian: apt-get install wine64)"
command -v gcc >/dev/null || skip_all "gcc is not installed (needed for the pty modem-line shim)"

# 1. The LD_PRELOAD shim.
gcc -shared -fPIC -O2 -Wall -o "$out/ptymodem.so" "$lane/ptymodem.c" -ldl || { say "the shim did not build"; finish; }

# 2. The Windows host, published once per change of its sources or pinned versions (cached in out/windows/host).
stamp=$(cat "$lane/host/Program.cs" "$lane/host/Stm32WinHost.csproj" "$root/Directory.Packages.props" "$root/Directory.Build.props" "$root/global.json" | sha256sum | cut -c1-16)
if [ "$(cat "$out/host/.stamp" 2>/dev/null)" != "$stamp" ]; then
  say "publishing the win-x64 PowerShell host (Microsoft.PowerShell.SDK 7.6.9, self-contained)"
  t=$SECONDS
  rm -rf "$out/host"
  if ! dotnet publish "$lane/host/Stm32WinHost.csproj" -c Release -o "$out/host" --nologo -v quiet; then
    say "the host did not publish"; finish
  fi
  echo "$stamp" > "$out/host/.stamp"
  say "host published in $((SECONDS - t)) s"
fi

# 3. A fresh Wine prefix, outside the repository: its dosdevices/z: links to / and anything that
#    walks out/ (module discovery on PSModulePath, a recursive listing) would walk the whole disk.
rm -rf "$out/prefix"
prefix=$(mktemp -d "${TMPDIR:-/tmp}/stm32-wine.XXXXXX")
export WINEPREFIX=$prefix WINEDEBUG=-all WINEDLLOVERRIDES='mshtml=;winedbg.exe=d' DOTNET_EnableWriteXorExecute=0
"$wineserver" -k 2>/dev/null
rm -rf "$WINEPREFIX"
t=$SECONDS
"$wine" wineboot -i >/dev/null 2>&1
"$wineserver" -k; "$wineserver" -w
say "fresh prefix in $((SECONDS - t)) s"

# 4. Simulated chips on ptys (Linux side), mapped to COM ports.
state=$out/state
rm -rf "$state"; mkdir -p "$state"
(cd "$root" && exec env NO_COLOR=1 "${pwsh[@]}" -NoProfile -NonInteractive -File "$lane/Fixtures.ps1" -ModulePath "$module" -StateFile "$state/ports.json") > "$state/fixtures.log" 2>&1 &
fixtures=$!
cleanup() {
  rm -f "$state/ports.json"
  sleep 0.5
  kill "$fixtures" 2>/dev/null
  "$wineserver" -k 2>/dev/null
  rm -rf "$prefix"
}
trap cleanup EXIT
trap 'exit 143' INT TERM
for _ in $(seq 1 300); do [ -f "$state/ports.json" ] && break; kill -0 "$fixtures" 2>/dev/null || break; sleep 0.2; done
if [ ! -f "$state/ports.json" ]; then cat "$state/fixtures.log"; say "the simulated chips did not start"; finish; fi
"$wine" regedit /S "$(winpath "$state/ports.reg")" >/dev/null 2>&1
"$wineserver" -k; "$wineserver" -w
# A server started now reads the mapping; its own output (a dump of its objects if it is killed
# with clients left) goes to a log, not into the lane's.
"$wineserver" -p5 > "$state/wineserver.log" 2>&1
say "$(grep -o 'COM[0-9]*=[^ ]*' "$state/fixtures.log" | tr '\n' ' ')"
say "note: Wine lets two processes open one COM port, so PortBusy between processes is not tested here (reported skipped)"

# 5. The tests, under the Windows host.
t=$SECONDS
STM32_MODULE_PATH=$(winpath "$module") STM32_LANE_STATE=$(winpath "$state/ports.json") STM32_LANE_RESULTS=$(winpath "$results") \
  LD_PRELOAD=$out/ptymodem.so timeout 600 "$wine" "$out/host/Stm32WinHost.exe" -File "$(winpath "$lane/Invoke-Lane.ps1")" \
  -PesterPath "$(winpath "$pester")" -ResultsDir "$(winpath "$results")" ${STM32_LANE_FILTER:+-Filter "$STM32_LANE_FILTER"} \
  2> >(grep -v 'FS volume label' >&2)
say "tests ran in $((SECONDS - t)) s"

# 6. The same dense 64 KiB write + verify on Linux, against a chip served the same way, in this run.
if [ -f "$results/wine-write64k.txt" ]; then
  (cd "$root" && NO_COLOR=1 "${pwsh[@]}" -NoProfile -NonInteractive -Command "
    Import-Module '$module'; \$b = [byte[]]::new(65536); [Random]::new(64).NextBytes(\$b)
    \$s = Connect-Stm32 '$(cat "$state/linux-pty")' -Parity None
    \$r = [Stm32.Protocol.Firmware.FirmwareImage]::FromBytes(0x08000000, \$b) | Write-Stm32Firmware -Session \$s -Verify
    \$wine = [double]::Parse((Get-Content '$results/wine-write64k.txt'), [cultureinfo]::InvariantCulture)
    if (\$r.Verified) { 'windows lane: dense 64 KiB write + verify at 115200 baud: Wine {0:0.00} s, Linux {1:0.00} s, Wine/Linux {2:0.00}x' -f \$wine, \$r.Duration.TotalSeconds, (\$wine / \$r.Duration.TotalSeconds) }") | tee "$results/windows-bench.txt"
fi
finish
