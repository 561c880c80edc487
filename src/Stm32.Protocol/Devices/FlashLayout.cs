using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace Stm32.Protocol.Devices
{
    /// <summary>One erase unit of flash: a page (uniform parts) or a sector (F2/F4/F7).</summary>
    public sealed class FlashPage
    {
        internal FlashPage(int index, uint start, uint size)
        {
            Index = index;
            Start = start;
            Size = size;
        }

        /// <summary>The number the bootloader's Erase commands use for this page or sector.</summary>
        public int Index { get; }
        public uint Start { get; }
        public uint Size { get; }
        public uint End => Start + Size;

        public override string ToString()
            => string.Format(CultureInfo.InvariantCulture, "{0} 0x{1:X8} ({2} KiB)", Index, Start, Size / 1024.0);
    }

    /// <summary>
    /// The erase geometry of a flash: which page or sector holds an address and which ones a set
    /// of ranges touches. Uniform pages, or the F2/F4/F7 sector tables (spec section 9).
    /// </summary>
    public sealed class FlashLayout
    {
        private readonly FlashPage[] _pages;

        private FlashLayout(MemoryRange flash, FlashPage[] pages, bool uniform)
        {
            Flash = flash;
            _pages = pages;
            IsUniform = uniform;
        }

        public MemoryRange Flash { get; }

        public IReadOnlyList<FlashPage> Pages => _pages;

        public int PageCount => _pages.Length;

        /// <summary>True for equal-sized pages; false for a sector table.</summary>
        public bool IsUniform { get; }

        /// <summary>"page" for uniform layouts, "sector" for sector tables: the word users see.</summary>
        public string UnitName => IsUniform ? "page" : "sector";

        /// <summary>The page size for uniform layouts, else 0.</summary>
        public uint PageSize => IsUniform && _pages.Length > 0 ? _pages[0].Size : 0;

        public static FlashLayout Uniform(MemoryRange flash, uint pageSize)
        {
            if (pageSize == 0) throw new ArgumentOutOfRangeException(nameof(pageSize));
            var count = (int)(flash.Length / pageSize);
            var pages = new FlashPage[count];
            for (int i = 0; i < count; i++) pages[i] = new FlashPage(i, flash.Start + (uint)i * pageSize, pageSize);
            return new FlashLayout(flash, pages, true);
        }

        /// <summary>Sector sizes in order; the last one repeats until the flash ends.</summary>
        public static FlashLayout Sectors(MemoryRange flash, IReadOnlyList<uint> sizes, bool lastRepeats)
        {
            var pages = new List<FlashPage>();
            uint address = flash.Start;
            int i = 0;
            while (address < flash.End)
            {
                uint size;
                if (i < sizes.Count) size = sizes[i];
                else if (lastRepeats && sizes.Count > 0) size = sizes[sizes.Count - 1];
                else break;
                if ((ulong)address + size > flash.End) size = flash.End - address;
                pages.Add(new FlashPage(i, address, size));
                address += size;
                i++;
            }
            return new FlashLayout(flash, pages.ToArray(), false);
        }

        /// <summary>
        /// Parses the catalog's page_size_or_sector_layout column: "1024" or
        /// "16K x4; 64K x1; 128K (repeats)"; anything in square brackets is a comment.
        /// </summary>
        public static FlashLayout Parse(MemoryRange flash, string text)
        {
            var s = text;
            var bracket = s.IndexOf('[');
            if (bracket >= 0) s = s.Substring(0, bracket);
            s = s.Trim();
            if (uint.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var uniform))
                return Uniform(flash, uniform);
            var sizes = new List<uint>();
            bool repeats = false;
            foreach (var raw in s.Split(';'))
            {
                var part = raw.Trim();
                if (part.Length == 0) continue;
                int times = 1;
                if (part.EndsWith("(repeats)", StringComparison.OrdinalIgnoreCase))
                {
                    repeats = true;
                    part = part.Substring(0, part.Length - "(repeats)".Length).Trim();
                }
                var x = part.IndexOf('x');
                if (x > 0)
                {
                    times = int.Parse(part.Substring(x + 1).Trim(), CultureInfo.InvariantCulture);
                    part = part.Substring(0, x).Trim();
                }
                var size = ParseSize(part);
                for (int t = 0; t < times; t++) sizes.Add(size);
            }
            if (sizes.Count == 0) throw new FormatException($"Cannot read the flash layout '{text}'.");
            return Sectors(flash, sizes, repeats);
        }

        private static uint ParseSize(string text)
        {
            uint factor = 1;
            if (text.EndsWith("K", StringComparison.OrdinalIgnoreCase)) { factor = 1024; text = text.Substring(0, text.Length - 1); }
            return uint.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture) * factor;
        }

        /// <summary>The page or sector holding <paramref name="address"/>, or null outside flash.</summary>
        public FlashPage? PageAt(uint address)
        {
            if (!Flash.Contains(address) || _pages.Length == 0) return null;
            if (IsUniform)
            {
                var i = (int)((address - Flash.Start) / _pages[0].Size);
                return i < _pages.Length ? _pages[i] : null;
            }
            int lo = 0, hi = _pages.Length - 1;
            while (lo <= hi)
            {
                int mid = (lo + hi) / 2;
                var p = _pages[mid];
                if (address < p.Start) hi = mid - 1;
                else if (address >= p.End) lo = mid + 1;
                else return p;
            }
            return null;
        }

        /// <summary>The pages or sectors that [address, address+length) touches, in order.</summary>
        public IReadOnlyList<FlashPage> PagesTouching(uint address, uint length)
        {
            var result = new List<FlashPage>();
            if (length == 0) return result;
            foreach (var p in _pages)
                if (p.Start < (ulong)address + length && p.End > address) result.Add(p);
            return result;
        }

        /// <summary>The distinct pages or sectors that any of the ranges touches, in order.</summary>
        public IReadOnlyList<FlashPage> PagesTouching(IEnumerable<MemoryRange> ranges)
        {
            var set = new SortedDictionary<int, FlashPage>();
            foreach (var r in ranges)
                foreach (var p in PagesTouching(r.Start, r.Length))
                    set[p.Index] = p;
            return set.Values.ToList();
        }

        public override string ToString()
        {
            if (IsUniform) return string.Format(CultureInfo.InvariantCulture, "{0} pages of {1} bytes", PageCount, PageSize);
            return string.Format(CultureInfo.InvariantCulture, "{0} sectors ({1})", PageCount,
                string.Join(", ", _pages.Select(p => (p.Size / 1024).ToString(CultureInfo.InvariantCulture) + "K")));
        }
    }
}
