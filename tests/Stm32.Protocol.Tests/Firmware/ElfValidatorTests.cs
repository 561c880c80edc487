using Xunit;
using Stm32.Protocol.Firmware;

namespace Stm32.Protocol.Tests.Firmware;

/// <summary>
/// Damaged ELF files are refused before ELFSharp reads them, with the offset of the field at
/// fault. The files are the toolchain's blinky-f103.elf (18 sections: .symtab 15, .strtab 16,
/// .shstrtab 17; section headers at 10820) and fuzz/seed-notes-f103.elf (a build-id note in
/// section 1 and program header 2) with one field changed.
/// </summary>
public class ElfValidatorTests
{
    private const int SectionHeaders = 10820;
    private const int SymbolTable = 0x26E4;

    private static int Section(int index) => SectionHeaders + 40 * index;

    private static byte[] Blinky() => File.ReadAllBytes(TestData.PathOf("blinky-f103.elf"));

    private static byte[] WithNotes() => File.ReadAllBytes(TestData.PathOf("fuzz/seed-notes-f103.elf"));

    private static byte[] Set32(byte[] b, int at, uint value)
    {
        for (int i = 0; i < 4; i++) b[at + i] = (byte)(value >> (8 * i));
        return b;
    }

    private static byte[] Set16(byte[] b, int at, ushort value)
    {
        b[at] = (byte)value;
        b[at + 1] = (byte)(value >> 8);
        return b;
    }

    private static FirmwareFormatException Refused(byte[] elf)
    {
        var e = Assert.Throws<FirmwareFormatException>(() => FirmwareReader.Read(elf, "app.elf"));
        Assert.Null(e.InnerException);
        return e;
    }

    [Fact]
    public void ANameTableClaimingTwoGigabytesIsRefusedWithoutAllocatingThem()
    {
        var elf = Set32(Blinky(), Section(17) + 20, 0x7FFF_FFC0);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Refused(elf);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(Section(17), e.ByteOffset);
        Assert.Contains("section 17 claims 2147483584 bytes at file offset 0x2986, past the end of the file (11540 bytes)", e.Message);
        Assert.True(allocated < FirmwareFuzz.AllocationAllowance(elf.Length), $"{allocated:N0} bytes allocated");
    }

    [Fact]
    public void AnUnknownElfVersionIsRefused()
    {
        var e = Refused(Set32(Blinky(), 20, 2));
        Assert.Equal(20, e.ByteOffset);
        Assert.Contains("ELF version 2", e.Message);
    }

    [Fact]
    public void ASectionNamePastItsTableIsRefused()
    {
        var e = Refused(Set32(Blinky(), Section(5), 0x1000));
        Assert.Equal(Section(5), e.ByteOffset);
        Assert.Contains("the name of section 5 is at offset 4096 of the section name table, which holds only 190 bytes", e.Message);
    }

    [Fact]
    public void ANameWithoutItsNulIsRefused()
    {
        var elf = Blinky();
        elf[0x2986 + 0xBE - 1] = (byte)'x';   // the last byte of .shstrtab: the last name loses its end
        Assert.Contains("has no terminating NUL before the table ends", Refused(elf).Message);
    }

    [Fact]
    public void ASymbolNamePastItsStringTableIsRefused()
    {
        var e = Refused(Set32(Blinky(), SymbolTable + 3 * 16, 0xFFFF));
        Assert.Equal(SymbolTable + 3 * 16, e.ByteOffset);
        Assert.Contains("the name of symbol 3 in section 15 is at offset 65535 of its string table (section 16), which holds only 114 bytes", e.Message);
    }

    [Fact]
    public void ASymbolTableOfPartSymbolsIsRefused()
    {
        var e = Refused(Set32(Blinky(), Section(15) + 20, 0x230 - 4));
        Assert.Equal(Section(15) + 20, e.ByteOffset);
        Assert.Contains("not a whole number of 16-byte symbols", e.Message);
    }

