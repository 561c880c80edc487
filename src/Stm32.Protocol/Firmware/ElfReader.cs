using System;
using System.Globalization;
using System.IO;
using ELFSharp.ELF;
using ELFSharp.ELF.Segments;

namespace Stm32.Protocol.Firmware
{
    /// <summary>
    /// ELF, 32-bit little-endian ARM, read with ELFSharp: every PT_LOAD segment with file bytes
    /// goes to its physical (load) address p_paddr, p_filesz bytes of it; segments with no file
    /// bytes (.bss, stacks) are skipped. The entry point e_entry becomes the start address (0 means none).
    /// </summary>
    /// <remarks>
    /// The header fields and table bounds are checked here first, so a bad file is reported with
    /// the byte offset of what is wrong rather than whatever exception ELFSharp would raise.
    /// </remarks>
    internal static class ElfReader
    {
        private const int HeaderSize = 52;
        private const ushort EmArm = 40;
        private const uint PtLoad = 1;

        public static FirmwareImage Read(byte[] c, string? path)
        {
            Validate(c, path);

            ELF<uint> elf;
            try
            {
                elf = ELFReader.Load<uint>(new MemoryStream(c, writable: false), shouldOwnStream: true);
            }
            catch (Exception e) when (!(e is FirmwareFormatException))
            {
                throw new FirmwareFormatException(path, null, 0, "ELFSharp could not read the file: " + e.Message, e);
            }

            using (elf)
            {
                var collector = new SegmentCollector(0, mergeRuns: false);
                int phoff = (int)ReadU32(c, 28);
                int phentsize = ReadU16(c, 42);
                int index = 0;
                foreach (var segment in elf.Segments)
                {
                    int headerOffset = phoff + index * phentsize;
                    index++;
                    if (segment.Type != SegmentType.Load || segment.FileSize == 0) continue;
                    byte[] bytes;
                    try
                    {
                        bytes = segment.GetFileContents();
                    }
                    catch (Exception e)
                    {
                        throw new FirmwareFormatException(path, null, headerOffset, "ELFSharp could not read a loadable segment: " + e.Message, e);
                    }
                    uint address = segment.PhysicalAddress;
                    if ((ulong)address + (ulong)bytes.LongLength > uint.MaxValue)
                        throw new FirmwareFormatException(path, null, headerOffset, string.Format(CultureInfo.InvariantCulture,
                            "program header {0}: {1} bytes at 0x{2:X8} reach 0xFFFFFFFF, which is not supported", index - 1, bytes.Length, address));
                    // Tag each segment with its program header's offset for conflict reports.
                    collector.Add(address, bytes, 0, bytes.Length, headerOffset);
                }

                ImageSegment[] segments;
                try
                {
                    segments = collector.Build();
                }
                catch (SegmentConflictException e)
                {
                    throw new FirmwareFormatException(path, null, e.SecondTag, string.Format(CultureInfo.InvariantCulture,
                        "the loadable segment of this program header puts 0x{0:X2} at 0x{1:X8}, but the one at offset 0x{2:X} put 0x{3:X2} there (overlapping segments disagree)",
                        e.SecondValue, e.Address, e.FirstTag, e.FirstValue));
                }
                uint entry = elf.EntryPoint;
                return FirmwareImage.FromCanonical(segments, entry == 0 ? (uint?)null : entry, path, FirmwareFormat.Elf);
            }
        }

        /// <summary>Checks identification, machine and table bounds; throws with the offending byte offset.</summary>
        internal static void Validate(byte[] c, string? path)
        {
            if (c.Length < 4 || c[0] != 0x7F || c[1] != (byte)'E' || c[2] != (byte)'L' || c[3] != (byte)'F')
                throw Error(path, 0, "not an ELF file (it does not start with 0x7F 'E' 'L' 'F')");
            if (c.Length < HeaderSize)
                throw Error(path, c.Length, string.Format(CultureInfo.InvariantCulture,
                    "truncated: {0} bytes, too short for the 52-byte ELF header", c.Length));
            if (c[4] != 1)
                throw Error(path, 4, c[4] == 2 ? "a 64-bit ELF file; only 32-bit ARM ELF is supported"
                    : string.Format(CultureInfo.InvariantCulture, "unknown ELF class {0}; only 32-bit ARM ELF is supported", c[4]));
            if (c[5] != 1)
                throw Error(path, 5, c[5] == 2 ? "a big-endian ELF file; only little-endian ARM ELF is supported"
                    : string.Format(CultureInfo.InvariantCulture, "unknown ELF data encoding {0}; only little-endian ARM ELF is supported", c[5]));
            ushort machine = ReadU16(c, 18);
            if (machine != EmArm)
                throw Error(path, 18, string.Format(CultureInfo.InvariantCulture,
                    "machine {0} is not ARM (40); only 32-bit little-endian ARM ELF is supported", machine));

            uint phoff = ReadU32(c, 28);
            ushort phentsize = ReadU16(c, 42);
            ushort phnum = ReadU16(c, 44);
            if (phnum == 0)
                throw Error(path, 44, "the ELF file has no program headers, so nothing to load (an object file, not a linked program?)");
            if (phentsize < 32)
                throw Error(path, 42, string.Format(CultureInfo.InvariantCulture, "program header entries of {0} bytes; ELF32 needs 32", phentsize));
            if ((ulong)phoff + (ulong)phnum * phentsize > (ulong)c.Length)
                throw Error(path, phoff, string.Format(CultureInfo.InvariantCulture,
                    "truncated: the program header table ({0} entries at offset 0x{1:X}) runs past the end of the file ({2} bytes)", phnum, phoff, c.Length));

            uint shoff = ReadU32(c, 32);
            ushort shentsize = ReadU16(c, 46);
            ushort shnum = ReadU16(c, 48);
            if (shoff != 0 && shnum != 0 && (ulong)shoff + (ulong)shnum * shentsize > (ulong)c.Length)
                throw Error(path, shoff, string.Format(CultureInfo.InvariantCulture,
                    "truncated: the section header table ({0} entries at offset 0x{1:X}) runs past the end of the file ({2} bytes)", shnum, shoff, c.Length));

            for (int i = 0; i < phnum; i++)
            {
                int h = (int)phoff + i * phentsize;
                if (ReadU32(c, h) != PtLoad) continue;
                uint offset = ReadU32(c, h + 4);
                uint filesz = ReadU32(c, h + 16);
                if (filesz != 0 && (ulong)offset + filesz > (ulong)c.Length)
                    throw Error(path, offset, string.Format(CultureInfo.InvariantCulture,
                        "truncated: loadable segment {0} ({1} bytes at file offset 0x{2:X}) runs past the end of the file ({3} bytes)", i, filesz, offset, c.Length));
            }
        }

        private static ushort ReadU16(byte[] c, int at) => (ushort)(c[at] | (c[at + 1] << 8));

        private static uint ReadU32(byte[] c, int at) => (uint)(c[at] | (c[at + 1] << 8) | (c[at + 2] << 16) | (c[at + 3] << 24));

        private static FirmwareFormatException Error(string? path, long offset, string problem)
            => new FirmwareFormatException(path, null, offset, problem);
    }
}
