using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Stm32.Protocol.Bootloader;
using Stm32.Protocol.Devices;

namespace Stm32.Protocol.Programming
{
    /// <summary>What a collateral range holds, as far as the plan could tell.</summary>
    public enum CollateralState
    {
        /// <summary>Not checked, or not all of it: it may hold data.</summary>
        Unknown,

        /// <summary>Every byte is 0xFF (by Get Checksum against the CRC of erased flash, or read).</summary>
        Blank,

        /// <summary>At least one byte is not 0xFF: the erase loses it.</summary>
        HoldsData,
    }

    /// <summary>
    /// Collateral: bytes in the pages (sectors) a write erases that the image does not cover. The
    /// write does not put them back, so whatever they hold is lost. Each range says whether it
    /// holds data, and how that is known; it never claims data it did not see.
    /// </summary>
    public sealed class CollateralRange
    {
        internal CollateralRange(MemoryRange range, CollateralState state, VerifyMethod checkedBy, long bytesRead = 0,
            long dataBytes = 0, uint? firstData = null, string? note = null)
        {
            Range = range;
            State = state;
            CheckedBy = checkedBy;
            BytesRead = bytesRead;
            DataBytes = checkedBy == VerifyMethod.ReadBack ? dataBytes : (long?)null;
            FirstData = firstData;
            Note = note;
        }

        public MemoryRange Range { get; }

        public uint Start => Range.Start;

        /// <summary>The first address past the range.</summary>
        public uint End => Range.End;

        public uint Length => Range.Length;

        public CollateralState State { get; }

        /// <summary>How the state is known: Checksum (Get Checksum, the edges read), ReadBack, or None (not looked at).</summary>
        public VerifyMethod CheckedBy { get; }

        /// <summary>How many of its bytes were read (all of them, some, or none).</summary>
        public long BytesRead { get; }

        /// <summary>Bytes that are not 0xFF among those read; null when it was not read.</summary>
        public long? DataBytes { get; }

        /// <summary>The first byte read that is not 0xFF.</summary>
        public uint? FirstData { get; }

        /// <summary>Why an unknown range was not checked.</summary>
        internal string? Note { get; }

        /// <summary>"0x08000110-0x08003FFF (16112 bytes): holds data (16112 of its 16112 bytes are not 0xFF)".</summary>
        public string Describe()
            => string.Format(CultureInfo.InvariantCulture, "{0} ({1} bytes): {2}", Range, Length, DescribeState());

        /// <summary>What the range holds and how that is known, without the range.</summary>
        public string DescribeState()
        {
            switch (State)
            {
                case CollateralState.Blank:
                    return CheckedBy == VerifyMethod.Checksum
                        ? "blank (its Get Checksum is that of erased flash)"
                        : "blank (read: every byte is 0xFF)";
                case CollateralState.HoldsData:
                    if (CheckedBy == VerifyMethod.Checksum) return "holds data (its Get Checksum differs from that of erased flash)";
                    return BytesRead >= Length
                        ? string.Format(CultureInfo.InvariantCulture, "holds data ({0} of its {1} bytes are not 0xFF)", DataBytes, Length)
                        : string.Format(CultureInfo.InvariantCulture, "holds data ({0} of the {1} bytes read are not 0xFF, the first at 0x{2:X8}; the rest was not read)",
                            DataBytes, BytesRead, FirstData);
                default:
                    return BytesRead > 0
                        ? string.Format(CultureInfo.InvariantCulture, "not known: the first {0} bytes read blank, the other {1} were not read, and may hold data",
                            BytesRead, Length - BytesRead)
                        : "not checked (" + (Note ?? "not looked at") + "), and may hold data";
            }
        }

        /// <summary>"0x08000110-0x08003FFF: holds data".</summary>
        public override string ToString()
            => Range + ": " + (State == CollateralState.HoldsData ? "holds data" : State == CollateralState.Blank ? "blank" : "not known");
    }

    /// <summary>Finds out what collateral ranges hold, by reads only (<see cref="CollateralCheck"/>).</summary>
    internal static class CollateralChecker
    {
        /// <summary>Ranges up to this long are read rather than checksummed: one Read costs what one Get Checksum does.</summary>
        private const uint ReadAlways = FlashBlock.Size;

