using Stm32.Protocol.Bootloader;
using Stm32.Protocol.Devices;
using Stm32.Protocol.Programming;
using Stm32.Protocol.Simulation;

namespace Stm32.Protocol.Tests.Integration;

/// <summary>Our client against the simulated chip, byte for byte over a link.</summary>
public class ConnectionTests
{
    public static TheoryData<int> SimulatableRows()
    {
        var data = new TheoryData<int>();
        foreach (var d in DeviceCatalog.All)
            if (d.CanProgram && (d.Flags & (DeviceFlags.NonAn3155BlueNrg | DeviceFlags.NonSt | DeviceFlags.NameOnly)) == 0)
                data.Add(d.ProductId);
        return data;
    }

    [Theory]
    [MemberData(nameof(SimulatableRows))]
    public void Every_catalog_row_is_simulated_and_identified(int pid)
    {
        using var sim = new SimBench((ushort)pid);
        using var c = Stm32Connection.Open(sim.Host);
        Assert.Equal(pid, c.ProductId);
        Assert.Same(sim.Device, c.Device);
        Assert.Equal(sim.Device.DefaultBootloaderVersion, c.BootloaderVersion);
        Assert.False(c.IsProbed);
        c.EnsureProbed();
        Assert.True(c.IsProbed);
        Assert.False(c.IsReadProtected);
        Assert.DoesNotContain(c.Warnings, w => w.Contains("catalog"));
        Assert.Equal(sim.Device.DefaultBootloaderVersion < 0x30, c.Supports(An3155.Erase));
        Assert.Equal(sim.Device.DefaultBootloaderVersion >= 0x30, c.HasExtendedErase);
        if (sim.Device.FlashSizeAddress.HasValue) Assert.Equal(sim.Chip.FlashSize, c.FlashSizeFromChip);
    }

    [Fact]
    public void One_noise_nack_on_the_flash_size_register_is_asked_again()
    {
        using var sim = new SimBench(0x410);
        using var c = Stm32Connection.Open(sim.Host);
        // The probe: Get ID again (+1), then the flash-size Read (+2), which this NACK refuses once.
        sim.Options.Faults.NackCommandNumber = sim.Chip.CommandCount + 2;
        c.EnsureProbed();
        Assert.False(c.IsReadProtected);
        Assert.Equal(sim.Chip.FlashSize, c.FlashSizeFromChip);
        Assert.DoesNotContain(c.Warnings, w => w.Contains("refused"));
    }

    [Fact]
    public void F103_is_medium_density_with_bootloader_2_2()
    {
        using var sim = new SimBench(0x410);
        using var c = Stm32Connection.Open(sim.Host);
        Assert.Equal("STM32F10xxx Medium-density", c.Device.Name);
        Assert.Equal("2.2", c.BootloaderVersionText);
        Assert.Equal(new byte[] { 0x00, 0x01, 0x02, 0x11, 0x21, 0x31, 0x43, 0x63, 0x73, 0x82, 0x92 }, c.SupportedCommands);
        c.EnsureProbed();
        Assert.Equal(128u * 1024, c.Flash.Length);
        Assert.Null(c.UniqueId);   // read for Get-Stm32Info only
        c.ReadDetails();
        Assert.NotNull(c.UniqueId);
        Assert.Equal(SyncOutcome.Fresh, c.LastSync);
    }

    [Fact]
    public void F407_has_bootloader_3_1_with_extended_erase()
    {
        using var sim = new SimBench(0x413);
        using var c = Stm32Connection.Open(sim.Host);
        Assert.Equal("3.1", c.BootloaderVersionText);
        Assert.True(c.HasExtendedErase);
        Assert.False(c.HasChecksum);
        Assert.Equal(1024u * 1024, c.Flash.Length);
    }

    [Fact]
    public void Protocol_3_3_offers_Get_Checksum()
    {
        using var sim = new SimBench(0x413, 0x33);
        using var c = Stm32Connection.Open(sim.Host);
        Assert.True(c.HasChecksum);
        var data = Enumerable.Range(0, 1024).Select(i => (byte)(i * 7)).ToArray();
        sim.Chip.Poke(0x08000000, data);
        Assert.Equal(An3155.Crc32(data), c.Checksum(0x08000000, 1024));
    }

    [Fact]
    public void A_second_connection_to_a_synchronised_chip_completes_the_pair_and_gets_a_NACK()
    {
        using var sim = new SimBench(0x410);
        using (var first = Stm32Connection.Open(sim.Host)) { }   // closes the link; the chip stays synchronised
        var pair = new Stm32.Protocol.Transport.InMemoryLinkPair("sim://0x410", 115200);
        sim.Chip.Detach();
        sim.Chip.ClearTrace();
        sim.Chip.Attach(pair.Device);
        using var c2 = Stm32Connection.Open(pair.Host);
        Assert.Equal(SyncOutcome.AlreadySynchronized, c2.LastSync);
        Assert.Equal(0x410, c2.ProductId);
        // On the wire: 7F (held as half a pair), 7F (completes it), NACK; then Get.
        var trace = sim.Chip.Trace.ToList();
        Assert.Equal(new byte[] { 0x7F, 0x7F }, trace.Where(t => t.Direction == TraceDirection.ToDevice).Take(2).Select(t => t.Value));
        Assert.Equal(0x1F, trace.First(t => t.Direction == TraceDirection.ToHost).Value);
    }

