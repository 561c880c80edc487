using System;
using System.Collections.Generic;

namespace Stm32.Protocol.Firmware
{
    /// <summary>Two pieces of input give different bytes for one address.</summary>
    internal sealed class SegmentConflictException : Exception
    {
        public SegmentConflictException(uint address, int firstTag, byte firstValue, int secondTag, byte secondValue)
            : base("conflict")
        {
            Address = address;
            FirstTag = firstTag;
            FirstValue = firstValue;
            SecondTag = secondTag;
            SecondValue = secondValue;
        }

        public uint Address { get; }

        /// <summary>The tag (line number, index) of the piece that came first in the input.</summary>
        public int FirstTag { get; }

        public byte FirstValue { get; }

        public int SecondTag { get; }

        public byte SecondValue { get; }
    }

    /// <summary>
    /// Collects data records into one large buffer and builds canonical segments at the end.
    /// Records that continue the previous one (the usual case) extend it in place, so a 2 MiB
    /// file costs a handful of chunks, not one object per line. Records in any order are fine;
    /// overlaps are checked byte by byte when the segments are built.
    /// </summary>
    internal sealed class SegmentCollector
    {
        private byte[] _buffer;
        private int _used;
        private uint[] _addr = new uint[16];
        private int[] _off = new int[16];
        private int[] _len = new int[16];
        private int[] _tag = new int[16];
        private int _count;
        private bool _ordered = true;
        private readonly bool _mergeRuns;

        /// <param name="initialCapacity">Expected number of data bytes.</param>
        /// <param name="mergeRuns">
        /// True: a record that continues the previous one extends its chunk (fast). False: one
        /// chunk per record, so a conflict names the exact records (used to re-read a bad file).
        /// </param>
        public SegmentCollector(int initialCapacity, bool mergeRuns = true)
        {
            _buffer = new byte[Math.Max(initialCapacity, 256)];
            _mergeRuns = mergeRuns;
        }

        /// <summary>The shared buffer; write reserved bytes at the offset <see cref="Reserve"/> returned.</summary>
        public byte[] Buffer => _buffer;

        /// <summary>The number of chunks (runs of consecutive records).</summary>
        public int ChunkCount => _count;

        /// <summary>
        /// Reserves <paramref name="count"/> bytes for data at <paramref name="address"/> and returns
        /// where in <see cref="Buffer"/> to put them. <paramref name="tag"/> names the record in
        /// conflict reports (a line number, an index).
        /// </summary>
        public int Reserve(uint address, int count, int tag)
        {
            if ((ulong)address + (ulong)count > uint.MaxValue)
                throw new ArgumentOutOfRangeException(nameof(address), "Data would reach 0xFFFFFFFF.");
            if (_used + count > _buffer.Length)
            {
                long want = Math.Max((long)_buffer.Length * 2, (long)_used + count);
                if (want > int.MaxValue - 64) want = int.MaxValue - 64;
                if (want < (long)_used + count) throw new InvalidOperationException("The image is too large.");
                Array.Resize(ref _buffer, (int)want);
            }
            int at = _used;
            if (count == 0) return at;
            if (_count > 0)
            {
                int last = _count - 1;
                uint lastEnd = _addr[last] + (uint)_len[last];
                if (_mergeRuns && address == lastEnd)
                {
                    _len[last] += count;
                    _used += count;
                    return at;
                }
                if (address < lastEnd) _ordered = false;
            }
            if (_count == _addr.Length)
            {
                int n = _count * 2;
                Array.Resize(ref _addr, n);
                Array.Resize(ref _off, n);
                Array.Resize(ref _len, n);
                Array.Resize(ref _tag, n);
            }
            _addr[_count] = address;
            _off[_count] = at;
            _len[_count] = count;
            _tag[_count] = tag;
            _count++;
            _used += count;
            return at;
        }

        public void Add(uint address, byte[] source, int offset, int count, int tag)
        {
            int at = Reserve(address, count, tag);
            System.Buffer.BlockCopy(source, offset, _buffer, at, count);
        }

        /// <summary>Sorted, merged segments. Throws <see cref="SegmentConflictException"/> on a conflicting overlap.</summary>
        /// <summary>
        /// Builds the segments of a line-based file. When overlapping records disagree, parses
        /// again with one chunk per record so the error can name both lines.
        /// </summary>
        /// <summary>
        /// The image of a line-based file (Intel HEX, S-record): <paramref name="parse"/> returns
        /// the collected records and the start address, and is run again one chunk per record
        /// when overlapping records disagree (<see cref="BuildNamingConflicts"/>).
        /// </summary>
        public static FirmwareImage ReadLineBased(Func<bool, (SegmentCollector Collector, uint? Start)> parse, string? path, FirmwareFormat format)
        {
            uint? start = null;
            var segments = BuildNamingConflicts(merge =>
            {
                var (collector, st) = parse(merge);
                start = st;
                return collector;
            }, path);
            return FirmwareImage.FromCanonical(segments, start, path, format);
        }

