using Xunit;
using Stm32.Protocol.Devices;
using Stm32.Protocol.Firmware;
using static Stm32.Protocol.Tests.Firmware.Records;

namespace Stm32.Protocol.Tests.Firmware;

public class ValidatorTests
{
    // 0x410: flash 0x08000000-0x0801FFFF, host RAM 0x20000200-0x20004FFF, option bytes 0x1FFFF800-0x1FFFF80F.
    private static DeviceInfo F103 => DeviceCatalog.Find(0x410)!;

    [Fact]
    public void ProgramInFlashIsAccepted()
    {
        var image = TestData.Read("sparse-f103.hex");
        ImageValidator.Check(image, F103);
        Assert.Null(ImageValidator.FindFirstOutOfRange(image, F103));
        ImageValidator.Check(TestData.Read("big-f407.elf"), DeviceCatalog.Find(0x413)!);
    }

    [Fact]
    public void ImagePastTheFlashEndNamesTheFirstBadAddress()
    {
        var image = FirmwareImage.FromBytes(0x0801FFF0, Seq(32));
        var e = Assert.Throws<ImageOutOfRangeException>(() => ImageValidator.Check(image, F103));
        Assert.Equal(0x08020000u, e.Address);
        Assert.Contains("0x08020000", e.Message);
        Assert.Contains(F103.Name, e.Message);
        Assert.Equal(F103.Name, e.DeviceName);
    }

    [Fact]
    public void RealFlashSizeIsHonoured()
    {
        var image = FirmwareImage.FromBytes(0x08010000, Seq(16));
        ImageValidator.Check(image, F103);
        var e = Assert.Throws<ImageOutOfRangeException>(() => ImageValidator.Check(image, F103, flashSize: 64 * 1024));
        Assert.Equal(0x08010000u, e.Address);
        Assert.Contains("64 KiB", e.Message);
    }

    [Fact]
    public void BootloaderReservedRamIsRefused()
    {
        var image = FirmwareImage.FromSegments(new[]
        {
            new ImageSegment(0x08000000, Seq(16)),
            new ImageSegment(0x200001F0, Seq(32)),
        });
        var e = Assert.Throws<ImageOutOfRangeException>(() => ImageValidator.Check(image, F103));
        Assert.Equal(0x200001F0u, e.Address);
        Assert.Contains("reserved by the bootloader", e.Message);
    }

    [Fact]
    public void HostRamAndOptionAreaAreAccepted()
    {
        var image = FirmwareImage.FromSegments(new[]
        {
            new ImageSegment(0x08000000, Seq(16)),
            new ImageSegment(0x1FFFF800, Seq(16)),
            new ImageSegment(0x20000200, Seq(64)),
        });
        ImageValidator.Check(image, F103);
        var regions = ImageValidator.Regions(image, F103);
        Assert.Equal(new[] { MemoryRegionKind.Flash, MemoryRegionKind.OptionBytes, MemoryRegionKind.Ram }, regions.Select(r => r.Kind));
        Assert.Equal(new[] { 16L, 16L, 64L }, regions.Select(r => r.DataBytes));
        Assert.Equal(0x20000240u, regions[2].HighestAddress);
    }

    [Fact]
    public void OptionAreaOverrunIsRefused()
    {
        var e = Assert.Throws<ImageOutOfRangeException>(() => ImageValidator.Check(FirmwareImage.FromBytes(0x1FFFF808, Seq(16)), F103));
        Assert.Equal(0x1FFFF810u, e.Address);
    }

    [Fact]
    public void RegionsReportWhatIsOutside()
    {
        var image = FirmwareImage.FromBytes(0x0801FFF0, Seq(32));
        var regions = ImageValidator.Regions(image, F103);
        Assert.Equal(2, regions.Count);
        Assert.Equal(MemoryRegionKind.Flash, regions[0].Kind);
        Assert.Equal(16, regions[0].DataBytes);
        Assert.Equal(MemoryRegionKind.Outside, regions[1].Kind);
        Assert.Equal(0x08020000u, regions[1].LowestAddress);
    }

    [Fact]
    public void UnknownDeviceRefusesEverything()
    {
        var e = Assert.Throws<ImageOutOfRangeException>(() => ImageValidator.Check(FirmwareImage.FromBytes(0x08000000, Seq(4)), DeviceCatalog.Generic(0x999)));
        Assert.Equal(0x08000000u, e.Address);
        Assert.Contains("no known memory map", e.Message);
    }

    [Fact]
    public void EmptyImageIsAccepted() => ImageValidator.Check(FirmwareImage.Empty, F103);
}
