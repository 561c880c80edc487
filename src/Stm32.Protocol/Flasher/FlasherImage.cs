using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Stm32.Protocol.Devices;

namespace Stm32.Protocol.Flasher
{
    /// <summary>The on-chip flasher builds (flasher/bin), one per flash-controller and USART combination.</summary>
    public enum FlasherVariant
    {
        /// <summary>F1: old USART (SR/DR/BRR), F1 FPEC (half-words, page erase); Cortex-M3.</summary>
        F1 = 1,

        /// <summary>F0 and F3: new USART (ISR/RDR/TDR), F1-style FPEC; Cortex-M0 code.</summary>
        F0F3 = 2,

        /// <summary>F4: old USART, sector flash (SNB, PSIZE x32); Cortex-M4.</summary>
        F4 = 3,

        /// <summary>G0: new USART, 64-bit double-word programming, page erase by PNB; Cortex-M0+.</summary>
        G0 = 4,
    }

    /// <summary>A register write the flasher does first: clock enables and USART pins, computed here per family.</summary>
    public readonly struct FlasherInitWrite
    {
        public FlasherInitWrite(uint address, uint clear, uint set)
        {
            Address = address;
            Clear = clear;
            Set = set;
        }

        public uint Address { get; }

        public uint Clear { get; }

        public uint Set { get; }
    }

    /// <summary>
    /// One flasher image (embedded from flasher/bin), what it needs, and the bytes to load for a
    /// given part: the image with its header patched (initial SP, entry) and its parameter block
    /// filled (USART base, line rate, clock routing, init writes). The image is position-
    /// independent; it is loaded at the row's ram_start (the RAM the bootloader leaves free) and
    /// its stack is the top of that RAM. Layout of the header: flasher/PROTOCOL.md, "Image".
    /// </summary>
    public sealed class FlasherImage
    {
        public const int HeaderSize = 0x80;

        /// <summary>Stack (with the flasher's state) plus the smallest buffers it can work with (256-byte blocks, a 512-byte ring).</summary>
        public const uint MinimumWorkingRam = 1024 + 256 + 512;

        private static readonly Dictionary<FlasherVariant, FlasherImage> Cache = new Dictionary<FlasherVariant, FlasherImage>();

        private FlasherImage(FlasherVariant variant, byte[] bytes)
        {
            Variant = variant;
            _bytes = bytes;
            if (bytes.Length < HeaderSize || bytes[8] != (byte)'S' || bytes[9] != (byte)'3' || bytes[10] != (byte)'2' || bytes[11] != (byte)'F')
                throw new InvalidDataException($"The embedded flasher image for {variant} has no S32F header.");
            ProtocolVersion = bytes[0x0C];
            Version = bytes[0x0E];
            EntryOffset = BitConverter.ToUInt32(bytes, 0x10);
            if (bytes[0x0D] != (byte)variant) throw new InvalidDataException($"The embedded image for {variant} says it is variant {bytes[0x0D]}.");
        }

        private readonly byte[] _bytes;

        public FlasherVariant Variant { get; }

        public int ProtocolVersion { get; }

        public int Version { get; }

        public uint EntryOffset { get; }

        public int Size => _bytes.Length;

        /// <summary>The image as built (header not yet patched).</summary>
        public byte[] ToArray() => (byte[])_bytes.Clone();

        public static FlasherImage Get(FlasherVariant variant)
        {
            lock (Cache)
            {
                if (Cache.TryGetValue(variant, out var img)) return img;
                string name = "Stm32.Protocol.Flasher.flasher-" + ResourceSuffix(variant) + ".bin";
                using var s = typeof(FlasherImage).Assembly.GetManifestResourceStream(name)
                    ?? throw new InvalidDataException($"The flasher image {name} is not embedded in Stm32.Protocol.");
                using var ms = new MemoryStream();
                s.CopyTo(ms);
                img = new FlasherImage(variant, ms.ToArray());
                Cache[variant] = img;
                return img;
            }
        }

        public static string ResourceSuffix(FlasherVariant variant)
        {
            switch (variant)
            {
                case FlasherVariant.F1: return "f1";
                case FlasherVariant.F0F3: return "f0";
                case FlasherVariant.F4: return "f4";
                default: return "g0";
            }
        }

