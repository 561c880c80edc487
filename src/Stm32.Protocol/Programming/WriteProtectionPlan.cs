using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using Stm32.Protocol.Devices;

namespace Stm32.Protocol.Programming
{
    /// <summary>
    /// Which WRP sector codes protect the requested pages, and which other pages come along
    /// because one WRP bit covers several pages (spec 8: pages per sector from the catalog; F1
    /// high density: the last bit covers the rest of the flash; L4/G0-style areas: two ranges).
    /// </summary>
    public sealed class WriteProtectionPlan
    {
        internal WriteProtectionPlan(DeviceInfo device, IReadOnlyList<int> requested, IReadOnlyList<int> sectors,
            IReadOnlyList<int> protectedPages, IReadOnlyDictionary<int, IReadOnlyList<int>> extraBySector)
        {
            Device = device;
            RequestedPages = requested;
            Sectors = sectors;
            ProtectedPages = protectedPages;
            ExtraPages = protectedPages.Except(requested).ToList();
            ExtraPagesBySector = extraBySector;
        }

        public DeviceInfo Device { get; }

        /// <summary>"page" or "sector" (F2/F4/F7).</summary>
        public string UnitName => Device.Layout?.UnitName ?? "page";

        public int PagesPerSector => Device.PagesPerSector;

        /// <summary>The pages (or sectors) asked for, sorted.</summary>
        public IReadOnlyList<int> RequestedPages { get; }

        /// <summary>The codes Write Protect (0x63) is sent.</summary>
        public IReadOnlyList<int> Sectors { get; }

        /// <summary>Every page these codes protect.</summary>
        public IReadOnlyList<int> ProtectedPages { get; }

        /// <summary>Pages protected although not asked for.</summary>
        public IReadOnlyList<int> ExtraPages { get; }

        /// <summary>For each sector code that brings extra pages along: those pages.</summary>
        public IReadOnlyDictionary<int, IReadOnlyList<int>> ExtraPagesBySector { get; }

        /// <summary>What -WhatIf and -Verbose say: the sectors, and which extra pages each brings along.</summary>
        public string Describe()
        {
            var sb = new StringBuilder();
            sb.AppendFormat(CultureInfo.InvariantCulture, "Write-protect {0} of {1}: WRP {2}",
                OptionByteSet.Counted(UnitName, RequestedPages), Device.Name, OptionByteSet.Counted("sector", Sectors));
            if (PagesPerSector > 1)
                sb.AppendFormat(CultureInfo.InvariantCulture, " ({0} {1}s per sector)", PagesPerSector, UnitName);
            sb.Append('.');
            foreach (var kv in ExtraPagesBySector.OrderBy(k => k.Key))
                sb.AppendFormat(CultureInfo.InvariantCulture, " Sector {0} also protects {1}.", kv.Key, OptionByteSet.Counted(UnitName, kv.Value));
            return sb.ToString();
        }

        public override string ToString() => Describe();

        /// <summary>"there is no page 200", "there are no sectors 40-41".</summary>
        internal static string NoSuch(string unit, IReadOnlyCollection<int> numbers)
            => (numbers.Count == 1 ? "there is no " : "there are no ") + OptionByteSet.Counted(unit, numbers);

        // ------------------------------------------------------------------ planning

