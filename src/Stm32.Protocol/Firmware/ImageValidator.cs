using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using Stm32.Protocol.Devices;

namespace Stm32.Protocol.Firmware
{
    /// <summary>The kinds of memory an image may be written to.</summary>
    public enum MemoryRegionKind
    {
        Flash,

        /// <summary>The RAM the host may use (above the bootloader's reserved part).</summary>
        Ram,

        OptionBytes,

        /// <summary>In none of the above.</summary>
        Outside,
    }

    /// <summary>The part of an image that falls in one region of a device's memory map.</summary>
    public sealed class ImageRegionUse
    {
        internal ImageRegionUse(MemoryRegionKind kind, MemoryRange region, uint lowest, uint highestExclusive, long bytes)
        {
            Kind = kind;
            Region = region;
            LowestAddress = lowest;
            HighestAddress = highestExclusive;
            DataBytes = bytes;
        }

        public MemoryRegionKind Kind { get; }

        /// <summary>The device region (empty for <see cref="MemoryRegionKind.Outside"/>).</summary>
        public MemoryRange Region { get; }

        /// <summary>The first image address in the region.</summary>
        public uint LowestAddress { get; }

        /// <summary>Past the last image address in the region (exclusive).</summary>
        public uint HighestAddress { get; }

        /// <summary>How many image bytes fall in the region.</summary>
        public long DataBytes { get; }

        public override string ToString()
            => string.Format(CultureInfo.InvariantCulture, "{0}: {1} bytes in 0x{2:X8}-0x{3:X8}", Kind, DataBytes, LowestAddress, HighestAddress - 1);
    }

    /// <summary>
    /// Checks an image against a device's memory map before any byte goes to the chip: every
    /// byte must fall in flash, the host-usable RAM (<see cref="DeviceInfo.Ram"/>, which starts
    /// above the bootloader's reserved part) or the option area.
    /// </summary>
    public static class ImageValidator
    {
        /// <summary>Throws <see cref="ImageOutOfRangeException"/> naming the first address outside the allowed regions.</summary>
        /// <param name="image">The image.</param>
        /// <param name="device">The device row.</param>
        /// <param name="flashSize">The real flash size in bytes (from the chip's flash-size register), when known; else the catalog's (family maximum).</param>
        public static void Check(FirmwareImage image, DeviceInfo device, uint? flashSize = null)
        {
            var bad = FindFirstOutOfRange(image, device, flashSize);
            if (!bad.HasValue) return;
            throw new ImageOutOfRangeException(bad.Value, device.Name, Describe(image, device, flashSize, bad.Value));
        }

        /// <summary>The lowest image address outside flash, host RAM and the option area, or null when there is none.</summary>
        public static uint? FindFirstOutOfRange(FirmwareImage image, DeviceInfo device, uint? flashSize = null)
        {
            if (image == null) throw new ArgumentNullException(nameof(image));
            if (device == null) throw new ArgumentNullException(nameof(device));
            var allowed = Allowed(device, flashSize);
            foreach (var seg in image.Segments)
            {
                uint a = seg.Address;
                while (a < seg.End)
                {
                    uint? next = null;
                    foreach (var (_, r) in allowed)
                        if (r.Contains(a)) { next = r.End; break; }
                    if (!next.HasValue) return a;
                    a = next.Value;
                    if (a == 0) break; // region ended at 2^32
                }
            }
            return null;
        }

