using Xunit;
using Stm32.Protocol.Firmware;

namespace Stm32.Protocol.Tests.Firmware;

/// <summary>The GNU Arm toolchain vectors (tests/data): every form of a program gives the same image.</summary>
public class VectorTests
{
    private const uint FlashBase = 0x08000000;

    [Theory]
    [InlineData("blinky-f103.srec")]
    [InlineData("blinky-f103.s3.srec")]
    [InlineData("blinky-f103.elf")]
    public void BlinkyFormsEqualTheHexImage(string other)
    {
        var hex = TestData.Read("blinky-f103.hex");
        var image = TestData.Read(other);
        Assert.Equal(hex, image);
        Assert.Equal(hex.Sha256, image.Sha256);
        Assert.Equal(0x08000040u, image.StartAddress);
    }

    [Fact]
    public void BlinkyHexHasExpectedShape()
    {
        var hex = TestData.Read("blinky-f103.hex");
        Assert.Equal(FirmwareFormat.IntelHex, hex.SourceFormat);
        Assert.Equal(0x08000040u, hex.StartAddress);
        Assert.Equal(FlashBase, hex.LowestAddress);
        Assert.Equal(272, hex.DataBytes);
        Assert.Single(hex.Segments);
        Assert.Equal(TestData.PathOf("blinky-f103.hex"), hex.SourcePath);
        Assert.Matches("^[0-9a-f]{64}$", hex.Sha256);
    }

    [Fact]
    public void BlinkyBinaryEqualsTheHexImage()
    {
        var hex = TestData.Read("blinky-f103.hex");
        var bin = TestData.Read("blinky-f103.bin", baseAddress: FlashBase);
        Assert.Equal(FirmwareFormat.Binary, bin.SourceFormat);
        Assert.Null(bin.StartAddress);
        Assert.Equal(hex, bin);
    }

    [Theory]
    [InlineData("sparse-f103.srec")]
    [InlineData("sparse-f103.elf")]
    [InlineData("sparse-f103.crlf.hex")]
    public void SparseFormsEqualTheHexImage(string other)
    {
        var hex = TestData.Read("sparse-f103.hex");
        var image = TestData.Read(other);
        Assert.Equal(hex, image);
        Assert.Equal(hex.Sha256, image.Sha256);
        Assert.Equal(hex.StartAddress, image.StartAddress);
    }

    [Fact]
    public void SparseHexHasTwoSegmentsWithAGap()
    {
        var hex = TestData.Read("sparse-f103.hex");
        Assert.Equal(2, hex.Segments.Count);
        Assert.Equal(FlashBase, hex.Segments[0].Address);
        Assert.Equal(0x0801FC00u, hex.Segments[1].Address);
        Assert.Equal(0x08000040u, hex.StartAddress);
        Assert.Equal(130_068L, hex.Span);
    }

    [Fact]
    public void SparseBinaryDiffersOnlyByItsFill()
    {
        var hex = TestData.Read("sparse-f103.hex");
        var bin = TestData.Read("sparse-f103.bin", baseAddress: FlashBase);
        Assert.Equal(130_068L, bin.DataBytes);
        Assert.Equal(hex.LowestAddress, bin.LowestAddress);
        Assert.Equal(hex.HighestAddress, bin.HighestAddress);
        // Every byte of the hex image is in the binary; every other byte of the binary is 0xFF.
        for (uint a = bin.LowestAddress; a < bin.HighestAddress; a++)
        {
            Assert.True(bin.TryGetByte(a, out var b));
            if (hex.TryGetByte(a, out var h)) Assert.Equal(h, b);
            else Assert.Equal(0xFF, b);
        }
        Assert.Equal(FirmwareImage.FromBytes(FlashBase, hex.ToFlat()), bin);
        Assert.Equal(hex.WithoutFill(), bin.WithoutFill());
    }

    [Theory]
    [InlineData("big-f407.srec")]
    [InlineData("big-f407.elf")]
    public void BigFormsEqualTheHexImage(string other)
    {
        var hex = TestData.Read("big-f407.hex");
        var image = TestData.Read(other);
        Assert.Equal(hex, image);
        Assert.Equal(hex.Sha256, image.Sha256);
        Assert.Equal(hex.StartAddress, image.StartAddress);
    }

    [Fact]
    public void BigHexCrossesSeveral64KiBBoundaries()
    {
        var hex = TestData.Read("big-f407.hex");
        Assert.True(hex.DataBytes > 300_000);
        Assert.True(hex.Segments[0].End > FlashBase + 4 * 0x10000);
        Assert.True(hex.HighestAddress > 0x080E0000u);
        Assert.NotNull(hex.StartAddress);
    }

    [Fact]
    public void FormatComesFromContentWhenTheExtensionSaysNothing()
    {
        var hexBytes = File.ReadAllBytes(TestData.PathOf("blinky-f103.hex"));
        var srecBytes = File.ReadAllBytes(TestData.PathOf("blinky-f103.srec"));
        var elfBytes = File.ReadAllBytes(TestData.PathOf("blinky-f103.elf"));
        var expected = TestData.Read("blinky-f103.hex");
        Assert.Equal(expected, FirmwareReader.Read(hexBytes, "firmware"));
        Assert.Equal(expected, FirmwareReader.Read(srecBytes, "firmware.dat"));
        Assert.Equal(expected, FirmwareReader.Read(elfBytes, "firmware"));
        Assert.Equal(FirmwareFormat.SRecord, FirmwareReader.Read(srecBytes, "x").SourceFormat);
        using var stream = new MemoryStream(elfBytes);
        Assert.Equal(expected, FirmwareReader.Read(stream, "app"));
    }

    [Fact]
    public void ExplicitFormatOverridesTheExtension()
    {
        var bytes = File.ReadAllBytes(TestData.PathOf("blinky-f103.srec"));
        var image = FirmwareReader.Read(bytes, "weird.hex", FirmwareFormat.SRecord);
        Assert.Equal(TestData.Read("blinky-f103.hex"), image);
    }

    [Theory]
    [InlineData("a.hex", FirmwareFormat.IntelHex)]
    [InlineData("a.IHEX", FirmwareFormat.IntelHex)]
    [InlineData("a.ihx", FirmwareFormat.IntelHex)]
    [InlineData("a.h86", FirmwareFormat.IntelHex)]
    [InlineData("a.s19", FirmwareFormat.SRecord)]
    [InlineData("a.srec", FirmwareFormat.SRecord)]
    [InlineData("a.mot", FirmwareFormat.SRecord)]
    [InlineData("a.s28", FirmwareFormat.SRecord)]
    [InlineData("a.s37", FirmwareFormat.SRecord)]
    [InlineData("a.s", FirmwareFormat.SRecord)]
    [InlineData("a.elf", FirmwareFormat.Elf)]
    [InlineData("a.axf", FirmwareFormat.Elf)]
    [InlineData("a.out", FirmwareFormat.Elf)]
    [InlineData("a.bin", FirmwareFormat.Binary)]
    [InlineData("a.txt", FirmwareFormat.Auto)]
    [InlineData("a", FirmwareFormat.Auto)]
    public void ExtensionsMapToFormats(string name, FirmwareFormat expected)
        => Assert.Equal(expected, FirmwareReader.FormatFromExtension(name));
}