        /// <summary>The variant for a family, or null where no flasher exists (those keep the ROM path).</summary>
        public static FlasherVariant? VariantFor(string family)
        {
            switch (family)
            {
                case "F1": return FlasherVariant.F1;
                case "F0":
                case "F3": return FlasherVariant.F0F3;
                case "F4": return FlasherVariant.F4;
                case "G0": return FlasherVariant.G0;
                default: return null;
            }
        }

        /// <summary>
        /// Whether the flasher can run on this catalog row; when not, why (for the "-Fast on a
        /// family without a flasher says so" message). Needs: a family with a variant, a known
        /// flash layout, a single-bank G0, and free RAM for the image plus its working minimum.
        /// </summary>
        public static bool Supports(DeviceInfo device, out string reason)
        {
            if (device == null) throw new ArgumentNullException(nameof(device));
            var v = VariantFor(device.Family);
            if (v == null)
            {
                reason = $"No on-chip flasher exists for the {(device.Family.Length > 0 ? device.Family : "unknown")} family ({device}).";
                return false;
            }
            if (device.Layout == null || device.Flash.IsEmpty)
            {
                reason = $"The catalog does not know {device}'s flash layout.";
                return false;
            }
            if ((device.Family == "G0" && device.BankCount > 1) || device.ProductId == 0x467)
            {
                reason = $"{device} has two flash banks; the G0 flasher drives single-bank parts only.";
                return false;
            }
            if (RunsOf(device.Layout).Count > 6)
            {
                reason = $"{device}'s flash layout has more than 6 runs of equal units.";
                return false;
            }
            var img = Get(v.Value);
            uint load = LoadAddress(device), top = StackTop(device);
            uint need = (uint)((img.Size + 7) & ~7) + MinimumWorkingRam;
            if (top <= load || top - load < need)
            {
                reason = $"{device} leaves {(top > load ? top - load : 0)} bytes of RAM free after the bootloader (0x{device.Ram.Start:X8}-0x{device.Ram.End:X8}); "
                    + $"the {v} flasher needs {need}.";
                return false;
            }
            reason = "";
            return true;
        }

        /// <summary>Where the image goes: the row's ram_start, 8-aligned.</summary>
        public static uint LoadAddress(DeviceInfo device) => (device.Ram.Start + 7u) & ~7u;

        /// <summary>The flasher's initial stack pointer: the top of the row's free RAM, 8-aligned.</summary>
        public static uint StackTop(DeviceInfo device) => device.Ram.End & ~7u;

        /// <summary>USART1's base address per family (the USART the bootloader answered on in the usual wiring).</summary>
        public static uint Usart1Base(string family) => family == "F4" ? 0x40011000u : 0x40013800u;

        /// <summary>
        /// Clock enables and PA9 (TX, alternate function) / PA10 (RX) for USART1, per family: the
        /// flasher does them first, since the bootloader's Go may have de-initialised both.
        /// </summary>
        public static IReadOnlyList<FlasherInitWrite> Usart1InitWrites(string family)
        {
            switch (family)
            {
                case "F1":
                    return new[]
                    {
                        new FlasherInitWrite(0x40021018, 0, (1u << 14) | (1u << 2) | 1u), // APB2ENR: USART1, IOPA, AFIO
                        new FlasherInitWrite(0x40010804, 0xFF0, 0x4B0),                     // GPIOA CRH: PA9 AF push-pull 50 MHz, PA10 input
                    };
                case "F0":
                case "F3":
                    uint af = family == "F3" ? 7u : 1u;
                    return new[]
                    {
                        new FlasherInitWrite(0x40021014, 0, 1u << 17),                       // AHBENR: IOPA
                        new FlasherInitWrite(0x40021018, 0, 1u << 14),                       // APB2ENR: USART1
                        new FlasherInitWrite(0x48000024, 0xFF0, (af << 4) | (af << 8)),       // GPIOA AFRH: PA9, PA10
                        new FlasherInitWrite(0x48000000, 0xF << 18, 0xA << 18),              // GPIOA MODER: PA9, PA10 alternate
                    };
                case "F4":
                    return new[]
                    {
                        new FlasherInitWrite(0x40023830, 0, 1u),                             // AHB1ENR: GPIOA
                        new FlasherInitWrite(0x40023844, 0, 1u << 4),                        // APB2ENR: USART1
                        new FlasherInitWrite(0x40020024, 0xFF0, 0x770),                      // GPIOA AFRH: AF7
                        new FlasherInitWrite(0x40020000, 0xF << 18, 0xA << 18),              // GPIOA MODER
                    };
                case "G0":
                    return new[]
                    {
                        new FlasherInitWrite(0x40021034, 0, 1u),                             // IOPENR: GPIOA
                        new FlasherInitWrite(0x40021040, 0, 1u << 14),                       // APBENR2: USART1
                        new FlasherInitWrite(0x50000024, 0xFF0, 0x110),                      // GPIOA AFRH: AF1
                        new FlasherInitWrite(0x50000000, 0xF << 18, 0xA << 18),              // GPIOA MODER
                    };
                default:
                    return Array.Empty<FlasherInitWrite>();
            }
        }

