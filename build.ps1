#Requires -Version 7.4
<#
.SYNOPSIS
    Builds, tests and demonstrates the Stm32 module.
.DESCRIPTION
    Build  publishes the importable module to out/Stm32 (manifest, format file, help, assemblies).
    Test   builds, runs the xunit tests of Stm32.Protocol, the Pester tests of the module (in a
           child pwsh, against out/Stm32) and the Windows lane (tests/windows/run.sh: under Wine when
           wine64 is installed, else reported skipped), and ends with one line
           "N passed, N failed, N skipped" that counts all three.
    Demo   builds and runs demo/Demo.ps1 against a simulated chip.
    Package builds and writes out/Stm32.<version>.nupkg (Compress-PSResource), which Install-PSResource
           and Save-PSResource install from a local folder repository.
    Clean  removes out/ and the bin/obj folders.
.EXAMPLE
    dotnet tool restore && dotnet pwsh ./build.ps1 -Task Test
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Demo', 'Package', 'Clean')]
    [string] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release'
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$root = $PSScriptRoot
$out = Join-Path $root 'out'
$moduleDir = Join-Path $out 'Stm32'
$resultsDir = Join-Path $out 'TestResults'
$pesterVersion = '5.7.1'

function Invoke-Native([string] $What, [scriptblock] $Command) {
    & $Command
    if ($LASTEXITCODE -ne 0) { throw "$What failed (exit code $LASTEXITCODE)." }
}

function Invoke-Build {
    Write-Host "== Build ($Configuration) -> $moduleDir"
    if (Test-Path $moduleDir) { Remove-Item $moduleDir -Recurse -Force }
    # publish, not build: the PowerShellStandard reference assembly is not copied (notes 4.8).
    Invoke-Native 'dotnet publish' { dotnet publish (Join-Path $root 'src/Stm32.PowerShell') -c $Configuration -o $moduleDir --nologo -v quiet }
    Copy-Item (Join-Path $root 'Stm32.psd1'), (Join-Path $root 'Stm32.format.ps1xml') $moduleDir
    Copy-Item (Join-Path $root 'en-US') $moduleDir -Recurse
    # pwsh brings its own System.Management.Automation; a copy beside the module would clash.
    # System.IO.Ports.dll from publish is the netstandard2.0 stub, whose every member throws
    # PlatformNotSupportedException: PowerShell 7.6.9 (the manifest's minimum) has the real
    # System.IO.Ports 10.0.14 for its platform in $PSHOME, so the module ships none.
    foreach ($hostAssembly in 'System.Management.Automation.dll', 'System.IO.Ports.dll') {
        Get-ChildItem $moduleDir -Filter $hostAssembly -Recurse | Remove-Item -Force
    }
    # *.pdb and *.deps.json stay for diagnostics.
}

function Get-TrxCounts([string] $Path) {
    # Counted from the results themselves: the summary's notExecuted counter stays 0 for tests
    # xunit skips (they are in total but not in executed), which undercounted skips.
    [xml] $trx = Get-Content -LiteralPath $Path -Raw
    $outcomes = @($trx.TestRun.Results.ChildNodes | Where-Object LocalName -eq 'UnitTestResult' | ForEach-Object outcome)
    $c = $trx.TestRun.ResultSummary.Counters
    [pscustomobject]@{
        Passed  = @($outcomes | Where-Object { $_ -eq 'Passed' }).Count
        Failed  = [Math]::Max(@($outcomes | Where-Object { $_ -in 'Failed', 'Error', 'Timeout', 'Aborted' }).Count,
            [int] $c.failed + [int] $c.error + [int] $c.timeout + [int] $c.aborted)
        Skipped = @($outcomes | Where-Object { $_ -in 'NotExecuted', 'Inconclusive', 'Skipped' }).Count
    }
}

