#Requires -Version 7.4
<#
.SYNOPSIS
    The Linux side of the Windows lane: serves simulated chips on pseudo-terminals for the COM
    ports Wine maps, until the lane deletes the state file (or this process is killed).
.DESCRIPTION
    Writes -StateFile (JSON: COM name -> pty path, and what each port is for), ports.reg (the
    HKLM\Software\Wine\Ports mapping) and linux-pty beside it once every port is served, then
    waits. The ports:
      COM12  an STM32F103 (0x410), realistic timing: the happy path, port-name forms, -WhatIf
      COM13  a pty nobody answers on (Connect-Stm32 must give up with BootloaderNoResponse)
      COM14  an STM32F103 for the reconnect from a new process (fresh, so the first process finds it unsynchronised)
      COM15  an STM32F103 behind a link that loses one byte the chip sends, once the host has sent
             -DropAfter bytes (a write is then under way); the loss is recorded in <state dir>/dropped-COM15
      COM16  an STM32F103 for Ctrl+C in the middle of a write
      linux  an STM32F103 for the same 64 KiB write on Linux (the Wine/Linux ratio), no COM name
    Realistic timing charges each byte 11 bit times at 115200 baud, as a wire would.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $StateFile,
    [int] $DropAfter = 1500
)
$ErrorActionPreference = 'Stop'
Import-Module (Resolve-Path -LiteralPath $ModulePath).ProviderPath
$protocol = [Stm32.Protocol.Transport.IByteLink].Assembly

Add-Type -ReferencedAssemblies $protocol.Location, 'netstandard', 'System.Threading' -TypeDefinition @'
using System;
using System.IO;
using System.Threading;
using Stm32.Protocol.Transport;

namespace Stm32Lane
{
    /// <summary>
    /// A chip's end of a pseudo-terminal that loses one byte the chip sends, the first one after
    /// the host has sent DropAfter bytes, and then records it in MarkerFile.
    /// </summary>
    public sealed class DropOnceLink : IByteLink
    {
        private readonly IByteLink _inner;
        private long _received;
        private int _dropped;

        public DropOnceLink(IByteLink inner, long dropAfter, string markerFile)
        {
            _inner = inner;
            DropAfter = dropAfter;
            MarkerFile = markerFile;
        }

        public long DropAfter { get; }
        public string MarkerFile { get; }
        public string Name => _inner.Name;
        public int BaudRate => _inner.BaudRate;
        public bool SupportsModemLines => _inner.SupportsModemLines;
        public void SetModemLine(ModemLine line, bool asserted) => _inner.SetModemLine(line, asserted);
        public void DiscardInput() => _inner.DiscardInput();
        public void Dispose() => _inner.Dispose();

        public int Read(byte[] buffer, int offset, int count, TimeSpan timeout, CancellationToken cancellationToken)
        {
            var n = _inner.Read(buffer, offset, count, timeout, cancellationToken);
            Interlocked.Add(ref _received, n);
            return n;
        }

        public void Write(byte[] buffer, int offset, int count)
        {
            if (count > 0 && Interlocked.Read(ref _received) >= DropAfter && Interlocked.CompareExchange(ref _dropped, 1, 0) == 0)
            {
                File.WriteAllText(MarkerFile, string.Format("dropped 0x{0:X2} after {1} bytes from the host\n", buffer[offset], Interlocked.Read(ref _received)));
                offset++;
                count--;
            }
            if (count > 0) _inner.Write(buffer, offset, count);
        }
    }
}
'@

$stateDir = Split-Path -Parent $StateFile
$hosts = [System.Collections.Generic.List[object]]::new()
$ptys = [System.Collections.Generic.List[object]]::new()
$chips = [System.Collections.Generic.List[object]]::new()
$f103 = [Stm32.Protocol.Devices.DeviceCatalog]::Find(0x410)
function New-Chip {
    $options = [Stm32.Protocol.Simulation.SimulatorOptions]::new()
    $options.Timing = 'Realistic'
    $chip = [Stm32.Protocol.Simulation.SimulatedChip]::new($f103, $options)
    $chips.Add($chip)
    $chip
}
function Serve([string] $What) {
    $h = [Stm32.Protocol.Simulation.SimulatorHost]::OnPseudoTerminal((New-Chip), 115200)
    $hosts.Add($h)
    [pscustomobject]@{ Pty = $h.Endpoint; Role = $What }
}

try {
    $ports = [ordered]@{}
    $ports.COM12 = Serve 'main'
    $silent = [Stm32.Protocol.Transport.PseudoTerminalLink]::new(115200)
    $ptys.Add($silent)
    $ports.COM13 = [pscustomobject]@{ Pty = $silent.SlavePath; Role = 'silent' }
    $ports.COM14 = Serve 'reconnect'
    $lossy = [Stm32.Protocol.Transport.PseudoTerminalLink]::new(115200)
    $ptys.Add($lossy)
    $marker = Join-Path $stateDir 'dropped-COM15'
    Remove-Item -LiteralPath $marker -ErrorAction Ignore
    (New-Chip).Attach([Stm32Lane.DropOnceLink]::new($lossy, $DropAfter, $marker))
    $ports.COM15 = [pscustomobject]@{ Pty = $lossy.SlavePath; Role = 'drop'; Marker = $marker }
    $ports.COM16 = Serve 'stop'
    $ports.linux = Serve 'linux'

    # For run.sh: the registry file that maps the COM ports, and the Linux chip's pty.
    $reg = @('REGEDIT4', '', '[HKEY_LOCAL_MACHINE\Software\Wine\Ports]') +
        @($ports.GetEnumerator() | Where-Object Key -like 'COM*' | ForEach-Object { '"{0}"="{1}"' -f $_.Key, $_.Value.Pty })
    Set-Content -LiteralPath (Join-Path $stateDir 'ports.reg') -Value ($reg -join "`r`n")
    Set-Content -LiteralPath (Join-Path $stateDir 'linux-pty') -Value $ports.linux.Pty -NoNewline
    $ports | ConvertTo-Json | Set-Content -LiteralPath $StateFile
    Write-Host ("fixtures: " + (($ports.GetEnumerator() | ForEach-Object { '{0}={1}' -f $_.Key, $_.Value.Pty }) -join ' '))
    while (Test-Path -LiteralPath $StateFile) { Start-Sleep -Milliseconds 200 }
}
finally {
    foreach ($h in $hosts) { $h.Dispose() }
    foreach ($c in $chips) { $c.Dispose() }
    foreach ($p in $ptys) { $p.Dispose() }
}
