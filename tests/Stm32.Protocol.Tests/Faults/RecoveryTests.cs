using Stm32.Protocol.Bootloader;
using Stm32.Protocol.Devices;
using Stm32.Protocol.Firmware;
using Stm32.Protocol.Programming;
using Stm32.Protocol.Simulation;
using Stm32.Protocol.Tests.Integration;

namespace Stm32.Protocol.Tests.Faults;

/// <summary>Issue 8: each recovery path on its own, deterministically.</summary>
public class RecoveryTests
{
    private const uint Flash = 0x08000000;

    private static byte[] Random(int n, int seed)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    /// <summary>Short timeouts, but roomy enough that a busy test machine never makes a late answer look like a fault.</summary>
    private static Stm32Connection Open(SimBench sim, List<string>? log = null, RecoveryOptions? recovery = null)
    {
        var options = FaultRounds.HostOptions();
        options.ReplyTimeout = options.WriteTimeout = TimeSpan.FromMilliseconds(150);
        options.SyncProbeTimeout = TimeSpan.FromMilliseconds(40);
        var c = Stm32Connection.Open(sim.Host, options, recovery ?? FaultRounds.Recovery(), log == null ? null : log.Add);
        // What a cmdlet does before its first command (the session base probes), so the
        // fault counters below start at the write.
        c.EnsureProbed();
        return c;
    }

    [Fact]
    public void A_NACKed_block_is_sent_again_and_counted()
    {
        using var sim = new SimBench(0x410, baud: 2_000_000);
        using var c = Open(sim);
        // Identify used some commands; the erase is next, then the first block.
        var data = Random(4096, 1);
        sim.Options.Faults.NackCommandNumber = CountCommands(sim) + 2;
        var outcome = FlashProgrammer.Write(c, FirmwareImage.FromBytes(Flash, data), new WriteOptions { Verify = true });
        Assert.True(outcome.Verified);
        Assert.Equal(1, outcome.Retries);
        Assert.Equal(0, outcome.Resyncs);   // a lone NACK: the chip waits for a new command, no resync needed
        Assert.Equal(data, sim.Chip.Peek(Flash, data.Length));
    }

    [Fact]
    public void A_reset_in_the_middle_of_a_write_is_noticed_narrated_and_survived()
    {
        using var sim = new SimBench(0x413, 0x31, baud: 2_000_000);
        var log = new List<string>();
        using var c = Open(sim, log);
        var data = Random(64 * 1024, 2);
        sim.Options.Faults.ResetDuringCommandNumber = CountCommands(sim) + 100;
        var outcome = FlashProgrammer.Write(c, FirmwareImage.FromBytes(Flash, data), new WriteOptions { Verify = true });
        Assert.Equal(1, sim.Chip.ResetCount);
        Assert.Equal(1, outcome.Resets);
        Assert.True(outcome.Resyncs >= 1);
        Assert.True(outcome.Verified);
        Assert.Contains(log, l => l.Contains("reset", StringComparison.OrdinalIgnoreCase) && l.Contains("re-identified"));
        Assert.Equal(data, sim.Chip.Peek(Flash, data.Length));
    }

    [Fact]
    public void A_reset_forces_a_verify_even_when_Verify_is_off()
    {
        using var sim = new SimBench(0x410, baud: 2_000_000);
        var log = new List<string>();
        using var c = Open(sim, log);
        var data = Random(8192, 3);
        sim.Options.Faults.ResetDuringCommandNumber = CountCommands(sim) + 10;
        var outcome = FlashProgrammer.Write(c, FirmwareImage.FromBytes(Flash, data), new WriteOptions { Verify = false });
        Assert.Equal(1, outcome.Resets);
        Assert.True(outcome.Verified);
        Assert.Equal(VerifyMethod.ReadBack, outcome.VerifyMethod);
        Assert.Contains(log, l => l.Contains("although Verify is off"));
        Assert.Equal(data, sim.Chip.Peek(Flash, data.Length));
    }

