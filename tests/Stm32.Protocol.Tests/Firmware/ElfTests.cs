using Xunit;
using Stm32.Protocol.Firmware;
using static Stm32.Protocol.Tests.Firmware.Records;

namespace Stm32.Protocol.Tests.Firmware;

/// <summary>ELF specifics on hand-built files: physical addresses, file bytes only, .bss skipped, conflicts.</summary>
public class ElfTests
{
    private record struct Ph(uint Type, uint VAddr, uint PAddr, byte[] Data, uint MemSize);

    /// <summary>A minimal ELF32 LE ARM executable: header, program headers, segment bytes; no sections.</summary>
    private static byte[] BuildElf(uint entry, params Ph[] headers)
    {
        const int phoff = 52;
        int dataStart = phoff + 32 * headers.Length;
        var file = new List<byte>(new byte[dataStart]);
        var offsets = new List<uint>();
        foreach (var h in headers)
        {
            offsets.Add((uint)file.Count);
            file.AddRange(h.Data);
        }
        var b = file.ToArray();
        void U16(int at, int v) { b[at] = (byte)v; b[at + 1] = (byte)(v >> 8); }
        void U32(int at, uint v) { for (int i = 0; i < 4; i++) b[at + i] = (byte)(v >> (8 * i)); }
        b[0] = 0x7F; b[1] = (byte)'E'; b[2] = (byte)'L'; b[3] = (byte)'F';
        b[4] = 1; b[5] = 1; b[6] = 1;
        U16(16, 2); U16(18, 40); U32(20, 1); U32(24, entry); U32(28, phoff); U32(32, 0); U32(36, 0x05000200);
        U16(40, 52); U16(42, 32); U16(44, headers.Length); U16(46, 40); U16(48, 0); U16(50, 0);
        for (int i = 0; i < headers.Length; i++)
        {
            int p = phoff + 32 * i;
            var h = headers[i];
            U32(p, h.Type); U32(p + 4, offsets[i]); U32(p + 8, h.VAddr); U32(p + 12, h.PAddr);
            U32(p + 16, (uint)h.Data.Length); U32(p + 20, h.MemSize); U32(p + 24, 5); U32(p + 28, 4);
        }
        return b;
    }

    [Fact]
    public void LoadSegmentsGoToPhysicalAddressesWithFileBytesOnly()
    {
        var elf = BuildElf(0x08000009,
            new Ph(1, 0x08000000, 0x08000000, Seq(16), 16),
            new Ph(1, 0x20000000, 0x08000010, Seq(8, 100), 0x40),      // .data: RAM vaddr, flash paddr, memsz > filesz
            new Ph(1, 0x20000040, 0x20000040, Array.Empty<byte>(), 0x400), // .bss: no file bytes
            new Ph(6, 0x08000000, 0x08000000, Seq(4), 4));               // PT_PHDR-like, not loadable
        var image = FirmwareReader.Read(elf, "tiny.elf");
        Assert.Equal(FirmwareImage.FromBytes(0x08000000, Seq(16).Concat(Seq(8, 100)).ToArray()), image);
        Assert.Equal(0x08000009u, image.StartAddress);
        Assert.Equal(FirmwareFormat.Elf, image.SourceFormat);
    }

    [Fact]
    public void ZeroEntryMeansNoStartAddress()
        => Assert.Null(FirmwareReader.Read(BuildElf(0, new Ph(1, 0x100, 0x100, Seq(4), 4)), "a.elf").StartAddress);

    [Fact]
    public void OverlappingSegmentsThatDisagreeAreRefused()
    {
        var elf = BuildElf(0,
            new Ph(1, 0x08000000, 0x08000000, Seq(16), 16),
            new Ph(1, 0x08000008, 0x08000008, Seq(4, 50), 4));
        var e = Assert.Throws<FirmwareFormatException>(() => FirmwareReader.Read(elf, "bad.elf"));
        Assert.Equal(52 + 32, e.ByteOffset);
        Assert.Contains("0x08000008", e.Message);
        Assert.Contains("disagree", e.Message);
    }

    [Fact]
    public void NoProgramHeadersIsAnError()
    {
        var elf = BuildElf(0);
        var e = Assert.Throws<FirmwareFormatException>(() => FirmwareReader.Read(elf, "obj.elf"));
        Assert.Equal(44, e.ByteOffset);
    }

    [Fact]
    public void SegmentDataPastTheEndIsTruncation()
    {
        var elf = BuildElf(0, new Ph(1, 0x100, 0x100, Seq(64), 64));
        var cut = elf.Take(elf.Length - 10).ToArray();
        var e = Assert.Throws<FirmwareFormatException>(() => FirmwareReader.Read(cut, "cut.elf"));
        Assert.Equal(52, e.ByteOffset);   // the program header that claims the bytes
        Assert.Contains("truncated", e.Message);
        Assert.Contains("program header 0 (segment at file offset 0x54, 64 bytes)", e.Message);
    }
}
