using System;
using System.Collections.Generic;
using System.Linq;

namespace Stm32.Protocol.Simulation
{
    /// <summary>
    /// Where a family keeps RDP and WRP in its option bytes (spec section 7), so that the
    /// protection commands change the option bytes and the option bytes decide the protection.
    /// Every method works on the option block starting at <c>o</c> in <c>ob</c>. RDP codes are
    /// RM knowledge (UNCONFIRMED per family, spec 7): 0xAA level 0 (0xA5 on F1), 0xCC level 2,
    /// anything else level 1. Complement bytes are written but never checked.
    /// </summary>
    internal abstract class OptionLayout
    {
        /// <summary>Bytes of the block this layout describes.</summary>
        public abstract int Size { get; }

        public abstract byte[] Defaults();

        /// <summary>The RDP byte's offset in the block (its complement follows per layout).</summary>
        protected virtual int RdpOffset => 0;

        protected virtual byte Level0Key => 0xAA;

        public virtual bool HasLevel2 => true;

        public int ReadLevel(byte[] ob, int o)
        {
            var rdp = ob[o + RdpOffset];
            if (rdp == Level0Key) return 0;
            if (HasLevel2 && rdp == 0xCC) return 2;
            return 1;
        }

        public void SetLevel(byte[] ob, int o, int level)
        {
            // 0xBB is what CubeProgrammer users write for level 1 (any other value would do).
            byte v = level == 0 ? Level0Key : level == 2 ? (byte)0xCC : LevelOneValue;
            WriteRdp(ob, o, v);
        }

        protected virtual byte LevelOneValue => 0xBB;

        protected abstract void WriteRdp(byte[] ob, int o, byte value);

        public abstract bool IsSectorProtected(byte[] ob, int o, int sector);

        /// <summary>Write Protect: the given sector codes replace the protected set (spec 4.9).</summary>
        public abstract void SetProtection(byte[] ob, int o, IReadOnlyCollection<int> sectors);

        /// <summary>Write Unprotect: nothing protected.</summary>
        public void ClearProtection(byte[] ob, int o) => SetProtection(ob, o, Array.Empty<int>());

        public static OptionLayout For(string family)
        {
            switch (family)
            {
                case "F1":
                case "W":
                case "":
                    return new PairLayout(0xA5);
                case "F0":
                case "F3":
                    return new PairLayout(0xAA);
                case "F2":
                case "F4":
                    return new F4Layout(16);
                case "F7":
                    return new F4Layout(32);
                case "L0":
                case "L1":
                    return new L0L1Layout();
                default:
                    return new WordPairLayout();
            }
        }
    }

    /// <summary>
    /// F0/F1/F3: eight option bytes each followed by its complement: RDP, USER, DATA0, DATA1,
    /// WRP0..WRP3. A cleared WRP bit protects its sector; the last bit covers the rest of the flash.
    /// Defaults: F1 <c>A5 5A FF 00 FF 00 FF 00 FF 00 FF 00 FF 00 FF 00</c>. F0/F3 use 0xAA as the
    /// level-0 key (RM0091/RM0316), so their defaults start <c>AA 55</c> instead: with A5 a factory-fresh
    /// F0 would be read-protected.
    /// </summary>
    internal sealed class PairLayout : OptionLayout
    {
        private readonly byte _key;

        public PairLayout(byte key) => _key = key;

        public override int Size => 16;

        protected override byte Level0Key => _key;

        public override bool HasLevel2 => _key != 0xA5;

        protected override byte LevelOneValue => _key == 0xA5 ? (byte)0x00 : (byte)0xBB;

        public override byte[] Defaults()
        {
            var b = new byte[16];
            for (int i = 0; i < 16; i += 2)
            {
                b[i] = 0xFF;
                b[i + 1] = 0x00;
            }
            b[0] = _key;
            b[1] = (byte)~_key;
            return b;
        }

        protected override void WriteRdp(byte[] ob, int o, byte value)
        {
            ob[o] = value;
            ob[o + 1] = (byte)~value;
        }

        private static int Bit(int sector) => sector >= 31 ? 31 : sector;

        public override bool IsSectorProtected(byte[] ob, int o, int sector)
        {
            int bit = Bit(sector);
            return (ob[o + 8 + 2 * (bit / 8)] & (1 << (bit % 8))) == 0;
        }

        public override void SetProtection(byte[] ob, int o, IReadOnlyCollection<int> sectors)
        {
            var wrp = new byte[] { 0xFF, 0xFF, 0xFF, 0xFF };
            // Sector codes are not validated (spec 4.9): codes past the last WRP bit do nothing.
            foreach (var s in sectors.Where(s => s >= 0 && s < 32)) wrp[s / 8] &= (byte)~(1 << (s % 8));
            for (int i = 0; i < 4; i++)
            {
                ob[o + 8 + 2 * i] = wrp[i];
                ob[o + 9 + 2 * i] = (byte)~wrp[i];
            }
        }
    }

    /// <summary>
    /// F2/F4/F7 as ST's library writes it (spec 7): [0] USER, [1] RDP, [8..9] nWRP (bit cleared =
    /// sector protected, sectors 0..15), everything else 0xFF. USER default 0xEC (OPTCR reset value
    /// 0x0FFFAAED without its two control bits; UNCONFIRMED for the memory image). F7's 32-byte area
    /// uses the same offsets (UNCONFIRMED).
    /// </summary>
    internal sealed class F4Layout : OptionLayout
    {
        private readonly int _size;

        public F4Layout(int size) => _size = size;

        public override int Size => _size;

        protected override int RdpOffset => 1;

        public override byte[] Defaults()
        {
            var b = Enumerable.Repeat((byte)0xFF, _size).ToArray();
            b[0] = 0xEC;
            b[1] = 0xAA;
            return b;
        }

