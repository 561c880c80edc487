using System;
using System.Globalization;
using System.IO.Ports;
using System.Management.Automation;
using System.Net;
using System.Runtime.InteropServices;
using Stm32.PowerShell.Infrastructure;
using Stm32.Protocol.Devices;
using Stm32.Protocol.Firmware;
using Stm32.Protocol.Simulation;
using Stm32.Protocol.Transport;

namespace Stm32.PowerShell.Commands
{
    /// <summary>
    /// Serves one simulated chip to any client (stm32flash, another PowerShell, a script) on a
    /// pseudo-terminal, a TCP port or a real serial port, until Ctrl+C or -TimeoutSec. Writes one
    /// endpoint object as soon as it serves, then keeps running: downstream commands get the
    /// object at once (Start-Stm32Simulator ... | Connect-Stm32 works), and in a thread job the
    /// first Receive-Job returns it.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Start, "Stm32Simulator", DefaultParameterSetName = PortSet)]
    [OutputType(typeof(Stm32SimulatorEndpoint))]
    public sealed class StartStm32SimulatorCommand : Stm32CmdletBase
    {
        private const string PortSet = "Port";
        private const string PtySet = "PseudoTerminal";

        #region Parameters

        /// <summary>The product ID (0x410) or catalog name of the chip to simulate.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true,
            HelpMessage = "The product ID (0x410) or catalog name of the chip to simulate.")]
        [Alias("ProductId")]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(SimulatedDeviceCompleter))]
        public string Device { get; set; } = "";

        /// <summary>tcp://127.0.0.1:port (port 0: any free one) or a serial port to serve on.</summary>
        [Parameter(Mandatory = true, Position = 1, ParameterSetName = PortSet)]
        [ValidateNotNullOrEmpty]
        public string Port { get; set; } = "";

        /// <summary>Creates a pseudo-terminal (Linux) and serves on it; the endpoint object has its path.</summary>
        [Parameter(Mandatory = true, ParameterSetName = PtySet)]
        public SwitchParameter PseudoTerminal { get; set; }

        [Parameter]
        public SimulatorTiming Timing { get; set; } = SimulatorTiming.Realistic;

        /// <summary>The line rate: realistic timing charges 11 bit times per byte at it.</summary>
        [Parameter]
        [ValidateRange(1200, 4000000)]
        public int BaudRate { get; set; } = 115200;

        /// <summary>The bootloader version the chip reports; default the part's own.</summary>
        [Parameter]
        [ValidateSimulatorProtocol]
        [ArgumentCompleter(typeof(SimulatorProtocolCompleter))]
        public string? Protocol { get; set; }

        /// <summary>A firmware file (bin, hex, srec, elf) to start with in flash (or RAM).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? Image { get; set; }

        /// <summary>Stop serving after this many seconds (0: until Ctrl+C or Stop-Job).</summary>
        [Parameter]
        [ValidateRange(0, int.MaxValue)]
        public int TimeoutSec { get; set; }

        /// <summary>
        /// TCP: drop a client that sends nothing for this many seconds while the chip waits for it,
        /// so the next can be served (0: never). One client is served at a time; others are told
        /// it is busy (their connection is closed at once).
        /// </summary>
        [Parameter(ParameterSetName = PortSet)]
        [ValidateRange(0, int.MaxValue)]
        public int IdleTimeoutSec { get; set; } = (int)SimulatorHost.DefaultIdleTimeout.TotalSeconds;

        /// <summary>Parity on a real serial port (the bootloader's 8E1 by default); ignored elsewhere.</summary>
        [Parameter(ParameterSetName = PortSet)]
        [ValidateSet("Even", "None", "Odd")]
        public Parity Parity { get; set; } = Parity.Even;

        #endregion

        protected override void EndProcessing()
        {
            DeviceInfo device;
            try
            {
                device = LinkFactory.SimulatedDevice(Device.Trim());
            }
            catch (ModuleException e)
            {
                ThrowTerminatingError(ErrorFor(e, Device));
                return;
            }
            byte? version = LinkFactory.TryParseProtocol(Protocol, out var v) ? v : (byte?)null;

            SimulatedChip? chip = null;
            SimulatorHost? host = null;
            SerialPortLink? serial = null;
            try
            {
                chip = new SimulatedChip(device, new SimulatorOptions { Timing = Timing, BootloaderVersion = version });
                if (Image != null) LoadImage(chip, device);

                string endpoint, kind, line;
                if (PseudoTerminal)
                {
                    if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux))
                        throw new ModuleException(ErrorIds.InvalidArgument, ErrorCategory.InvalidArgument,
                            "-PseudoTerminal needs Linux. Serve on TCP instead: -Port tcp://127.0.0.1:0.");
                    host = SimulatorHost.OnPseudoTerminal(chip, BaudRate);
                    (endpoint, kind, line) = (host.Endpoint, "PseudoTerminal", "8N1 (a pseudo-terminal carries no parity: stm32flash -m 8n1, Connect-Stm32 -Parity None)");
                }
                else if (LinkFactory.IsTcp(Port))
                {
                    var (hostName, number) = LinkFactory.ParseTcpForServing(Port);
                    IPAddress address;
                    if (string.Equals(hostName, "localhost", StringComparison.OrdinalIgnoreCase)) address = IPAddress.Loopback;
                    else if (!IPAddress.TryParse(hostName, out address!))
                        throw new ModuleException(ErrorIds.InvalidPortName, ErrorCategory.InvalidArgument,
                            $"'{Port}': serve on an IP address of this machine, e.g. tcp://127.0.0.1:0 (0 picks a free port) or tcp://0.0.0.0:3333.");
                    host = SimulatorHost.OnTcp(chip, address, number, BaudRate, TimeSpan.FromSeconds(IdleTimeoutSec));
                    (endpoint, kind, line) = (host.Endpoint, "Tcp", "a raw byte stream (line settings are the server's business)");
                    WriteVerbose(IdleTimeoutSec > 0
                        ? $"One TCP client at a time; others are turned away as busy, and a client that sends nothing for {IdleTimeoutSec} s is dropped."
                        : "One TCP client at a time; others are turned away as busy. Idle clients are never dropped (-IdleTimeoutSec 0).");
                }
                else if (LinkFactory.IsSimulated(Port))
                {
                    throw new ModuleException(ErrorIds.InvalidPortName, ErrorCategory.InvalidArgument,
                        $"'{Port}' is already a simulated chip: serve on a pseudo-terminal (-PseudoTerminal), tcp://127.0.0.1:0 or a serial port.");
                }
                else
                {
                    serial = SerialPortLink.Open(Port, BaudRate, Parity);
                    chip.Attach(serial);
                    (endpoint, kind, line) = (Port, "SerialPort", "8" + (Parity == Parity.Even ? "E" : Parity == Parity.Odd ? "O" : "N") + "1");
                }

                WriteVerbose($"Serving a simulated {device.Name} ({device.ProductIdHex}, bootloader {chip.BootloaderVersion >> 4}.{chip.BootloaderVersion & 0xF}, {Timing} timing) on {endpoint}"
                    + (TimeoutSec > 0 ? $" for {TimeoutSec} s." : " until Ctrl+C."));
                WriteObject(new Stm32SimulatorEndpoint(endpoint, kind, device.Name, device.ProductId,
                    string.Format(CultureInfo.InvariantCulture, "{0}.{1}", chip.BootloaderVersion >> 4, chip.BootloaderVersion & 0xF),
                    Timing.ToString(), BaudRate, line)
                {
                    Parity = kind == "PseudoTerminal" ? Parity.None : kind == "SerialPort" ? Parity : Parity.Even,
                });

                var waited = TimeoutSec > 0 ? CancelToken.WaitHandle.WaitOne(TimeSpan.FromSeconds(TimeoutSec)) : CancelToken.WaitHandle.WaitOne();
                WriteVerboseSafe(waited ? "Stopped." : $"{TimeoutSec} s are over: the simulator stops.");
            }
            catch (PipelineStoppedException)
            {
                throw;
            }
            catch (Exception e) when (e is System.Net.Sockets.SocketException || e is PlatformNotSupportedException)
            {
                WriteError(Error(e, ErrorIds.SimulatorFailed, ErrorCategory.OpenError, Port, $"Cannot serve the simulator on '{Port}': {e.Message}"));
            }
            catch (Exception e) when (IsMappable(e))
            {
                WriteError(ErrorFor(e, string.IsNullOrEmpty(Port) ? (object)Device : Port));
            }
            finally
            {
                host?.Dispose();
                chip?.Dispose();
                serial?.Dispose();
            }
        }

        private void WriteVerboseSafe(string text)
        {
            if (IsStopping) return; // writing while the pipeline stops throws
            WriteVerbose(text);
        }

        private void LoadImage(SimulatedChip chip, DeviceInfo device)
        {
            // As the flashing cmdlets read a firmware file: FileNotFound for one that is missing or cannot be read.
            var path = FirmwareFiles.ResolveOne(this, Image!, literal: true);
            var image = FirmwareFiles.Read(path, FirmwareFormat.Auto, device.Flash.Start);
            foreach (var segment in image.Segments)
            {
                try
                {
                    chip.Poke(segment.Address, segment.ToArray());
                }
                catch (ArgumentOutOfRangeException e)
                {
                    throw new ModuleException(ErrorIds.ImageOutOfRange, ErrorCategory.InvalidData,
                        $"The image '{Image}' has data at 0x{segment.Address:X8} (+{segment.Length} bytes), outside one memory region of {device.Name}.", null, e);
                }
            }
            WriteVerbose($"Loaded {image.DataBytes} bytes from {Image}.");
        }
    }
}
