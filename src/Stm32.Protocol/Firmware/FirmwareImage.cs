using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Security.Cryptography;
using System.Text;

namespace Stm32.Protocol.Firmware
{
    /// <summary>
    /// A firmware image: sorted, non-overlapping segments of bytes (adjacent segments are merged),
    /// the start (entry) address when the file carried one, and where it came from. Immutable.
    /// </summary>
    /// <remarks>
    /// Equality is content equality: two images are equal when they hold the same bytes at the
    /// same addresses. <see cref="StartAddress"/>, <see cref="SourcePath"/> and
    /// <see cref="SourceFormat"/> are not part of it, so the same program read from a .hex and an
    /// .elf compares equal. Bytes are never interpreted: an 0xFF byte in the file is data like any
    /// other (a raw binary's 0xFF gap fill is data too; see <see cref="WithoutFill"/>).
    /// </remarks>
    public sealed class FirmwareImage : IEquatable<FirmwareImage>
    {
        private static readonly IReadOnlyList<ImageSegment> NoSegments = Array.Empty<ImageSegment>();
        private readonly ImageSegment[] _segments;
        private string? _sha256;

        private FirmwareImage(ImageSegment[] canonicalSegments, uint? startAddress, string? sourcePath, FirmwareFormat sourceFormat)
        {
            _segments = canonicalSegments;
            Segments = canonicalSegments.Length == 0 ? NoSegments : Array.AsReadOnly(canonicalSegments);
            StartAddress = startAddress;
            SourcePath = sourcePath;
            SourceFormat = sourceFormat;
            long total = 0;
            foreach (var s in canonicalSegments) total += s.Length;
            DataBytes = total;
        }

        /// <summary>An image without any bytes.</summary>
        public static FirmwareImage Empty { get; } = new FirmwareImage(Array.Empty<ImageSegment>(), null, null, FirmwareFormat.Auto);

        /// <summary>The segments in address order; none overlap and none touch (adjacent ones are merged).</summary>
        public IReadOnlyList<ImageSegment> Segments { get; }

        /// <summary>
        /// The entry point the file named: Intel HEX type 05 (or CS*16+IP of type 03), the S7/S8/S9
        /// address, or ELF e_entry. Null when the file named none; an S-record or ELF entry of 0 is
        /// taken as "none" (that is what those formats write when there is no entry). For ARM this
        /// is the reset handler (Thumb bit set), not the vector table base: don't feed it to Go.
        /// </summary>
        public uint? StartAddress { get; }

        /// <summary>The file the image was read from, or null.</summary>
        public string? SourcePath { get; }

        /// <summary>The format the image was read from; <see cref="FirmwareFormat.Auto"/> when built in memory.</summary>
        public FirmwareFormat SourceFormat { get; }

        /// <summary>The number of data bytes (sum of the segment lengths).</summary>
        public long DataBytes { get; }

        public bool IsEmpty => _segments.Length == 0;

        /// <summary>The address of the first byte; 0 for an empty image.</summary>
        public uint LowestAddress => _segments.Length == 0 ? 0 : _segments[0].Address;

        /// <summary>The first address past the last byte (exclusive); 0 for an empty image.</summary>
        public uint HighestAddress => _segments.Length == 0 ? 0 : _segments[_segments.Length - 1].End;

        /// <summary>HighestAddress - LowestAddress: the size of a flat (gap-filled) copy.</summary>
        public long Span => (long)HighestAddress - LowestAddress;

        /// <summary>
        /// SHA-256 of the content, lowercase hex. The hash input is, for each segment in address
        /// order: its address as 4 bytes little-endian, its length as 4 bytes little-endian, then
        /// its bytes. Segments are canonical (merged, sorted), so equal images have equal hashes
        /// whatever file they came from; the start address and path are not hashed. An empty
        /// image hashes the empty input (e3b0c442...).
        /// </summary>
        public string Sha256 => _sha256 ??= ComputeSha256();

