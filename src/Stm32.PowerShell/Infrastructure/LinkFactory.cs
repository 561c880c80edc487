using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO.Ports;
using System.Linq;
using System.Management.Automation;
using System.Runtime.InteropServices;
using Stm32.Protocol.Devices;
using Stm32.Protocol.Simulation;
using Stm32.Protocol.Transport;

namespace Stm32.PowerShell.Infrastructure
{
    /// <summary>How to open a link: the line settings Connect-Stm32 was given.</summary>
    internal sealed class LinkSettings
    {
        public int BaudRate { get; set; } = 115200;
        public Parity Parity { get; set; } = Parity.Even;
    }

    /// <summary>
    /// A link opened for a session, with what must happen when it closes: release the port's
    /// reservation and, for a simulated chip, detach it (the chip itself lives on in the runspace).
    /// </summary>
    internal sealed class OpenedLink : IDisposable
    {
        private Action? _onClose;

        public OpenedLink(IByteLink link, string reservationKey, Action? onClose)
        {
            Link = link;
            ReservationKey = reservationKey;
            _onClose = onClose;
        }

        public IByteLink Link { get; }

        public string ReservationKey { get; }

        public void Dispose()
        {
            var onClose = System.Threading.Interlocked.Exchange(ref _onClose, null);
            try
            {
                Link.Dispose();
                onClose?.Invoke();
            }
            finally
            {
                PortReservations.Release(ReservationKey);
            }
        }
    }

    /// <summary>What a sim:// port name asks for.</summary>
    internal sealed class SimPortName
    {
        public SimPortName(DeviceInfo device, SimulatorTiming timing, byte? bootloaderVersion, bool inBootloader, int? readProtection,
            ModemWiring? wiring = null)
        {
            Wiring = wiring;
            Device = device;
            Timing = timing;
            BootloaderVersion = bootloaderVersion;
            InBootloader = inBootloader;
            ReadProtection = readProtection;
        }

        /// <summary>?wiring=: how the chip's RESET and BOOT0 hang on the session's DTR/RTS (null for wiring=none).</summary>
        public ModemWiring? Wiring { get; }

        /// <summary>?rdp=0|1|2: program the chip's read-protection level (it stays, as option bytes do); null leaves it.</summary>
        public int? ReadProtection { get; }

        public DeviceInfo Device { get; }

        public SimulatorTiming Timing { get; }

        public byte? BootloaderVersion { get; }

        /// <summary>False for ?boot0=0: BOOT0 low at reset, so the chip runs its application and never answers the bootloader's sync.</summary>
        public bool InBootloader { get; }

        /// <summary>The chip's identity in the runspace's registry: device plus bootloader version (timing is not part of it).</summary>
        public string ChipKey => BootloaderVersion.HasValue
            ? string.Format(CultureInfo.InvariantCulture, "{0}@{1}.{2}", Device.ProductIdHex, BootloaderVersion.Value >> 4, BootloaderVersion.Value & 0xF)
            : Device.ProductIdHex;
    }

    /// <summary>
    /// Turns a port name into a link. "sim://&lt;PID or name&gt;[?timing=instant|realistic&amp;protocol=2.2|3.1|3.3|4.0&amp;boot0=1|0&amp;rdp=0|1|2]"
    /// gives an in-memory pair with the runspace's simulated chip on the device end (its RESET and
    /// BOOT0 on the pair's DTR/RTS, see &amp;wiring=); "tcp://host:port" a raw TCP stream to a serial
    /// server; anything else is a serial port. One session per port: a port an open session holds is refused (PortInUse).
    /// </summary>
    internal static class LinkFactory
    {
        public const string SimScheme = "sim://";

        private static readonly Dictionary<string, byte> ProtocolVersions = new Dictionary<string, byte>
        {
            ["2.2"] = 0x22,
            ["3.1"] = 0x31,
            ["3.3"] = 0x33,
            ["4.0"] = 0x40,
        };

        /// <summary>The bootloader versions a simulated chip can report (sim://…?protocol=, Start-Stm32Simulator -Protocol).</summary>
        public static IEnumerable<string> ProtocolVersionNames => ProtocolVersions.Keys;

        /// <summary>"3.1" → 0x31, for the versions in <see cref="ProtocolVersionNames"/>.</summary>
        public static bool TryParseProtocol(string? text, out byte version)
        {
            version = 0;
            return text != null && ProtocolVersions.TryGetValue(text.Trim(), out version);
        }

