using Stm32.Protocol.Bootloader;
using Stm32.Protocol.Devices;
using Stm32.Protocol.Programming;
using Stm32.Protocol.Simulation;
using Stm32.Protocol.Transport;

namespace Stm32.Protocol.Tests.Transport;

/// <summary>stm32flash's -i grammar, the wiring-built sequences, and both run against a chip whose RESET/BOOT0 hang on DTR/RTS.</summary>
public class BootSequenceTests
{
    private static readonly TimeSpan Ms100 = TimeSpan.FromMilliseconds(100);

    [Fact]
    public void Parses_the_stm32flash_man_page_example_with_lines()
    {
        var (entry, exit) = BootSequence.Parse("rts,-dtr,dtr:-rts&-dtr,,dtr");
        Assert.Equal(new[]
        {
            BootStep.Set(ModemLine.Rts, true), BootStep.Wait(Ms100),
            BootStep.Set(ModemLine.Dtr, false), BootStep.Wait(Ms100),
            BootStep.Set(ModemLine.Dtr, true),
        }, entry.Steps);
        Assert.NotNull(exit);
        Assert.Equal(new[]
        {
            BootStep.Set(ModemLine.Rts, false), BootStep.Set(ModemLine.Dtr, false),
            BootStep.Wait(TimeSpan.FromMilliseconds(200)), BootStep.Set(ModemLine.Dtr, true),
        }, exit!.Steps);
    }

    [Theory]
    [InlineData(",,,,,", 500)]          // delays alone: wait after opening the port
    [InlineData("rts,,,,-dtr", 400)]     // the man page's "rts,,,,-dtr": 400 ms between
    [InlineData("rts&-dtr", 0)]
    [InlineData("rts,250ms,dtr", 450)]   // beyond stm32flash: explicit milliseconds
    [InlineData("", 0)]
    public void Commas_and_empty_elements_are_100_ms_each(string text, int totalMs)
    {
        var (entry, exit) = BootSequence.Parse(text);
        Assert.Null(exit);
        Assert.Equal(TimeSpan.FromMilliseconds(totalMs), entry.TotalDelay);
    }

    [Fact]
    public void Brk_is_a_pulse_and_minus_brk_is_ignored()
    {
        var (entry, _) = BootSequence.Parse("brk&-brk,DTR");
        Assert.Equal(new[] { BootStep.Break(BootSequence.BreakDuration), BootStep.Wait(Ms100), BootStep.Set(ModemLine.Dtr, true) }, entry.Steps);
    }

    [Fact]
    public void An_empty_exit_after_the_colon_is_an_empty_sequence()
    {
        var (entry, exit) = BootSequence.Parse("dtr:");
        Assert.Single(entry.Steps);
        Assert.NotNull(exit);
        Assert.True(exit!.IsEmpty);
    }

    [Theory]
    [InlineData("4,-5,-3,3:-4,-3,3", "GPIO number")]
    [InlineData("rts,cts", "not a signal")]
    [InlineData("rts:dtr:rts", "more than one ':'")]
    [InlineData("-250ms", "not a signal")]
    public void Refuses_what_it_cannot_do(string text, string why)
    {
        var e = Assert.Throws<BootSequenceFormatException>(() => BootSequence.Parse(text));
        Assert.Contains(why, e.Message);
    }

    [Fact]
    public void Canonical_text_parses_back_to_the_same_steps()
    {
        var (entry, _) = BootSequence.Parse("-rts&dtr,,-dtr,brk");
        var again = BootSequence.ParseSequence(entry.ToString());
        Assert.Equal(entry.Steps, again.Steps);
        Assert.Equal("-rts&dtr&200ms&-dtr&100ms&brk", entry.ToString());
    }

    [Fact]
    public void The_usual_wiring_gives_boot0_high_reset_pulse_and_boot0_low_reset_pulse()
    {
        var (entry, exit) = BootSequence.ForWiring(ModemLine.Dtr, ModemLine.Rts);
        Assert.Equal("-rts&dtr&100ms&-dtr&100ms", entry.ToString());
        Assert.Equal("rts&dtr&100ms&-dtr&100ms&-rts", exit.ToString());
        var (e2, x2) = BootSequence.ForWiring(ModemLine.Rts, null, invertReset: true, resetPulse: TimeSpan.FromMilliseconds(20), bootDelay: TimeSpan.FromMilliseconds(50));
        Assert.Equal("-rts&20ms&rts&50ms", e2.ToString());
        Assert.Equal(e2.ToString(), x2.ToString());
        Assert.Throws<ArgumentException>(() => BootSequence.ForWiring(ModemLine.Dtr, ModemLine.Dtr));
    }