        /// <summary>
        /// What each range holds, per <paramref name="how"/>. <paramref name="readBudget"/>: the
        /// most bytes a Cheap check reads in all besides ranges of up to 256 bytes;
        /// <paramref name="unread"/>: why a range left unread was not read, when that is not the budget.
        /// </summary>
        public static List<CollateralRange> Check(Stm32Connection c, IReadOnlyList<MemoryRange> ranges, CollateralCheck how, long readBudget,
            string? unread, IProgress<OperationProgress>? progress, CancellationToken ct)
        {
            var result = new CollateralRange?[ranges.Count];
            if (how == CollateralCheck.None)
                return ranges.Select(r => new CollateralRange(r, CollateralState.Unknown, VerifyMethod.None, note: "not asked for")).ToList();

            bool byChecksum = how == CollateralCheck.Cheap && ranges.Any(r => r.Length > ReadAlways) && c.HasChecksum && c.ChecksumIsBelieved(ct);
            long budget = how == CollateralCheck.Read ? long.MaxValue : readBudget;
            var reader = new RangeReader(c, Math.Min(budget, ranges.Where(r => !byChecksum || r.Length <= ReadAlways).Sum(r => (long)r.Length)), progress, ct);
            for (int i = 0; i < ranges.Count; i++)
            {
                if (byChecksum && ranges[i].Length > ReadAlways) result[i] = ByChecksum(c, ranges[i], ct);
                else if (ranges[i].Length <= ReadAlways) result[i] = reader.Read(ranges[i], ranges[i].Length);
            }
            // Without a believable Get Checksum: the small ranges whole first (their answer is
            // exact), then the start of the larger ones with what is left of the budget.
            var open = Enumerable.Range(0, ranges.Count).Where(i => result[i] == null).ToList();
            foreach (var i in open.OrderBy(i => ranges[i].Length))
            {
                if (ranges[i].Length > budget) continue;
                budget -= ranges[i].Length;
                result[i] = reader.Read(ranges[i], ranges[i].Length);
            }
            // The larger ones share what is left: old data shows in the first bytes of a range as a rule.
            var large = open.Where(i => result[i] == null).ToList();
            for (int k = 0; k < large.Count; k++)
            {
                var i = large[k];
                long share = Math.Max(budget / (large.Count - k), Math.Min(budget, FlashBlock.Size));
                var r = reader.Read(ranges[i], (uint)Math.Min(share, ranges[i].Length), stopAtData: true);
                budget -= r.BytesRead;
                result[i] = r.BytesRead > 0 ? r : new CollateralRange(ranges[i], CollateralState.Unknown, VerifyMethod.None,
                    note: unread ?? (c.HasChecksum
                        ? "too large to read cheaply, and the chip's Get Checksum is not believed"
                        : "too large to read cheaply, and the chip has no Get Checksum"));
            }
            return result.Select(r => r!).ToList();
        }

        /// <summary>
        /// Get Checksum needs a start and a length in whole 32-bit words (spec 4.13): the words
        /// inside the range are checksummed, the up to 3 bytes at either end are read. A checksum
        /// that differs from erased flash's is asked again before it is believed (two garbled
        /// answers that agree are not credible).
        /// </summary>
        private static CollateralRange ByChecksum(Stm32Connection c, MemoryRange range, CancellationToken ct)
        {
            uint bodyStart = (range.Start + 3u) & ~3u;
            uint bodyEnd = range.End & ~3u;
            var edges = new List<MemoryRange> { new MemoryRange(range.Start, bodyStart), new MemoryRange(bodyEnd, range.End) };
            foreach (var edge in edges.Where(e => !e.IsEmpty))
            {
                var got = FlashReads.StableRead(c, edge.Start, FlashReads.Blank((int)edge.Length), null, ct);
                int at = Array.FindIndex(got, b => b != 0xFF);
                if (at >= 0)
                    return new CollateralRange(range, CollateralState.HoldsData, VerifyMethod.ReadBack, edge.Length, got.Count(b => b != 0xFF), edge.Start + (uint)at);
            }
            var blank = FlashReads.BlankCrc(bodyEnd - bodyStart);
            bool differs = c.Checksum(bodyStart, bodyEnd - bodyStart, null, ct) != blank
                && c.Checksum(bodyStart, bodyEnd - bodyStart, null, ct) != blank;
            return new CollateralRange(range, differs ? CollateralState.HoldsData : CollateralState.Blank, VerifyMethod.Checksum);
        }

        /// <summary>Reads collateral in Read Memory-sized chunks, each believed only when stable.</summary>
        private sealed class RangeReader
        {
            private readonly Stm32Connection _c;
            private readonly IProgress<OperationProgress>? _progress;
            private readonly CancellationToken _ct;
            private readonly long _total;
            private long _done;

            public RangeReader(Stm32Connection c, long total, IProgress<OperationProgress>? progress, CancellationToken ct)
            {
                _c = c;
                _total = total;
                _progress = progress;
                _ct = ct;
            }

            /// <summary>Reads the first <paramref name="length"/> bytes of <paramref name="range"/>; with <paramref name="stopAtData"/>, no further than the first chunk that holds data.</summary>
            public CollateralRange Read(MemoryRange range, uint length, bool stopAtData = false)
            {
                long read = 0, data = 0;
                uint? first = null;
                for (uint off = 0; off < length; off += FlashBlock.Size)
                {
                    var n = (int)Math.Min(FlashBlock.Size, length - off);
                    var at = range.Start + off;
                    var got = FlashReads.StableRead(_c, at, FlashReads.Blank(n), null, _ct);
                    for (int i = 0; i < n; i++)
                    {
                        if (got[i] == 0xFF) continue;
                        data++;
                        first ??= at + (uint)i;
                    }
                    read += n;
                    _done += n;
                    _progress?.Report(new OperationProgress("Reading", _done, Math.Max(_done, _total), Stm32Connection.Hex(at)));
                    if (stopAtData && data > 0) break;
                }
                var state = data > 0 ? CollateralState.HoldsData : read >= range.Length ? CollateralState.Blank : CollateralState.Unknown;
                return new CollateralRange(range, state, VerifyMethod.ReadBack, read, data, first);
            }
        }
    }
}
