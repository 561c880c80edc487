using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace Stm32.Protocol.Devices
{
    /// <summary>
    /// How a family lays out its option bytes in memory (spec 7): where RDP, the user bits, the
    /// data bytes and WRP sit, and which bytes are complements. One model for both ends: the host
    /// decodes and encodes with it, and the simulated chip keeps its option bytes with it, so the
    /// two cannot drift apart. RDP codes are RM knowledge (UNCONFIRMED per family, spec 7): 0xAA
    /// level 0 (0xA5 on F1), 0xCC level 2, anything else level 1.
    /// <para>Methods taking <c>(ob, o)</c> work on the block starting at offset <c>o</c> of
    /// <c>ob</c>; the host's blocks start at 0.</para>
    /// </summary>
    public abstract class OptionLayout
    {
        private static readonly string[] NotMemoryMapped = { "H7", "L5", "U5", "H5" };

        protected OptionLayout(string family) => Family = family;

        /// <summary>The family this layout was made for (F1, F4, G0, ...).</summary>
        public string Family { get; }

        /// <summary>A short description: "F0/F1/F3 byte + complement pairs".</summary>
        public abstract string Name { get; }

        /// <summary>Bytes of the block this layout describes.</summary>
        public abstract int Size { get; }

        /// <summary>The factory content of the block.</summary>
        public abstract byte[] Defaults();

        /// <summary>The RDP byte's offset in the block.</summary>
        public virtual int RdpOffset => 0;

        /// <summary>The RDP value meaning level 0: 0xAA, or 0xA5 on F1.</summary>
        public virtual byte Level0Key => 0xAA;

        /// <summary>False on F1: there 0xCC is just another level-1 value.</summary>
        public virtual bool HasLevel2 => true;

        /// <summary>What we write for level 1 (0xBB, as CubeProgrammer users do; 0x00 on F1).</summary>
        public virtual byte LevelOneValue => 0xBB;

        /// <summary>How many WRP sector codes the block can hold.</summary>
        public abstract int WrpSectorLimit { get; }

        /// <summary>Bytes of the block needed to see the user bits (and RDP).</summary>
        protected abstract int UserEnd { get; }

        /// <summary>Bytes of the block needed to see WRP (L4: beyond the readable 16 bytes).</summary>
        protected abstract int WrpEnd { get; }

        /// <summary>The user bit fields: shift and width inside <see cref="ReadUser"/>'s value.</summary>
        protected abstract IReadOnlyDictionary<OptionField, (int Shift, int Width)> UserBits { get; }

        /// <summary>Offsets of DATA0 and DATA1, where the family has them.</summary>
        protected virtual int[] DataOffsets => Array.Empty<int>();

        protected abstract uint ReadUser(byte[] ob, int o);

        protected abstract void WriteUser(byte[] ob, int o, uint value);

        protected abstract void WriteRdp(byte[] ob, int o, byte value);

        /// <summary>True when the block protects the WRP sector (sector = page / pages per sector).</summary>
        public abstract bool IsSectorProtected(byte[] ob, int o, int sector);

        /// <summary>Write Protect: the given sector codes replace the protected set (spec 4.9).</summary>
        public abstract void SetProtection(byte[] ob, int o, IReadOnlyCollection<int> sectors);

        /// <summary>Write Unprotect: nothing protected.</summary>
        public void ClearProtection(byte[] ob, int o) => SetProtection(ob, o, Array.Empty<int>());

        /// <summary>The code the Write Protect command takes for a sector (F1 high density: all past 31 are 31).</summary>
        public virtual int SectorCode(int sector) => sector;

        /// <summary>Rewrites every complement from its value (within <see cref="Size"/> and <paramref name="length"/>).</summary>
        public abstract void FixComplements(byte[] ob, int o, int length);

        /// <summary>Offsets (in the block) whose complement does not match its value.</summary>
        public abstract IReadOnlyList<int> BadComplements(byte[] ob, int o, int length);

        // ------------------------------------------------------------------ RDP

        public byte ReadRdp(byte[] ob, int o) => ob[o + RdpOffset];

        public ReadProtectionLevel LevelOf(byte rdp)
        {
            if (rdp == Level0Key) return ReadProtectionLevel.Level0;
            if (HasLevel2 && rdp == 0xCC) return ReadProtectionLevel.Level2;
            return ReadProtectionLevel.Level1;
        }

        public int ReadLevel(byte[] ob, int o) => (int)LevelOf(ReadRdp(ob, o));

        public byte RdpFor(ReadProtectionLevel level)
            => level == ReadProtectionLevel.Level0 ? Level0Key : level == ReadProtectionLevel.Level2 ? (byte)0xCC : LevelOneValue;

        public void SetLevel(byte[] ob, int o, int level)
        {
            if (level == 2 && !HasLevel2) throw new NotSupportedException($"{Family} parts have no RDP level 2.");
            WriteRdp(ob, o, RdpFor((ReadProtectionLevel)level));
        }

        /// <summary>True when writing this RDP byte would make the part permanently level 2.</summary>
        public bool IsLevel2(byte rdp) => HasLevel2 && rdp == 0xCC;

        // ------------------------------------------------------------------ fields

        /// <summary>The fields this family has (RDP and WRP always; user bits per family).</summary>
        public IReadOnlyList<OptionField> Fields
        {
            get
            {
                var list = new List<OptionField> { OptionField.ReadProtection };
                list.AddRange(UserBits.Keys);
                if (DataOffsets.Length > 0) list.AddRange(new[] { OptionField.Data0, OptionField.Data1 });
                list.Add(OptionField.WriteProtection);
                return list;
            }
        }

        public bool Has(OptionField field) => Fields.Contains(field);

        /// <summary>True when a block of <paramref name="length"/> bytes holds the field.</summary>
        public bool IsReadable(OptionField field, int length)
        {
            switch (field)
            {
                case OptionField.ReadProtection: return length > RdpOffset;
                case OptionField.WriteProtection: return length >= WrpEnd;
                case OptionField.Data0: return DataOffsets.Length > 0 && length > DataOffsets[0];
                case OptionField.Data1: return DataOffsets.Length > 1 && length > DataOffsets[1];
                default: return UserBits.ContainsKey(field) && length >= UserEnd;
            }
        }

        private uint GetField(byte[] ob, int o, OptionField field)
        {
            switch (field)
            {
                case OptionField.ReadProtection: return ReadRdp(ob, o);
                case OptionField.Data0: return ob[o + DataOffsets[0]];
                case OptionField.Data1: return ob[o + DataOffsets[1]];
                default:
                    var (shift, width) = UserBits[field];
                    return (ReadUser(ob, o) >> shift) & Mask(width);
            }
        }

        private void SetField(byte[] ob, int o, OptionField field, uint value)
        {
            switch (field)
            {
                case OptionField.ReadProtection:
                    WriteRdp(ob, o, (byte)value);
                    break;
                case OptionField.Data0:
                    ob[o + DataOffsets[0]] = (byte)value;
                    break;
                case OptionField.Data1:
                    ob[o + DataOffsets[1]] = (byte)value;
                    break;
                default:
                    var (shift, width) = UserBits[field];
                    if (value > Mask(width))
                        throw new ArgumentOutOfRangeException(nameof(value), string.Format(CultureInfo.InvariantCulture,
                            "{0} is {1} bit(s) wide on {2}: {3} does not fit.", field, width, Family, value));
                    var user = ReadUser(ob, o) & ~(Mask(width) << shift);
                    WriteUser(ob, o, user | value << shift);
                    break;
            }
        }

        /// <summary>Bits of the field, 1 for the boolean fields.</summary>
        public int WidthOf(OptionField field)
        {
            if (field == OptionField.ReadProtection || field == OptionField.Data0 || field == OptionField.Data1) return 8;
            return UserBits.TryGetValue(field, out var f) ? f.Width : 0;
        }

        private static uint Mask(int width) => width >= 32 ? uint.MaxValue : (1u << width) - 1;

        /// <summary>
        /// The protected WRP sectors among the first <paramref name="sectorCount"/>
        /// (empty when the block does not reach WRP).
        /// </summary>
        public IReadOnlyList<int> ProtectedSectors(byte[] ob, int o, int length, int sectorCount)
        {
            if (length < WrpEnd) return Array.Empty<int>();
            var list = new List<int>();
            for (int s = 0; s < sectorCount; s++)
                if (IsSectorProtected(ob, o, s)) list.Add(s);
            return list;
        }

        // ------------------------------------------------------------------ host side

        /// <summary>Decodes a block read from the chip (<paramref name="raw"/> may be shorter than <see cref="Size"/>).</summary>
        public OptionByteSet Decode(byte[] raw, uint address, DeviceInfo? device = null, uint? flashBytes = null)
        {
            if (raw == null) throw new ArgumentNullException(nameof(raw));
            var values = new Dictionary<OptionField, uint>();
            foreach (var f in Fields)
                if (f != OptionField.WriteProtection && IsReadable(f, raw.Length)) values[f] = GetField(raw, 0, f);
            var pps = device?.PagesPerSector ?? 1;
            int pageCount = device == null ? 0 : PageCount(device, flashBytes);
            int sectorCount = device == null ? Math.Min(WrpSectorLimit, 256) : (pageCount + pps - 1) / pps;
            bool wrpReadable = raw.Length >= WrpEnd;
            var sectors = ProtectedSectors(raw, 0, raw.Length, sectorCount);
            IReadOnlyList<int>? pages = null;
            if (wrpReadable && device != null)
                pages = Enumerable.Range(0, pageCount).Where(p => sectors.Contains(p / pps)).ToList();
            return new OptionByteSet(this, address, (byte[])raw.Clone(), values, wrpReadable ? sectors : null, pages,
                BadComplements(raw, 0, raw.Length), device?.Layout?.UnitName ?? "page");
        }

        /// <summary>
        /// The block with the change applied: named fields set and every complement rewritten,
        /// or the change's raw bytes as given (checked, never fixed). Throws ArgumentException
        /// for a field the family lacks or the readable block does not reach.
        /// </summary>
        public byte[] Apply(byte[] raw, OptionByteChange change)
        {
            if (raw == null) throw new ArgumentNullException(nameof(raw));
            if (change == null) throw new ArgumentNullException(nameof(change));
            var fields = change.Fields(this);
            if (change.Raw != null)
            {
                if (fields.Count > 0 || change.WriteProtectedSectors != null)
                    throw new ArgumentException("Give either raw option bytes or named fields, not both.", nameof(change));
                if (change.Raw.Length != raw.Length)
                    throw new ArgumentException(string.Format(CultureInfo.InvariantCulture,
                        "The {0} option block is {1} bytes; {2} were given.", Family, raw.Length, change.Raw.Length), nameof(change));
                var bad = BadComplements(change.Raw, 0, change.Raw.Length);
                if (bad.Count > 0)
                    throw new ArgumentException(string.Format(CultureInfo.InvariantCulture,
                        "The raw option bytes have wrong complements at offset(s) {0}: the chip would reject them and load unsafe defaults.",
                        string.Join(", ", bad.Select(b => "0x" + b.ToString("X2", CultureInfo.InvariantCulture)))), nameof(change));
                return (byte[])change.Raw.Clone();
            }
            if (change.ReadProtection == ReadProtectionLevel.Level2 && !change.RdpByte.HasValue && !HasLevel2)
                throw new ArgumentException(string.Format(CultureInfo.InvariantCulture,
                    "{0} parts have no read protection level 2 (levels 0 and 1 only).", Family), nameof(change));
            var result = (byte[])raw.Clone();
            foreach (var kv in fields)
            {
                if (!Has(kv.Key))
                    throw new ArgumentException(string.Format(CultureInfo.InvariantCulture,
                        "{0} option bytes have no {1} field (they have: {2}).", Family, kv.Key, string.Join(", ", Fields)), nameof(change));
                if (!IsReadable(kv.Key, raw.Length))
                    throw new ArgumentException(string.Format(CultureInfo.InvariantCulture,
                        "{0} lies outside the {1} option bytes this bootloader can read and write.", kv.Key, Family), nameof(change));
                SetField(result, 0, kv.Key, kv.Value);
            }
            if (change.WriteProtectedSectors != null)
            {
                if (!IsReadable(OptionField.WriteProtection, raw.Length))
                    throw new ArgumentException(string.Format(CultureInfo.InvariantCulture,
                        "The {0} WRP option bytes lie outside the area this bootloader can write: use the Write Protect command instead.", Family), nameof(change));
                var over = change.WriteProtectedSectors.Where(s => s < 0 || s >= WrpSectorLimit).ToList();
                if (over.Count > 0)
                    throw new ArgumentException(string.Format(CultureInfo.InvariantCulture,
                        "{0} option bytes hold WRP sectors 0 to {1}; {2} cannot be protected.", Family, WrpSectorLimit - 1, string.Join(", ", over)), nameof(change));
                SetProtection(result, 0, change.WriteProtectedSectors.Select(SectorCode).Distinct().ToList());
            }
            FixComplements(result, 0, result.Length);
            return result;
        }

        internal static int PageCount(DeviceInfo device, uint? flashBytes)
        {
            var layout = device.Layout;
            if (layout == null) return 0;
            if (!flashBytes.HasValue) return layout.PageCount;
            var end = (ulong)layout.Flash.Start + flashBytes.Value;
            return layout.Pages.Count(p => p.Start < end);
        }

        // ------------------------------------------------------------------ choosing a layout

        /// <summary>
        /// True when the bootloader can read and write this part's option bytes as memory: a
        /// catalog option range and not H7/L5/U5/H5 (spec 7: not memory-mapped there).
        /// </summary>
        public static bool IsSupported(DeviceInfo device)
            => device != null && !device.OptionBytes.IsEmpty && !NotMemoryMapped.Contains(device.Family);

        /// <summary>The layout for a part; throws <see cref="OptionBytesNotSupportedException"/> where the bootloader cannot reach them.</summary>
        public static OptionLayout For(DeviceInfo device)
        {
            if (device == null) throw new ArgumentNullException(nameof(device));
            if (!IsSupported(device)) throw new OptionBytesNotSupportedException(device);
            return ForFamily(device.Family);
        }

        /// <summary>
        /// The block the host reads and writes with one Write Memory at its start (spec 4.6):
        /// F42x/F469 the bank-1 block at 0x1FFFC000 (the range starts with bank 2, UNCONFIRMED
        /// which start the bootloader wants); L47x/L49x/L4R the bank-1 16 bytes; others the
        /// catalog range, at most 0x80 bytes (WL's 2 KiB range is mostly reserved).
        /// </summary>
        public static MemoryRange BlockFor(DeviceInfo device)
        {
            if (!IsSupported(device)) throw new OptionBytesNotSupportedException(device);
            var opt = device.OptionBytes;
            if (opt.Length > 0x1000)
                return device.Family == "F2" || device.Family == "F4"
                    ? new MemoryRange(opt.End - 16, opt.End)
                    : MemoryRange.FromLength(opt.Start, 16);
            return MemoryRange.FromLength(opt.Start, Math.Min(opt.Length, 0x80u) & ~3u);
        }

        /// <summary>Any family, never throws: the simulated chip keeps RDP/WRP even where the bootloader cannot reach them.</summary>
        public static OptionLayout ForFamily(string family)
        {
            switch (family)
            {
                case "F1":
                case "W":
                case "":
                    return new PairLayout(family, 0xA5);
                case "F0":
                case "F3":
                    return new PairLayout(family, 0xAA);
                case "F2":
                case "F4":
                    return new F4Layout(family, 16);
                case "F7":
                    return new F4Layout(family, 32);
                case "L0":
                case "L1":
                    return new L0L1Layout(family);
                default:
                    return new WordPairLayout(family);
            }
        }

        public override string ToString() => Name;
    }
}
