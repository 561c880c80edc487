using Stm32.Protocol.Firmware;
using Stm32.Protocol.Programming;
using Stm32.Protocol.Tests.Hostile;
using Stm32.Protocol.Tests.Integration;

namespace Stm32.Protocol.Tests.Programming;

/// <summary>
/// Collateral: what a write's erase clears beyond the image, and whether the plan can tell it
/// holds data (Blank, HoldsData, Unknown). It must never claim data that is not there.
/// </summary>
public class CollateralTests
{
    private const uint Flash = 0x08000000;

    private static readonly FirmwareImage Small = FirmwareImage.FromBytes(Flash, Enumerable.Range(0, 272).Select(i => (byte)i).ToArray());

    private static CollateralRange Only(WritePlan plan) => Assert.Single(plan.Collateral);

    private static WritePlan Plan(Stm32Connection c, FirmwareImage image, CollateralCheck how, EraseMode erase = EraseMode.Touched)
        => FlashProgrammer.Plan(c, image, new WriteOptions { Erase = erase, CheckCollateral = how });

    [Fact]
    public void A_small_range_is_read_and_its_data_counted()
    {
        using var sim = new SimBench(0x410);   // 2.2: no Get Checksum; 1 KiB pages
        using var c = Stm32Connection.Open(sim.Host);
        sim.Chip.Poke(0x08000200, new byte[] { 0, 0x12, 0xFF, 0x34 });
        var r = Only(Plan(c, Small, CollateralCheck.Cheap));
        Assert.Equal(new Devices.MemoryRange(0x08000110, 0x08000400), r.Range);
        Assert.Equal(CollateralState.HoldsData, r.State);
        Assert.Equal(VerifyMethod.ReadBack, r.CheckedBy);
        Assert.Equal(752, r.BytesRead);
        Assert.Equal(3, r.DataBytes);
        Assert.Equal(0x08000200u, r.FirstData);
        Assert.Equal("0x08000110-0x080003FF (752 bytes): holds data (3 of its 752 bytes are not 0xFF)", r.Describe());
    }

    [Fact]
    public void Erased_flash_is_blank()
    {
        using var sim = new SimBench(0x410);
        using var c = Stm32Connection.Open(sim.Host);
        var r = Only(Plan(c, Small, CollateralCheck.Cheap));
        Assert.Equal(CollateralState.Blank, r.State);
        Assert.Equal(0, r.DataBytes);
        Assert.Equal("0x08000110-0x080003FF (752 bytes): blank (read: every byte is 0xFF)", r.Describe());
    }

    [Theory]
    [InlineData(null, CollateralState.Blank)]
    [InlineData(0x08003FFCu, CollateralState.HoldsData)]   // the last word of sector 0
    public void Get_Checksum_tells_a_large_range_without_reading_it(uint? poke, CollateralState expected)
    {
        using var sim = new SimBench(0x413, 0x33);   // 16 KiB sector 0
        using var c = Stm32Connection.Open(sim.Host);
        if (poke is uint at) sim.Chip.Poke(at, new byte[] { 0x5A });
        var r = Only(Plan(c, Small, CollateralCheck.Cheap));
        Assert.Equal(16112u, r.Length);
        Assert.Equal(expected, r.State);
        Assert.Equal(VerifyMethod.Checksum, r.CheckedBy);
        Assert.Equal(0, r.BytesRead);
        Assert.Null(r.DataBytes);
        Assert.EndsWith(expected == CollateralState.Blank ? "blank (its Get Checksum is that of erased flash)" : "holds data (its Get Checksum differs from that of erased flash)", r.Describe());
    }

    [Theory]
    [InlineData(0x0800010Fu, CollateralState.HoldsData)]   // in the unaligned head, read
    [InlineData(0x08002000u, CollateralState.HoldsData)]   // in the words, by Get Checksum
    [InlineData(null, CollateralState.Blank)]
    public void Get_Checksum_takes_whole_words_and_the_unaligned_edges_are_read(uint? poke, CollateralState expected)
    {
        using var sim = new SimBench(0x413, 0x33);
        using var c = Stm32Connection.Open(sim.Host);
        if (poke is uint at) sim.Chip.Poke(at, new byte[] { 0x00 });
        var image = FirmwareImage.FromBytes(Flash, new byte[271]);   // ends at 0x0800010F: not a word boundary
        var r = Only(Plan(c, image, CollateralCheck.Cheap));
        Assert.Equal(0x0800010Fu, r.Start);
        Assert.Equal(expected, r.State);
        if (poke == 0x0800010Fu) Assert.Equal(0x0800010Fu, r.FirstData);
    }

