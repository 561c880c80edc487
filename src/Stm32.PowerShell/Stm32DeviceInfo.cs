using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Stm32.Protocol.Devices;
using Stm32.Protocol.Programming;

namespace Stm32.PowerShell
{
    /// <summary>What Get-Stm32Info reports about the chip behind a session.</summary>
    public sealed class Stm32DeviceInfo
    {
        internal Stm32DeviceInfo(Stm32Session session, ProtectionState? protection = null)
        {
            var c = session.Connection;
            var d = c.Device;
            Session = session;
            Device = d;
            DeviceName = d.Name;
            Family = d.Family;
            ProductId = c.ProductId;
            BootloaderVersion = c.BootloaderVersionText;
            BootloaderId = c.BootloaderId.HasValue ? "0x" + c.BootloaderId.Value.ToString("X2", CultureInfo.InvariantCulture) : null;
            Commands = c.SupportedCommands
                .Select(b => string.Format(CultureInfo.InvariantCulture, "0x{0:X2} {1}", b, Protocol.Bootloader.An3155.Name(b)))
                .ToArray();
            var flash = c.Flash;
            FlashStart = flash.Start;
            FlashSize = flash.Length;
            FlashSizeSource = c.FlashSizeFromChip.HasValue ? "chip" : "catalog";
            if (d.Layout != null && !flash.IsEmpty)
            {
                var pages = d.Layout.PagesTouching(flash.Start, flash.Length);
                PageCount = pages.Count;
                EraseUnit = d.Layout.UnitName;
                PageSize = d.Layout.IsUniform ? d.Layout.PageSize : 0;
                FlashLayout = DescribeLayout(pages, d.Layout.UnitName);
            }
            else
            {
                EraseUnit = "";
                FlashLayout = flash.IsEmpty ? "unknown (the catalog has no memory map for this chip)" : "unknown (the catalog has no page layout for this chip)";
            }
            Ram = d.Ram;
            OptionBytes = d.OptionBytes;
            SystemMemory = d.SystemMemory;
            UniqueId = c.UniqueId == null ? null : string.Concat(c.UniqueId.Select(b => b.ToString("X2", CultureInfo.InvariantCulture)));
            // Read protection only where checked (the session's: a Read of flash tried once probed,
            // or another Read such as the option bytes' above, which RDP level 1 refuses too);
            // null for a chip whose memory map the catalog lacks and where no Read was answered.
            IsReadProtected = session.IsReadProtected;
            Warnings = c.Warnings.ToArray();
            // Protection (issue 6): the connection knows read protection; write protection only where readable.
            // The level: Level1 when reads were refused, else the RDP byte where the option bytes were
            // read, else the session's (from the Read of flash); null when none of these happened.
            ReadProtection = protection?.ReadProtection ?? session.ReadProtection;
            WriteProtectedPages = protection?.WriteProtectedPages?.ToArray() ?? session.WriteProtectedPages;
            WriteProtection = protection == null
                ? (WriteProtectedPages == null ? "unknown" : WriteProtectedPages.Length == 0 ? "none" : OptionByteSet.Counted(EraseUnit, WriteProtectedPages))
                : protection.IsReadProtected ? "not readable (the chip is read-protected)"
                : protection.OptionBytes?.DescribeWrp() ?? "not readable (" + protection.OptionsUnreadableReason + ")";
        }

        /// <summary>
        /// Reads the protection state from the chip (a read of the option bytes where the family
        /// allows it) and describes the session; a failure to read it is a warning, not an error.
        /// </summary>
        internal static Stm32DeviceInfo Read(Stm32Session session, CancellationToken ct, Action<string>? warn)
        {
            ProtectionState? protection = null;
            // Not needed to program, so not read when connecting: the unique ID and bootloader ID.
            session.Connection.ReadDetails(ct);
            try
            {
                protection = session.Connection.GetProtectionState(ct);
                session.NoteWriteProtectedPages(protection.WriteProtectedPages);
            }
            catch (Exception e) when (e is Protocol.Bootloader.Stm32Exception || e is NotSupportedException)
            {
                warn?.Invoke($"{session}: the option bytes could not be read, so write protection is unknown: {e.Message}");
            }
            return new Stm32DeviceInfo(session, protection);
        }

        public string DeviceName { get; }

