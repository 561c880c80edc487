using System;
using System.Globalization;
using System.IO.Ports;
using System.Linq;
using Stm32.PowerShell.Infrastructure;
using Stm32.Protocol.Devices;
using Stm32.Protocol.Programming;

namespace Stm32.PowerShell
{
    /// <summary>
    /// An open conversation with one chip's bootloader, as Connect-Stm32 returns it. Read-only;
    /// the link and the protocol state are internal. Every other cmdlet takes it from the
    /// pipeline (-Session) or by -SessionId.
    /// </summary>
    public sealed class Stm32Session
    {
        private readonly object _gate = new object();
        private OpenedLink? _link;

        internal Stm32Session(int id, string port, int baudRate, Parity parity, Stm32Connection connection, OpenedLink link)
        {
            Id = id;
            Port = port;
            BaudRate = baudRate;
            Parity = parity;
            Connection = connection;
            _link = link;
            ConnectedAt = DateTime.Now;
        }

        /// <summary>Unique in this runspace; never reused.</summary>
        public int Id { get; }

        /// <summary>The port as given to Connect-Stm32: "/dev/ttyUSB0", "COM3", "sim://0x410".</summary>
        public string Port { get; }

        public int BaudRate { get; }

        public Parity Parity { get; }

        public DateTime ConnectedAt { get; }

        public string DeviceName => Connection.Device.Name;

        /// <summary>The product ID the chip reported (Get ID), e.g. 0x410.</summary>
        public int ProductId => Connection.ProductId;

        /// <summary>The bootloader (protocol) version the chip reported, e.g. "2.2".</summary>
        public string BootloaderVersion => Connection.BootloaderVersionText;

        /// <summary>The command codes the chip listed in its Get answer, as hex ("0x00", "0x11", ...).</summary>
        public string[] Commands => Connection.SupportedCommands
            .Select(c => "0x" + c.ToString("X2", CultureInfo.InvariantCulture)).ToArray();

        public bool IsOpen
        {
            get { lock (_gate) return _link != null; }
        }

        /// <summary>
        /// Whether the chip refuses reads (RDP level 1); null until known. Connect-Stm32 only
        /// identifies the chip; the first cmdlet that works with it (Get-Stm32Info, a read, a
        /// write, an erase, an option-byte or protection cmdlet) finds out. Stays null for a chip
        /// whose memory map the catalog does not know (nothing to probe) until some Read is
        /// answered or refused (Get-Stm32Info reads the option bytes where the row names them).
        /// </summary>
        public bool? IsReadProtected => Connection.KnownReadProtection;

        /// <summary>
        /// Level1 when a Read of flash is refused, Level0 when reads work, null until known (see
        /// <see cref="IsReadProtected"/>). A chip at level 2 never answers, so an open session is
        /// never at level 2.
        /// </summary>
        public Protocol.Devices.ReadProtectionLevel? ReadProtection
            => IsReadProtected is bool p
                ? (p ? Protocol.Devices.ReadProtectionLevel.Level1 : Protocol.Devices.ReadProtectionLevel.Level0)
                : (Protocol.Devices.ReadProtectionLevel?)null;

        /// <summary>
        /// The write-protected pages (sectors on F2/F4/F7) as last read by Get-Stm32Info,
        /// Get-Stm32OptionByte, Set-Stm32OptionByte or Protect-/Unprotect-Stm32Flash; null while
        /// not known or not readable (read-protected chip, H7/L5/U5/H5, L4-style WRP areas).
        /// </summary>
        public int[]? WriteProtectedPages => (int[]?)_writeProtectedPages?.Clone();

        private int[]? _writeProtectedPages;

        /// <summary>Records what a cmdlet just read of the write protection (null: not known).</summary>
        internal void NoteWriteProtectedPages(System.Collections.Generic.IEnumerable<int>? pages)
            => _writeProtectedPages = pages?.ToArray();

        /// <summary>False once the application was started (Go): the bootloader no longer listens.</summary>
        public bool InBootloader => IsOpen && Connection.InBootloader;

        /// <summary>The catalog row of the chip (a generic row for an unknown product ID).</summary>
        public DeviceInfo Device => Connection.Device;

        /// <summary>The entry sequence Connect-Stm32 ran on DTR/RTS (stm32flash -i form), or null.</summary>
        public string? BootSequence => EntrySequence?.ToString();

        /// <summary>The sequence Disconnect-Stm32 -Reset runs (BOOT0 low, pulse RESET), or null.</summary>
        public string? ExitSequence => ExitSequenceSteps?.ToString();

        internal Stm32.Protocol.Transport.BootSequence? EntrySequence { get; set; }

        internal Stm32.Protocol.Transport.BootSequence? ExitSequenceSteps { get; set; }

        /// <summary>The protocol conversation: for the module's cmdlets only.</summary>
        internal Stm32Connection Connection { get; }

        /// <summary>Held by a cmdlet while it talks to the chip: one conversation at a time.</summary>
        internal object SyncRoot { get; } = new object();

        /// <summary>Set when an operation was stopped (Ctrl+C) or timed out mid-conversation: the next
        /// command resynchronises with the bootloader before it sends anything.</summary>
        internal bool NeedsResync { get; set; }

        /// <summary>What was interrupted, when <see cref="NeedsResync"/> is set: the next command's warning says it.</summary>
        internal string? Interruption { get; set; }

        /// <summary>The runspace store that lists this session.</summary>
        internal SessionStore? Owner { get; set; }

        /// <summary>Closes the link (and detaches a simulated chip) and leaves the store. Idempotent.</summary>
        internal void Close()
        {
            var store = Owner;
            store?.Remove(this);
            OpenedLink? link;
            lock (_gate)
            {
                link = _link;
                _link = null;
            }
            // The chip stays in its bootloader, synchronised, after a clean end: the next
            // Connect-Stm32 on this port starts with 0x7F 0x7F and needs no probe wait. Asked under
            // SyncRoot: a cmdlet on another thread (a runspace closing) that holds it is mid-command,
            // so the chip is not idle and nothing is noted. (Re-entrant for a cmdlet closing its own session.)
            bool idle = false;
            if (link != null && store != null && System.Threading.Monitor.TryEnter(SyncRoot))
            {
                try { idle = Connection.InBootloader && Connection.Client.IsIdle && !NeedsResync; }
                finally { System.Threading.Monitor.Exit(SyncRoot); }
            }
            if (idle) store!.NoteLeftSynchronized(Port);
            link?.Dispose();
        }

        public override string ToString()
            => string.Format(CultureInfo.InvariantCulture, "Stm32Session {0} ({1}, {2})", Id, Port, DeviceName);
    }
}
