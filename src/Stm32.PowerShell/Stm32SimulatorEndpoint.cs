using System.Globalization;

namespace Stm32.PowerShell
{
    /// <summary>
    /// What Start-Stm32Simulator writes once it serves: where a client connects and what it
    /// finds there. <see cref="Port"/> binds to Connect-Stm32 -Port by property name.
    /// </summary>
    public sealed class Stm32SimulatorEndpoint
    {
        internal Stm32SimulatorEndpoint(string endpoint, string kind, string device, int productId, string protocol, string timing, int baudRate, string lineSettings)
        {
            Endpoint = endpoint;
            Kind = kind;
            Device = device;
            ProductId = productId;
            Protocol = protocol;
            Timing = timing;
            BaudRate = baudRate;
            LineSettings = lineSettings;
        }

        /// <summary>What a client opens: /dev/pts/N, tcp://127.0.0.1:port or a serial port.</summary>
        public string Endpoint { get; }

        /// <summary>The same as <see cref="Endpoint"/>, named so it pipes into Connect-Stm32.</summary>
        public string Port => Endpoint;

        /// <summary>For a pseudo-terminal, the path to open (same as Endpoint); null otherwise.</summary>
        public string? Path => Kind == "PseudoTerminal" ? Endpoint : null;

        /// <summary>PseudoTerminal, Tcp or SerialPort.</summary>
        public string Kind { get; }

        public string Device { get; }

        public int ProductId { get; }

        /// <summary>The bootloader (protocol) version the chip reports, e.g. "3.1".</summary>
        public string Protocol { get; }

        /// <summary>Instant or Realistic.</summary>
        public string Timing { get; }

        public int BaudRate { get; }

        /// <summary>What a client must use: 8N1 on a pseudo-terminal (no parity there), the server's business on TCP.</summary>
        public string LineSettings { get; }

        /// <summary>The parity a client uses (None on a pseudo-terminal); binds to Connect-Stm32 -Parity by property name.</summary>
        public System.IO.Ports.Parity Parity { get; internal set; } = System.IO.Ports.Parity.Even;

        public override string ToString() => string.Format(CultureInfo.InvariantCulture, "{0} ({1}, bootloader {2})", Endpoint, Device, Protocol);
    }
}