    [Fact]
    public void Read_protection_switched_on_mid_write_stops_with_a_protection_error()
    {
        using var sim = new SimBench(0x410, baud: 2_000_000);
        using var c = Open(sim);
        bool done = false;
        var progress = new SyncProgress(p =>
        {
            if (p.Activity == "Writing" && !done)
            {
                done = true;
                sim.Chip.SetReadProtection(1);   // a glitch: from now on Write and Read are refused
            }
        });
        var e = Assert.Throws<Stm32ReadProtectedException>(() =>
            FlashProgrammer.Write(c, FirmwareImage.FromBytes(Flash, Random(8192, 4)), new WriteOptions { Verify = true }, progress));
        Assert.Contains("read-protected", e.Message);
        Assert.NotNull(e.Address);
        Assert.True(c.IsReadProtected);
    }

    [Fact]
    public void A_chip_that_resets_into_read_protection_is_not_written_further()
    {
        using var sim = new SimBench(0x410, baud: 2_000_000);
        using var c = Open(sim);
        bool done = false;
        var progress = new SyncProgress(p =>
        {
            if (p.Activity == "Writing" && !done)
            {
                done = true;
                sim.Chip.SetReadProtection(1);
                sim.Chip.Reset();
            }
        });
        var e = Assert.Throws<Stm32ReadProtectedException>(() =>
            FlashProgrammer.Write(c, FirmwareImage.FromBytes(Flash, Random(8192, 5)), new WriteOptions { Verify = true }, progress));
        Assert.Contains("came back read-protected", e.Message);
        Assert.Equal(1, c.Counters.Resets);
    }

    [Fact]
    public void A_device_that_changes_identity_stops_the_run()
    {
        using var sim = new SimBench(0x410, baud: 2_000_000);
        using var c = Open(sim);
        SimulatedChip? other = null;
        var progress = new SyncProgress(p =>
        {
            if (p.Activity == "Writing" && other == null)
            {
                sim.Chip.Detach();
                other = new SimulatedChip(DeviceCatalog.Find(0x414)!, new SimulatorOptions());
                other.Attach(sim.Pair.Device);
            }
        });
        try
        {
            var e = Assert.Throws<Stm32DeviceChangedException>(() =>
                FlashProgrammer.Write(c, FirmwareImage.FromBytes(Flash, Random(8192, 6)), new WriteOptions { Verify = true }, progress));
            Assert.Contains("0x414", e.Message);
            Assert.Contains("0x410", e.Message);
        }
        finally
        {
            other?.Dispose();
        }
    }

    [Fact]
    public void A_dead_line_ends_in_an_error_naming_the_address()
    {
        using var sim = new SimBench(0x410, baud: 2_000_000);
        var recovery = FaultRounds.Recovery();
        recovery.ResyncAttempts = 2;
        using var c = Open(sim, recovery: recovery);
        sim.Options.Faults.DropRateToDevice = 1.0;
        var e = Assert.Throws<Stm32RecoveryFailedException>(() =>
            FlashProgrammer.Write(c, FirmwareImage.FromBytes(Flash, Random(1024, 7)), new WriteOptions { Erase = EraseMode.None, Verify = true }));
        Assert.Equal(Flash, e.Address);
        Assert.Contains("0x08000000", e.Message);
        Assert.Contains("Lost contact", e.Message);
    }

    [Fact]
    public void Without_recovery_the_first_failure_ends_the_write()
    {
        using var sim = new SimBench(0x410, baud: 2_000_000);
        using var c = Open(sim, recovery: RecoveryOptions.None);
        sim.Options.Faults.NackCommandNumber = CountCommands(sim) + 2;
        var e = Assert.Throws<Stm32RecoveryFailedException>(() =>
            FlashProgrammer.Write(c, FirmwareImage.FromBytes(Flash, Random(1024, 8)), new WriteOptions { Verify = true }));
        Assert.Equal(1, e.Attempts);
        Assert.Equal(Flash, e.Address);
        Assert.IsType<Stm32NackException>(e.InnerException);
    }

    [Fact]
    public void Garbled_reads_do_not_make_a_right_chip_look_wrong()
    {
        using var sim = new SimBench(0x410, baud: 2_000_000);
        using var c = Open(sim);
        var data = Random(16 * 1024, 9);
        sim.Chip.Poke(Flash, data);
        sim.Options.Faults.Seed = 9;
        sim.Options.Faults.CorruptRateToHost = 3e-3;   // about half the 256-byte reads garbled
        var cmp = FlashProgrammer.Compare(c, FirmwareImage.FromBytes(Flash, data));
        Assert.True(cmp.Matches);
        Assert.True(cmp.Rereads > 0);
    }

