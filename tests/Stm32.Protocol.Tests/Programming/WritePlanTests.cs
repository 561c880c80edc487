using Stm32.Protocol.Firmware;
using Stm32.Protocol.Programming;
using Stm32.Protocol.Tests.Hostile;
using Stm32.Protocol.Tests.Integration;

namespace Stm32.Protocol.Tests.Programming;

/// <summary>FlashProgrammer.Plan: what a write will do, worked out before the chip changes, and Write(plan) doing exactly that.</summary>
public class WritePlanTests
{
    private const uint Flash = 0x08000000;

    private static byte[] Random(int n, int seed)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    /// <summary>The commands the chip received since its trace was cleared.</summary>
    private static List<byte> Commands(SimBench sim) => TraceFrame.Parse(sim.Chip.Trace).Select(f => f.Code).ToList();

    /// <summary>Two KiB at the start (its first and last block hold data, the rest is 0xFF) and 16 bytes in the last page of an F103.</summary>
    private static FirmwareImage Sparse()
    {
        var block = Enumerable.Repeat((byte)0xFF, 2048).ToArray();
        block[0] = 0xAA;
        block[2047] = 0xBB;
        return FirmwareImage.FromSegments(new[] { new ImageSegment(Flash, block), new ImageSegment(0x0801FC00, Random(16, 1)) });
    }

    [Fact]
    public void The_plan_names_pages_blocks_and_verify_and_changes_nothing()
    {
        using var sim = new SimBench(0x410);
        using var c = Stm32Connection.Open(sim.Host);
        sim.Chip.Poke(0x08004000, new byte[] { 1, 2, 3, 4 });
        var before = sim.Chip.Peek(Flash, 128 * 1024);
        sim.Chip.ClearTrace();

        var plan = FlashProgrammer.Plan(c, Sparse(), new WriteOptions { Verify = true, CheckCollateral = CollateralCheck.Cheap });

        Assert.Equal(new[] { 0, 1, 127 }, plan.PagesToErase.Select(p => p.Index));
        Assert.False(plan.WholeFlash);
        Assert.Equal(3, plan.BlocksToWrite);      // the first and last block of the 2 KiB, and the 16 bytes
        Assert.Equal(6, plan.BlocksSkipped);      // all 0xFF: not sent after an erase
        Assert.Equal(3 * 256, plan.BytesToWrite);
        Assert.Equal(VerifyMethod.ReadBack, plan.VerifyMethod);   // bootloader 2.2 has no Get Checksum
        Assert.True(plan.ChecksBlank);
        Assert.Equal(new[] { "0x0801FC10-0x0801FFFF: blank" }, plan.Collateral.Select(x => x.ToString()));   // the 2 KiB fill pages 0-1
        Assert.Equal("Write the image (2064 bytes at 0x08000000-0x0801FC0F): erase pages 0-1, 127 (0x08000000-0x080007FF, 0x0801FC00-0x0801FFFF); "
            + "write 3 blocks of 256 bytes (6 all-0xFF blocks skipped); verify by reading back, and check that what is erased and not written reads blank. "
            + "Beyond the image the erase clears 0x0801FC10-0x0801FFFF (1008 bytes): blank (read: every byte is 0xFF).", plan.Describe());
        // Planning reads (the option bytes, the collateral) and never erases or writes.
        Assert.DoesNotContain((byte)0x43, Commands(sim));
        Assert.DoesNotContain((byte)0x31, Commands(sim));
        Assert.Equal(before, sim.Chip.Peek(Flash, 128 * 1024));
    }

    [Fact]
    public void Write_carries_out_the_plan()
    {
        using var sim = new SimBench(0x410);
        using var c = Stm32Connection.Open(sim.Host);
        var plan = FlashProgrammer.Plan(c, Sparse(), new WriteOptions { Verify = true });
        var outcome = FlashProgrammer.Write(plan);
        Assert.Same(plan, outcome.Plan);
        Assert.Equal(plan.PagesToErase.Select(p => p.Index), outcome.PagesErased);
        Assert.Equal(plan.BlocksToWrite, outcome.BlocksWritten);
        Assert.Equal(plan.BlocksSkipped, outcome.BlocksSkipped);
        Assert.Equal(plan.VerifyMethod, outcome.VerifyMethod);
        Assert.True(outcome.Verified && outcome.BlankChecked);
        Assert.Equal(plan.Collateral.Select(x => x.Range), outcome.CollateralErased);
        Assert.Equal(0xAA, sim.Chip.Peek(Flash, 1)[0]);
    }