        /// <summary>
        /// Builds an image from segments in any order. Adjacent segments are merged; overlapping
        /// segments are allowed only where they hold the same bytes. Empty segments are dropped.
        /// </summary>
        /// <exception cref="ArgumentException">Two segments give different bytes for the same address.</exception>
        public static FirmwareImage FromSegments(IEnumerable<ImageSegment> segments, uint? startAddress = null,
            string? sourcePath = null, FirmwareFormat sourceFormat = FirmwareFormat.Auto)
        {
            if (segments == null) throw new ArgumentNullException(nameof(segments));
            var collector = new SegmentCollector(initialCapacity: 0);
            int index = 0;
            foreach (var s in segments)
            {
                index++;
                if (s == null) throw new ArgumentException("A segment is null.", nameof(segments));
                collector.Add(s.Address, s.RawBytes, 0, s.Length, index);
            }
            ImageSegment[] built;
            try
            {
                built = collector.Build();
            }
            catch (SegmentConflictException e)
            {
                throw new ArgumentException(string.Format(CultureInfo.InvariantCulture,
                    "Segments {0} and {1} give different bytes for address 0x{2:X8} (0x{3:X2} and 0x{4:X2}).",
                    e.FirstTag, e.SecondTag, e.Address, e.FirstValue, e.SecondValue), nameof(segments));
            }
            return new FirmwareImage(built, startAddress, sourcePath, sourceFormat);
        }

        /// <summary>An image of one block of bytes (copied) at <paramref name="address"/>.</summary>
        public static FirmwareImage FromBytes(uint address, byte[] data, uint? startAddress = null)
            => FromSegments(new[] { new ImageSegment(address, data) }, startAddress);

        /// <summary>Wraps segments that are already canonical (sorted, merged, owned).</summary>
        internal static FirmwareImage FromCanonical(ImageSegment[] segments, uint? startAddress, string? sourcePath, FirmwareFormat format)
            => new FirmwareImage(segments, startAddress, sourcePath, format);

        /// <summary>The same content with another start address, path or format.</summary>
        public FirmwareImage With(uint? startAddress, string? sourcePath, FirmwareFormat sourceFormat)
            => new FirmwareImage(_segments, startAddress, sourcePath, sourceFormat) { _sha256 = _sha256 };

        /// <summary>Whether the image holds a byte at <paramref name="address"/>.</summary>
        public bool Contains(uint address) => FindSegment(address) >= 0;

        /// <summary>The byte at <paramref name="address"/>, if the image holds one.</summary>
        public bool TryGetByte(uint address, out byte value)
        {
            int i = FindSegment(address);
            if (i < 0) { value = 0; return false; }
            value = _segments[i][(int)(address - _segments[i].Address)];
            return true;
        }

        /// <summary>
        /// A flat copy of [<paramref name="from"/>, from + <paramref name="length"/>): image bytes
        /// where the image has them, <paramref name="fill"/> elsewhere.
        /// </summary>
        public byte[] ToFlat(uint from, uint length, byte fill = 0xFF)
        {
            if ((ulong)from + length > 0x1_0000_0000UL) throw new ArgumentOutOfRangeException(nameof(length), "The range runs past 0xFFFFFFFF.");
            if (length > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(length), "Too large for one array.");
            var result = new byte[length];
            if (fill != 0) for (int i = 0; i < result.Length; i++) result[i] = fill;
            ulong end = (ulong)from + length;
            foreach (var s in _segments)
            {
                if (s.End <= from) continue;
                if (s.Address >= end) break;
                uint lo = Math.Max(s.Address, from);
                uint hi = (uint)Math.Min(s.End, end);
                Buffer.BlockCopy(s.RawBytes, (int)(lo - s.Address), result, (int)(lo - from), (int)(hi - lo));
            }
            return result;
        }

        /// <summary>A flat copy of the whole span, gaps filled with <paramref name="fill"/>.</summary>
        public byte[] ToFlat(byte fill = 0xFF) => ToFlat(LowestAddress, (uint)Span, fill);

        /// <summary>The part of the image inside [<paramref name="from"/>, from + <paramref name="length"/>). Keeps start address and source.</summary>
        public FirmwareImage Slice(uint from, uint length)
        {
            ulong end = (ulong)from + length;
            var parts = new List<ImageSegment>();
            foreach (var s in _segments)
            {
                if (s.End <= from) continue;
                if (s.Address >= end) break;
                if (s.Address >= from && s.End <= end) { parts.Add(s); continue; }
                uint lo = Math.Max(s.Address, from);
                uint hi = (uint)Math.Min(s.End, end);
                var bytes = new byte[hi - lo];
                Buffer.BlockCopy(s.RawBytes, (int)(lo - s.Address), bytes, 0, bytes.Length);
                parts.Add(new ImageSegment(lo, bytes, owned: true));
            }
            return new FirmwareImage(parts.ToArray(), StartAddress, SourcePath, SourceFormat);
        }

