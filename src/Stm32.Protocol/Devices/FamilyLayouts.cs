using System;
using System.Collections.Generic;
using System.Linq;

namespace Stm32.Protocol.Devices
{
    /// <summary>
    /// F0/F1/F3: eight option bytes each followed by its complement: RDP, USER, DATA0, DATA1,
    /// WRP0..WRP3 (spec 7). A cleared WRP bit protects its sector; the last bit covers the rest of
    /// the flash (spec 8, F1 high density; assumed for F0/F3 too). F1 default
    /// <c>A5 5A FF 00 FF 00 FF 00 FF 00 FF 00 FF 00 FF 00</c>; F0/F3 use 0xAA as the level-0 key
    /// (RM0091/RM0316), so their defaults start <c>AA 55</c>. USER bits: WDG_SW 0, nRST_STOP 1,
    /// nRST_STDBY 2; F0/F3 nBOOT1 4; F0 nBOOT0 7 (F04x/F09x only; reserved and 1 elsewhere).
    /// </summary>
    internal sealed class PairLayout : OptionLayout
    {
        private readonly byte _key;
        private readonly Dictionary<OptionField, (int, int)> _bits;

        public PairLayout(string family, byte key) : base(family)
        {
            _key = key;
            _bits = new Dictionary<OptionField, (int, int)>
            {
                [OptionField.SoftwareWatchdog] = (0, 1),
                [OptionField.NRstStop] = (1, 1),
                [OptionField.NRstStdby] = (2, 1),
            };
            if (family == "F0" || family == "F3") _bits[OptionField.NBoot1] = (4, 1);
            if (family == "F0") _bits[OptionField.NBoot0] = (7, 1);
        }

        public override string Name => "F0/F1/F3 byte + complement pairs";

        public override int Size => 16;

        public override byte Level0Key => _key;

        public override bool HasLevel2 => _key != 0xA5;

        public override byte LevelOneValue => _key == 0xA5 ? (byte)0x00 : (byte)0xBB;

        public override int WrpSectorLimit => 32;

        protected override int UserEnd => 4;

        protected override int WrpEnd => 16;

        protected override IReadOnlyDictionary<OptionField, (int Shift, int Width)> UserBits => _bits;

        protected override int[] DataOffsets => new[] { 4, 6 };

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

        protected override uint ReadUser(byte[] ob, int o) => ob[o + 2];

        protected override void WriteUser(byte[] ob, int o, uint value)
        {
            ob[o + 2] = (byte)value;
            ob[o + 3] = (byte)~value;
        }

        protected override void WriteRdp(byte[] ob, int o, byte value)
        {
            ob[o] = value;
            ob[o + 1] = (byte)~value;
        }

        public override int SectorCode(int sector) => sector >= 31 ? 31 : sector;

        public override bool IsSectorProtected(byte[] ob, int o, int sector)
        {
            int bit = SectorCode(sector);
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

        public override void FixComplements(byte[] ob, int o, int length)
        {
            for (int i = 0; i + 1 < Math.Min(length, Size); i += 2) ob[o + i + 1] = (byte)~ob[o + i];
        }

        public override IReadOnlyList<int> BadComplements(byte[] ob, int o, int length)
        {
            var bad = new List<int>();
            for (int i = 0; i + 1 < Math.Min(length, Size); i += 2)
                if (ob[o + i + 1] != (byte)~ob[o + i]) bad.Add(i + 1);
            return bad;
        }
    }

    /// <summary>
    /// F2/F4/F7 as ST's library writes it (spec 7): [0] USER, [1] RDP, [8..9] nWRP (bit cleared =
    /// sector protected, sectors 0..15), everything else 0xFF, no complements. USER: BOR_LEV bits
    /// 2-3 (3 = off), WDG_SW 5, nRST_STOP 6, nRST_STDBY 7; default 0xEC (OPTCR reset value
    /// 0x0FFFAAED without its two control bits; UNCONFIRMED for the memory image). F7's 32-byte
    /// area uses the same offsets (UNCONFIRMED: the RM may pair bytes with complements there).
    /// </summary>
    internal sealed class F4Layout : OptionLayout
    {
        private static readonly Dictionary<OptionField, (int, int)> Bits = new Dictionary<OptionField, (int, int)>
        {
            [OptionField.BorLevel] = (2, 2),
            [OptionField.SoftwareWatchdog] = (5, 1),
            [OptionField.NRstStop] = (6, 1),
            [OptionField.NRstStdby] = (7, 1),
        };