    [Fact]
    public void Reading_a_protected_chip_says_so_and_names_the_way_out()
    {
        using var sim = new SimBench(0x410);
        sim.Chip.SetReadProtection(1);
        using var c = Stm32Connection.Open(sim.Host);
        Assert.False(c.IsProbed);
        var e = Assert.Throws<Stm32ReadProtectedException>(() => c.Read(0x08000000, 16));
        Assert.True(c.IsProbed);
        Assert.True(c.IsReadProtected);
        Assert.Contains("read-protected", e.Message);
        Assert.Contains("erases the whole flash", e.Message);
    }

    [Fact]
    public void Readout_protect_then_unprotect_resynchronises_and_erases()
    {
        using var sim = new SimBench(0x410);
        using var c = Stm32Connection.Open(sim.Host);
        sim.Chip.Poke(0x08000000, new byte[] { 1, 2, 3, 4 });
        c.ReadoutProtect();
        Assert.True(c.IsReadProtected);
        c.ReadoutUnprotect();
        Assert.False(c.IsReadProtected);
        Assert.Equal(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF }, c.Read(0x08000000, 4));
    }

    [Fact]
    public void Go_leaves_the_bootloader()
    {
        using var sim = new SimBench(0x410);
        using var c = Stm32Connection.Open(sim.Host);
        c.Go(0x08000000);
        Assert.False(c.InBootloader);
        SpinWait.SpinUntil(() => sim.Chip.State == ChipState.RunningApplication, 2000);
        Assert.Equal(ChipState.RunningApplication, sim.Chip.State);
        Assert.Throws<Stm32NotInBootloaderException>(() => c.Read(0x08000000, 4));
    }

    [Fact]
    public void A_chip_that_answers_every_command_slowly_but_in_time_ends_at_the_operation_deadline()
    {
        // Every answer comes 150 ms late, within the 500 ms reply timeout, so no single wait fails
        // and nothing is retried; the read as a whole still has a deadline (here 1 s plus what the
        // chip needs for it), and ends there with the step named instead of running on.
        using var sim = new SimBench(0x410, baud: 2_000_000);
        var options = new BootloaderOptions { ReplyTimeout = TimeSpan.FromMilliseconds(500), DeadlineFloor = TimeSpan.FromSeconds(1), DeadlineFactor = 1 };
        using var c = Stm32Connection.Open(sim.Host, options);
        c.EnsureProbed();
        sim.Options.Faults.StallAfterCommand = TimeSpan.FromMilliseconds(150);
        var e = Assert.Throws<Stm32DeadlineException>(() => c.Read(0x08000000, 16 * 1024));
        Assert.Equal("Read Memory", e.Step);
        Assert.Contains("did not finish within its deadline", e.Message);
        Assert.Contains("Reading 16384 bytes at 0x08000000", e.Message);
        Assert.True(e.Address >= 0x08000000 && e.Address < 0x08004000);
        Assert.Equal(0, c.Counters.Retries);
        // Not retried: a deadline is the end of the operation, not a failure to try again.
        Assert.False(Stm32Connection.IsRecoverable(e));
    }

    [Fact]
    public void An_erase_cancelled_while_the_chip_works_is_waited_for_before_the_resync()
    {
        // A mass erase of an F401's 256 KiB takes the simulated chip about 2 s; cancelled after
        // a moment, the chip is still busy. The resync after the interruption waits for its late
        // ACK (not a resync into a busy chip) and then finds the chip in step.
        using var sim = new SimBench(0x423, timing: SimulatorTiming.Realistic, baud: 2_000_000);
        using var c = Stm32Connection.Open(sim.Host);
        c.EnsureProbed();
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        Assert.ThrowsAny<OperationCanceledException>(() => c.MassErase(null, cts.Token));
        Assert.True(c.Client.ChipMayBeBusyFor > TimeSpan.FromSeconds(3), c.Client.ChipMayBeBusyFor.ToString());
        Assert.True(c.MostRecoveryTakes() > c.Client.ChipMayBeBusyFor);
        var resyncs = c.Counters.Resyncs;
        c.RecoverAfterInterruption();
        Assert.Equal(TimeSpan.Zero, c.Client.ChipMayBeBusyFor);
        // One resync did it: the chip had finished and answered before the first 0x7F went out.
        Assert.Equal(resyncs + 1, c.Counters.Resyncs);
        Assert.Equal(0, c.Counters.Resets);
        Assert.Equal(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF }, c.Read(0x08000000, 4));
    }
}