        /// <summary>
        /// The catalog row to simulate, by product ID or name. Throws ModuleException: DeviceNotFound,
        /// or DeviceLayoutUnknown for a row without a memory map. <paramref name="port"/> is the
        /// sim:// name the device came from, for the message (null: it was given on its own).
        /// </summary>
        public static DeviceInfo SimulatedDevice(string what, string? port = null)
        {
            var device = DeviceCatalog.Resolve(what);
            if (device == null)
            {
                // A line or unfinished part number (sim://STM32F103) stands for several rows: name them.
                var from = port == null ? "" : $" (from '{port}')";
                var scheme = port == null ? "" : SimScheme;
                var several = DeviceCatalog.FindByPartNumber(what);
                var example = (several.FirstOrDefault(d => !d.Flash.IsEmpty) ?? DeviceCatalog.Find(0x410))?.ProductIdHex ?? "0x410";
                throw new ModuleException(ErrorIds.DeviceNotFound, ErrorCategory.ObjectNotFound,
                    several.Count > 1
                        ? $"'{what}'{from} may be any of {several.Count} catalog rows: {string.Join(", ", several.Select(d => d.ProductIdHex + " " + d.Name + (d.Flash.IsEmpty ? " (no memory map)" : "")))}. Name one by its product ID, such as {scheme}{example}, or give the whole part number with its flash-size letter (such as STM32F103C8)."
                        : $"{DeviceCatalog.ExplainNoMatch(what)} Name a catalog row{from} by its product ID, such as {scheme}{example}; Get-Stm32Device lists the catalog.",
                    several.Count > 1 ? $"Get-Stm32Device -Name '{what}'" : Commands.GetStm32DeviceCommand.SuggestedQuery(what));
            }
            if (device.Flash.IsEmpty)
                throw new ModuleException(ErrorIds.DeviceLayoutUnknown, ErrorCategory.InvalidArgument,
                    $"The catalog knows {device} only by name: it has no memory map to simulate.");
            return device;
        }

        public static bool IsSimulated(string port) => port.StartsWith(SimScheme, StringComparison.OrdinalIgnoreCase);

        public static OpenedLink Open(ModuleState state, string port, LinkSettings settings, string holder, Action<string>? warn = null)
        {
            if (IsSimulated(port)) return OpenSimulated(state, port, ParseSim(port), settings, holder, warn);
            if (IsTcp(port)) return OpenTcp(port, settings, holder);

            // COM12, com12, \\.\COM12 and "COM12:" are one port on Windows: one reservation.
            port = SerialPortName.Normalize(port);
            var key = "serial:" + (RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? port.ToUpperInvariant() : port);
            Reserve(key, port, holder);
            try
            {
                var link = SerialPortLink.Open(port, settings.BaudRate, settings.Parity);
                return new OpenedLink(link, key, null);
            }
            catch
            {
                PortReservations.Release(key);
                throw;
            }
        }

        private static OpenedLink OpenSimulated(ModuleState state, string port, SimPortName sim, LinkSettings settings, string holder, Action<string>? warn)
        {
            var key = "sim:" + state.RunspaceId.ToString("N") + ":" + sim.ChipKey;
            Reserve(key, port, holder);
            try
            {
                var chip = state.Simulators.GetOrCreate(sim.ChipKey, sim.Device, sim.Timing, sim.BootloaderVersion, out var timing);
                if (timing != sim.Timing)
                    warn?.Invoke($"The simulated chip {SimScheme}{sim.ChipKey} was made with {timing.ToString().ToLowerInvariant()} timing and keeps it (its memory lives on); Remove-Module Stm32 and import it again for a fresh chip.");
                if (sim.ReadProtection is int level)
                {
                    try
                    {
                        chip.SetReadProtection(level);
                    }
                    catch (NotSupportedException e)
                    {
                        throw new ModuleException(ErrorIds.InvalidPortName, ErrorCategory.InvalidArgument, $"'{port}': {e.Message}", null, e);
                    }
                }
                // As on a desk: set BOOT0, press RESET, connect. Flash and RAM survive the reset.
                chip.Boot0 = sim.InBootloader;
                chip.Reset();
                var pair = new InMemoryLinkPair(port, settings.BaudRate);
                // RESET and BOOT0 hang on the host end's DTR/RTS (unless wiring=none), so boot sequences act on the chip.
                if (sim.Wiring != null) chip.Attach(pair, sim.Wiring);
                else chip.Attach(pair.Device);
                return new OpenedLink(pair.Host, key, () =>
                {
                    // Closing a port drops DTR and RTS (HUPCL): a chip held in reset comes out of it.
                    pair.Host.SetModemLine(ModemLine.Dtr, false);
                    pair.Host.SetModemLine(ModemLine.Rts, false);
                    chip.Detach();
                    chip.UnwireModemLines();
                    pair.Device.Dispose();
                });
            }
            catch
            {
                PortReservations.Release(key);
                throw;
            }
        }

