using Stm32.Protocol.Bootloader;
using Stm32.Protocol.Devices;
using Stm32.Protocol.Firmware;
using Stm32.Protocol.Programming;
using Stm32.Protocol.Simulation;
using Stm32.Protocol.Tests.Integration;
using Stm32.Protocol.Transport;

namespace Stm32.Protocol.Tests.OptionBytes;

/// <summary>The seed's protection workflow against the simulated chip, through the host API the cmdlets call.</summary>
public class ProtectionWorkflowTests
{
    private const uint FlashBase = 0x08000000;

    [Fact]
    public void A_chip_the_catalog_has_no_memory_map_for_is_not_called_unprotected()
    {
        var (chip, pair) = UnknownF103();
        using var _ = chip;
        using var c = Stm32Connection.Open(pair.Host);

        var state = c.GetProtectionState();

        Assert.True(c.Device.Flash.IsEmpty);
        Assert.Null(c.KnownReadProtection);
        Assert.Null(state.ReadProtection);
        Assert.StartsWith("read protection unknown (the catalog has no memory map for this chip)", state.ToString());
        Assert.DoesNotContain("not read-protected", state.ToString());
    }

    /// <summary>An F103 answering with a product ID the catalog does not know, served from a full row.</summary>
    private static (SimulatedChip Chip, InMemoryLinkPair Pair) UnknownF103()
    {
        var f103 = DeviceCatalog.Find(0x410)!;
        var unknown = new DeviceInfo(0x999, "test part", f103.Family, f103.Ram, f103.Flash, f103.FlashLayoutText,
            f103.OptionBytes, f103.SystemMemory, f103.Flags, f103.PagesPerSector, f103.BootloaderIds, f103.BootloaderIdAddress);
        var chip = new SimulatedChip(unknown, new SimulatorOptions { Timing = SimulatorTiming.Instant });
        var pair = new InMemoryLinkPair("sim://0x999", 115200);
        chip.Attach(pair);
        return (chip, pair);
    }

    [Fact]
    public void A_chip_the_catalog_has_no_memory_map_for_is_known_open_once_a_read_is_answered_and_protected_once_refused()
    {
        var (chip, pair) = UnknownF103();
        using var _ = chip;
        using var c = Stm32Connection.Open(pair.Host);
        c.EnsureProbed();
        Assert.Null(c.KnownReadProtection);

        c.Read(0x20000200, 4);   // RAM: RDP level 1 would refuse it
        Assert.False(c.KnownReadProtection);
        Assert.StartsWith("not read-protected", c.GetProtectionState().ToString());

        c.ReadoutProtect();   // the bare command: nothing here checks what it did
        var e = Assert.Throws<Stm32ReadProtectedException>(() => c.Read(0x20000200, 4));
        Assert.Contains("read-protected", e.Message);
        Assert.True(c.KnownReadProtection);
    }

    [Fact]
    public void Readout_protect_and_unprotect_are_not_sent_to_a_chip_nothing_is_known_of()
    {
        var (chip, pair) = UnknownF103();
        using var _ = chip;
        using var c = Stm32Connection.Open(pair.Host);   // Generic row: no flash, RAM or system memory
        Assert.True(c.Device.Ram.IsEmpty && c.Device.SystemMemory.IsEmpty);

        var e1 = Assert.Throws<InvalidOperationException>(() => c.ApplyReadoutProtection());
        var e2 = Assert.Throws<InvalidOperationException>(() => c.RemoveReadoutProtection());

        Assert.Contains("nothing was sent", e1.Message);
        Assert.Contains("nothing was sent", e2.Message);
        Assert.Equal(0, chip.ReadProtectionLevel);
        Assert.DoesNotContain(chip.Trace, t => t.Direction == TraceDirection.ToDevice && (t.Value == 0x82 || t.Value == 0x92));
    }