        /// <summary>Plan for pages (sectors on F2/F4/F7) by erase index. <paramref name="flashBytes"/>: the chip's real flash size, if known.</summary>
        public static WriteProtectionPlan ForPages(DeviceInfo device, IEnumerable<int> pages, uint? flashBytes = null)
        {
            if (device == null) throw new ArgumentNullException(nameof(device));
            if (pages == null) throw new ArgumentNullException(nameof(pages));
            var flash = device.Layout ?? throw new InvalidOperationException(
                string.Format(CultureInfo.InvariantCulture, "The catalog has no page layout for {0}: write protection cannot be planned.", device));
            var layout = OptionLayout.ForFamily(device.Family);
            int pageCount = OptionLayout.PageCount(device, flashBytes);
            var requested = pages.Distinct().OrderBy(p => p).ToList();
            if (requested.Count == 0) throw new ArgumentException("No pages to protect.", nameof(pages));
            var outside = requested.Where(p => p < 0 || p >= pageCount).ToList();
            if (outside.Count > 0)
                throw new ArgumentOutOfRangeException(nameof(pages), string.Format(CultureInfo.InvariantCulture,
                    "{0} has {1}s 0 to {2}; {3}.", device.Name, flash.UnitName, pageCount - 1, NoSuch(flash.UnitName, outside)));
            int pps = device.PagesPerSector;
            var codes = requested.Select(p => layout.SectorCode(p / pps)).Distinct().OrderBy(s => s).ToList();
            var tooHigh = codes.Where(c => c >= layout.WrpSectorLimit).ToList();
            if (tooHigh.Count > 0)
            {
                var beyond = requested.Where(p => layout.SectorCode(p / pps) >= layout.WrpSectorLimit).ToList();
                throw new ArgumentOutOfRangeException(nameof(pages), string.Format(CultureInfo.InvariantCulture,
                    "{0} option bytes hold WRP sectors 0 to {1}; {2} {3} beyond them.", device.Family, layout.WrpSectorLimit - 1,
                    OptionByteSet.Counted(flash.UnitName, beyond), beyond.Count == 1 ? "lies" : "lie"));
            }
            // What the chip will protect: the shared layout, applied to a factory block.
            var block = layout.Defaults();
            layout.SetProtection(block, 0, codes);
            var protectedPages = Enumerable.Range(0, pageCount).Where(p => layout.IsSectorProtected(block, 0, p / pps)).ToList();
            var extra = new Dictionary<int, IReadOnlyList<int>>();
            foreach (var g in protectedPages.Except(requested).GroupBy(p => layout.SectorCode(p / pps)))
                extra[g.Key] = g.OrderBy(p => p).ToList();
            return new WriteProtectionPlan(device, requested, codes, protectedPages, extra);
        }

        /// <summary>Plan for WRP sectors by number (sector n = pages n*pps .. n*pps+pps-1).</summary>
        public static WriteProtectionPlan ForSectors(DeviceInfo device, IEnumerable<int> sectors, uint? flashBytes = null)
        {
            if (device == null) throw new ArgumentNullException(nameof(device));
            if (sectors == null) throw new ArgumentNullException(nameof(sectors));
            int pps = device.PagesPerSector;
            int pageCount = OptionLayout.PageCount(device, flashBytes);
            var list = sectors.Distinct().ToList();
            var missing = list.Where(s => s < 0 || (long)s * pps >= pageCount).ToList();
            if (missing.Count > 0)
                throw new ArgumentOutOfRangeException(nameof(sectors), string.Format(CultureInfo.InvariantCulture,
                    "{0} has WRP sectors 0 to {1} ({2} pages each); {3}.", device.Name, (pageCount + pps - 1) / pps - 1, pps, NoSuch("sector", missing)));
            var pages = list.SelectMany(s => Enumerable.Range(s * pps, pps)).Where(p => p < pageCount).ToList();
            return ForPages(device, pages, flashBytes);
        }

        /// <summary>Plan for every page that [address, address+length) touches.</summary>
        public static WriteProtectionPlan ForRange(DeviceInfo device, uint address, uint length, uint? flashBytes = null)
        {
            if (device == null) throw new ArgumentNullException(nameof(device));
            var layout = device.Layout ?? throw new InvalidOperationException(
                string.Format(CultureInfo.InvariantCulture, "The catalog has no page layout for {0}: write protection cannot be planned.", device));
            if (length == 0) throw new ArgumentOutOfRangeException(nameof(length), "The length must be at least 1 byte.");
            var flash = flashBytes.HasValue ? MemoryRange.FromLength(layout.Flash.Start, flashBytes.Value) : layout.Flash;
            if (!flash.Contains(address, length))
                throw new ArgumentOutOfRangeException(nameof(address), string.Format(CultureInfo.InvariantCulture,
                    "0x{0:X8}-0x{1:X8} is not inside the flash ({2}).", address, (ulong)address + length - 1, flash));
            return ForPages(device, layout.PagesTouching(address, length).Select(p => p.Index), flashBytes);
        }
    }
}
