using Stm32.Protocol.Bootloader;
using Stm32.Protocol.Firmware;
using Stm32.Protocol.Programming;
using Stm32.Protocol.Simulation;

namespace Stm32.Protocol.Tests.Integration;

public class ProgrammerTests
{
    private static byte[] Random(int n, int seed)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    [Theory]
    [InlineData(0x410, null)]   // 2.2: Erase 0x43, verify by read-back
    [InlineData(0x413, 0x31)]   // 3.1: Extended Erase, read-back
    [InlineData(0x413, 0x33)]   // 3.3: Get Checksum
    public void Write_and_verify_64_KiB(int pid, int? version)
    {
        using var sim = new SimBench((ushort)pid, (byte?)version);
        using var c = Stm32Connection.Open(sim.Host);
        var data = Random(64 * 1024, pid);
        var outcome = FlashProgrammer.Write(c, FirmwareImage.FromBytes(0x08000000, data), new WriteOptions { Verify = true });
        Assert.True(outcome.Verified);
        Assert.Equal(version == 0x33 ? VerifyMethod.Checksum : VerifyMethod.ReadBack, outcome.VerifyMethod);
        Assert.Equal(data, sim.Chip.Peek(0x08000000, data.Length));
        Assert.Equal(256, outcome.BlocksWritten);
    }

    [Fact]
    public void Only_touched_pages_are_erased_and_FF_blocks_are_skipped()
    {
        using var sim = new SimBench(0x410);
        using var c = Stm32Connection.Open(sim.Host);
        sim.Chip.Poke(0x08004000, new byte[] { 0x12, 0x34, 0x56, 0x78 });   // page 16, outside the image
        var block = Enumerable.Repeat((byte)0xFF, 2048).ToArray();
        block[0] = 0xAA;
        block[2047] = 0xBB;
        var outcome = FlashProgrammer.Write(c, FirmwareImage.FromSegments(new[] { new ImageSegment(0x08000000, block), new ImageSegment(0x0801FC00, new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 }) }),
            new WriteOptions { Verify = true });
        Assert.Equal(new[] { 0, 1, 127 }, outcome.PagesErased);
        Assert.Equal(3, outcome.BlocksWritten);       // first and last 256-byte block of the 2 KiB, and the config block
        Assert.Equal(6, outcome.BlocksSkipped);
        Assert.Equal(new byte[] { 0x12, 0x34, 0x56, 0x78 }, sim.Chip.Peek(0x08004000, 4));
        Assert.Equal(1, sim.Chip.Peek(0x0801FC00, 1)[0]);
    }

    [Fact]
    public void An_image_outside_flash_is_refused_before_anything_is_sent()
    {
        using var sim = new SimBench(0x410);
        using var c = Stm32Connection.Open(sim.Host);
        c.EnsureProbed();   // reads only: the flash size it checks against
        sim.Chip.ClearTrace();
        var e = Assert.Throws<ImageOutOfRangeException>(() =>
            FlashProgrammer.Write(c, FirmwareImage.FromBytes(0x0801FF00, new byte[0x200]), new WriteOptions()));
        Assert.Equal(0x08020000u, e.Address);
        Assert.Contains("0x08020000", e.Message);
        Assert.Empty(sim.Chip.Trace);
    }

    [Fact]
    public void Verify_catches_a_write_without_erase()
    {
        using var sim = new SimBench(0x410);
        using var c = Stm32Connection.Open(sim.Host);
        sim.Chip.Poke(0x08000000, new byte[] { 0x00, 0x00, 0x00, 0x00 });
        var e = Assert.Throws<Stm32VerifyException>(() =>
            FlashProgrammer.Write(c, FirmwareImage.FromBytes(0x08000000, new byte[] { 1, 2, 3, 4 }), new WriteOptions { Erase = EraseMode.None, Verify = true }));
        Assert.Equal(0x08000000u, e.Address);
    }

    [Fact]
    public void Compare_reports_the_first_difference()
    {
        using var sim = new SimBench(0x410);
        using var c = Stm32Connection.Open(sim.Host);
        sim.Chip.Poke(0x08000000, new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 });
        var r = FlashProgrammer.Compare(c, FirmwareImage.FromBytes(0x08000000, new byte[] { 1, 2, 3, 9, 5, 6, 0, 8 }));
        Assert.False(r.Matches);
        Assert.Equal(0x08000003u, r.FirstDifference);
        Assert.Equal(2, r.DifferingBytes);
    }
}
