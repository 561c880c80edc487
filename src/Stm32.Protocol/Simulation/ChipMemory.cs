using System;
using System.Collections.Generic;
using System.Linq;
using Stm32.Protocol.Devices;
using Stm32.Protocol.Programming;

namespace Stm32.Protocol.Simulation
{
    internal enum RegionKind
    {
        Flash,
        Ram,
        ReservedRam,
        SystemMemory,
        OptionBytes,
        DeviceInfo,
    }

    /// <summary>One addressable area of the simulated chip, backed by (part of) an array.</summary>
    internal sealed class MemoryRegion
    {
        public MemoryRegion(RegionKind kind, MemoryRange range, byte[] data, int offset)
        {
            Kind = kind;
            Range = range;
            Data = data;
            Offset = offset;
        }

        public RegionKind Kind { get; }
        public MemoryRange Range { get; }
        public byte[] Data { get; }

        /// <summary>Index in <see cref="Data"/> of <c>Range.Start</c>.</summary>
        public int Offset { get; }

        public int IndexOf(uint address) => Offset + (int)(address - Range.Start);
    }

    /// <summary>
    /// The simulated chip's memory map, built from a catalog row (spec 9): flash (erased 0xFF),
    /// RAM from 0x20000000 with the bootloader's reserved start, system memory (0xFF except the
    /// bootloader ID and whatever device fields fall inside it), the option area, and small
    /// "device info" areas for the flash-size register and unique ID when they lie outside the
    /// system memory. Such an area is the aligned 256-byte block around the fields (so a tool that
    /// reads an aligned block, like stm32loader on F4, works) unless that block would overlap
    /// another region; then it is exactly the span of the fields.
    /// </summary>
    internal sealed class ChipMemory
    {
        public const uint RamBase = 0x20000000;

        private readonly List<MemoryRegion> _all = new List<MemoryRegion>();

        public ChipMemory(DeviceInfo device, OptionLayout layout)
        {
            if (!device.Flash.IsEmpty)
            {
                FlashData = Filled((int)device.Flash.Length, 0xFF);
                Flash = Add(RegionKind.Flash, device.Flash, FlashData, 0);
            }
            else FlashData = Array.Empty<byte>();

            var ramStart = device.Ram.Start;
            var ramEnd = device.Ram.End;
            if (ramEnd > ramStart || ramStart > RamBase)
            {
                uint basis = ramStart >= RamBase && ramStart - RamBase < 0x100000 ? RamBase : ramStart;
                RamData = new byte[Math.Max(ramEnd, ramStart) - basis];
                if (ramStart > basis) Reserved = Add(RegionKind.ReservedRam, new MemoryRange(basis, ramStart), RamData, 0);
                if (ramEnd > ramStart) Ram = Add(RegionKind.Ram, device.Ram, RamData, (int)(ramStart - basis));
            }
            else RamData = Array.Empty<byte>();

            if (!device.SystemMemory.IsEmpty)
                SystemMemory = Add(RegionKind.SystemMemory, device.SystemMemory, Filled((int)device.SystemMemory.Length, 0xFF), 0);

            // Option storage: the catalog's range (readable), plus the rest of the family's block
            // when the range is shorter or absent (H7/L5/U5/H5 have none: RDP/WRP still live here).
            var opt = device.OptionBytes;
            OptionPrimary = (device.Family == "F2" || device.Family == "F4") && opt.Length > 64 ? (int)opt.Length - 16 : 0;
            OptionStore = Filled(Math.Max((int)opt.Length, OptionPrimary + layout.Size), 0xFF);
            Array.Copy(layout.Defaults(), 0, OptionStore, OptionPrimary, layout.Size);
            if (opt.Length > 0x1000)
            {
                // Dual-bank rows (F42x/F469: 0x1FFEC000-0x1FFFC00F, L47x: 0x1FFF7800-0x1FFFF80F)
                // span two 16-byte option blocks with unrelated memory (even system memory)
                // between them: only the two blocks are option bytes.
                Options = Add(RegionKind.OptionBytes, MemoryRange.FromLength(opt.Start, 16), OptionStore, 0);
                OptionsHigh = Add(RegionKind.OptionBytes, new MemoryRange(opt.End - 16, opt.End), OptionStore, (int)opt.Length - 16);
            }
            else if (!opt.IsEmpty) Options = Add(RegionKind.OptionBytes, opt, OptionStore, 0);

            AddDeviceFields(device);
        }

