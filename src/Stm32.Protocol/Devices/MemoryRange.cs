using System;
using System.Globalization;

namespace Stm32.Protocol.Devices
{
    /// <summary>A half-open address range [Start, End). Empty when End &lt;= Start.</summary>
    public readonly struct MemoryRange : IEquatable<MemoryRange>
    {
        public MemoryRange(uint start, uint end)
        {
            Start = start;
            End = end;
        }

        public static MemoryRange Empty => default;

        public static MemoryRange FromLength(uint start, uint length) => new MemoryRange(start, start + length);

        public uint Start { get; }

        /// <summary>First address past the range (exclusive).</summary>
        public uint End { get; }

        public uint Length => End > Start ? End - Start : 0;

        public bool IsEmpty => End <= Start;

        public bool Contains(uint address) => !IsEmpty && address >= Start && address < End;

        /// <summary>True when [address, address+length) lies wholly inside this range.</summary>
        public bool Contains(uint address, uint length)
            => !IsEmpty && address >= Start && (ulong)address + length <= End;

        public bool Overlaps(uint address, uint length)
            => !IsEmpty && length > 0 && address < End && (ulong)address + length > Start;

        public bool Equals(MemoryRange other) => Start == other.Start && End == other.End;

        public override bool Equals(object? obj) => obj is MemoryRange r && Equals(r);

        public override int GetHashCode() => unchecked((int)(Start * 31 + End));

        public override string ToString()
            => IsEmpty ? "(none)" : string.Format(CultureInfo.InvariantCulture, "0x{0:X8}-0x{1:X8}", Start, End - 1);
    }
}
