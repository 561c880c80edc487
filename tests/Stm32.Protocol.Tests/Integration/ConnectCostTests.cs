using System.Collections.Generic;
using System.Linq;
using Stm32.Protocol.Bootloader;
using Stm32.Protocol.Programming;
using Stm32.Protocol.Simulation;
using Xunit;

namespace Stm32.Protocol.Tests.Integration;

/// <summary>
/// What connecting sends (issue 7): exactly spec 15a.2's sync, Get, Get Version, Get ID; the
/// probe (flash size, read protection) only before the first real work; the unique ID only for
/// Get-Stm32Info; and a chip a session of ours left synchronised is resumed with 0x7F 0x7F and
/// no probe wait. Asserted on the bytes the simulated chip saw, not on time.
/// </summary>
public class ConnectCostTests
{
    private static string Sent(SimulatedChip chip)
        => string.Join(" ", chip.Trace.Where(t => t.Direction == TraceDirection.ToDevice).Select(t => t.Value.ToString("X2")));

    private static string Received(SimulatedChip chip)
        => string.Join(" ", chip.Trace.Where(t => t.Direction == TraceDirection.ToHost).Select(t => t.Value.ToString("X2")));

    [Fact]
    public void Connecting_sends_sync_Get_Get_Version_Get_ID_and_nothing_else()
    {
        using var sim = new SimBench(0x410);
        using var c = Stm32Connection.Open(sim.Host);
        Assert.Equal("7F 00 FF 01 FE 02 FD", Sent(sim.Chip));
        Assert.Equal(SyncOutcome.Fresh, c.LastSync);
        Assert.False(c.IsProbed);
        Assert.True(c.Client.IsIdle);
    }

    [Fact]
    public void The_first_read_probes_once_confirming_the_identity_and_the_flash_size()
    {
        using var sim = new SimBench(0x410);
        using var c = Stm32Connection.Open(sim.Host);
        sim.Chip.ClearTrace();
        c.Read(0x08000000, 4);
        // Get ID again, the flash-size register (the catalog's full 128 KiB: nothing to confirm), then the read.
        Assert.Equal("02 FD 11 EE 1F FF F7 E0 F7 01 FE 11 EE 08 00 00 00 08 03 FC", Sent(sim.Chip));
        Assert.Equal(128u * 1024, c.FlashSizeFromChip);
        sim.Chip.ClearTrace();
        c.Read(0x08000000, 4);
        Assert.Equal("11 EE 08 00 00 00 08 03 FC", Sent(sim.Chip));
    }

    [Fact]
    public void A_flash_size_below_the_catalogs_is_believed_when_two_reads_agree()
    {
        using var sim = new SimBench(0x410);
        sim.Chip.Poke(0x1FFFF7E0, new byte[] { 64, 0 });   // an F103C8: 64 KiB in the 0x410 row's 128
        using var c = Stm32Connection.Open(sim.Host);
        sim.Chip.ClearTrace();
        c.EnsureProbed();
        Assert.Equal("02 FD 11 EE 1F FF F7 E0 F7 01 FE 11 EE 1F FF F7 E0 F7 01 FE", Sent(sim.Chip));
        Assert.Equal(64u * 1024, c.Flash.Length);
    }

    [Fact]
    public void Without_retries_the_probe_is_one_read()
    {
        using var sim = new SimBench(0x410);
        using var c = Stm32Connection.Open(sim.Host, null, RecoveryOptions.None);
        sim.Chip.ClearTrace();
        c.EnsureProbed();
        Assert.Equal("11 EE 1F FF F7 E0 F7 01 FE", Sent(sim.Chip));
    }

    [Fact]
    public void A_session_that_ended_idle_is_resumed_without_a_probe_wait()
    {
        using var sim = new SimBench(0x410);
        // A first session (not disposed: that would close the shared in-memory link).
        var first = Stm32Connection.Open(sim.Host);
        first.Read(0x08000000, 16);
        Assert.True(first.Client.IsIdle);
        sim.Chip.ClearTrace();
        var options = new BootloaderOptions { ExpectSynchronized = true };
        using var c = Stm32Connection.Open(sim.Host, options);
        Assert.Equal(SyncOutcome.AlreadySynchronized, c.LastSync);
        // 7F 7F together, one NACK: no lone 0x7F waiting out the probe.
        Assert.Equal("7F 7F 00 FF 01 FE 02 FD", Sent(sim.Chip));
        Assert.StartsWith("1F 79", Received(sim.Chip));
        Assert.Equal(new byte[16].Select(_ => (byte)0xFF), c.Read(0x08000000, 16));
    }

    [Fact]
    public void A_wrong_guess_of_synchronised_still_connects_a_chip_reset_since()
    {
        using var sim = new SimBench(0x410);
        var options = new BootloaderOptions { ExpectSynchronized = true };
        using var c = Stm32Connection.Open(sim.Host, options);
        Assert.Equal(SyncOutcome.Fresh, c.LastSync);
        // The chip took the first 0x7F for autobaud and held the second as half a pair; a
        // third completed it (NACK), and the conversation is in step.
        Assert.Equal("7F 7F 7F 00 FF 01 FE 02 FD", Sent(sim.Chip));
        Assert.StartsWith("79 1F 79", Received(sim.Chip));
        Assert.Equal(0x410, c.ProductId);
        c.WriteBlock(0x08000000, new byte[] { 1, 2, 3, 4 }, 0, 4);
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, c.Read(0x08000000, 4));
    }

    [Fact]
    public void A_session_that_failed_mid_command_is_not_idle()
    {
        using var sim = new SimBench(0x410);
        using var c = Stm32Connection.Open(sim.Host, new BootloaderOptions { ReplyTimeout = System.TimeSpan.FromMilliseconds(100) }, RecoveryOptions.None);
        Assert.True(c.Client.IsIdle);
        sim.Options.Faults.DropRateToHost = 1.0;
        Assert.ThrowsAny<Stm32Exception>(() => c.Client.GetId());
        Assert.False(c.Client.IsIdle);
    }

    [Fact]
    public void A_mass_erase_reports_its_wait_as_progress()
    {
        using var sim = new SimBench(0x413, 0x31);
        using var c = Stm32Connection.Open(sim.Host);
        var reports = new List<OperationProgress>();
        c.MassErase(new SyncProgress(reports.Add));
        Assert.StartsWith("mass erase: 0 s of about 8 s", reports[0].Detail);
        Assert.Equal("Erasing", reports[0].Activity);
        Assert.Equal("mass erase done", reports[reports.Count - 1].Detail);
        Assert.Equal(reports[reports.Count - 1].Total, reports[reports.Count - 1].Done);
    }

    [Fact]
    public void Get_Stm32Info_details_are_read_on_request_only()
    {
        using var sim = new SimBench(0x410);
        using var c = Stm32Connection.Open(sim.Host);
        c.EnsureProbed();
        Assert.Null(c.UniqueId);
        Assert.Null(c.BootloaderId);
        c.ReadDetails();
        Assert.Equal(12, c.UniqueId!.Length);
        sim.Chip.ClearTrace();
        c.ReadDetails();   // once a session
        Assert.Empty(sim.Chip.Trace);
    }
}
