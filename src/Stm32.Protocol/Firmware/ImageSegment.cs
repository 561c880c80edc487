using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Globalization;

namespace Stm32.Protocol.Firmware
{
    /// <summary>
    /// A run of bytes at consecutive addresses. Immutable: the constructor copies the bytes and
    /// <see cref="Data"/> is a read-only view. <see cref="End"/> is exclusive, so a segment never
    /// holds the byte at 0xFFFFFFFF (the end would not fit 32 bits).
    /// </summary>
    public sealed class ImageSegment : IEquatable<ImageSegment>
    {
        private readonly byte[] _bytes;
        private ReadOnlyCollection<byte>? _view;

        /// <summary>A segment holding a copy of <paramref name="data"/> at <paramref name="address"/>.</summary>
        public ImageSegment(uint address, byte[] data)
            : this(address, (byte[])(data ?? throw new ArgumentNullException(nameof(data))).Clone(), owned: true)
        {
        }

        /// <summary>Takes ownership of <paramref name="bytes"/> (no copy).</summary>
        internal ImageSegment(uint address, byte[] bytes, bool owned)
        {
            _ = owned;
            if ((ulong)address + (ulong)bytes.LongLength > uint.MaxValue)
                throw new ArgumentOutOfRangeException(nameof(address), string.Format(CultureInfo.InvariantCulture,
                    "A segment of {0} bytes at 0x{1:X8} would reach 0xFFFFFFFF; the highest usable address is 0xFFFFFFFE.", bytes.LongLength, address));
            Address = address;
            _bytes = bytes;
        }

        /// <summary>The address of the first byte.</summary>
        public uint Address { get; }

        /// <summary>The number of bytes.</summary>
        public int Length => _bytes.Length;

        /// <summary>The first address past the segment (exclusive).</summary>
        public uint End => Address + (uint)_bytes.Length;

        /// <summary>A read-only view of the bytes (no copy).</summary>
        public IReadOnlyList<byte> Data => _view ??= Array.AsReadOnly(_bytes);

        /// <summary>The byte at <paramref name="offset"/> from <see cref="Address"/>.</summary>
        public byte this[int offset] => _bytes[offset];

        /// <summary>A fresh copy of the bytes.</summary>
        public byte[] ToArray() => (byte[])_bytes.Clone();

        /// <summary>Copies <paramref name="count"/> bytes starting <paramref name="sourceOffset"/> bytes into the segment.</summary>
        public void CopyTo(int sourceOffset, byte[] destination, int destinationOffset, int count)
            => Buffer.BlockCopy(_bytes, sourceOffset, destination, destinationOffset, count);

        public bool Contains(uint address) => address >= Address && address < End;

        /// <summary>The internal array; callers must not modify it.</summary>
        internal byte[] RawBytes => _bytes;

        public bool Equals(ImageSegment? other)
        {
            if (other is null) return false;
            if (ReferenceEquals(this, other)) return true;
            return Address == other.Address && BytesEqual(_bytes, other._bytes);
        }

        public override bool Equals(object? obj) => obj is ImageSegment s && Equals(s);

        public override int GetHashCode()
        {
            unchecked
            {
                int h = (int)Address * 31 + _bytes.Length;
                int n = Math.Min(_bytes.Length, 16);
                for (int i = 0; i < n; i++) h = h * 31 + _bytes[i];
                return h;
            }
        }

        public override string ToString()
            => string.Format(CultureInfo.InvariantCulture, "0x{0:X8}-0x{1:X8} ({2} bytes)", Address, End - 1, Length);

        internal static bool BytesEqual(byte[] a, byte[] b)
        {
            if (a.Length != b.Length) return false;
            for (int i = 0; i < a.Length; i++) if (a[i] != b[i]) return false;
            return true;
        }
    }
}
