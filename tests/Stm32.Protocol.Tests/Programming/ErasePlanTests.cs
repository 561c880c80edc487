using Stm32.Protocol.Programming;
using Stm32.Protocol.Tests.Hostile;
using Stm32.Protocol.Tests.Integration;

namespace Stm32.Protocol.Tests.Programming;

/// <summary>FlashProgrammer.PlanErase: pages, the whole-flash choice, the write-protection refusal and the blank check, decided before anything is sent.</summary>
public class ErasePlanTests
{
    [Fact]
    public void Pages_by_number_are_planned_in_order_and_carried_out()
    {
        using var sim = new SimBench(0x410);
        using var c = Stm32Connection.Open(sim.Host);
        sim.Chip.Poke(0x08000400, new byte[0x1000]);
        var plan = FlashProgrammer.PlanErase(c, new[] { 4, 1, 2, 1 }, new EraseOptions { Verify = true });
        Assert.Equal(new[] { 1, 2, 4 }, plan.Pages.Select(p => p.Index));
        Assert.Equal(new[] { "0x08000400-0x08000BFF", "0x08001000-0x080013FF" }, plan.Ranges.Select(r => r.ToString()));
        Assert.False(plan.WholeFlash);
        Assert.Equal(VerifyMethod.ReadBack, plan.BlankCheck);
        Assert.Equal("Erase pages 1-2, 4 (0x08000400-0x08000BFF, 0x08001000-0x080013FF), then check that it reads blank by reading it back.", plan.Describe());
        Assert.Equal(new byte[4], sim.Chip.Peek(0x08000400, 4));   // planning erased nothing
        var outcome = FlashProgrammer.Erase(plan);
        Assert.Same(plan, outcome.Plan);
        Assert.Equal(new[] { 1, 2, 4 }, outcome.PagesErased);
        Assert.True(outcome.Verified);
        Assert.Equal(plan.BlankCheck, outcome.VerifyMethod);
        Assert.Equal(new byte[] { 0xFF, 0xFF }, sim.Chip.Peek(0x08000400, 2));
        Assert.Equal(new byte[] { 0, 0 }, sim.Chip.Peek(0x08000C00, 2));      // page 3 was not named
    }

    [Fact]
    public void The_blank_check_is_by_Get_Checksum_where_the_chip_has_a_believable_one()
    {
        using var sim = new SimBench(0x413, 0x33);
        using var c = Stm32Connection.Open(sim.Host);
        Assert.Equal(VerifyMethod.Checksum, FlashProgrammer.PlanErase(c, new[] { 1 }, new EraseOptions { Verify = true }).BlankCheck);
        Assert.Equal(VerifyMethod.ReadBack, FlashProgrammer.PlanErase(c, new[] { 1 }, new EraseOptions { Verify = true, ForceReadBack = true }).BlankCheck);
        Assert.Equal(VerifyMethod.None, FlashProgrammer.PlanErase(c, new[] { 1 }, new EraseOptions()).BlankCheck);
    }

    [Theory]
    [InlineData(0x410, false, "Erase the whole flash (128 KiB, 128 pages) by mass erase, or page by page should the bootloader refuse the mass-erase code.")]
    [InlineData(0x417, true, "Erase the whole flash (64 KiB, 512 pages), page by page: the part has no mass erase.")]
    [InlineData(0x419, false, "Erase the whole flash (2048 KiB, 24 sectors) by mass erase (bank by bank where the chip wants that), or sector by sector should the bootloader refuse the mass-erase code.")]
    public void The_whole_flash_is_planned_as_the_part_erases_it(int pid, bool pageByPage, string text)
    {
        using var sim = new SimBench((ushort)pid);
        using var c = Stm32Connection.Open(sim.Host);
        var plan = FlashProgrammer.PlanErase(c, null, new EraseOptions());
        Assert.True(plan.WholeFlash);
        Assert.Equal(pageByPage, plan.PageByPage);
        Assert.Equal(text, plan.Describe());
        var outcome = FlashProgrammer.Erase(plan);
        Assert.Equal(pageByPage ? WholeFlashErase.PageByPage : WholeFlashErase.MassErase, outcome.How);
    }

    [Fact]
    public void Write_protected_pages_are_refused_while_planning_and_nothing_is_sent()
    {
        using var device = new HostileBootloader(new HostileQuirks { WriteProtectionBytes = new byte[] { 0xFE, 0xFF, 0xFF, 0xFF } });
        using var c = Stm32Connection.Open(device.Host);
        var e = Assert.Throws<Stm32WriteProtectedException>(() => FlashProgrammer.PlanErase(c, new[] { 2, 5 }, new EraseOptions()));
        Assert.Equal(new[] { 2 }, e.Pages);
        Assert.Throws<Stm32WriteProtectedException>(() => FlashProgrammer.PlanErase(c, null, new EraseOptions()));
        Assert.Equal(0, device.Erases);
        Assert.Equal(5, Assert.Single(FlashProgrammer.PlanErase(c, new[] { 5 }, new EraseOptions()).Pages).Index);
    }

    [Fact]
    public void A_page_the_chip_does_not_have_is_refused()
    {
        using var sim = new SimBench(0x410);
        using var c = Stm32Connection.Open(sim.Host);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => FlashProgrammer.PlanErase(c, new[] { 128 }, new EraseOptions()));
        Assert.Contains("there is no page 128", e.Message);
    }
}