        /// <summary>The bytes to write at <see cref="LoadAddress"/> for this part, at the line rate in use.</summary>
        public static byte[] BuildFor(DeviceInfo device, int baudRate, uint? usartBase = null, IReadOnlyList<FlasherInitWrite>? initWrites = null,
            uint hseHz = 0)
        {
            if (!Supports(device, out var reason)) throw new NotSupportedException(reason);
            var img = Get(VariantFor(device.Family)!.Value);
            var b = img.ToArray();
            uint load = LoadAddress(device);
            Put(b, 0x00, StackTop(device));
            Put(b, 0x04, (load + img.EntryOffset) | 1u);
            Put(b, 0x20, usartBase ?? Usart1Base(device.Family));
            Put(b, 0x24, (uint)baudRate);
            Put(b, 0x28, hseHz);
            // USART1 sits on APB2 on F1/F3/F4 and on the only APB on F0/G0 (default kernel clock: PCLK).
            b[0x2C] = (byte)(device.Family == "F0" || device.Family == "G0" ? 1 : 2);
            b[0x2D] = 0xFF;
            var init = initWrites ?? Usart1InitWrites(device.Family);
            if (init.Count > 6) throw new ArgumentException("At most 6 init writes fit the parameter block.", nameof(initWrites));
            b[0x2F] = (byte)init.Count;
            for (int i = 0; i < init.Count; i++)
            {
                Put(b, 0x30 + 12 * i, init[i].Address);
                Put(b, 0x34 + 12 * i, init[i].Clear);
                Put(b, 0x38 + 12 * i, init[i].Set);
            }
            return b;
        }

        /// <summary>
        /// What loading costs over the ROM protocol: Write Memory in 256-byte blocks (2 + 1 + 5 +
        /// 1 + 258 + 1 bytes each) and a Go (9 bytes), 11 bits a byte, no turnaround latency.
        /// </summary>
        public static TimeSpan EstimatedUploadTime(int imageBytes, int baudRate)
        {
            int blocks = (imageBytes + 255) / 256;
            long bytes = 0;
            for (int i = 0; i < blocks; i++)
            {
                int n = Math.Min(256, imageBytes - i * 256);
                bytes += 2 + 1 + 5 + 1 + (1 + n + 1) + 1;
            }
            bytes += 9;
            return TimeSpan.FromSeconds(bytes * 11.0 / baudRate);
        }

        /// <summary>The layout as runs of equal units (count, size), as CONFIG sends it.</summary>
        public static IReadOnlyList<(uint Count, uint Size)> RunsOf(FlashLayout layout)
        {
            var runs = new List<(uint Count, uint Size)>();
            foreach (var p in layout.Pages)
            {
                if (runs.Count > 0 && runs[runs.Count - 1].Size == p.Size) runs[runs.Count - 1] = (runs[runs.Count - 1].Count + 1, p.Size);
                else runs.Add((1, p.Size));
            }
            return runs;
        }

        private static void Put(byte[] b, int at, uint v)
        {
            b[at] = (byte)v;
            b[at + 1] = (byte)(v >> 8);
            b[at + 2] = (byte)(v >> 16);
            b[at + 3] = (byte)(v >> 24);
        }
    }
}
