using Xunit;
using Stm32.Protocol.Firmware;
using static Stm32.Protocol.Tests.Firmware.Records;

namespace Stm32.Protocol.Tests.Firmware;

/// <summary>Each kind of bad input: the error names the file, the line (or byte offset) and the problem.</summary>
public class ReaderErrorTests
{
    // ---------- Intel HEX ----------

    [Fact]
    public void HexBadChecksum()
    {
        var good = HexData(0x0010, Seq(16));
        var bad = good.Substring(0, good.Length - 2) + (good.EndsWith("00") ? "01" : "00");
        var e = TestData.ReadBad(Lines(HexUpper(0x0800), HexData(0, Seq(16)), bad, HexEof), "app.hex");
        Assert.Equal(3, e.LineNumber);
        Assert.Null(e.ByteOffset);
        Assert.Equal("app.hex", e.Path);
        Assert.Contains("app.hex, line 3", e.Message);
        Assert.Contains("checksum", e.Message);
    }

    [Fact]
    public void HexNonHexCharacter()
    {
        var line = HexData(0, Seq(16));
        line = line.Substring(0, 12) + "G" + line.Substring(13);
        var e = TestData.ReadBad(Lines(HexUpper(0x0800), line, HexEof));
        Assert.Equal(2, e.LineNumber);
        Assert.Contains("'G'", e.Message);
        Assert.Contains("column 13", e.Message);
        Assert.Contains("not a hex digit", e.Message);
    }

    [Fact]
    public void HexLengthMismatch()
    {
        // Length byte says 0x10 but only 15 data bytes follow (checksum of the short record).
        var shortRecord = ":10000000" + Convert.ToHexString(Seq(15)) + "00";
        var e = TestData.ReadBad(Lines(HexUpper(0x0800), HexData(0, Seq(4)), shortRecord, HexEof));
        Assert.Equal(3, e.LineNumber);
        Assert.Contains("length mismatch", e.Message);
        Assert.Contains("16 data bytes", e.Message);
    }

    [Fact]
    public void HexOddNumberOfDigits()
    {
        var e = TestData.ReadBad(Lines(HexData(0, Seq(4)) + "0", HexEof));
        Assert.Equal(1, e.LineNumber);
        Assert.Contains("odd number", e.Message);
    }

    [Fact]
    public void HexUnknownRecordType()
    {
        var e = TestData.ReadBad(Lines(HexUpper(0x0800), Hex(0, 0x06, 1, 2), HexEof));
        Assert.Equal(2, e.LineNumber);
        Assert.Contains("unknown record type 0x06", e.Message);
    }

    [Fact]
    public void HexWrongLengthForAddressRecord()
    {
        var e = TestData.ReadBad(Lines(Hex(0, 0x04, 8), HexEof));
        Assert.Equal(1, e.LineNumber);
        Assert.Contains("length mismatch", e.Message);
    }

    [Fact]
    public void HexMissingEndRecord()
    {
        var e = TestData.ReadBad(Lines(HexUpper(0x0800), HexData(0, Seq(16)), HexData(0x10, Seq(16))));
        Assert.Equal(3, e.LineNumber);
        Assert.Contains("missing end-of-file record", e.Message);
    }