    [Fact]
    public void Without_Get_Checksum_a_large_blank_range_is_unknown_until_read_whole()
    {
        using var sim = new SimBench(0x413, 0x31);
        using var c = Stm32Connection.Open(sim.Host);
        var cheap = Only(Plan(c, Small, CollateralCheck.Cheap));
        Assert.Equal(CollateralState.Unknown, cheap.State);
        Assert.Equal(FlashProgrammer.CollateralReadBudget, cheap.BytesRead);
        Assert.Contains("not known: the first 4096 bytes read blank, the other 12016 were not read, and may hold data", cheap.Describe());
        var read = Only(Plan(c, Small, CollateralCheck.Read));
        Assert.Equal(CollateralState.Blank, read.State);
        Assert.Equal(16112, read.BytesRead);
    }

    [Fact]
    public void Data_past_what_a_cheap_read_covers_is_unknown_never_blank()
    {
        using var sim = new SimBench(0x413, 0x31);
        using var c = Stm32Connection.Open(sim.Host);
        sim.Chip.Poke(0x08003F00, new byte[] { 0x00, 0x01 });
        Assert.Equal(CollateralState.Unknown, Only(Plan(c, Small, CollateralCheck.Cheap)).State);
        var read = Only(Plan(c, Small, CollateralCheck.Read));
        Assert.Equal(CollateralState.HoldsData, read.State);
        Assert.Equal(2, read.DataBytes);
        Assert.Equal(0x08003F00u, read.FirstData);
    }

    [Fact]
    public void Old_firmware_in_a_large_range_shows_in_its_first_read()
    {
        using var sim = new SimBench(0x413, 0x31);
        using var c = Stm32Connection.Open(sim.Host);
        var old = new byte[64 * 1024];
        new Random(7).NextBytes(old);
        sim.Chip.Poke(Flash, old);
        var r = Only(Plan(c, Small, CollateralCheck.Cheap));
        Assert.Equal(CollateralState.HoldsData, r.State);
        Assert.Equal(256, r.BytesRead);   // it stops at the first chunk that holds data
        Assert.Equal(0x08000110u, r.FirstData);
        Assert.Contains("the rest was not read", r.Describe());
    }

    [Fact]
    public void A_Get_Checksum_that_fails_the_trust_check_is_not_used()
    {
        // The chip answers 0 to every Get Checksum: believed, it would call blank flash data.
        using var device = new HostileBootloader(new HostileQuirks { Version = 0x33, ChecksumZero = true });
        using var c = Stm32Connection.Open(device.Host);
        var warnings = new List<string>();
        c.Warning = warnings.Add;
        var image = FirmwareImage.FromBytes(Flash, new byte[16]);
        var r = Only(Plan(c, image, CollateralCheck.Cheap));
        Assert.Equal(CollateralState.Blank, r.State);
        Assert.Equal(VerifyMethod.ReadBack, r.CheckedBy);
        Assert.Contains(warnings, w => w.Contains("not believed"));
        device.PokeFlash(0x08000300, new byte[] { 0x42 });
        r = Only(Plan(c, image, CollateralCheck.Cheap));
        Assert.Equal(CollateralState.HoldsData, r.State);
        Assert.Equal(1, r.DataBytes);
    }

    [Fact]
    public void Unchecked_collateral_is_unknown()
    {
        using var sim = new SimBench(0x410);
        using var c = Stm32Connection.Open(sim.Host);
        var r = Only(Plan(c, Small, CollateralCheck.None));
        Assert.Equal(CollateralState.Unknown, r.State);
        Assert.Equal(VerifyMethod.None, r.CheckedBy);
        Assert.Equal("0x08000110-0x080003FF (752 bytes): not checked (not asked for), and may hold data", r.Describe());
    }

    [Fact]
    public void EraseAll_reads_no_large_collateral_and_asks_Get_Checksum_where_believed()
    {
        using (var sim = new SimBench(0x410))
        {
            using var c = Stm32Connection.Open(sim.Host);
            var plan = Plan(c, Small, CollateralCheck.Cheap, EraseMode.All);
            var r = Only(plan);
            Assert.Equal(new Devices.MemoryRange(0x08000110, 0x08020000), r.Range);
            Assert.Equal(CollateralState.Unknown, r.State);
            Assert.Equal(0, r.BytesRead);
            Assert.Contains("the whole flash is erased on purpose", r.Describe());
        }
        using (var sim = new SimBench(0x413, 0x33))
        {
            using var c = Stm32Connection.Open(sim.Host);
            sim.Chip.Poke(0x080F0000, new byte[] { 1 });
            var r = Only(Plan(c, Small, CollateralCheck.Cheap, EraseMode.All));
            Assert.Equal(CollateralState.HoldsData, r.State);
            Assert.Equal(VerifyMethod.Checksum, r.CheckedBy);
        }
    }

    [Fact]
    public void Without_an_erase_there_is_no_collateral()
    {
        using var sim = new SimBench(0x410);
        using var c = Stm32Connection.Open(sim.Host);
        Assert.Empty(Plan(c, Small, CollateralCheck.Cheap, EraseMode.None).Collateral);
    }
}
