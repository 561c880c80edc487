using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace Stm32.Protocol.Devices
{
    /// <summary>
    /// The option bytes of one chip, decoded per family (spec 7), with the raw bytes alongside.
    /// Fields the family lacks (or the readable block does not reach) are null.
    /// </summary>
    public sealed class OptionByteSet
    {
        private readonly byte[] _raw;
        private readonly IReadOnlyDictionary<OptionField, uint> _values;

        internal OptionByteSet(OptionLayout layout, uint address, byte[] raw, IReadOnlyDictionary<OptionField, uint> values,
            IReadOnlyList<int>? sectors, IReadOnlyList<int>? pages, IReadOnlyList<int> badComplements, string unitName)
        {
            Layout = layout;
            Address = address;
            _raw = raw;
            _values = values;
            WriteProtectedSectors = sectors;
            WriteProtectedPages = pages;
            BadComplementOffsets = badComplements;
            UnitName = unitName;
        }

        public OptionLayout Layout { get; }

        public string Family => Layout.Family;

        /// <summary>Where the block was read (and is written).</summary>
        public uint Address { get; }

        /// <summary>A copy of the raw block as read.</summary>
        public byte[] Raw => (byte[])_raw.Clone();

        public int Length => _raw.Length;

        /// <summary>The fields this block holds, in the family's order, with their values (bools as 0/1).</summary>
        public IReadOnlyDictionary<OptionField, uint> Values => _values;

        public uint? this[OptionField field] => _values.TryGetValue(field, out var v) ? v : (uint?)null;

        /// <summary>The raw RDP byte (0xAA level 0, 0xA5 on F1, 0xCC level 2, anything else level 1).</summary>
        public byte RdpByte => (byte)_values[OptionField.ReadProtection];

        public ReadProtectionLevel ReadProtection => Layout.LevelOf(RdpByte);

        public bool? SoftwareWatchdog => Bool(OptionField.SoftwareWatchdog);

        public bool? NRstStop => Bool(OptionField.NRstStop);

        public bool? NRstStdby => Bool(OptionField.NRstStdby);

        public bool? NBoot0 => Bool(OptionField.NBoot0);

        public bool? NBoot1 => Bool(OptionField.NBoot1);

        public bool? NSwBoot0 => Bool(OptionField.NSwBoot0);

        public bool? NBootSel => Bool(OptionField.NBootSel);

        public int? BorLevel => (int?)this[OptionField.BorLevel];

        public byte? Data0 => (byte?)this[OptionField.Data0];

        public byte? Data1 => (byte?)this[OptionField.Data1];

        /// <summary>Protected WRP sectors (page / pages per sector); null when WRP is outside the readable block (L4).</summary>
        public IReadOnlyList<int>? WriteProtectedSectors { get; }

        /// <summary>Protected pages (sectors on F2/F4/F7); null when not readable or the device is unknown.</summary>
        public IReadOnlyList<int>? WriteProtectedPages { get; }

        /// <summary>Offsets of complement bytes that do not match their value (should be empty).</summary>
        public IReadOnlyList<int> BadComplementOffsets { get; }

        /// <summary>"page" or "sector".</summary>
        public string UnitName { get; }

        private bool? Bool(OptionField f) => _values.TryGetValue(f, out var v) ? v != 0 : (bool?)null;

        /// <summary>Field by field, one per line: what Get-Stm32OptionByte shows.</summary>
        public string Describe()
        {
            var sb = new StringBuilder();
            sb.AppendFormat(CultureInfo.InvariantCulture, "{0} option bytes at 0x{1:X8} ({2})", Family, Address, Layout.Name).AppendLine();
            sb.AppendFormat(CultureInfo.InvariantCulture, "  ReadProtection   : {0} (RDP 0x{1:X2})", ReadProtection, RdpByte).AppendLine();
            foreach (var kv in _values.Where(kv => kv.Key != OptionField.ReadProtection))
                sb.AppendFormat(CultureInfo.InvariantCulture, "  {0,-16} : {1}", kv.Key, FormatValue(kv.Key, kv.Value)).AppendLine();
            sb.AppendFormat(CultureInfo.InvariantCulture, "  WriteProtection  : {0}", DescribeWrp()).AppendLine();
            if (BadComplementOffsets.Count > 0)
                sb.AppendFormat(CultureInfo.InvariantCulture, "  Complements      : WRONG at {0}",
                    string.Join(", ", BadComplementOffsets.Select(o => "+0x" + o.ToString("X2", CultureInfo.InvariantCulture)))).AppendLine();
            sb.Append("  Raw              : ").Append(Bootloader.Stm32Exception.Hex(_raw, 256));
            return sb.ToString();
        }

        internal string FormatValue(OptionField field, uint value)
            => Layout.WidthOf(field) == 1 ? value.ToString(CultureInfo.InvariantCulture)
            : field == OptionField.BorLevel ? value.ToString(CultureInfo.InvariantCulture)
            : "0x" + value.ToString("X2", CultureInfo.InvariantCulture);

        public string DescribeWrp()
        {
            if (WriteProtectedSectors == null) return "not readable through this bootloader";
            if (WriteProtectedSectors.Count == 0) return "none";
            if (WriteProtectedPages != null) return Counted(UnitName, WriteProtectedPages);
            return Counted("sector", WriteProtectedSectors);
        }

        /// <summary>"page 5", "pages 4-7", "sectors 1, 3": the unit in the singular for one number.</summary>
        public static string Counted(string unit, IEnumerable<int> numbers)
        {
            var list = numbers.Distinct().ToList();
            return (list.Count == 1 ? unit : unit + "s") + " " + Ranges(list);
        }

        /// <summary>"0-3, 8, 10-11".</summary>
        public static string Ranges(IEnumerable<int> numbers)
        {
            var parts = new List<string>();
            int? start = null, prev = null;
            foreach (var n in numbers.Distinct().OrderBy(n => n))
            {
                if (prev.HasValue && n == prev.Value + 1)
                {
                    prev = n;
                    continue;
                }
                if (start.HasValue) parts.Add(start == prev ? $"{start}" : $"{start}-{prev}");
                start = prev = n;
            }
            if (start.HasValue) parts.Add(start == prev ? $"{start}" : $"{start}-{prev}");
            return string.Join(", ", parts);
        }

        public override string ToString()
            => string.Format(CultureInfo.InvariantCulture, "{0} options: {1} (RDP 0x{2:X2}), WRP {3}", Family, ReadProtection, RdpByte, DescribeWrp());
    }
}
