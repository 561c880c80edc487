using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Stm32.Protocol.Devices;
using Stm32.Protocol.Programming;

namespace Stm32.PowerShell
{
    /// <summary>
    /// What Get-Stm32OptionByte returns: the chip's option bytes decoded per family (fields the
    /// family lacks are null), the raw block, and the session so the object pipes on.
    /// </summary>
    public sealed class Stm32OptionByte
    {
        internal Stm32OptionByte(Stm32Session session, OptionByteSet options)
        {
            Session = session;
            OptionBytes = options;
        }

        /// <summary>The session the bytes were read through.</summary>
        public Stm32Session Session { get; }

        /// <summary>The decoded block from Stm32.Protocol (Describe() gives the field-by-field text).</summary>
        public OptionByteSet OptionBytes { get; }

        public string DeviceName => Session.DeviceName;

        public string Family => OptionBytes.Family;

        /// <summary>The layout's name, e.g. "F1 value/complement pairs".</summary>
        public string Layout => OptionBytes.Layout.Name;

        /// <summary>Where the block was read (and is written).</summary>
        public uint Address => OptionBytes.Address;

        public ReadProtectionLevel ReadProtection => OptionBytes.ReadProtection;

        /// <summary>The raw RDP byte (0xAA level 0, 0xA5 on F1, 0xCC level 2, anything else level 1).</summary>
        public byte RdpByte => OptionBytes.RdpByte;

        public bool? SoftwareWatchdog => OptionBytes.SoftwareWatchdog;

        public bool? NRstStop => OptionBytes.NRstStop;

        public bool? NRstStdby => OptionBytes.NRstStdby;

        public bool? NBoot0 => OptionBytes.NBoot0;

        public bool? NBoot1 => OptionBytes.NBoot1;

        public bool? NSwBoot0 => OptionBytes.NSwBoot0;

        public bool? NBootSel => OptionBytes.NBootSel;

        public int? BorLevel => OptionBytes.BorLevel;

        public byte? Data0 => OptionBytes.Data0;

        public byte? Data1 => OptionBytes.Data1;

        /// <summary>The named fields this family has, in its order ("ReadProtection", "NRstStop", ...).</summary>
        public string[] Fields => OptionBytes.Values.Keys.Select(k => k.ToString()).ToArray();

        /// <summary>Protected WRP sectors; null where WRP is not in the readable block.</summary>
        public int[]? WriteProtectedSectors => OptionBytes.WriteProtectedSectors?.ToArray();

        /// <summary>Protected pages (sectors on F2/F4/F7); null where not readable.</summary>
        public int[]? WriteProtectedPages => OptionBytes.WriteProtectedPages?.ToArray();

        /// <summary>"none", "pages 0-7", or "not readable through this bootloader".</summary>
        public string WriteProtection => OptionBytes.DescribeWrp();

        /// <summary>The raw block as read, complements included.</summary>
        public byte[] Raw => OptionBytes.Raw;

        /// <summary>The raw block as hex, "A5 5A FF 00 ...".</summary>
        public string RawHex => string.Join(" ", OptionBytes.Raw.Select(b => b.ToString("X2", CultureInfo.InvariantCulture)));

        /// <summary>Offsets of complement bytes that do not match their value (should be empty).</summary>
        public int[] BadComplementOffsets => OptionBytes.BadComplementOffsets.ToArray();

        /// <summary>Field by field, one per line, with the raw hex on one line.</summary>
        public string Describe() => OptionBytes.Describe();

        /// <summary>The default view: the fields, then the raw block 16 bytes a row with addresses.</summary>
        public string View()
        {
            var lines = OptionBytes.Describe().Split('\n').Select(l => l.TrimEnd('\r'))
                .Where(l => !l.StartsWith("  Raw ", StringComparison.Ordinal)).ToList();
            var raw = OptionBytes.Raw;
            for (int i = 0; i < raw.Length; i += 16)
                lines.Add(string.Format(CultureInfo.InvariantCulture, "  {0,-16} : {1:X8}: {2}", i == 0 ? "Raw" : "", Address + (uint)i,
                    string.Join(" ", raw.Skip(i).Take(16).Select(b => b.ToString("X2", CultureInfo.InvariantCulture)))));
            lines.Add(string.Format(CultureInfo.InvariantCulture, "  {0,-16} : {1} ({2}, {3})", "Session", Session.Id, Session.Port, DeviceName));
            return string.Join(Environment.NewLine, lines);
        }

        public override string ToString() => OptionBytes.ToString();
    }
}