    [Fact]
    public void An_image_that_touches_every_page_is_planned_as_one_mass_erase_and_erased_so()
    {
        using var sim = new SimBench(0x410);
        using var c = Stm32Connection.Open(sim.Host);
        var data = Random(128 * 1024 - 100, 2);
        var plan = FlashProgrammer.Plan(c, FirmwareImage.FromBytes(Flash, data), new WriteOptions());
        Assert.True(plan.WholeFlash);
        Assert.False(plan.PageByPage);
        Assert.Equal(128, plan.PagesToErase.Count);
        Assert.Contains("erase the whole flash (the image touches all 128 pages) by mass erase, or page by page should the bootloader refuse the mass-erase code", plan.Describe());
        sim.Chip.ClearTrace();
        var outcome = FlashProgrammer.Write(plan);
        Assert.True(outcome.MassErased);
        Assert.Equal(WholeFlashErase.MassErase, outcome.WholeFlashErase);
        Assert.DoesNotContain(TraceFrame.Parse(sim.Chip.Trace), f => f.Code == 0x43 && f.Packets.Count > 0 && f.Packets[0].Length > 2);   // no page list sent
    }

    [Fact]
    public void A_part_without_mass_erase_is_planned_page_by_page()
    {
        using var sim = new SimBench(0x417);
        using var c = Stm32Connection.Open(sim.Host);
        var plan = FlashProgrammer.Plan(c, FirmwareImage.FromBytes(Flash, Random(300, 3)), new WriteOptions { Erase = EraseMode.All });
        Assert.True(plan.WholeFlash);
        Assert.True(plan.PageByPage);
        Assert.Contains("erase the whole flash (512 pages), page by page: the part has no mass erase", plan.Describe());
        Assert.Equal(WholeFlashErase.PageByPage, FlashProgrammer.Write(plan).WholeFlashErase);
    }

    [Theory]
    [InlineData(0x33, EraseMode.Touched, false, VerifyMethod.Checksum)]
    [InlineData(0x33, EraseMode.Touched, true, VerifyMethod.ReadBack)]    // ForceReadBack
    [InlineData(0x33, EraseMode.None, false, VerifyMethod.ReadBack)]      // without an erase the padding may hold anything
    [InlineData(0x31, EraseMode.Touched, false, VerifyMethod.ReadBack)]   // no Get Checksum
    public void The_verify_method_is_decided_in_the_plan(int version, EraseMode erase, bool forceReadBack, VerifyMethod expected)
    {
        using var sim = new SimBench(0x413, (byte)version);
        using var c = Stm32Connection.Open(sim.Host);
        var plan = FlashProgrammer.Plan(c, FirmwareImage.FromBytes(Flash, Random(1000, 4)), new WriteOptions { Erase = erase, Verify = true, ForceReadBack = forceReadBack });
        Assert.Equal(expected, plan.VerifyMethod);
        var outcome = FlashProgrammer.Write(plan);
        Assert.Equal(expected, outcome.VerifyMethod);
        Assert.True(outcome.Verified);
    }

    [Fact]
    public void The_plan_refuses_write_protected_pages_before_anything_is_sent()
    {
        using var device = new HostileBootloader(new HostileQuirks { WriteProtectionBytes = new byte[] { 0xFE, 0xFF, 0xFF, 0xFF } });
        using var c = Stm32Connection.Open(device.Host);
        var e = Assert.Throws<Stm32WriteProtectedException>(() => FlashProgrammer.Plan(c, FirmwareImage.FromBytes(Flash, Random(64, 5)), new WriteOptions()));
        Assert.Equal(new[] { 0 }, e.Pages);
        Assert.Equal(0, device.Erases);
        Assert.Equal(0, device.Writes);
    }

    [Fact]
    public void The_plan_is_a_copy_of_the_options_it_was_made_with()
    {
        using var sim = new SimBench(0x410);
        using var c = Stm32Connection.Open(sim.Host);
        var options = new WriteOptions { Erase = EraseMode.Touched };
        var plan = FlashProgrammer.Plan(c, FirmwareImage.FromBytes(Flash, Random(64, 6)), options);
        options.Erase = EraseMode.All;
        Assert.Equal(EraseMode.Touched, plan.Erase);
        Assert.Equal(new[] { 0 }, FlashProgrammer.Write(plan).PagesErased);
    }
}
