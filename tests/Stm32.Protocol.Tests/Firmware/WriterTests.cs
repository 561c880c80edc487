using System.Text;
using Xunit;
using Stm32.Protocol.Firmware;
using static Stm32.Protocol.Tests.Firmware.Records;

namespace Stm32.Protocol.Tests.Firmware;

/// <summary>Exact writer output. The expected texts are what GNU objcopy 2.x writes for the same bytes.</summary>
public class WriterTests
{
    // 20 bytes 00..13 at 0x0800FFF8: crosses a 64 KiB boundary after 8 bytes.
    private static FirmwareImage Small(uint? start = 0x0800FFF8)
        => FirmwareImage.FromBytes(0x0800FFF8, Seq(20), start);

    [Fact]
    public void IntelHexMatchesObjcopy()
    {
        // objcopy -I binary -O ihex --change-addresses 0x0800FFF8 t.bin t.hex
        const string expected =
            ":020000040800F2\n" +
            ":08FFF8000001020304050607E5\n" +
            ":020000040801F1\n" +
            ":0C00000008090A0B0C0D0E0F1011121352\n" +
            ":040000050800FFF8F8\n" +
            ":00000001FF\n";
        var sw = new StringWriter();
        FirmwareWriter.WriteIntelHex(Small(), sw, bytesPerRecord: 16);
        Assert.Equal(expected, sw.ToString());
    }

    [Fact]
    public void IntelHexWithoutStartAddressHasNoType05AndHonoursRecordSize()
    {
        var text = FirmwareWriter.ToText(FirmwareImage.FromBytes(0x08000000, Seq(40)), FirmwareFormat.IntelHex,
            new FirmwareWriterOptions { BytesPerRecord = 16, NewLine = "\r\n" });
        Assert.Equal(
            ":020000040800F2\r\n" +
            HexData(0x0000, Seq(16)) + "\r\n" +
            HexData(0x0010, Seq(16, 16)) + "\r\n" +
            HexData(0x0020, Seq(8, 32)) + "\r\n" +
            ":00000001FF\r\n", text);
        Assert.Equal(":10000000000102030405060708090A0B0C0D0E0F78", HexData(0, Seq(16)));
    }

    [Fact]
    public void IntelHexDefaultsTo32BytesPerRecord()
    {
        var text = FirmwareWriter.ToText(FirmwareImage.FromBytes(0x08000000, Seq(64)), FirmwareFormat.IntelHex);
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        Assert.StartsWith(":20000000", lines[1]);
        Assert.StartsWith(":20002000", lines[2]);
    }

    [Fact]
    public void SRecordMatchesObjcopy()
    {
        // objcopy -I binary -O srec --change-addresses 0x0800FFF8 t.bin t.srec  (S0 header = file name)
        const string expected =
            "S0090000742E73726563A7\n" +
            "S3150800FFF8000102030405060708090A0B0C0D0E0F73\n" +
            "S30908010008101112139F\n" +
            "S7050800FFF8FB\n";
        var sw = new StringWriter();
        FirmwareWriter.WriteSRecord(Small(), sw, SRecordAddressWidth.Smallest, bytesPerRecord: 16, writeCount: false, header: "t.srec");
        Assert.Equal(expected, sw.ToString());
    }

    [Fact]
    public void SRecordSmallestWidthS1AndS2MatchObjcopy()
    {
        // objcopy ... --change-addresses 0x1230 t.bin t1.srec
        var s1 = new StringWriter();
        FirmwareWriter.WriteSRecord(FirmwareImage.FromBytes(0x1230, Seq(20), 0x1230), s1, bytesPerRecord: 16, writeCount: false, header: "t1.srec");
        Assert.Equal(
            "S00A000074312E7372656375\n" +
            "S1131230000102030405060708090A0B0C0D0E0F32\n" +
            "S10712401011121360\n" +
            "S9031230BA\n", s1.ToString());
        // objcopy --srec-len 16 ... --change-addresses 0x12345 t.bin t2.srec
        var s2 = new StringWriter();
        FirmwareWriter.WriteSRecord(FirmwareImage.FromBytes(0x12345, Seq(20), 0x12345), s2, bytesPerRecord: 16, writeCount: false, header: "t2.srec");
        Assert.Equal(
            "S00A000074322E7372656374\n" +
            "S214012345000102030405060708090A0B0C0D0E0F0A\n" +
            "S2080123551011121338\n" +
            "S80401234592\n", s2.ToString());
    }