        /// <summary>Which regions the image touches, in address order, with the bytes in each; bytes outside every region come as <see cref="MemoryRegionKind.Outside"/>.</summary>
        public static IReadOnlyList<ImageRegionUse> Regions(FirmwareImage image, DeviceInfo device, uint? flashSize = null)
        {
            if (image == null) throw new ArgumentNullException(nameof(image));
            if (device == null) throw new ArgumentNullException(nameof(device));
            var allowed = Allowed(device, flashSize);
            var uses = new List<(MemoryRegionKind Kind, MemoryRange Region, uint Lo, uint Hi, long Bytes)>();
            void Note(MemoryRegionKind kind, MemoryRange region, uint lo, uint hi)
            {
                for (int i = 0; i < uses.Count; i++)
                {
                    if (uses[i].Kind == kind && uses[i].Region.Equals(region))
                    {
                        var u = uses[i];
                        uses[i] = (kind, region, Math.Min(u.Lo, lo), Math.Max(u.Hi, hi), u.Bytes + (hi - lo));
                        return;
                    }
                }
                uses.Add((kind, region, lo, hi, hi - lo));
            }
            foreach (var seg in image.Segments)
            {
                uint a = seg.Address;
                while (a < seg.End)
                {
                    bool found = false;
                    foreach (var (kind, r) in allowed)
                    {
                        if (!r.Contains(a)) continue;
                        uint hi = Math.Min(seg.End, r.End == 0 ? seg.End : r.End);
                        Note(kind, r, a, hi);
                        a = hi;
                        found = true;
                        break;
                    }
                    if (found) continue;
                    // Outside: up to the next region start or the segment end.
                    uint stop = seg.End;
                    foreach (var (_, r) in allowed)
                        if (!r.IsEmpty && r.Start > a && r.Start < stop) stop = r.Start;
                    Note(MemoryRegionKind.Outside, MemoryRange.Empty, a, stop);
                    a = stop;
                }
            }
            uses.Sort((x, y) => x.Lo.CompareTo(y.Lo));
            var result = new List<ImageRegionUse>(uses.Count);
            foreach (var u in uses) result.Add(new ImageRegionUse(u.Kind, u.Region, u.Lo, u.Hi, u.Bytes));
            return result;
        }

        private static List<(MemoryRegionKind, MemoryRange)> Allowed(DeviceInfo device, uint? flashSize)
        {
            var flash = device.Flash;
            if (flashSize.HasValue && !flash.IsEmpty)
                flash = MemoryRange.FromLength(flash.Start, Math.Min(flashSize.Value, flash.Length));
            var list = new List<(MemoryRegionKind, MemoryRange)>();
            if (!flash.IsEmpty) list.Add((MemoryRegionKind.Flash, flash));
            if (!device.Ram.IsEmpty) list.Add((MemoryRegionKind.Ram, device.Ram));
            if (!device.OptionBytes.IsEmpty) list.Add((MemoryRegionKind.OptionBytes, device.OptionBytes));
            return list;
        }

        private static string Describe(FirmwareImage image, DeviceInfo device, uint? flashSize, uint bad)
        {
            var allowed = Allowed(device, flashSize);
            var sb = new StringBuilder();
            var pid = string.Format(CultureInfo.InvariantCulture, "0x{0:X3}", device.ProductId);
            sb.AppendFormat(CultureInfo.InvariantCulture, "The image{0} has data at 0x{1:X8}, outside the memory of {2}: ",
                image.SourcePath != null ? " " + image.SourcePath : "", bad,
                device.Name.IndexOf(pid, StringComparison.OrdinalIgnoreCase) >= 0 ? device.Name : device.Name + " (" + pid + ")");
            if (allowed.Count == 0) sb.Append("the device has no known memory map; add a catalog row for it");
            else
            {
                var parts = new List<string>();
                foreach (var (kind, r) in allowed)
                    parts.Add((kind == MemoryRegionKind.Flash ? "flash " : kind == MemoryRegionKind.Ram ? "RAM " : "option bytes ") + r);
                sb.Append(string.Join(", ", parts));
            }
            sb.Append('.');
            // Say why when the address is RAM the bootloader keeps for itself, or flash beyond the real size.
            if (!device.Ram.IsEmpty && bad < device.Ram.Start && bad >= (device.Ram.Start & 0xFFF00000u))
                sb.AppendFormat(CultureInfo.InvariantCulture, " RAM below 0x{0:X8} is reserved by the bootloader.", device.Ram.Start);
            if (flashSize.HasValue && device.Flash.Contains(bad))
                sb.AppendFormat(CultureInfo.InvariantCulture, " This chip has {0} KiB of flash.", flashSize.Value / 1024);
            else if (!device.Flash.IsEmpty && bad >= device.Flash.End && bad < device.Flash.End + 0x01000000u)
                sb.AppendFormat(CultureInfo.InvariantCulture, " Flash ends at 0x{0:X8}.", device.Flash.End - 1);
            return sb.ToString();
        }
    }
}
