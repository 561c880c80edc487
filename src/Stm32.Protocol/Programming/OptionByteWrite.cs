using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

using Stm32.Protocol.Devices;

namespace Stm32.Protocol.Programming
{
    /// <summary>One field's value before and after a planned option write.</summary>
    public sealed class OptionFieldChange
    {
        internal OptionFieldChange(string field, string before, string after)
        {
            Field = field;
            Before = before;
            After = after;
        }

        public string Field { get; }
        public string Before { get; }
        public string After { get; }

        public override string ToString() => $"{Field}: {Before} -> {After}";
    }

    /// <summary>
    /// An option write worked out but not sent: the block before and after, field by field. What
    /// -WhatIf shows; <see cref="ProtectionOperations.WriteOptionBytes(Programming.Stm32Connection, OptionByteWritePlan, System.Threading.CancellationToken)"/> sends it.
    /// </summary>
    public sealed class OptionByteWritePlan
    {
        internal OptionByteWritePlan(OptionByteSet before, OptionByteSet after, bool allowLevel2)
        {
            Before = before;
            After = after;
            AllowLevel2 = allowLevel2;
            var changes = new List<OptionFieldChange>();
            foreach (var f in before.Values.Keys)
            {
                var a = before.Values[f];
                var b = after[f];
                if (b.HasValue && a != b.Value)
                    changes.Add(f == OptionField.ReadProtection
                        ? new OptionFieldChange(f.ToString(), Rdp(before), Rdp(after))
                        : new OptionFieldChange(f.ToString(), before.FormatValue(f, a), after.FormatValue(f, b.Value)));
            }
            if (before.WriteProtectedSectors != null && after.WriteProtectedSectors != null
                && !before.WriteProtectedSectors.SequenceEqual(after.WriteProtectedSectors))
                changes.Add(new OptionFieldChange(OptionField.WriteProtection.ToString(), before.DescribeWrp(), after.DescribeWrp()));
            var rb = before.Raw;
            var ra = after.Raw;
            for (int i = 0; i < rb.Length; i++)
                if (rb[i] != ra[i]) RawChangedOffsets.Add(i);
            Changes = changes;
        }

        private static string Rdp(OptionByteSet s) => string.Format(CultureInfo.InvariantCulture, "{0} (0x{1:X2})", s.ReadProtection, s.RdpByte);

        public OptionByteSet Before { get; }

        /// <summary>The block as it will be written (decoded).</summary>
        public OptionByteSet After { get; }

        public bool AllowLevel2 { get; }

        public IReadOnlyList<OptionFieldChange> Changes { get; }

        /// <summary>Block offsets whose byte changes (complements included).</summary>
        public List<int> RawChangedOffsets { get; } = new List<int>();

        /// <summary>Nothing would change: the write is skipped (no needless option erase cycle).</summary>
        public bool IsNoChange => RawChangedOffsets.Count == 0;

        /// <summary>The write makes the chip RDP level 2 for good: ask twice.</summary>
        public bool SetsLevel2 => After.ReadProtection == ReadProtectionLevel.Level2 && Before.ReadProtection != ReadProtectionLevel.Level2;

        /// <summary>The write turns read protection on: afterwards only Readout Unprotect (which erases the flash) opens the chip.</summary>
        public bool SetsLevel1 => After.ReadProtection == ReadProtectionLevel.Level1 && Before.ReadProtection == ReadProtectionLevel.Level0;

        /// <summary>"RDP: Level0 (0xAA) -> Level1 (0xBB); NRstStop: 1 -> 0".</summary>
        public string Describe()
        {
            if (IsNoChange) return string.Format(CultureInfo.InvariantCulture, "{0} option bytes at 0x{1:X8}: nothing to change.", Before.Family, Before.Address);
            var sb = new StringBuilder();
            sb.AppendFormat(CultureInfo.InvariantCulture, "{0} option bytes at 0x{1:X8}: ", Before.Family, Before.Address);
            sb.Append(Changes.Count > 0 ? string.Join("; ", Changes) : "raw bytes only");
            sb.Append(". The chip erases and rewrites its option bytes, then resets.");
            if (SetsLevel2) sb.Append(" LEVEL 2 IS PERMANENT: the bootloader and debug port never answer again.");
            else if (SetsLevel1) sb.Append(" Read protection goes on: lifting it later erases the whole flash.");
            return sb.ToString();
        }

        public override string ToString() => Describe();
    }

    /// <summary>What an option write did.</summary>
    public sealed class OptionByteWriteResult
    {
        internal OptionByteWriteResult(OptionByteWritePlan plan, OptionByteSet? after, bool written, bool chipSilent, IReadOnlyList<string> warnings)
        {
            Plan = plan;
            After = after;
            Written = written;
            ChipSilent = chipSilent;
            Warnings = warnings;
        }

        public OptionByteWritePlan Plan { get; }

        public OptionByteSet Before => Plan.Before;

        /// <summary>Read back after the reset; null when the chip is now read-protected or silent (level 2).</summary>
        public OptionByteSet? After { get; }

        /// <summary>False when nothing changed and no write was sent.</summary>
        public bool Written { get; }

        /// <summary>The bootloader no longer answers (RDP level 2 was written on purpose).</summary>
        public bool ChipSilent { get; }

        public IReadOnlyList<string> Warnings { get; }

        public override string ToString() => Plan.Describe();
    }
}