        /// <summary>
        /// The image without runs of <paramref name="fill"/> bytes of at least
        /// <paramref name="minimumRun"/> bytes (such runs at a segment's start or end are removed
        /// whatever their length). Useful to compare a gap-filled .bin with a sparse .hex, or to
        /// skip writing erased flash.
        /// </summary>
        public FirmwareImage WithoutFill(byte fill = 0xFF, int minimumRun = 256)
        {
            if (minimumRun < 1) throw new ArgumentOutOfRangeException(nameof(minimumRun));
            var parts = new List<ImageSegment>();
            foreach (var s in _segments)
            {
                var b = s.RawBytes;
                int i = 0;
                while (i < b.Length)
                {
                    // Skip fill at the start of what is left.
                    while (i < b.Length && b[i] == fill) i++;
                    if (i >= b.Length) break;
                    int start = i, lastData = i;
                    int run = 0;
                    for (; i < b.Length; i++)
                    {
                        if (b[i] == fill) { if (++run >= minimumRun) break; }
                        else { run = 0; lastData = i; }
                    }
                    var bytes = new byte[lastData + 1 - start];
                    Buffer.BlockCopy(b, start, bytes, 0, bytes.Length);
                    parts.Add(new ImageSegment(s.Address + (uint)start, bytes, owned: true));
                    i = lastData + 1;
                }
            }
            return new FirmwareImage(parts.ToArray(), StartAddress, SourcePath, SourceFormat);
        }

        public bool Equals(FirmwareImage? other)
        {
            if (other is null) return false;
            if (ReferenceEquals(this, other)) return true;
            if (_segments.Length != other._segments.Length || DataBytes != other.DataBytes) return false;
            for (int i = 0; i < _segments.Length; i++)
                if (!_segments[i].Equals(other._segments[i])) return false;
            return true;
        }

        public override bool Equals(object? obj) => obj is FirmwareImage i && Equals(i);

        public override int GetHashCode()
        {
            unchecked
            {
                int h = _segments.Length;
                foreach (var s in _segments) h = h * 397 + s.GetHashCode();
                return h;
            }
        }

        public static bool operator ==(FirmwareImage? a, FirmwareImage? b) => a is null ? b is null : a.Equals(b);

        public static bool operator !=(FirmwareImage? a, FirmwareImage? b) => !(a == b);

        public override string ToString()
        {
            if (IsEmpty) return "empty image";
            var sb = new StringBuilder();
            sb.AppendFormat(CultureInfo.InvariantCulture, "{0} segment{1}, {2} bytes, 0x{3:X8}-0x{4:X8}",
                _segments.Length, _segments.Length == 1 ? "" : "s", DataBytes, LowestAddress, HighestAddress - 1);
            if (StartAddress.HasValue) sb.AppendFormat(CultureInfo.InvariantCulture, ", start 0x{0:X8}", StartAddress.Value);
            sb.Append(", sha256 ").Append(Sha256.Substring(0, 16)).Append('…');
            return sb.ToString();
        }

        private int FindSegment(uint address)
        {
            int lo = 0, hi = _segments.Length - 1;
            while (lo <= hi)
            {
                int mid = (lo + hi) >> 1;
                var s = _segments[mid];
                if (address < s.Address) hi = mid - 1;
                else if (address >= s.End) lo = mid + 1;
                else return mid;
            }
            return -1;
        }

        private string ComputeSha256()
        {
            using var sha = SHA256.Create();
            var header = new byte[8];
            foreach (var s in _segments)
            {
                WriteLe(header, 0, s.Address);
                WriteLe(header, 4, (uint)s.Length);
                sha.TransformBlock(header, 0, 8, null, 0);
                sha.TransformBlock(s.RawBytes, 0, s.Length, null, 0);
            }
            sha.TransformFinalBlock(Array.Empty<byte>(), 0, 0);
            var hash = sha.Hash!;
            var sb = new StringBuilder(64);
            foreach (var b in hash) sb.Append(b.ToString("x2", CultureInfo.InvariantCulture));
            return sb.ToString();
        }

        private static void WriteLe(byte[] buffer, int offset, uint value)
        {
            buffer[offset] = (byte)value;
            buffer[offset + 1] = (byte)(value >> 8);
            buffer[offset + 2] = (byte)(value >> 16);
            buffer[offset + 3] = (byte)(value >> 24);
        }
    }
}