        private readonly int _size;

        public F4Layout(string family, int size) : base(family) => _size = size;

        public override string Name => _size == 16 ? "F2/F4 USER, RDP, nWRP bytes" : "F7 USER, RDP, nWRP bytes (32-byte area)";

        public override int Size => _size;

        public override int RdpOffset => 1;

        public override int WrpSectorLimit => 16;

        protected override int UserEnd => 2;

        protected override int WrpEnd => 10;

        protected override IReadOnlyDictionary<OptionField, (int Shift, int Width)> UserBits => Bits;

        public override byte[] Defaults()
        {
            var b = Enumerable.Repeat((byte)0xFF, _size).ToArray();
            b[0] = 0xEC;
            b[1] = 0xAA;
            return b;
        }

        protected override uint ReadUser(byte[] ob, int o) => ob[o];

        protected override void WriteUser(byte[] ob, int o, uint value) => ob[o] = (byte)value;

        protected override void WriteRdp(byte[] ob, int o, byte value) => ob[o + 1] = value;

        public override bool IsSectorProtected(byte[] ob, int o, int sector)
            => sector >= 0 && sector < 16 && (ob[o + 8 + sector / 8] & (1 << (sector % 8))) == 0;

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

        public override void FixComplements(byte[] ob, int o, int length) { }

        public override IReadOnlyList<int> BadComplements(byte[] ob, int o, int length) => Array.Empty<int>();
    }

    /// <summary>
    /// L0/L1: 32-bit words, 16-bit value in the low half and its complement in the high half:
    /// RDP (0xAA), USER (0x8070, plausible, UNCONFIRMED), then WRP words at offsets 8..28 (16
    /// sectors each). On these parts a SET WRP bit protects its sector (RM0377/RM0038). USER:
    /// BOR_LEV bits 0-3, WDG_SW 4, nRST_STOP 5, nRST_STDBY 6; L0 nBOOT1 15.
    /// </summary>
    internal sealed class L0L1Layout : OptionLayout
    {
        private readonly Dictionary<OptionField, (int, int)> _bits;

        public L0L1Layout(string family) : base(family)
        {
            _bits = new Dictionary<OptionField, (int, int)>
            {
                [OptionField.BorLevel] = (0, 4),
                [OptionField.SoftwareWatchdog] = (4, 1),
                [OptionField.NRstStop] = (5, 1),
                [OptionField.NRstStdby] = (6, 1),
            };
            if (family == "L0") _bits[OptionField.NBoot1] = (15, 1);
        }

        public override string Name => "L0/L1 16-bit value + complement words";

        public override int Size => 32;

        public override int WrpSectorLimit => 96;

        protected override int UserEnd => 8;

        protected override int WrpEnd => 32;

        protected override IReadOnlyDictionary<OptionField, (int Shift, int Width)> UserBits => _bits;

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

        protected override uint ReadUser(byte[] ob, int o) => (uint)(ob[o + 4] | ob[o + 5] << 8);

        protected override void WriteUser(byte[] ob, int o, uint value) => PutWord(ob, o + 4, (ushort)value);

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
            for (int i = 0; i < 6; i++) PutWord(ob, o + 8 + 4 * i, words[i]);
        }

        public override void FixComplements(byte[] ob, int o, int length)
        {
            for (int i = 0; i + 3 < Math.Min(length, Size); i += 4)
            {
                ob[o + i + 2] = (byte)~ob[o + i];
                ob[o + i + 3] = (byte)~ob[o + i + 1];
            }
        }

        public override IReadOnlyList<int> BadComplements(byte[] ob, int o, int length)
        {
            var bad = new List<int>();
            for (int i = 0; i + 3 < Math.Min(length, Size); i += 4)
                if (ob[o + i + 2] != (byte)~ob[o + i] || ob[o + i + 3] != (byte)~ob[o + i + 1]) bad.Add(i + 2);
            return bad;
        }
    }