        protected override void WriteRdp(byte[] ob, int o, byte value) => ob[o + 1] = value;

        public override bool IsSectorProtected(byte[] ob, int o, int sector)
            => sector < 16 && (ob[o + 8 + sector / 8] & (1 << (sector % 8))) == 0;

        public override void SetProtection(byte[] ob, int o, IReadOnlyCollection<int> sectors)
        {
            byte lo = 0xFF, hi = 0xFF;
            foreach (var s in sectors)
            {
                if (s >= 0 && s < 8) lo &= (byte)~(1 << s);
                else if (s >= 8 && s < 16) hi &= (byte)~(1 << (s - 8));
            }
            ob[o + 8] = lo;
            ob[o + 9] = hi;
        }
    }

    /// <summary>
    /// L0/L1: 32-bit words, 16-bit value in the low half and its complement in the high half:
    /// RDP (0xAA), USER (0x8070, plausible, UNCONFIRMED), then WRP words at offsets 8..28 (16 sectors
    /// each). On these parts a SET WRP bit protects its sector (RM0377/RM0038).
    /// </summary>
    internal sealed class L0L1Layout : OptionLayout
    {
        public override int Size => 32;

        public override byte[] Defaults()
        {
            var b = new byte[32];
            PutWord(b, 0, 0x00AA);
            PutWord(b, 4, 0x8070);
            for (int w = 8; w < 32; w += 4) PutWord(b, w, 0x0000);
            return b;
        }

        private static void PutWord(byte[] b, int at, ushort value)
        {
            b[at] = (byte)value;
            b[at + 1] = (byte)(value >> 8);
            b[at + 2] = (byte)~value;
            b[at + 3] = (byte)(~value >> 8);
        }

        protected override void WriteRdp(byte[] ob, int o, byte value)
        {
            ob[o] = value;
            ob[o + 2] = (byte)~value;
        }

        public override bool IsSectorProtected(byte[] ob, int o, int sector)
        {
            if (sector < 0 || sector >= 96) return false;
            int at = o + 8 + 4 * (sector / 16);
            int bit = sector % 16;
            return (ob[at + bit / 8] & (1 << (bit % 8))) != 0;
        }

        public override void SetProtection(byte[] ob, int o, IReadOnlyCollection<int> sectors)
        {
            var words = new ushort[6];
            foreach (var s in sectors.Where(s => s >= 0 && s < 96)) words[s / 16] |= (ushort)(1 << (s % 16));
            for (int i = 0; i < 6; i++)
            {
                var tmp = new byte[4];
                PutWord(tmp, 0, words[i]);
                Array.Copy(tmp, 0, ob, o + 8 + 4 * i, 4);
            }
        }
    }

    /// <summary>
    /// L4/G0/G4/WB/WL/C0 and later: 64-bit double words, a 32-bit option word then its complement
    /// (spec 7). Offset 0 OPTR (RDP in its low byte; default 0xFFEFF8AA, the L4 factory value),
    /// 0x08/0x10 PCROP start/end, 0x18 WRP area A, 0x20 WRP area B. A WRP area is a page range:
    /// start page in bits 0-15, end page in bits 16-31 (simplified from the RM's 7-9 bit fields),
    /// active when start &lt;= end. Write Protect stores the first run of consecutive sectors in
    /// area A and everything from the second run to the last sector in area B (may protect more
    /// than asked: two areas cannot hold more runs). Where the catalog's option range is shorter
    /// (L4: 16 bytes), the rest of this block is kept by the chip but not readable over the protocol.
    /// </summary>
    internal sealed class WordPairLayout : OptionLayout
    {
        public override int Size => 0x28;

        public override byte[] Defaults()
        {
            var b = new byte[0x28];
            PutPair(b, 0x00, 0xFFEFF8AA);
            PutPair(b, 0x08, 0xFFFFFFFF);
            PutPair(b, 0x10, 0x00000000);
            PutPair(b, 0x18, 0x000000FF);
            PutPair(b, 0x20, 0x000000FF);
            return b;
        }

        private static void PutPair(byte[] b, int at, uint value)
        {
            for (int i = 0; i < 4; i++)
            {
                b[at + i] = (byte)(value >> (8 * i));
                b[at + 4 + i] = (byte)(~value >> (8 * i));
            }
        }

        protected override void WriteRdp(byte[] ob, int o, byte value)
        {
            ob[o] = value;
            ob[o + 4] = (byte)~value;
        }

        private static bool InArea(byte[] ob, int at, int sector)
        {
            int start = ob[at] | ob[at + 1] << 8;
            int end = ob[at + 2] | ob[at + 3] << 8;
            return start <= end && sector >= start && sector <= end;
        }

        public override bool IsSectorProtected(byte[] ob, int o, int sector)
            => InArea(ob, o + 0x18, sector) || InArea(ob, o + 0x20, sector);

        public override void SetProtection(byte[] ob, int o, IReadOnlyCollection<int> sectors)
        {
            var sorted = sectors.Where(s => s >= 0 && s <= 0xFFFF).Distinct().OrderBy(s => s).ToList();
            var runs = new List<(int Start, int End)>();
            foreach (var s in sorted)
            {
                if (runs.Count > 0 && runs[runs.Count - 1].End == s - 1) runs[runs.Count - 1] = (runs[runs.Count - 1].Start, s);
                else runs.Add((s, s));
            }
            uint Area(int start, int end) => (uint)start | (uint)end << 16;
            PutPair(ob, o + 0x18, runs.Count > 0 ? Area(runs[0].Start, runs[0].End) : 0x000000FF);
            PutPair(ob, o + 0x20, runs.Count > 1 ? Area(runs[1].Start, runs[runs.Count - 1].End) : 0x000000FF);
        }
    }
}