        public const string TcpScheme = "tcp://";

        public static bool IsTcp(string port) => port.StartsWith(TcpScheme, StringComparison.OrdinalIgnoreCase);

        /// <summary>Parses tcp://host:port (IPv6 in brackets). Throws ModuleException (InvalidPortName).</summary>
        public static (string Host, int Port) ParseTcp(string port) => ParseTcp(port, 1);

        /// <summary>tcp://address:port to listen on; port 0 picks a free one.</summary>
        public static (string Host, int Port) ParseTcpForServing(string port) => ParseTcp(port, 0);

        private static (string Host, int Port) ParseTcp(string port, int lowest)
        {
            var rest = port.Substring(TcpScheme.Length).TrimEnd('/');
            var colon = rest.LastIndexOf(':');
            var host = colon > 0 ? rest.Substring(0, colon).Trim('[', ']') : "";
            if (host.Length == 0 || colon == rest.Length - 1
                || !int.TryParse(rest.Substring(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var number)
                || number < lowest || number > 65535)
                throw new ModuleException(ErrorIds.InvalidPortName, ErrorCategory.InvalidArgument,
                    $"'{port}' is not tcp://<host>:<port>; for example tcp://192.168.1.20:3333 (a ser2net or ESP-link serial server) or tcp://127.0.0.1:5000.");
            return (host, number);
        }

        /// <summary>A raw TCP stream to a serial server: line settings (8E1, baud) are the server's business.</summary>
        private static OpenedLink OpenTcp(string port, LinkSettings settings, string holder)
        {
            var (host, number) = ParseTcp(port);
            var key = "tcp:" + host.ToLowerInvariant() + ":" + number.ToString(CultureInfo.InvariantCulture);
            Reserve(key, port, holder);
            try
            {
                var link = TcpLink.Connect(host, number, settings.BaudRate, TimeSpan.FromSeconds(5));
                return new OpenedLink(link, key, null);
            }
            catch (System.Net.Sockets.SocketException e)
            {
                PortReservations.Release(key);
                var failure = e.SocketErrorCode == System.Net.Sockets.SocketError.HostNotFound || e.SocketErrorCode == System.Net.Sockets.SocketError.NoData
                    || e.SocketErrorCode == System.Net.Sockets.SocketError.ConnectionRefused
                    ? PortOpenFailure.NotFound : PortOpenFailure.Failed;
                var why = e.SocketErrorCode == System.Net.Sockets.SocketError.ConnectionRefused
                    ? $"nothing listens on {host}:{number} (is the serial server running, and is that its port?)"
                    : e.Message;
                throw new PortOpenException(port, failure, $"Cannot connect to '{port}': {why}", e);
            }
            catch
            {
                PortReservations.Release(key);
                throw;
            }
        }

        private static void Reserve(string key, string port, string holder)
        {
            if (!PortReservations.TryReserve(key, holder, out var current))
                throw new ModuleException(ErrorIds.PortInUse, ErrorCategory.ResourceBusy,
                    $"The port '{port}' is already open in {current}. Disconnect that session first (Get-Stm32Session | Disconnect-Stm32), or use it.");
        }

        /// <summary>Parses a sim:// name. Throws ModuleException (DeviceNotFound, InvalidPortName).</summary>
        public static SimPortName ParseSim(string port)
        {
            var rest = port.Substring(SimScheme.Length);
            var q = rest.IndexOf('?');
            var what = Uri.UnescapeDataString(q < 0 ? rest : rest.Substring(0, q)).Trim().TrimEnd('/');
            var query = q < 0 ? "" : rest.Substring(q + 1);
            if (what.Length == 0)
                throw new ModuleException(ErrorIds.InvalidPortName, ErrorCategory.InvalidArgument,
                    $"'{port}' names no device: write sim://<product ID or name>, for example sim://0x410.");
            var device = SimulatedDevice(what, port);

            var timing = SimulatorTiming.Realistic;
            byte? version = null;
            bool boot = true;
            int? rdp = null;
            ModemWiring? wiring = new ModemWiring();
            foreach (var part in query.Split(new[] { '&' }, StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = part.IndexOf('=');
                var name = (eq < 0 ? part : part.Substring(0, eq)).Trim().ToLowerInvariant();
                var value = eq < 0 ? "" : Uri.UnescapeDataString(part.Substring(eq + 1)).Trim();
                switch (name)
                {
                    case "timing":
                        if (string.Equals(value, "instant", StringComparison.OrdinalIgnoreCase)) timing = SimulatorTiming.Instant;
                        else if (string.Equals(value, "realistic", StringComparison.OrdinalIgnoreCase)) timing = SimulatorTiming.Realistic;
                        else throw BadQuery(port, "timing is 'instant' or 'realistic'");
                        break;
                    case "protocol":
                        if (!TryParseProtocol(value, out var v))
                            throw BadQuery(port, "protocol is one of " + string.Join(", ", ProtocolVersionNames));
                        version = v;
                        break;
                    case "boot0":
                        if (value == "1") boot = true;
                        else if (value == "0") boot = false;
                        else throw BadQuery(port, "boot0 is 1 (bootloader, the default) or 0 (the application runs and the bootloader never answers)");
                        break;
                    case "rdp":
                        if (value == "0" || value == "1" || value == "2") rdp = value[0] - '0';
                        else throw BadQuery(port, "rdp is the read-protection level: 0, 1 or 2");
                        break;
                    case "wiring":
                        wiring = ParseWiring(port, value);
                        break;
                    default:
                        throw BadQuery(port, $"'{name}' is not an option; the options are timing, protocol, boot0, rdp and wiring");
                }
            }
            return new SimPortName(device, timing, version, boot, rdp, wiring);
        }

        /// <summary>
        /// wiring=none, or &lt;reset&gt;[:&lt;boot0&gt;] with each dtr or rts ('!' in front: inverted, i.e. reset
        /// active while released, BOOT0 high while asserted) and boot0 also none. Default dtr:rts (the
        /// usual USB-TTL wiring: an asserted line drives its pin low).
        /// </summary>
        private static ModemWiring? ParseWiring(string port, string value)
        {
            const string why = "wiring is none or <reset line>[:<BOOT0 line>], each dtr or rts, '!' in front for an inverted line, BOOT0 also none (default dtr:rts)";
            var v = value.Trim().ToLowerInvariant();
            if (v == "none") return null;
            var parts = v.Split(':');
            if (parts.Length > 2) throw BadQuery(port, why);
            (ModemLine? Line, bool Inverted) One(string text, bool allowNone)
            {
                var inverted = text.StartsWith("!", StringComparison.Ordinal);
                var name = inverted ? text.Substring(1) : text;
                if (name == "dtr") return (ModemLine.Dtr, inverted);
                if (name == "rts") return (ModemLine.Rts, inverted);
                if (name == "none" && allowNone && !inverted) return (null, false);
                throw BadQuery(port, why);
            }
            var reset = One(parts[0], false);
            var boot0 = parts.Length > 1 ? One(parts[1], true) : (reset.Line == ModemLine.Dtr ? ModemLine.Rts : ModemLine.Dtr, false);
            if (boot0.Line == reset.Line) throw BadQuery(port, "RESET and BOOT0 cannot share a line");
            return new ModemWiring
            {
                ResetLine = reset.Line!.Value,
                ResetActiveWhenAsserted = !reset.Inverted,
                Boot0Line = boot0.Line,
                Boot0HighWhenAsserted = boot0.Inverted,
            };
        }

        private static ModuleException BadQuery(string port, string why)
            => new ModuleException(ErrorIds.InvalidPortName, ErrorCategory.InvalidArgument,
                $"'{port}': {why}. Example: sim://0x413?timing=instant&protocol=3.3");

        /// <summary>sim:// names for the completer: one per catalog row that has a memory map.</summary>
        public static IEnumerable<(string Name, string Description)> SimNames()
            => DeviceCatalog.All.Where(d => !d.Flash.IsEmpty)
                .Select(d => (SimScheme + d.ProductIdHex, d.Name));
    }

    /// <summary>Which ports are held by an open session, process-wide (a serial port can only be opened once).</summary>
    internal static class PortReservations
    {
        private static readonly Dictionary<string, string> Held = new Dictionary<string, string>(StringComparer.Ordinal);

        public static bool TryReserve(string key, string holder, out string current)
        {
            lock (Held)
            {
                if (Held.TryGetValue(key, out current!)) return false;
                Held.Add(key, holder);
                current = holder;
                return true;
            }
        }

        public static void Update(string key, string holder)
        {
            lock (Held)
                if (Held.ContainsKey(key)) Held[key] = holder;
        }

        public static void Release(string key)
        {
            lock (Held) Held.Remove(key);
        }
    }
}
