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
    /// <see cref="ElfValidator"/> checks the header and every table ELFSharp reads against the
    /// file first, so a bad file is reported with the byte offset of what is wrong, never as
    /// ELFSharp's exception nor after an allocation the file's length cannot back.
    /// </remarks>
    internal static class ElfReader
    {
        public static FirmwareImage Read(byte[] c, string? path)
        {
            ElfValidator.Validate(c, path);

            ELF<uint> elf;
            try
            {
                elf = ELFReader.Load<uint>(new MemoryStream(c, writable: false), shouldOwnStream: true);
            }
            catch (Exception e) when (!(e is FirmwareFormatException))
            {
                // Not expected after the validation (the fuzz tests hold it to that); still a clear refusal.
                throw new FirmwareFormatException(path, null, 0,
                    "the ELF structure is damaged in a way this reader does not name (" + e.GetType().Name + ": " + e.Message + ")", e);
            }

            using (elf)
            {
                var collector = new SegmentCollector(0, mergeRuns: false);
                int phoff = (int)ElfValidator.U32(c, 28);
                int phentsize = ElfValidator.U16(c, 42);
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
                        throw new FirmwareFormatException(path, null, headerOffset,
                            "the loadable segment of this program header cannot be read (" + e.GetType().Name + ": " + e.Message + ")", e);
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

    }
}
