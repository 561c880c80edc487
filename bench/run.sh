#!/usr/bin/env bash
# Issue 7's benchmark: our client vs stm32flash on the simulated chip (pseudo-terminal,
# realistic timing). Writes BENCHMARKS.md (its own section), bench/benchmarks.png and
# bench/results.json.   bench/run.sh [--quick] [--runs N] ...   (bench/run.sh --help)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here/.."
if ! command -v stm32flash >/dev/null; then
  echo "stm32flash is not installed (Debian/Ubuntu: apt-get install stm32flash); only our client will run." >&2
fi
dotnet build "$here/Stm32.Bench/Stm32.Bench.csproj" -c Release -nologo -v quiet -clp:ErrorsOnly
# The cmdlet row runs the built module in pwsh (the repository's local tool).
case " $* " in
  *" --no-pwsh "*|*" --help "*|*" -h "*) ;;
  *) dotnet tool restore >/dev/null && dotnet pwsh -NoProfile ./build.ps1 -Task Build >/dev/null ;;
esac
exec dotnet "$here/Stm32.Bench/bin/Release/net10.0/Stm32.Bench.dll" "$@"