    [Fact]
    public void HexTruncatedInsideARecord()
    {
        var text = Lines(HexUpper(0x0800), HexData(0, Seq(16)), HexData(0x10, Seq(16)), HexEof);
        var cut = text.Substring(0, text.IndexOf(HexData(0x10, Seq(16)), StringComparison.Ordinal) + 20);
        var e = TestData.ReadBad(cut);
        Assert.Equal(3, e.LineNumber);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void HexEmptyFile()
    {
        var e = TestData.ReadBad("", "empty.hex");
        Assert.Null(e.LineNumber);
        Assert.Contains("empty", e.Message);
    }

    [Fact]
    public void HexLineNotStartingWithColon()
    {
        var e = TestData.ReadBad(Lines(HexUpper(0x0800), "10000000", HexEof));
        Assert.Equal(2, e.LineNumber);
        Assert.Contains("not ':'", e.Message);
    }

    [Fact]
    public void HexOverlapConflictNamesBothLines()
    {
        var text = Lines(
            HexUpper(0x0800),
            HexData(0x0000, Seq(16)),
            HexData(0x0010, Seq(16, 16)),
            HexData(0x0020, Seq(16, 32)),
            HexData(0x0018, 0x18, 0x19, 0x99),   // 0x0800001A: 0x1A already there from line 3
            HexEof);
        var e = TestData.ReadBad(text);
        Assert.Equal(5, e.LineNumber);
        Assert.Contains("line 3", e.Message);
        Assert.Contains("0x0800001A", e.Message);
    }

    [Fact]
    public void HexIdenticalOverlapIsAccepted()
    {
        var image = TestData.ReadText(Lines(HexUpper(0x0800), HexData(0, Seq(16)), HexData(8, Seq(8, 8)), HexEof));
        Assert.Equal(FirmwareImage.FromBytes(0x08000000, Seq(16)), image);
    }

    [Fact]
    public void HexTextAfterEndRecordIsRejected()
    {
        var e = TestData.ReadBad(Lines(HexUpper(0x0800), HexData(0, Seq(4)), HexEof, HexData(4, Seq(4)), HexEof));
        Assert.Equal(4, e.LineNumber);
        Assert.Contains("after the end-of-file record", e.Message);
    }

    [Fact]
    public void HexBlankLinesAndDosEofAfterEndAreAccepted()
    {
        var image = TestData.ReadText(Lines(HexUpper(0x0800), HexData(0, Seq(4)), HexEof, "", "  ", "\u001A"));
        Assert.Equal(4, image.DataBytes);
    }

    [Fact]
    public void HexConflictingStartAddresses()
    {
        var e = TestData.ReadBad(Lines(Hex(0, 5, 8, 0, 0, 0x41), HexData(0, Seq(4)), Hex(0, 5, 8, 0, 0, 0x45), HexEof));
        Assert.Equal(3, e.LineNumber);
        Assert.Contains("line 1", e.Message);
    }

    // ---------- S-record ----------

    [Fact]
    public void SRecordBadChecksum()
    {
        var good = S(3, 4, 0x08000010, Seq(16));
        var bad = good.Substring(0, good.Length - 2) + (good.EndsWith("00") ? "01" : "00");
        var e = TestData.ReadBad(Lines(S(0, 2, 0), S(3, 4, 0x08000000, Seq(16)), bad, S(7, 4, 0)), "app.s19");
        Assert.Equal(3, e.LineNumber);
        Assert.Contains("app.s19, line 3", e.Message);
        Assert.Contains("checksum", e.Message);
    }

    [Fact]
    public void SRecordNonHexCharacter()
    {
        var line = S(1, 2, 0x1000, Seq(8));
        line = line.Substring(0, 10) + "x" + line.Substring(11);
        var e = TestData.ReadBad(Lines(S(0, 2, 0), line, S(9, 2, 0)), "a.srec");
        Assert.Equal(2, e.LineNumber);
        Assert.Contains("'x'", e.Message);
        Assert.Contains("not a hex digit", e.Message);
    }

    [Fact]
    public void SRecordLengthMismatch()
    {
        var line = S(1, 2, 0x1000, Seq(8));
        var cut = line.Substring(0, line.Length - 4) + line.Substring(line.Length - 2); // one data byte missing
        var e = TestData.ReadBad(Lines(S(0, 2, 0), cut, S(9, 2, 0)), "a.srec");
        Assert.Equal(2, e.LineNumber);
        Assert.Contains("length mismatch", e.Message);
    }

    [Fact]
    public void SRecordUnknownType()
    {
        var e = TestData.ReadBad(Lines(S(0, 2, 0), S(4, 2, 0x1000, Seq(4)), S(9, 2, 0)), "a.srec");
        Assert.Equal(2, e.LineNumber);
        Assert.Contains("unknown record type S4", e.Message);
        var e2 = TestData.ReadBad(Lines(S(0, 2, 0), "SX0300FC", S(9, 2, 0)), "a.srec");
        Assert.Equal(2, e2.LineNumber);
        Assert.Contains("unknown record type SX", e2.Message);
    }

    [Fact]
    public void SRecordCountMismatch()
    {
        var e = TestData.ReadBad(Lines(S(0, 2, 0), S(1, 2, 0x1000, Seq(4)), S(1, 2, 0x1004, Seq(4)), S(5, 2, 3), S(9, 2, 0)), "a.s19");
        Assert.Equal(4, e.LineNumber);
        Assert.Contains("count mismatch", e.Message);
        Assert.Contains("counts 3", e.Message);
        Assert.Contains("2 came before", e.Message);
        var e6 = TestData.ReadBad(Lines(S(2, 3, 0x10000, Seq(4)), S(6, 3, 0), S(8, 3, 0)), "a.s28");
        Assert.Equal(2, e6.LineNumber);
    }

    [Fact]
    public void SRecordCorrectCountIsAccepted()
    {
        var image = TestData.ReadText(Lines(S(0, 2, 0), S(1, 2, 0x1000, Seq(4)), S(1, 2, 0x1004, Seq(4)), S(5, 2, 2), S(9, 2, 0x1001)), "a.s19");
        Assert.Equal(FirmwareImage.FromBytes(0x1000, Seq(4).Concat(Seq(4)).ToArray()), image);
        Assert.Equal(0x1001u, image.StartAddress);
    }

    [Fact]
    public void SRecordMissingTermination()
    {
        var e = TestData.ReadBad(Lines(S(0, 2, 0), S(3, 4, 0x08000000, Seq(16)), S(3, 4, 0x08000010, Seq(16))), "a.srec");
        Assert.Equal(3, e.LineNumber);
        Assert.Contains("missing termination record", e.Message);
        Assert.Contains("no record count", e.Message);
    }

    // srec_cat ends a file written without an execution address with an S5 count and no S7/S8/S9.
    [Theory]
    [InlineData(5, 2)]
    [InlineData(6, 3)]
    public void SRecordEndingInAMatchingCountIsComplete(int countType, int countAddressBytes)
    {
        var image = TestData.ReadText(Lines(S(0, 2, 0), S(3, 4, 0x08000000, Seq(16)), S(3, 4, 0x08000010, Seq(16)), S(countType, countAddressBytes, 2)), "a.srec");
        Assert.Equal(FirmwareImage.FromBytes(0x08000000, Seq(16).Concat(Seq(16)).ToArray()), image);
        Assert.Null(image.StartAddress);
    }

    [Fact]
    public void SRecordEndingInACountWithoutALineEndIsComplete()
    {
        var text = Lines(S(1, 2, 0x1000, Seq(4)), S(5, 2, 1)).TrimEnd('\n');
        Assert.Equal(FirmwareImage.FromBytes(0x1000, Seq(4)), TestData.ReadText(text, "a.s19"));
    }

    [Fact]
    public void SRecordEndingInAWrongCountIsRefused()
    {
        var e = TestData.ReadBad(Lines(S(0, 2, 0), S(3, 4, 0x08000000, Seq(16)), S(3, 4, 0x08000010, Seq(16)), S(5, 2, 3)), "a.srec");
        Assert.Equal(4, e.LineNumber);
        Assert.Contains("count mismatch", e.Message);
    }

    [Fact]
    public void SRecordWithDataAfterItsLastCountAndNoTerminationIsRefused()
    {
        var e = TestData.ReadBad(Lines(S(3, 4, 0x08000000, Seq(16)), S(5, 2, 1), S(3, 4, 0x08000010, Seq(16))), "a.srec");
        Assert.Equal(3, e.LineNumber);
        Assert.Contains("missing termination record", e.Message);
        Assert.Contains("line 2 does not cover the 1 data record(s) after it", e.Message);
    }

    [Fact]
    public void SRecordOverlapConflict()
    {
        var e = TestData.ReadBad(Lines(S(3, 4, 0x08000000, Seq(16)), S(3, 4, 0x08000004, 9), S(7, 4, 0)), "a.srec");
        Assert.Equal(2, e.LineNumber);
        Assert.Contains("line 1", e.Message);
        Assert.Contains("0x08000004", e.Message);
    }

    [Fact]
    public void SRecordTextAfterTermination()
    {
        var e = TestData.ReadBad(Lines(S(1, 2, 0x1000, Seq(4)), S(9, 2, 0), S(1, 2, 0x2000, Seq(4))), "a.srec");
        Assert.Equal(3, e.LineNumber);
    }

    [Fact]
    public void SRecordCountTooSmallForType()
    {
        var e = TestData.ReadBad(Lines("S30300FC", S(7, 4, 0)), "a.srec");
        Assert.Equal(1, e.LineNumber);
        Assert.Contains("length mismatch", e.Message);
    }

    // ---------- ELF ----------

    private static byte[] Elf(string name) => File.ReadAllBytes(TestData.PathOf(name));

    [Fact]
    public void ElfNotElf()
    {
        var e = Assert.Throws<FirmwareFormatException>(() => FirmwareReader.Read(new byte[] { 1, 2, 3, 4, 5 }, "x.elf"));
        Assert.Equal(0, e.ByteOffset);
        Assert.Null(e.LineNumber);
        Assert.Contains("x.elf, byte offset 0", e.Message);
        Assert.Contains("not an ELF file", e.Message);
    }

    [Theory]
    [InlineData(4, 2, 4, "64-bit")]
    [InlineData(5, 2, 5, "big-endian")]
    [InlineData(18, 3, 18, "not ARM")]   // EM_386
    public void ElfWrongKind(int offset, byte value, long expectedOffset, string expected)
    {
        var bytes = Elf("blinky-f103.elf");
        bytes[offset] = value;
        var e = Assert.Throws<FirmwareFormatException>(() => FirmwareReader.Read(bytes, "app.elf"));
        Assert.Equal(expectedOffset, e.ByteOffset);
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData(30)]
    [InlineData(60)]
    [InlineData(200)]
    [InlineData(1000)]
    public void ElfTruncated(int length)
    {
        var bytes = Elf("blinky-f103.elf").Take(length).ToArray();
        var e = Assert.Throws<FirmwareFormatException>(() => FirmwareReader.Read(bytes, "app.elf"));
        Assert.NotNull(e.ByteOffset);
        Assert.Contains("truncated", e.Message);
    }

    // ---------- Binary and format detection ----------

    [Fact]
    public void BinaryNeedsABaseAddress()
    {
        var e = Assert.Throws<ArgumentException>(() => FirmwareReader.Read(new byte[] { 1, 2, 3 }, "a.bin"));
        Assert.Contains("base address", e.Message);
    }

    [Fact]
    public void BinaryHoldingHexTextIsRefused()
    {
        var text = System.Text.Encoding.ASCII.GetBytes(Lines(HexUpper(0x0800), HexData(0, Seq(16)), HexEof));
        var e = Assert.Throws<FirmwareFormatException>(() => FirmwareReader.Read(text, "app.bin", FirmwareFormat.Auto, 0x08000000));
        Assert.Contains("Intel HEX", e.Message);
        // Asked for explicitly, it is taken as binary.
        Assert.Equal(text.Length, FirmwareReader.Read(text, "app.bin", FirmwareFormat.Binary, 0x08000000).DataBytes);
    }

    [Fact]
    public void BinaryPastTheAddressSpace()
    {
        var e = Assert.Throws<FirmwareFormatException>(() => FirmwareReader.Read(new byte[32], "a.bin", FirmwareFormat.Binary, 0xFFFFFFF0));
        Assert.Equal(15, e.ByteOffset);
    }

    [Fact]
    public void UnknownFormatIsAnError()
    {
        var e = Assert.Throws<FirmwareFormatException>(() => FirmwareReader.Read(new byte[] { 0x12, 0x34 }, "firmware.dat"));
        Assert.Contains("cannot tell the format", e.Message);
    }

    [Fact]
    public void MissingFileIsFileNotFound()
        => Assert.Throws<FileNotFoundException>(() => FirmwareReader.Read(TestData.PathOf("no-such-file.hex")));
}

public class MisnamedFileTests
{
    [Fact]
    public void HexExtensionOnAnSRecordFileSaysWhatTheContentLooksLike()
    {
        var bytes = File.ReadAllBytes(TestData.PathOf("blinky-f103.srec"));
        var e = Assert.Throws<FirmwareFormatException>(() => FirmwareReader.Read(bytes, "app.hex"));
        Assert.Equal(1, e.LineNumber);
        Assert.Contains("looks like SRecord", e.Message);
    }

    [Fact]
    public void ElfNamedHex()
    {
        var bytes = File.ReadAllBytes(TestData.PathOf("blinky-f103.elf"));
        var e = Assert.Throws<FirmwareFormatException>(() => FirmwareReader.Read(bytes, "app.hex"));
        Assert.Contains("looks like Elf", e.Message);
    }
}
