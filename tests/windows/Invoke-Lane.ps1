<#
.SYNOPSIS
    Runs the Windows lane's Pester file (Windows.Tests.ps1) and writes its counts to
    <ResultsDir>/windows-counts.json ({Passed, Failed, Skipped}). Under the lane's Windows host
    the tests run; under any other PowerShell they all report skipped.
#>
param(
    [Parameter(Mandatory)] [string] $PesterPath,
    [Parameter(Mandatory)] [string] $ResultsDir,
    # Only the tests whose names match (a wildcard pattern), for a quicker loop by hand.
    [string] $Filter
)
$ErrorActionPreference = 'Stop'
Import-Module $PesterPath -Force
$c = New-PesterConfiguration
$c.Run.Path = Join-Path $PSScriptRoot 'Windows.Tests.ps1'
$c.Run.PassThru = $true
if ($Filter) { $c.Filter.FullName = $Filter }
$c.Output.Verbosity = 'Detailed'
$c.TestResult.Enabled = $true
$c.TestResult.OutputFormat = 'NUnitXml'
$c.TestResult.OutputPath = Join-Path $ResultsDir 'windows.xml'
$r = Invoke-Pester -Configuration $c
@{ Passed = $r.PassedCount; Failed = $r.FailedCount + $r.FailedBlocksCount + $r.FailedContainersCount; Skipped = $r.SkippedCount + $r.NotRunCount } |
    ConvertTo-Json | Set-Content -LiteralPath (Join-Path $ResultsDir 'windows-counts.json')