        public byte[] FlashData { get; }
        public byte[] RamData { get; }
        public byte[] OptionStore { get; }

        /// <summary>Where the block RDP/WRP live starts in <see cref="OptionStore"/> (F42x/F469: bank-1 block at the end).</summary>
        public int OptionPrimary { get; }

        public MemoryRegion? Flash { get; }
        public MemoryRegion? Ram { get; }
        public MemoryRegion? Reserved { get; }
        public MemoryRegion? SystemMemory { get; }
        public MemoryRegion? Options { get; }

        /// <summary>The second option block of dual-bank rows, else null.</summary>
        public MemoryRegion? OptionsHigh { get; }

        public IReadOnlyList<MemoryRegion> All => _all;

        /// <summary>The region holding the address, reserved RAM included (back door).</summary>
        public MemoryRegion? Find(uint address) => _all.FirstOrDefault(r => r.Range.Contains(address));

        /// <summary>The region a Read Memory may address: anything but the reserved RAM (V2.2+, spec 5).</summary>
        public MemoryRegion? FindReadable(uint address)
        {
            var r = Find(address);
            return r == null || r.Kind == RegionKind.ReservedRam ? null : r;
        }

        private MemoryRegion Add(RegionKind kind, MemoryRange range, byte[] data, int offset)
        {
            var r = new MemoryRegion(kind, range, data, offset);
            _all.Add(r);
            return r;
        }

        private static byte[] Filled(int length, byte value)
        {
            var b = new byte[length];
            if (value != 0) for (int i = 0; i < b.Length; i++) b[i] = value;
            return b;
        }

        private void AddDeviceFields(DeviceInfo device)
        {
            var fields = new List<(uint Address, byte[] Bytes)>();
            if (device.BootloaderIdAddress is uint bidAt && device.BootloaderIds.Count > 0)
                fields.Add((bidAt, new[] { device.BootloaderIds[0] }));
            if (device.FlashSizeAddress is uint fsAt && !device.Flash.IsEmpty)
            {
                var kib = device.Flash.Length / 1024;
                fields.Add((fsAt, new[] { (byte)kib, (byte)(kib >> 8) }));
            }
            if (device.UniqueIdAddress is uint uidAt) fields.Add((uidAt, UniqueId(device.ProductId)));

            var outside = new List<(uint Address, byte[] Bytes)>();
            foreach (var f in fields)
            {
                var holder = _all.FirstOrDefault(r => r.Range.Contains(f.Address, (uint)f.Bytes.Length));
                if (holder != null && holder.Kind == RegionKind.SystemMemory)
                    Array.Copy(f.Bytes, 0, holder.Data, holder.IndexOf(f.Address), f.Bytes.Length);
                else if (holder == null && !_all.Any(r => r.Range.Overlaps(f.Address, (uint)f.Bytes.Length)))
                    outside.Add(f);
            }

            // Group fields less than 256 bytes apart into one area.
            var clusters = new List<List<(uint Address, byte[] Bytes)>>();
            foreach (var f in outside.OrderBy(f => f.Address))
            {
                var last = clusters.Count > 0 ? clusters[clusters.Count - 1] : null;
                if (last != null && f.Address - (last[last.Count - 1].Address + (uint)last[last.Count - 1].Bytes.Length) < 256) last.Add(f);
                else clusters.Add(new List<(uint, byte[])> { f });
            }
            foreach (var c in clusters)
            {
                uint start = c[0].Address;
                uint end = c.Max(f => f.Address + (uint)f.Bytes.Length);
                var aligned = new MemoryRange(start & ~0xFFu, (end + 0xFF) & ~0xFFu);
                var range = _all.Any(r => r.Range.Overlaps(aligned.Start, aligned.Length)) ? new MemoryRange(start, end) : aligned;
                var data = Filled((int)range.Length, 0xFF);
                foreach (var f in c) Array.Copy(f.Bytes, 0, data, (int)(f.Address - range.Start), f.Bytes.Length);
                Add(RegionKind.DeviceInfo, range, data, 0);
            }
        }

        /// <summary>A fixed 96-bit unique ID derived from the product ID (xorshift32).</summary>
        internal static byte[] UniqueId(ushort productId)
        {
            uint x = 0x9E3779B9u ^ (productId * 0x85EBCA6Bu);
            var id = new byte[12];
            for (int i = 0; i < id.Length; i++)
            {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                id[i] = (byte)x;
            }
            return id;
        }
    }
}