    [Theory]
    [MemberData(nameof(LayoutTests.SupportedRows), MemberType = typeof(LayoutTests))]
    public void A_user_bit_changed_reads_back_after_the_reset_and_the_session_stays_usable(int pid)
    {
        using var sim = new SimBench((ushort)pid);
        using var c = Stm32Connection.Open(sim.Host);
        var before = c.ReadOptionBytes();
        Assert.True(before.NRstStop);

        var result = c.WriteOptionBytes(new OptionByteChange { NRstStop = false });

        Assert.True(result.Written);
        Assert.Equal(1, sim.Chip.ResetCount);
        Assert.False(result.After!.NRstStop);
        Assert.False(c.ReadOptionBytes().NRstStop);
        Assert.Contains(result.Plan.Changes, ch => ch.Field == "NRstStop" && ch.Before == "1" && ch.After == "0");
        Assert.Equal(ReadProtectionLevel.Level0, result.After.ReadProtection);
        // Usable: write and read flash.
        c.WriteBlock(FlashBase, new byte[] { 1, 2, 3, 4 }, 0, 4);
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, c.Read(FlashBase, 4));
    }

    [Fact]
    public void Nothing_to_change_sends_nothing()
    {
        using var sim = new SimBench(0x410);
        using var c = Stm32Connection.Open(sim.Host);
        var result = c.WriteOptionBytes(new OptionByteChange { NRstStop = true });
        Assert.False(result.Written);
        Assert.True(result.Plan.IsNoChange);
        Assert.Equal(0, sim.Chip.ResetCount);
    }

    [Fact]
    public void The_plan_shows_before_and_after_without_writing()
    {
        using var sim = new SimBench(0x413);
        using var c = Stm32Connection.Open(sim.Host);
        var plan = c.PlanOptionBytes(new OptionByteChange { SoftwareWatchdog = false, ReadProtection = ReadProtectionLevel.Level1 });
        Assert.Equal(0, sim.Chip.ResetCount);
        Assert.True(plan.SetsLevel1);
        Assert.Equal(ReadProtectionLevel.Level1, plan.After.ReadProtection);
        var text = plan.Describe();
        Assert.Contains("SoftwareWatchdog: 1 -> 0", text);
        Assert.Contains("ReadProtection: Level0 (0xAA) -> Level1 (0xBB)", text);
        Assert.Contains("erases the whole flash", text);
    }

    [Fact]
    public void Data_bytes_and_raw_writes_on_F1()
    {
        using var sim = new SimBench(0x410);
        using var c = Stm32Connection.Open(sim.Host);
        c.WriteOptionBytes(new OptionByteChange { Data0 = 0x5A, Data1 = 0xC3 });
        Assert.Equal(new byte[] { 0x5A, 0xA5, 0xC3, 0x3C }, sim.Chip.Peek(0x1FFFF804, 4));
        var raw = c.ReadOptionBytes().Raw;
        raw[2] = 0xFE; // WDG_SW = 0: hardware watchdog
        raw[3] = 0x01;
        var result = c.WriteOptionBytes(new OptionByteChange { Raw = raw });
        Assert.False(result.After!.SoftwareWatchdog);
        Assert.Equal(raw, sim.Chip.Peek(0x1FFFF800, 16));
    }

    [Fact]
    public void Write_protection_through_the_option_bytes_on_F1()
    {
        using var sim = new SimBench(0x410);
        using var c = Stm32Connection.Open(sim.Host);
        var result = c.WriteOptionBytes(new OptionByteChange { WriteProtectedSectors = new[] { 1 } });
        Assert.Equal(new[] { 4, 5, 6, 7 }, result.After!.WriteProtectedPages);
        Assert.True(sim.Chip.IsPageWriteProtected(4));
        Assert.False(sim.Chip.IsPageWriteProtected(8));
    }

    [Fact]
    public void A_chip_that_resets_before_its_ack_is_tolerated()
    {
        // Spec 4.12a: some parts may reset without the ACK after the data frame. A link that
        // loses the byte after the option data frame plays that part.
        using var sim = new SimBench(0x413);
        var link = new AckEatingLink(sim.Host, frameLength: 18);
        using var c = Stm32Connection.Open(link);
        var result = c.WriteOptionBytes(new OptionByteChange { NRstStdby = false });
        Assert.Equal(1, link.Eaten);
        Assert.False(result.After!.NRstStdby);
        Assert.Contains(result.Warnings, w => w.Contains("without acknowledging"));
    }

    [Fact]
    public void A_field_that_does_not_take_is_named_by_the_verify_error()
    {
        // The link sets USER's nRST_STOP back to 1 in the data frame (complement and checksum
        // fixed up), so the chip stores something else than the host meant.
        using var sim = new SimBench(0x410);
        var link = new TamperingLink(sim.Host, frame =>
        {
            if (frame.Length != 18) return;
            frame[3] |= 0x02;
            frame[4] = (byte)~frame[3];
            frame[17] = An3155.Xor(frame, 0, 17);
        });
        using var c = Stm32Connection.Open(link);
        var e = Assert.Throws<OptionByteVerifyException>(() => c.WriteOptionBytes(new OptionByteChange { NRstStop = false, Data0 = 7 }));
        Assert.Equal("NRstStop", e.Field);
        Assert.Equal("0", e.Expected);
        Assert.Equal("1", e.Actual);
        Assert.Contains("0x1FFFF800", e.Message);
        Assert.IsAssignableFrom<Stm32VerifyException>(e);
    }

    [Fact]
    public void L0_write_protection_covers_32_pages_a_sector()
    {
        using var sim = new SimBench(0x417);
        using var c = Stm32Connection.Open(sim.Host);
        var plan = c.PlanWriteProtection(0x08001000, 4); // page 32 = sector 1
        Assert.Equal(new[] { 1 }, plan.Sectors);
        Assert.Equal(31, plan.ExtraPages.Count);
        c.ApplyWriteProtection(plan);
        Assert.Equal(Enumerable.Range(32, 32), c.GetWriteProtectedPages());
        Assert.True(sim.Chip.IsPageWriteProtected(63));
        c.RemoveWriteProtection();
        Assert.False(sim.Chip.IsPageWriteProtected(63));
    }

    /// <summary>A link that passes everything through to another; the test links below change one thing.</summary>
    private abstract class WrappedLink : IByteLink
    {
        protected WrappedLink(IByteLink inner) => Inner = inner;

        protected IByteLink Inner { get; }
        public string Name => Inner.Name;
        public int BaudRate => Inner.BaudRate;
        public bool SupportsModemLines => Inner.SupportsModemLines;
        public virtual void Write(byte[] buffer, int offset, int count) => Inner.Write(buffer, offset, count);
        public virtual int Read(byte[] buffer, int offset, int count, TimeSpan timeout, CancellationToken ct) => Inner.Read(buffer, offset, count, timeout, ct);
        public void DiscardInput() => Inner.DiscardInput();
        public void SetModemLine(ModemLine line, bool asserted) => Inner.SetModemLine(line, asserted);
        public void Dispose() => Inner.Dispose();
    }

    /// <summary>Lets a test change frames on their way to the chip.</summary>
    private sealed class TamperingLink : WrappedLink
    {
        private readonly Action<byte[]> _tamper;

        public TamperingLink(IByteLink inner, Action<byte[]> tamper) : base(inner) => _tamper = tamper;

        public override void Write(byte[] buffer, int offset, int count)
        {
            var frame = new byte[count];
            Buffer.BlockCopy(buffer, offset, frame, 0, count);
            _tamper(frame);
            Inner.Write(frame, 0, count);
        }
    }

    /// <summary>Replaces the n-th byte (0-based) that comes back after a given frame is written.</summary>
    private sealed class ReplyRewritingLink : WrappedLink
    {
        private readonly byte[] _after;
        private readonly int _replyIndex;
        private readonly byte _replacement;
        private int _seen = -1;

        public ReplyRewritingLink(IByteLink inner, byte[] after, int replyIndex, byte replacement) : base(inner)
        {
            _after = after;
            _replyIndex = replyIndex;
            _replacement = replacement;
        }

        public override void Write(byte[] buffer, int offset, int count)
        {
            if (_seen < 0 && buffer.Skip(offset).Take(count).SequenceEqual(_after)) _seen = 0;
            Inner.Write(buffer, offset, count);
        }

        public override int Read(byte[] buffer, int offset, int count, TimeSpan timeout, CancellationToken ct)
        {
            var n = Inner.Read(buffer, offset, count, timeout, ct);
            for (int i = 0; i < n && _seen >= 0 && _seen <= _replyIndex; i++, _seen++)
                if (_seen == _replyIndex) buffer[offset + i] = _replacement;
            return n;
        }
    }

    /// <summary>Drops the first byte that comes back after a write of exactly <c>frameLength</c> bytes.</summary>
    private sealed class AckEatingLink : WrappedLink
    {
        private readonly int _frameLength;
        private bool _armed;

        public AckEatingLink(IByteLink inner, int frameLength) : base(inner) => _frameLength = frameLength;

        public int Eaten { get; private set; }

        public override void Write(byte[] buffer, int offset, int count)
        {
            if (count == _frameLength && Eaten == 0) _armed = true;
            Inner.Write(buffer, offset, count);
        }

        public override int Read(byte[] buffer, int offset, int count, TimeSpan timeout, CancellationToken ct)
        {
            if (_armed)
            {
                var one = new byte[1];
                if (Inner.Read(one, 0, 1, TimeSpan.FromSeconds(2), ct) == 1) Eaten++;
                _armed = false;
                return 0; // as if nothing came in time
            }
            return Inner.Read(buffer, offset, count, timeout, ct);
        }
    }

    [Theory]
    [InlineData(0x410)] // F1
    [InlineData(0x413)] // F4
    [InlineData(0x460)] // G0
    public void Level_2_is_refused_without_permission(int pid)
    {
        using var sim = new SimBench((ushort)pid);
        using var c = Stm32Connection.Open(sim.Host);
        if (pid == 0x410)
        {
            // F1 has no level 2: 0xCC is just level 1 there, so nothing to refuse.
            var plan = c.PlanOptionBytes(new OptionByteChange { RdpByte = 0xCC });
            Assert.False(plan.SetsLevel2);
            Assert.Equal(ReadProtectionLevel.Level1, plan.After.ReadProtection);
            var f1 = Assert.Throws<ArgumentException>(() => c.PlanOptionBytes(new OptionByteChange { ReadProtection = ReadProtectionLevel.Level2 }));
            Assert.Contains("no read protection level 2", f1.Message);
            return;
        }
        var e = Assert.Throws<ReadProtectionLevel2RefusedException>(() => c.WriteOptionBytes(new OptionByteChange { ReadProtection = ReadProtectionLevel.Level2 }));
        Assert.Contains("permanent", e.Message);
        Assert.Throws<ReadProtectionLevel2RefusedException>(() => c.PlanOptionBytes(new OptionByteChange { RdpByte = 0xCC }));
        Assert.Equal(0, sim.Chip.ResetCount);
        Assert.Equal(0, sim.Chip.ReadProtectionLevel);
        // A raw block with 0xCC is refused too.
        var raw = c.ReadOptionBytes().Raw;
        raw[c.ReadOptionBytes().Layout.RdpOffset] = 0xCC;
        c.ReadOptionBytes().Layout.FixComplements(raw, 0, raw.Length);
        Assert.Throws<ReadProtectionLevel2RefusedException>(() => c.WriteOptionBytes(new OptionByteChange { Raw = raw }));
    }

    [Fact]
    public void Level_2_with_permission_silences_the_bootloader()
    {
        using var sim = new SimBench(0x413, configure: o => { });
        using var c = Stm32Connection.Open(sim.Host);
        var result = c.WriteOptionBytes(new OptionByteChange { ReadProtection = ReadProtectionLevel.Level2 }, allowLevel2: true);
        Assert.True(result.ChipSilent);
        Assert.Null(result.After);
        Assert.Equal(ChipState.Halted, sim.Chip.State);
        Assert.Equal(2, sim.Chip.ReadProtectionLevel);
    }

    [Fact]
    public void Level_1_through_the_option_bytes_leaves_a_read_protected_chip()
    {
        using var sim = new SimBench(0x460);
        using var c = Stm32Connection.Open(sim.Host);
        var result = c.WriteOptionBytes(new OptionByteChange { ReadProtection = ReadProtectionLevel.Level1 });
        Assert.Null(result.After);
        Assert.True(c.IsReadProtected);
        Assert.Equal(1, sim.Chip.ReadProtectionLevel);
        Assert.Contains(result.Warnings, w => w.Contains("read-protected"));
    }

    [Theory]
    [InlineData(0x410)] // F1
    [InlineData(0x413)] // F4
    [InlineData(0x460)] // G0
    public void Readout_protect_then_unprotect_erases_and_the_session_is_usable(int pid)
    {
        using var sim = new SimBench((ushort)pid);
        using var c = Stm32Connection.Open(sim.Host);
        sim.Chip.Poke(FlashBase, new byte[] { 0x11, 0x22, 0x33, 0x44 });

        Assert.True(c.ApplyReadoutProtection());
        Assert.True(c.IsReadProtected);
        Assert.True(c.GetProtectionState().IsReadProtected);
        Assert.Equal(ReadProtectionLevel.Level1, c.GetProtectionState().ReadProtection);
        Assert.False(c.ApplyReadoutProtection()); // already

        // Any other operation explains the state and the way out.
        var e = Assert.Throws<Stm32ReadProtectedException>(() => c.Read(FlashBase, 4));
        Assert.Contains("Unprotect-Stm32Flash -ReadOut", e.Message);
        Assert.Contains("erases the whole flash", e.Message);
        var o = Assert.Throws<Stm32ReadProtectedException>(() => c.ReadOptionBytes());
        Assert.Contains("erases the whole flash", o.Message);
        Assert.Throws<Stm32ReadProtectedException>(() => c.ApplyWriteProtection(c.PlanWriteProtection(new[] { 0 })));

        var reports = new List<OperationProgress>();
        c.RemoveReadoutProtection(new SyncProgress(reports.Add));

        Assert.False(c.IsReadProtected);
        Assert.Equal(0, sim.Chip.ReadProtectionLevel);
        Assert.Equal(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF }, c.Read(FlashBase, 4));
        Assert.NotEmpty(reports);
        Assert.All(reports, r => Assert.Equal("Unprotecting", r.Activity));
        Assert.Equal(100, reports[^1].Percent);
        c.WriteBlock(FlashBase, new byte[] { 9, 8, 7, 6 }, 0, 4);
        Assert.Equal(new byte[] { 9, 8, 7, 6 }, c.Read(FlashBase, 4));
    }

    [Fact]
    public void Readout_unprotect_reports_progress_while_the_mass_erase_takes_its_time()
    {
        // Realistic timing: an F401's 256 KiB mass erase takes about 2 s; progress ticks meanwhile.
        using var sim = new SimBench(0x423, timing: SimulatorTiming.Realistic, baud: 1_000_000);
        using var c = Stm32Connection.Open(sim.Host);
        sim.Chip.SetReadProtection(1);
        c.Resynchronize();
        Assert.True(c.IsReadProtected);
        var reports = new List<OperationProgress>();
        var thread = Environment.CurrentManagedThreadId;
        var threads = new HashSet<int>();
        c.RemoveReadoutProtection(new SyncProgress(r =>
        {
            reports.Add(r);
            threads.Add(Environment.CurrentManagedThreadId);
        }));
        Assert.False(c.IsReadProtected);
        Assert.True(reports.Count > 3, $"only {reports.Count} progress reports");
        Assert.Equal(new[] { thread }, threads);
        Assert.Contains(reports, r => r.Detail!.Contains("of about 2 s"));
    }

    [Fact]
    public void Readout_unprotect_goes_through_the_client()
    {
        // Every byte on the wire is the client's: its counters and idle state stay true.
        using var sim = new SimBench(0x410);
        long written = 0;
        var link = new TamperingLink(sim.Host, frame => written += frame.Length);
        using var c = Stm32Connection.Open(link);
        sim.Chip.SetReadProtection(1);
        c.Resynchronize();
        c.RemoveReadoutProtection();
        Assert.Equal(0, sim.Chip.ReadProtectionLevel);
        Assert.Equal(written, c.Client.BytesSent);
        Assert.True(c.Client.IsIdle);
    }

    [Fact]
    public void Readout_unprotect_refused_says_the_protection_is_still_on()
    {
        using var sim = new SimBench(0x410);
        using var c = Stm32Connection.Open(sim.Host);
        c.EnsureProbed();
        sim.Options.Faults.NackCommandNumber = sim.Chip.CommandCount + 1;
        var e = Assert.Throws<Stm32NackException>(() => c.RemoveReadoutProtection());
        Assert.Equal("Readout Unprotect", e.Step);
        Assert.Equal("Readout Unprotect: the bootloader answered NACK; the protection is still on.", e.Message);
        Assert.Equal(new byte[] { 0x92, 0x6D }, e.Sent);
    }

    [Fact]
    public void Readout_unprotect_nacked_after_the_erase_says_the_erase_failed()
    {
        // The link turns the ACK after the mass erase into a NACK.
        using var sim = new SimBench(0x410);
        var link = new ReplyRewritingLink(sim.Host, new byte[] { 0x92, 0x6D }, replyIndex: 1, replacement: An3155.Nack);
        using var c = Stm32Connection.Open(link);
        c.EnsureProbed();
        var e = Assert.Throws<Stm32NackException>(() => c.RemoveReadoutProtection());
        Assert.Equal("Readout Unprotect (done)", e.Step);
        Assert.Equal("Readout Unprotect: the chip answered NACK after the erase: the mass erase failed and read protection is still on.", e.Message);
        Assert.Equal(An3155.Nack, e.Received[0]);
    }

    [Fact]
    public void An_option_write_leaves_the_connection_options_alone()
    {
        // The longer ACK wait of an option write is the call's own: a session's options (which
        // other code may read meanwhile) never change under it.
        using var sim = new SimBench(0x410);
        var options = new BootloaderOptions { WriteTimeout = TimeSpan.FromMilliseconds(700) };
        var seen = new List<TimeSpan>();
        var link = new TamperingLink(sim.Host, frame =>
        {
            if (frame.Length == 18) seen.Add(options.WriteTimeout);
        });
        using var c = Stm32Connection.Open(link, options);
        Assert.Same(options, c.Client.Options);
        c.WriteOptionBytes(new OptionByteChange { NRstStop = false });
        Assert.Equal(new[] { TimeSpan.FromMilliseconds(700) }, seen);
        Assert.Equal(TimeSpan.FromMilliseconds(700), options.WriteTimeout);
    }

    [Fact]
    public void Readout_unprotect_waits_long_enough_for_large_parts()
    {
        var f4 = Devices.DeviceCatalog.Find(0x419)!; // 2 MiB
        Assert.True(ProtectionOperations.ReadoutUnprotectTimeout(f4, 2 * 1024 * 1024) >= TimeSpan.FromSeconds(60));
        Assert.Equal(TimeSpan.FromSeconds(35), ProtectionOperations.ReadoutUnprotectTimeout(Devices.DeviceCatalog.Find(0x410)!, 128 * 1024));
    }

    [Fact]
    public void F1_write_protect_pages_names_the_extra_pages_and_a_write_there_fails_with_the_address()
    {
        using var sim = new SimBench(0x410);
        using var c = Stm32Connection.Open(sim.Host);
        var plan = c.PlanWriteProtection(new[] { 5 });
        Assert.Equal(new[] { 1 }, plan.Sectors);
        Assert.Equal(new[] { 4, 6, 7 }, plan.ExtraPages);
        Assert.Equal(new[] { 4, 6, 7 }, plan.ExtraPagesBySector[1]);
        Assert.Contains("Sector 1 also protects pages 4, 6-7", plan.Describe());

        var result = c.ApplyWriteProtection(plan);
        Assert.Equal(new[] { 4, 5, 6, 7 }, result.ProtectedAfter);
        Assert.True(sim.Chip.IsPageWriteProtected(5));
        Assert.Equal(new[] { 4, 5, 6, 7 }, c.GetProtectionState().WriteProtectedPages);

        // The chip would ACK the erase and the write and do neither: the write is refused before
        // anything is sent, naming the image's first address there and the protected page.
        var address = FlashBase + 5 * 1024 + 16;
        var image = FirmwareImage.FromBytes(address, new byte[] { 1, 2, 3, 4 });
        sim.Chip.ClearTrace();
        var failure = Assert.ThrowsAny<Stm32VerifyException>(() => FlashProgrammer.Write(c, image, new WriteOptions { Verify = true }));
        var explained = c.ExplainVerifyFailure(failure);
        var wp = Assert.IsType<Stm32WriteProtectedException>(explained);
        Assert.Equal(address, wp.Address);
        Assert.Equal(5, wp.Page);
        Assert.Contains("0x08001410", wp.Message);
        Assert.Contains("page 5", wp.Message);
        Assert.Contains("Unprotect-Stm32Flash -Write", wp.Message);
        var sent = sim.Chip.Trace.Where(t => t.Direction == TraceDirection.ToDevice).Select(t => t.Value).ToArray();
        foreach (var code in new[] { An3155.Erase, An3155.ExtendedErase, An3155.WriteMemory })
            Assert.DoesNotContain(Enumerable.Range(0, sent.Length - 1), i => sent[i] == code && sent[i + 1] == (byte)~code);

        // A second protection adds to the first (Write Protect alone would replace it).
        c.ApplyWriteProtection(c.PlanWriteProtection(new[] { 12 }));
        Assert.Equal(new[] { 4, 5, 6, 7, 12, 13, 14, 15 }, c.GetWriteProtectedPages());

        var before = c.RemoveWriteProtection();
        Assert.Equal(new[] { 4, 5, 6, 7, 12, 13, 14, 15 }, before);
        Assert.Empty(c.GetWriteProtectedPages()!);
        FlashProgrammer.Write(c, image, new WriteOptions { Verify = true });
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, c.Read(address, 4));
    }

    [Fact]
    public void F4_write_protects_sectors()
    {
        using var sim = new SimBench(0x413);
        using var c = Stm32Connection.Open(sim.Host);
        var plan = c.PlanWriteProtection(0x08004000, 0x8000); // sectors 1 and 2
        Assert.Equal(new[] { 1, 2 }, plan.Sectors);
        Assert.Empty(plan.ExtraPages);
        Assert.Equal("sector", plan.UnitName);
        c.ApplyWriteProtection(plan);
        Assert.True(sim.Chip.IsPageWriteProtected(2));
        Assert.Equal(new[] { 1, 2 }, c.ReadOptionBytes().WriteProtectedPages);
        c.RemoveWriteProtection();
        Assert.False(sim.Chip.IsPageWriteProtected(2));
    }

    [Fact]
    public void G0_write_protects_pages_in_two_areas_and_says_what_comes_along()
    {
        using var sim = new SimBench(0x460);
        using var c = Stm32Connection.Open(sim.Host);
        var plan = c.PlanWriteProtection(new[] { 2, 3, 10, 20 });
        // Two WRP areas: 2-3 and 10-20, so pages 11-19 come along.
        Assert.Equal(Enumerable.Range(11, 9), plan.ExtraPages);
        c.ApplyWriteProtection(plan, keepExisting: false);
        Assert.True(sim.Chip.IsPageWriteProtected(15));
        Assert.Equal(new[] { 2, 3 }.Concat(Enumerable.Range(10, 11)), c.GetWriteProtectedPages());
        c.RemoveWriteProtection();
        Assert.Empty(c.GetWriteProtectedPages()!);
    }

    [Fact]
    public void F1_high_density_last_bit_covers_the_rest_of_the_flash()
    {
        using var sim = new SimBench(0x414);
        using var c = Stm32Connection.Open(sim.Host);
        var plan = c.PlanWriteProtection(new[] { 100 });
        Assert.Equal(new[] { 31 }, plan.Sectors);
        Assert.Equal(Enumerable.Range(62, 256 - 62).Where(p => p != 100), plan.ExtraPages);
        c.ApplyWriteProtection(plan);
        Assert.True(sim.Chip.IsPageWriteProtected(255));
        Assert.False(sim.Chip.IsPageWriteProtected(61));
    }

    [Fact]
    public void Plans_refuse_pages_that_do_not_exist()
    {
        using var sim = new SimBench(0x410);
        using var c = Stm32Connection.Open(sim.Host);
        Assert.Throws<ArgumentOutOfRangeException>(() => c.PlanWriteProtection(new[] { 128 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => c.PlanWriteProtectionOfSectors(new[] { 32 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => c.PlanWriteProtection(0x08020000, 4));
        Assert.Equal(Enumerable.Range(8, 4), c.PlanWriteProtectionOfSectors(new[] { 2 }).ProtectedPages);
    }

    [Fact]
    public void L4_write_protection_is_not_readable_so_it_is_not_checked()
    {
        using var sim = new SimBench(0x435);
        using var c = Stm32Connection.Open(sim.Host);
        Assert.Null(c.GetWriteProtectedPages());
        var result = c.ApplyWriteProtection(c.PlanWriteProtection(new[] { 3 }));
        Assert.Null(result.ProtectedAfter);
        Assert.Contains(result.Warnings, w => w.Contains("replaces"));
        Assert.True(sim.Chip.IsPageWriteProtected(3));
    }

    [Fact]
    public void H7_option_bytes_are_not_possible_through_this_bootloader()
    {
        using var sim = new SimBench(0x450);
        using var c = Stm32Connection.Open(sim.Host);
        var e = Assert.Throws<OptionBytesNotSupportedException>(() => c.ReadOptionBytes());
        Assert.Contains("not possible through this bootloader", e.Message);
        Assert.Throws<OptionBytesNotSupportedException>(() => c.WriteOptionBytes(new OptionByteChange { NRstStop = false }));
        var state = c.GetProtectionState();
        Assert.Null(state.OptionBytes);
        Assert.Contains("not possible", state.OptionsUnreadableReason);
        Assert.Null(c.GetWriteProtectedPages());
    }
}