    [Fact]
    public void SRecordForcedS3WithCount()
    {
        var sw = new StringWriter();
        FirmwareWriter.WriteSRecord(FirmwareImage.FromBytes(0x1230, Seq(20)), sw, SRecordAddressWidth.Bits32, bytesPerRecord: 16);
        Assert.Equal(Lines(
            S(0, 2, 0),
            S(3, 4, 0x1230, Seq(16)),
            S(3, 4, 0x1240, Seq(4, 16)),
            S(5, 2, 2),
            S(7, 4, 0)), sw.ToString());
        Assert.Equal("S0030000FC", S(0, 2, 0));
        Assert.Equal("S5030002FA", S(5, 2, 2));
    }

    [Fact]
    public void SRecordWidthTooSmallIsRefused()
        => Assert.Throws<ArgumentException>(() => FirmwareWriter.WriteSRecord(Small(), new StringWriter(), SRecordAddressWidth.Bits16));

    [Fact]
    public void BinaryFillsGapsFromTheLowestAddress()
    {
        var image = FirmwareImage.FromSegments(new[]
        {
            new ImageSegment(0x08000000, new byte[] { 1, 2 }),
            new ImageSegment(0x08000005, new byte[] { 3 }),
        });
        var ms = new MemoryStream();
        FirmwareWriter.WriteBinary(image, ms);
        Assert.Equal(new byte[] { 1, 2, 0xFF, 0xFF, 0xFF, 3 }, ms.ToArray());
        Assert.Equal(new byte[] { 1, 2, 0, 0, 0, 3 }, FirmwareWriter.ToBinary(image, 0));
    }

    [Fact]
    public void BinaryRefusesAHugeSpan()
    {
        var image = FirmwareImage.FromSegments(new[]
        {
            new ImageSegment(0x08000000, new byte[] { 1 }),
            new ImageSegment(0x20000000, new byte[] { 2 }),
        });
        var e = Assert.Throws<InvalidOperationException>(() => FirmwareWriter.WriteBinary(image, Stream.Null));
        Assert.Contains("0x08000000-0x20000000", e.Message);
    }

    [Fact]
    public void EmptyImage()
    {
        Assert.Equal(":00000001FF\n", FirmwareWriter.ToText(FirmwareImage.Empty, FirmwareFormat.IntelHex));
        Assert.Equal("S0030000FC\nS5030000FC\nS9030000FC\n", FirmwareWriter.ToText(FirmwareImage.Empty, FirmwareFormat.SRecord));
        Assert.Empty(FirmwareWriter.ToBinary(FirmwareImage.Empty));
        Assert.True(TestData.ReadText(":00000001FF\n").IsEmpty);
    }

    [Theory]
    [InlineData("out.hex", FirmwareFormat.IntelHex)]
    [InlineData("out.s19", FirmwareFormat.SRecord)]
    [InlineData("out.srec", FirmwareFormat.SRecord)]
    [InlineData("out.bin", FirmwareFormat.Binary)]
    public void WriteToFileChoosesFormatFromExtension(string name, FirmwareFormat format)
    {
        var dir = Directory.CreateTempSubdirectory("fwtest");
        try
        {
            var source = TestData.Read("sparse-f103.hex");
            var path = Path.Combine(dir.FullName, name);
            File.WriteAllText(path, "old content that must be replaced");
            FirmwareWriter.Write(source, path);
            var back = FirmwareReader.Read(path, baseAddress: source.LowestAddress);
            Assert.Equal(format, back.SourceFormat);
            if (format == FirmwareFormat.Binary) Assert.Equal(FirmwareImage.FromBytes(source.LowestAddress, source.ToFlat()), back);
            else
            {
                Assert.Equal(source, back);
                Assert.Equal(source.StartAddress, back.StartAddress);
            }
            Assert.Single(Directory.GetFiles(dir.FullName));
            if (format == FirmwareFormat.SRecord) Assert.StartsWith(S(0, 2, 0, Encoding.ASCII.GetBytes(name)), File.ReadAllText(path));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void WriteRefusesElfAndUnknownExtensions()
    {
        var image = Small();
        Assert.Throws<NotSupportedException>(() => FirmwareWriter.Write(image, Path.Combine(Path.GetTempPath(), "x.elf")));
        Assert.Throws<ArgumentException>(() => FirmwareWriter.Write(image, Path.Combine(Path.GetTempPath(), "x.dat")));
    }
}