    [Fact]
    public void A_wrong_block_is_mended_by_erasing_its_page_and_rewriting_the_page()
    {
        using var sim = new SimBench(0x410, baud: 2_000_000);
        var log = new List<string>();
        using var c = Open(sim, log);
        var data = Random(4096, 10);
        // Clear a byte in the second page (0x08000400) between the write and the verify: a 0
        // where the image has a 1 cannot be fixed without an erase.
        int i = Enumerable.Range(0x500, 0x100).First(k => data[k] != 0);
        bool done = false;
        var progress = new SyncProgress(p =>
        {
            if (p.Activity == "Verifying" && !done)
            {
                done = true;
                sim.Chip.Poke(Flash + (uint)i, new byte[] { 0x00 });
            }
        });
        var outcome = FlashProgrammer.Write(c, FirmwareImage.FromBytes(Flash, data), new WriteOptions { Verify = true, ForceReadBack = true }, progress);
        Assert.True(outcome.Verified);
        Assert.Equal(data, sim.Chip.Peek(Flash, data.Length));
        Assert.Equal(1, outcome.PagesReerased);
        Assert.Equal(4, outcome.Rewrites);   // the 1 KiB page holds four 256-byte blocks
        Assert.Contains(log, l => l.Contains("Verify found"));
    }

    [Fact]
    public void A_byte_lost_in_a_data_frame_is_caught_and_mended_even_without_Verify()
    {
        // The worst case of a dropped byte: the chip waits for one more byte, the resync filler's
        // first 0xFF completes the frame, and when the lost byte was 0xFF the checksum matches, so
        // the chip programs the block shifted by one. Only a read-back can tell.
        using var sim = new SimBench(0x410, baud: 2_000_000);
        var lossy = new LosingLink(sim.Host, frameLength: 258, dropIndex: 10);
        var options = FaultRounds.HostOptions();
        options.ReplyTimeout = options.WriteTimeout = TimeSpan.FromMilliseconds(150);
        using var c = Stm32Connection.Open(lossy, options, FaultRounds.Recovery());
        var data = Random(2048, 11);
        data[9] = 0xFF;   // frame byte 10 = data byte 9 of the first block
        var outcome = FlashProgrammer.Write(c, FirmwareImage.FromBytes(Flash, data), new WriteOptions { Verify = false });
        Assert.True(lossy.Dropped);
        Assert.Equal(1, outcome.SuspectBlocks);
        Assert.Equal(1, outcome.PagesReerased);
        Assert.False(outcome.Verified);
        Assert.Equal(data, sim.Chip.Peek(Flash, data.Length));
    }

    /// <summary>Drops one byte of the first frame of a given length the host sends.</summary>
    private sealed class LosingLink : Stm32.Protocol.Transport.IByteLink
    {
        private readonly Stm32.Protocol.Transport.IByteLink _inner;
        private readonly int _frameLength, _dropIndex;

        public LosingLink(Stm32.Protocol.Transport.IByteLink inner, int frameLength, int dropIndex)
        {
            _inner = inner;
            _frameLength = frameLength;
            _dropIndex = dropIndex;
        }

        public bool Dropped { get; private set; }
        public string Name => _inner.Name;
        public int BaudRate => _inner.BaudRate;
        public bool SupportsModemLines => _inner.SupportsModemLines;

        public void Write(byte[] buffer, int offset, int count)
        {
            if (!Dropped && count == _frameLength)
            {
                Dropped = true;
                var shorter = buffer.Skip(offset).Take(count).Where((_, k) => k != _dropIndex).ToArray();
                _inner.Write(shorter, 0, shorter.Length);
                return;
            }
            _inner.Write(buffer, offset, count);
        }

        public int Read(byte[] buffer, int offset, int count, TimeSpan timeout, CancellationToken ct) => _inner.Read(buffer, offset, count, timeout, ct);
        public void DiscardInput() => _inner.DiscardInput();
        public void SetModemLine(Stm32.Protocol.Transport.ModemLine line, bool asserted) => _inner.SetModemLine(line, asserted);
        public void Dispose() => _inner.Dispose();
    }

    /// <summary>Command pairs the chip has read so far (the fault knobs number them from 1).</summary>
    private static int CountCommands(SimBench sim) => sim.Chip.CommandCount;
}