    /// <summary>
    /// L4/G0/G4/WB/WL/C0 and later: 64-bit double words, a 32-bit option word then its complement
    /// (spec 7). Offset 0 OPTR (RDP in its low byte; default 0xFFEFF8AA, the L4 factory value),
    /// 0x08/0x10 PCROP start/end, 0x18 WRP area A, 0x20 WRP area B. A WRP area is a page range:
    /// start page in bits 0-15, end page in bits 16-31 (simplified from the RM's 7-9 bit fields,
    /// UNCONFIRMED), active when start &lt;= end. Write Protect stores the first run of consecutive
    /// sectors in area A and everything from the second run to the last sector in area B (may
    /// protect more than asked: two areas cannot hold more runs). Where the catalog's option range
    /// is shorter (L4: 16 bytes), WRP is not readable over the protocol.
    /// OPTR bits (RM0351/RM0440/RM0434/RM0453): BOR_LEV 8-10 (WB 9-11), nRST_STOP 12, nRST_STDBY 13,
    /// IWDG_SW 16, nBOOT1 23, nSWBOOT0 26, nBOOT0 27; G0/C0 (RM0444): nRST_STOP 13, nRST_STDBY 14,
    /// IWDG_SW 16, nBOOT_SEL 24, nBOOT1 25, nBOOT0 26 (BOR fields not decoded).
    /// </summary>
    internal sealed class WordPairLayout : OptionLayout
    {
        private readonly Dictionary<OptionField, (int, int)> _bits;

        public WordPairLayout(string family) : base(family)
        {
            if (family == "G0" || family == "C0")
            {
                _bits = new Dictionary<OptionField, (int, int)>
                {
                    [OptionField.NRstStop] = (13, 1),
                    [OptionField.NRstStdby] = (14, 1),
                    [OptionField.SoftwareWatchdog] = (16, 1),
                    [OptionField.NBootSel] = (24, 1),
                    [OptionField.NBoot1] = (25, 1),
                    [OptionField.NBoot0] = (26, 1),
                };
            }
            else
            {
                _bits = new Dictionary<OptionField, (int, int)>
                {
                    [OptionField.BorLevel] = (family == "WB" ? 9 : 8, 3),
                    [OptionField.NRstStop] = (12, 1),
                    [OptionField.NRstStdby] = (13, 1),
                    [OptionField.SoftwareWatchdog] = (16, 1),
                    [OptionField.NBoot1] = (23, 1),
                    [OptionField.NSwBoot0] = (26, 1),
                    [OptionField.NBoot0] = (27, 1),
                };
            }
        }

        public override string Name => "32-bit option word + complement pairs (OPTR, PCROP, WRP areas)";

        public override int Size => 0x28;

        public override int WrpSectorLimit => 0x10000;

        protected override int UserEnd => 4;

        protected override int WrpEnd => 0x28;

        protected override IReadOnlyDictionary<OptionField, (int Shift, int Width)> UserBits => _bits;

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

        private static uint GetWord(byte[] b, int at) => (uint)(b[at] | b[at + 1] << 8 | b[at + 2] << 16 | b[at + 3] << 24);

        protected override uint ReadUser(byte[] ob, int o) => GetWord(ob, o);

        protected override void WriteUser(byte[] ob, int o, uint value) => PutPair(ob, o, value);

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

        public override void FixComplements(byte[] ob, int o, int length)
        {
            for (int i = 0; i + 7 < Math.Min(length, Size); i += 8)
                for (int k = 0; k < 4; k++) ob[o + i + 4 + k] = (byte)~ob[o + i + k];
        }

        public override IReadOnlyList<int> BadComplements(byte[] ob, int o, int length)
        {
            var bad = new List<int>();
            for (int i = 0; i + 7 < Math.Min(length, Size); i += 8)
                for (int k = 0; k < 4; k++)
                    if (ob[o + i + 4 + k] != (byte)~ob[o + i + k])
                    {
                        bad.Add(i + 4);
                        break;
                    }
            return bad;
        }
    }
}