    [Fact]
    public void AStrtabThatIsNoStringTableIsRefused()
    {
        var e = Refused(Set32(Blinky(), Section(16) + 4, 1));
        Assert.Equal(Section(16) + 4, e.ByteOffset);
        Assert.Contains("section 16 is named .strtab but is of type 1, not a string table (3)", e.Message);
    }

    [Theory]
    [InlineData(18, "e_shstrndx names section 18 as the section name table, but there are only 18 sections (e_shnum)")]
    [InlineData(0xFFFF, "e_shstrndx names section 65535")]
    public void ANameTableIndexPastTheSectionsIsRefused(int index, string expected)
    {
        var e = Refused(Set16(Blinky(), 50, (ushort)index));
        Assert.Equal(50, e.ByteOffset);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void ANameTableThatIsNoStringTableIsRefused()
    {
        var e = Refused(Set16(Blinky(), 50, 1));
        Assert.Equal(Section(1) + 4, e.ByteOffset);
        Assert.Contains("section 1, the section name table (e_shstrndx), is of type 1, not a string table (3)", e.Message);
    }

    [Fact]
    public void SectionsWithoutASectionHeaderTableAreRefused()
    {
        var e = Refused(Set32(Blinky(), 32, 0));
        Assert.Equal(48, e.ByteOffset);
        Assert.Contains("e_shnum says there are 18 sections, but e_shoff is 0", e.Message);
    }

    [Fact]
    public void ExtendedSectionNumberingIsFollowed()
    {
        // e_shnum 0: section 0's sh_size holds the count (gABI). The same file, read the same.
        var elf = Set32(Set16(Blinky(), 48, 0), Section(0) + 20, 18);
        Assert.Equal(TestData.Read("blinky-f103.elf"), FirmwareReader.Read(elf, "app.elf"));

        var e = Refused(Set32(elf, Section(0) + 20, 0x1000_0000));
        Assert.Equal(SectionHeaders, e.ByteOffset);
        Assert.Contains("the section header table (268435456 entries, from section 0's sh_size, as e_shnum is 0, at offset 0x2A44) runs past the end of the file", e.Message);
    }

    [Fact]
    public void ASectionPastTheEndIsRefusedButNoBitsNeedNoFileBytes()
    {
        var e = Refused(Set32(Blinky(), Section(2) + 16, 0x10000));
        Assert.Equal(Section(2), e.ByteOffset);
        Assert.Contains("truncated: section 2 claims 204 bytes at file offset 0x10000", e.Message);
        // .bss (NOBITS) holds no file bytes: any size is fine.
        Assert.Equal(TestData.Read("blinky-f103.elf"), FirmwareReader.Read(Set32(Blinky(), Section(4) + 20, 0x7FFF_0000), "app.elf"));
    }

    [Fact]
    public void ASegmentOfAnyTypePastTheEndIsRefused()
    {
        var elf = Set32(WithNotes(), 52 + 2 * 32 + 4, 0x10_0000);   // the PT_NOTE's p_offset
        var e = Refused(elf);
        Assert.Equal(52 + 2 * 32, e.ByteOffset);
        Assert.Contains("truncated: program header 2 (segment at file offset 0x100000, 36 bytes) runs past the end of the file", e.Message);
    }

    [Fact]
    public void ANoteSegmentTooSmallForANoteIsRefused()
    {
        var e = Refused(Set32(WithNotes(), 52 + 2 * 32 + 16, 8));   // the PT_NOTE's p_filesz
        Assert.Equal(52 + 2 * 32, e.ByteOffset);
        Assert.Contains("program header 2 (segment at file offset 0x94, 8 bytes) is too small to hold a note (a note header is 12 bytes)", e.Message);
    }

    [Fact]
    public void ANoteRunningPastItsSectionIsRefused()
    {
        var e = Refused(Set32(WithNotes(), 0x94, 0x1000));   // the build-id note's name size
        Assert.Equal(0x94, e.ByteOffset);
        Assert.Contains("the note at file offset 0x94 (a 4096-byte name and a 20-byte description) runs past its end", e.Message);
    }

    [Fact]
    public void TheNotesSeedIsAWholeFile()
        => Assert.Equal(0x134, FirmwareReader.Read(WithNotes(), "notes.elf").DataBytes);
}