        public string Family { get; }

        /// <summary>The product ID the chip reported (Get ID), e.g. 0x410.</summary>
        public int ProductId { get; }

        public string ProductIdHex => "0x" + ProductId.ToString("X3", CultureInfo.InvariantCulture);

        /// <summary>The bootloader's protocol version from Get Version, e.g. "2.2".</summary>
        public string BootloaderVersion { get; }

        /// <summary>The bootloader ID byte from system memory (AN2606), where readable; e.g. "0x10".</summary>
        public string? BootloaderId { get; }

        /// <summary>The commands the bootloader offers, "0x44 Extended Erase".</summary>
        public string[] Commands { get; }

        public uint FlashStart { get; }

        /// <summary>Flash size in bytes: the chip's flash-size register where readable, else the catalog.</summary>
        public uint FlashSize { get; }

        /// <summary>"chip" when <see cref="FlashSize"/> came from the flash-size register, "catalog" otherwise.</summary>
        public string FlashSizeSource { get; }

        /// <summary>"128 pages of 1 KiB" or "4 x 16 KiB, 1 x 64 KiB, 7 x 128 KiB sectors".</summary>
        public string FlashLayout { get; }

        /// <summary>"page" or "sector".</summary>
        public string EraseUnit { get; }

        /// <summary>Bytes per page for uniform layouts; 0 for sector layouts.</summary>
        public uint PageSize { get; }

        /// <summary>Pages or sectors in the chip's flash.</summary>
        public int PageCount { get; }

        /// <summary>The RAM the host may use (the bootloader reserves the start of SRAM).</summary>
        public MemoryRange Ram { get; }

        public MemoryRange OptionBytes { get; }

        public MemoryRange SystemMemory { get; }

        /// <summary>The 96-bit unique ID as hex, where readable.</summary>
        public string? UniqueId { get; }

        /// <summary>
        /// Whether the chip refuses reads (RDP level 1), as checked by a Read of flash (or, for a
        /// chip the catalog has no flash addresses for, by any Read it answered or refused, such
        /// as Get-Stm32Info's of the option bytes); null when it was not checked.
        /// </summary>
        public bool? IsReadProtected { get; }

        /// <summary>
        /// Level0 or Level1 (an open session never meets level 2: such a chip does not answer); null
        /// when nothing showed it (no memory map in the catalog and no readable option bytes).
        /// </summary>
        public ReadProtectionLevel? ReadProtection { get; }

        /// <summary>Write-protected pages (sectors on F2/F4/F7); null where not readable.</summary>
        public int[]? WriteProtectedPages { get; }

        /// <summary>"none", "pages 0-3", or why it is not readable.</summary>
        public string WriteProtection { get; }

        public string[] Warnings { get; }

        /// <summary>The catalog row.</summary>
        public DeviceInfo Device { get; }

        /// <summary>The session, so the object pipes on to the next cmdlet.</summary>
        public Stm32Session Session { get; }

        internal static string DescribeLayout(IReadOnlyList<FlashPage> pages, string unit)
        {
            if (pages.Count == 0) return "(none)";
            var groups = new List<(int Count, uint Size)>();
            foreach (var p in pages)
            {
                if (groups.Count > 0 && groups[groups.Count - 1].Size == p.Size)
                    groups[groups.Count - 1] = (groups[groups.Count - 1].Count + 1, p.Size);
                else groups.Add((1, p.Size));
            }
            if (groups.Count == 1)
                return string.Format(CultureInfo.InvariantCulture, "{0} {1}s of {2}", groups[0].Count, unit, Size(groups[0].Size));
            return string.Join(", ", groups.Select(g => string.Format(CultureInfo.InvariantCulture, "{0} x {1}", g.Count, Size(g.Size)))) + " " + unit + "s";
        }

        internal static string Size(uint bytes)
            => bytes % (1024 * 1024) == 0 ? (bytes / (1024 * 1024)).ToString(CultureInfo.InvariantCulture) + " MiB"
                : bytes % 1024 == 0 ? (bytes / 1024).ToString(CultureInfo.InvariantCulture) + " KiB"
                : bytes.ToString(CultureInfo.InvariantCulture) + " bytes";

        public override string ToString() => $"{DeviceName} ({ProductIdHex})";
    }
}
