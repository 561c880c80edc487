using System;
using System.Collections.Generic;
using System.Linq;
using Stm32.Protocol.Devices;
using Stm32.Protocol.Firmware;

namespace Stm32.Protocol.Programming
{
    /// <summary>Address-range arithmetic for erase and write plans: sorted, neighbours merged.</summary>
    internal static class AddressRanges
    {
        /// <summary>Neighbouring pages as one range each.</summary>
        public static List<MemoryRange> Merge(IEnumerable<FlashPage> pages)
        {
            var result = new List<MemoryRange>();
            foreach (var p in pages.OrderBy(p => p.Start)) Add(result, new MemoryRange(p.Start, p.End));
            return result;
        }

        /// <summary>The ranges the image's segments cover.</summary>
        public static IEnumerable<MemoryRange> Of(IReadOnlyList<ImageSegment> segments)
            => segments.Where(s => s.Length > 0).Select(s => new MemoryRange(s.Address, s.End));

        /// <summary>The parts of <paramref name="areas"/> that none of <paramref name="covered"/> overlaps, neighbours merged.</summary>
        public static List<MemoryRange> Uncovered(IEnumerable<MemoryRange> areas, IEnumerable<MemoryRange> covered)
        {
            var cover = covered.OrderBy(r => r.Start).ToList();
            var result = new List<MemoryRange>();
            foreach (var area in areas)
            {
                uint a = area.Start;
                foreach (var c in cover)
                {
                    if (c.End <= a || c.Start >= area.End) continue;
                    if (c.Start > a) Add(result, new MemoryRange(a, c.Start));
                    a = Math.Max(a, Math.Min(c.End, area.End));
                }
                if (a < area.End) Add(result, new MemoryRange(a, area.End));
            }
            return result;
        }

        private static void Add(List<MemoryRange> ranges, MemoryRange r)
        {
            if (ranges.Count > 0 && ranges[ranges.Count - 1].End == r.Start)
                ranges[ranges.Count - 1] = new MemoryRange(ranges[ranges.Count - 1].Start, r.End);
            else ranges.Add(r);
        }
    }
}