    private sealed class WiredChip : IDisposable
    {
        public WiredChip(ModemWiring? wiring = null)
        {
            Chip = new SimulatedChip(DeviceCatalog.Find(0x410)!);
            Chip.Boot0 = false;
            Chip.Reset(); // the application runs: the bootloader ignores everything
            Pair = new InMemoryLinkPair("sim://0x410", 115200);
            Chip.Attach(Pair, wiring);
        }

        public SimulatedChip Chip { get; }
        public InMemoryLinkPair Pair { get; }

        public void Dispose()
        {
            Chip.Dispose();
            Pair.Host.Dispose();
        }
    }

    [Fact]
    public void The_chip_in_its_application_answers_only_after_the_entry_sequence()
    {
        using var w = new WiredChip();
        Assert.Equal(ChipState.RunningApplication, w.Chip.State);
        Assert.Throws<Stm32NoResponseException>(() => Stm32Connection.Open(w.Pair.Host, new BootloaderOptions { ReplyTimeout = TimeSpan.FromMilliseconds(50) }));

        var (entry, exit) = BootSequence.ForWiring(ModemLine.Dtr, ModemLine.Rts, resetPulse: TimeSpan.FromMilliseconds(5), bootDelay: TimeSpan.FromMilliseconds(5));
        var resets = w.Chip.ResetCount;
        entry.Run(w.Pair.Host);
        Assert.Equal(resets + 1, w.Chip.ResetCount);
        Assert.Equal(ChipState.WaitingForSync, w.Chip.State);
        using var c = Stm32Connection.Open(w.Pair.Host);
        Assert.Equal(0x410, c.ProductId);

        exit.Run(w.Pair.Host);
        Assert.Equal(ChipState.RunningApplication, w.Chip.State);
        Assert.False(w.Pair.HostLines.IsAsserted(ModemLine.Rts));
        Assert.False(w.Pair.HostLines.IsAsserted(ModemLine.Dtr));
    }

    [Fact]
    public void Swapped_and_inverted_wiring_needs_its_own_sequence()
    {
        var wiring = new ModemWiring { ResetLine = ModemLine.Rts, Boot0Line = ModemLine.Dtr, Boot0HighWhenAsserted = true };
        using var w = new WiredChip(wiring);
        // The usual sequence on this board pulses DTR (BOOT0 here) and never resets the chip.
        BootSequence.ForWiring(ModemLine.Dtr, ModemLine.Rts, resetPulse: TimeSpan.Zero, bootDelay: TimeSpan.Zero).Entry.Run(w.Pair.Host);
        Assert.NotEqual(ChipState.WaitingForSync, w.Chip.State);

        var (entry, _) = BootSequence.Parse("dtr&rts,-rts,"); // BOOT0 high (asserted), RESET pulse on RTS
        entry.Run(w.Pair.Host);
        Assert.Equal(ChipState.WaitingForSync, w.Chip.State);
        using var c = Stm32Connection.Open(w.Pair.Host);
        Assert.Equal(0x410, c.ProductId);
    }

    [LinuxFact]
    public void A_pseudo_terminal_says_it_cannot_drive_the_lines()
    {
        using var pty = new PseudoTerminalLink();
        var (entry, _) = BootSequence.Parse("rts,-dtr,dtr");
        var e = Assert.Throws<ModemLinesNotSupportedException>(() => entry.Run(pty));
        Assert.Contains("Cannot drive DTR/RTS on " + pty.SlavePath, e.Message);
        BootSequence.Parse(",").Entry.Run(pty); // a pure delay needs no lines
    }
}

public class SerialPortOnPtyLinesTests
{
    [LinuxFact]
    public void A_serial_port_opened_on_a_pty_says_it_has_no_modem_lines()
    {
        using var pty = new PseudoTerminalLink();
        using var link = SerialPortLink.Open(pty.SlavePath, 115200, System.IO.Ports.Parity.None);
        Assert.False(link.SupportsModemLines);
        var e = Assert.Throws<ModemLinesNotSupportedException>(() => BootSequence.Parse("-rts&dtr,-dtr").Entry.Run(link));
        Assert.Contains("Cannot drive DTR/RTS on " + pty.SlavePath, e.Message);
    }
}
