using System;
using System.Collections.Generic;
using System.Linq;
using Stm32.Protocol.Bootloader;
using Stm32.Protocol.Devices;
using Stm32.Protocol.Firmware;

namespace Stm32.Protocol.Programming
{
    /// <summary>One Write Memory's worth of an image: 256 bytes aligned to 256, padded with 0xFF.</summary>
    internal sealed class FlashBlock
    {
        public const int Size = An3155.MaxBlock;

        public FlashBlock(uint address, byte[] data, bool[] covered)
        {
            Address = address;
            Data = data;
            Covered = covered;
        }

        public uint Address { get; }

        /// <summary>The first address past the block.</summary>
        public uint End => Address + (uint)Data.Length;

        /// <summary>The bytes to program: the image's, 0xFF where it has none.</summary>
        public byte[] Data { get; }

        /// <summary>Which bytes the image has (padding is not compared on read-back: without an erase it may hold anything).</summary>
        public bool[] Covered { get; }

        private bool? _allErased;

        /// <summary>Every byte 0xFF: nothing to program after an erase (a .bin of a sparse image is mostly such blocks).</summary>
        public bool AllErased => _allErased ??= IsAllFF(Data);

        private static bool IsAllFF(byte[] data)
        {
            for (int i = 0; i < data.Length; i++)
                if (data[i] != 0xFF) return false;
            return true;
        }

        /// <summary>256-byte blocks aligned to 256 from <paramref name="alignBase"/>, padded with 0xFF, for data inside <paramref name="region"/>.</summary>
        public static List<FlashBlock> Build(IReadOnlyList<ImageSegment> segments, MemoryRange region, uint alignBase)
        {
            var blocks = new SortedDictionary<uint, byte[]>();
            var covered = new Dictionary<uint, bool[]>();
            foreach (var s in segments)
            {
                for (uint a = Math.Max(s.Address, region.Start); a < Math.Min(s.End, region.End);)
                {
                    var blockStart = alignBase + (a - alignBase) / Size * Size;
                    var blockEnd = Math.Min(blockStart + Size, region.End);
                    if (!blocks.TryGetValue(blockStart, out var buf))
                    {
                        buf = new byte[blockEnd - blockStart];
                        for (int i = 0; i < buf.Length; i++) buf[i] = 0xFF;
                        blocks[blockStart] = buf;
                        covered[blockStart] = new bool[buf.Length];
                    }
                    var end = Math.Min(Math.Min(s.End, region.End), blockEnd);
                    s.CopyTo((int)(a - s.Address), buf, (int)(a - blockStart), (int)(end - a));
                    var mask = covered[blockStart];
                    for (var i = a - blockStart; i < end - blockStart; i++) mask[i] = true;
                    a = end;
                }
            }
            return blocks.Select(kv => new FlashBlock(kv.Key, kv.Value, covered[kv.Key])).ToList();
        }

        /// <summary>The blocks in runs of neighbours (one Get Checksum covers a run).</summary>
        public static IEnumerable<List<FlashBlock>> Runs(IReadOnlyList<FlashBlock> blocks)
        {
            var run = new List<FlashBlock>();
            foreach (var b in blocks)
            {
                if (run.Count > 0 && run[run.Count - 1].End != b.Address)
                {
                    yield return run;
                    run = new List<FlashBlock>();
                }
                run.Add(b);
            }
            if (run.Count > 0) yield return run;
        }
    }
}