        public static ImageSegment[] BuildNamingConflicts(Func<bool, SegmentCollector> parse, string? path)
        {
            try
            {
                return parse(true).Build();
            }
            catch (SegmentConflictException)
            {
                try
                {
                    parse(false).Build();
                }
                catch (SegmentConflictException e)
                {
                    throw new FirmwareFormatException(path, e.SecondTag, null, string.Format(System.Globalization.CultureInfo.InvariantCulture,
                        "this record puts 0x{0:X2} at 0x{1:X8}, but line {2} put 0x{3:X2} there (overlapping records disagree)",
                        e.SecondValue, e.Address, e.FirstTag, e.FirstValue));
                }
                throw new InvalidOperationException("Overlap conflict vanished on the second reading.");
            }
        }

        public ImageSegment[] Build()
        {
            if (_count == 0) return Array.Empty<ImageSegment>();
            return _ordered ? BuildOrdered() : BuildUnordered();
        }

        private ImageSegment[] BuildOrdered()
        {
            // Chunks ascend and sit one after another in the buffer: a merged run of chunks is
            // one contiguous stretch of the buffer.
            var result = new List<ImageSegment>();
            int first = 0;
            for (int i = 1; i <= _count; i++)
            {
                if (i < _count && _addr[i] == _addr[i - 1] + (uint)_len[i - 1]) continue;
                int off = _off[first];
                int len = _off[i - 1] + _len[i - 1] - off;
                byte[] bytes;
                if (off == 0 && len == _buffer.Length) bytes = _buffer;
                else
                {
                    bytes = new byte[len];
                    System.Buffer.BlockCopy(_buffer, off, bytes, 0, len);
                }
                result.Add(new ImageSegment(_addr[first], bytes, owned: true));
                first = i;
            }
            return result.ToArray();
        }

        private ImageSegment[] BuildUnordered()
        {
            var order = new int[_count];
            for (int i = 0; i < _count; i++) order[i] = i;
            // Stable: by address, then by input order.
            Array.Sort(order, (a, b) => _addr[a] != _addr[b] ? _addr[a].CompareTo(_addr[b]) : a.CompareTo(b));

            var result = new List<ImageSegment>();
            int k = 0;
            while (k < _count)
            {
                // Extent of the merged interval starting at order[k].
                uint start = _addr[order[k]];
                ulong end = (ulong)start + (uint)_len[order[k]];
                int j = k + 1;
                while (j < _count && _addr[order[j]] <= end)
                {
                    end = Math.Max(end, (ulong)_addr[order[j]] + (uint)_len[order[j]]);
                    j++;
                }
                var bytes = new byte[end - start];
                ulong written = start;
                for (int m = k; m < j; m++)
                {
                    int c = order[m];
                    uint a = _addr[c];
                    ulong cEnd = (ulong)a + (uint)_len[c];
                    // The part already written must agree.
                    ulong overlapEnd = Math.Min(cEnd, written);
                    for (ulong x = a; x < overlapEnd; x++)
                    {
                        byte have = bytes[x - start];
                        byte mine = _buffer[_off[c] + (int)(x - a)];
                        if (have != mine) throw Conflict((uint)x, order, m, c, have, mine);
                    }
                    if (cEnd > written)
                    {
                        ulong from = Math.Max(written, a);
                        System.Buffer.BlockCopy(_buffer, _off[c] + (int)(from - a), bytes, (int)(from - start), (int)(cEnd - from));
                        written = cEnd;
                    }
                }
                result.Add(new ImageSegment(start, bytes, owned: true));
                k = j;
            }
            return result.ToArray();
        }

        private SegmentConflictException Conflict(uint address, int[] order, int upTo, int chunk, byte have, byte mine)
        {
            // The byte already there came from the first chunk (in address order) covering it.
            int owner = chunk;
            for (int m = 0; m < upTo; m++)
            {
                int c = order[m];
                if (address >= _addr[c] && (ulong)address < (ulong)_addr[c] + (uint)_len[c]) { owner = c; break; }
            }
            int ownerTag = _tag[owner], myTag = _tag[chunk];
            // With merged runs a tag names the first record of a run; readers re-read a bad file
            // with mergeRuns: false to name the exact records.
            return owner < chunk
                ? new SegmentConflictException(address, ownerTag, have, myTag, mine)
                : new SegmentConflictException(address, myTag, mine, ownerTag, have);
        }
    }
}