# The {Passed, Failed, Skipped} a test runner wrote to $Path, shown on one line; a runner that
# wrote nothing counts as one failure.
function Read-Counts([string] $What, [string] $Path, [string] $Why) {
    if (-not (Test-Path $Path)) {
        Write-Host "$What produced no results ($Why): counted as one failure."
        return [pscustomobject]@{ Passed = 0; Failed = 1; Skipped = 0 }
    }
    $c = Get-Content -LiteralPath $Path -Raw | ConvertFrom-Json
    Write-Host ("{0}: {1} passed, {2} failed, {3} skipped" -f $What, $c.Passed, $c.Failed, $c.Skipped)
    $c
}

function Invoke-Test {
    $passed = 0; $failed = 0; $skipped = 0
    try {
        Invoke-Build
    }
    catch {
        Write-Host "Build failed: $_"
        Write-Host '0 passed, 1 failed'
        exit 1
    }
    if (Test-Path $resultsDir) { Remove-Item $resultsDir -Recurse -Force }
    New-Item -ItemType Directory $resultsDir -Force | Out-Null

    $pester = Join-Path ([Environment]::GetFolderPath('UserProfile')) ".nuget/packages/pester/$pesterVersion/tools/Pester.psd1"
    if ($env:NUGET_PACKAGES) { $pester = Join-Path $env:NUGET_PACKAGES "pester/$pesterVersion/tools/Pester.psd1" }
    if (-not (Test-Path $pester)) {
        Invoke-Native 'dotnet restore tools/pester.csproj' { dotnet restore (Join-Path $root 'tools/pester.csproj') --nologo -v quiet }
    }

    # The Windows lane (tests/windows/run.sh: the module's Windows paths under Wine) runs in the
    # background beside xunit and Pester: it is mostly Wine's own start-up and waiting, and the
    # other two leave a core idle much of the time. Where it cannot run (no wine64, not Linux) its
    # tests report skipped, never passed.
    $laneCounts = Join-Path $resultsDir 'windows-counts.json'
    $laneLog = Join-Path $resultsDir 'windows-lane.log'
    $env:STM32_PESTER = $pester
    $env:STM32_PWSH = Join-Path $PSHOME 'pwsh'
    $lane = $null
    if ($IsLinux -and (Get-Command bash -ErrorAction Ignore)) {
        $lane = Start-Process -FilePath bash -ArgumentList (Join-Path $root 'tests/windows/run.sh'), $resultsDir `
            -RedirectStandardOutput $laneLog -RedirectStandardError "$laneLog.err" -PassThru -NoNewWindow
    }

    Write-Host '== xunit: tests/Stm32.Protocol.Tests'
    $trx = Join-Path $resultsDir 'protocol.trx'
    dotnet test (Join-Path $root 'tests/Stm32.Protocol.Tests') -c $Configuration --nologo `
        --logger 'trx;LogFileName=protocol.trx' --logger 'console;verbosity=minimal' --results-directory $resultsDir
    $xunitExit = $LASTEXITCODE
    if (Test-Path $trx) {
        $x = Get-TrxCounts $trx
        $passed += $x.Passed; $failed += $x.Failed; $skipped += $x.Skipped
        Write-Host ("xunit: {0} passed, {1} failed, {2} skipped" -f $x.Passed, $x.Failed, $x.Skipped)
        if ($xunitExit -ne 0 -and $x.Failed -eq 0) { $failed += 1; Write-Host "xunit exited with $xunitExit" }
    }
    else {
        Write-Host "xunit produced no results (exit code $xunitExit): counted as one failure."
        $failed += 1
    }

    Write-Host "== Pester $pesterVersion (child pwsh): tests/Stm32.Tests"
    $pesterXml = Join-Path $resultsDir 'pester.xml'
    $pesterJson = Join-Path $resultsDir 'pester-counts.json'
    $script = @"
`$ErrorActionPreference = 'Stop'
Import-Module '$pester' -Force
`$c = New-PesterConfiguration
`$c.Run.Path = '$(Join-Path $root 'tests/Stm32.Tests')'
`$c.Run.PassThru = `$true
`$c.Output.Verbosity = 'Normal'
`$c.TestResult.Enabled = `$true
`$c.TestResult.OutputFormat = 'NUnitXml'
`$c.TestResult.OutputPath = '$pesterXml'
`$r = Invoke-Pester -Configuration `$c
@{ Passed = `$r.PassedCount; Failed = `$r.FailedCount + `$r.FailedBlocksCount + `$r.FailedContainersCount; Skipped = `$r.SkippedCount + `$r.NotRunCount } |
    ConvertTo-Json | Set-Content -LiteralPath '$pesterJson'
"@
    $env:NO_COLOR = '1'
    $env:STM32_MODULE_PATH = Join-Path $moduleDir 'Stm32.psd1'
    & (Join-Path $PSHOME 'pwsh') -NoProfile -NonInteractive -Command $script
    $p = Read-Counts 'Pester' $pesterJson "exit code $LASTEXITCODE"
    $passed += $p.Passed; $failed += $p.Failed; $skipped += $p.Skipped

    # The Windows lane's results, once it has finished (it ran beside xunit and Pester).
    Write-Host '== Windows lane: tests/windows'
    if ($lane) {
        $lane.WaitForExit()
        Get-Content -LiteralPath $laneLog, "$laneLog.err" -ErrorAction Ignore | Write-Host
        $laneExit = $lane.ExitCode
    }
    else {
        Write-Host 'windows lane: SKIPPED: it runs under Wine on Linux (tests/windows/run.sh)'
        & (Join-Path $PSHOME 'pwsh') -NoProfile -NonInteractive -File (Join-Path $root 'tests/windows/Invoke-Lane.ps1') -PesterPath $pester -ResultsDir $resultsDir | Out-Null
        $laneExit = $LASTEXITCODE
    }
    $w = Read-Counts 'Windows lane' $laneCounts "exit code $laneExit"
    $passed += $w.Passed; $failed += $w.Failed; $skipped += $w.Skipped

    Write-Host ("{0} passed, {1} failed, {2} skipped" -f $passed, $failed, $skipped)
    exit ([int]($failed -gt 0))
}

function Invoke-Demo {
    Invoke-Build
    Write-Host '== Demo: demo/Demo.ps1'
    $env:STM32_MODULE_PATH = Join-Path $moduleDir 'Stm32.psd1'
    & (Join-Path $PSHOME 'pwsh') -NoProfile -File (Join-Path $root 'demo/Demo.ps1')
    if ($LASTEXITCODE -ne 0) { throw "The demo failed (exit code $LASTEXITCODE)." }
}

function Invoke-Package {
    Invoke-Build
    # ELF import needs ELFSharp beside Stm32.Protocol.dll; a package without it would fail only at run time.
    foreach ($f in 'Stm32.PowerShell.dll', 'Stm32.Protocol.dll', 'ELFSharp.dll', 'Stm32.psd1', 'Stm32.format.ps1xml', 'en-US/Stm32.PowerShell.dll-Help.xml') {
        if (-not (Test-Path (Join-Path $moduleDir $f))) { throw "out/Stm32 lacks $f; the package would be broken." }
    }
    $version = (Import-PowerShellDataFile (Join-Path $moduleDir 'Stm32.psd1')).ModuleVersion
    $nupkg = Join-Path $out "Stm32.$version.nupkg"
    if (Test-Path $nupkg) { Remove-Item $nupkg -Force }
    Import-Module Microsoft.PowerShell.PSResourceGet -ErrorAction Stop
    Compress-PSResource -Path $moduleDir -DestinationPath $out
    if (-not (Test-Path $nupkg)) { throw "Compress-PSResource did not write $nupkg." }
    Write-Host "== Package -> $nupkg"
    Write-Host "   Install it: Register-PSResourceRepository -Name local -Uri $out -Trusted; Install-PSResource Stm32 -Repository local"
}

function Invoke-Clean {
    if (Test-Path $out) { Remove-Item $out -Recurse -Force }
    Get-ChildItem $root -Directory -Recurse -Include 'bin', 'obj' |
        Where-Object { $_.FullName -notmatch '[\\/]\.git[\\/]' } |
        Remove-Item -Recurse -Force
}

switch ($Task) {
    'Build' { Invoke-Build }
    'Test' { Invoke-Test }
    'Demo' { Invoke-Demo }
    'Package' { Invoke-Package }
    'Clean' { Invoke-Clean }
}
