using Stm32.Protocol.Bootloader;

namespace Stm32.Protocol.Tests.Bootloader;

/// <summary>The exact bytes of each command frame, against the diagrams of spec section 4.</summary>
public class ClientFrameTests
{
    private const byte A = 0x79, N = 0x1F;

    private static byte[] B(params byte[] b) => b;

    [Fact]
    public void Get_parses_version_and_command_list()
    {
        using var dev = new ScriptedDevice()
            .Expect(B(0x00, 0xFF), A, 11, 0x31, 0x00, 0x01, 0x02, 0x11, 0x21, 0x31, 0x44, 0x63, 0x73, 0x82, 0x92, A).Start();
        var get = new BootloaderClient(dev.Host).Get();
        dev.Verify();
        Assert.Equal(0x31, get.Version);
        Assert.Equal(new byte[] { 0x00, 0x01, 0x02, 0x11, 0x21, 0x31, 0x44, 0x63, 0x73, 0x82, 0x92 }, get.Commands);
    }

    [Fact]
    public void Get_skips_the_L412_extra_ack()
    {
        using var dev = new ScriptedDevice()
            .Expect(B(0x00, 0xFF), A, A, 2, 0x31, 0x00, 0x01, A).Start();
        var get = new BootloaderClient(dev.Host).Get();
        dev.Verify();
        Assert.Equal(0x31, get.Version);
        Assert.Equal(new byte[] { 0x00, 0x01 }, get.Commands);
    }

    [Fact]
    public void GetVersion_and_GetId()
    {
        using var dev = new ScriptedDevice()
            .Expect(B(0x01, 0xFE), A, 0x22, 0x00, 0x00, A)
            .Expect(B(0x02, 0xFD), A, 0x01, 0x04, 0x10, A).Start();
        var client = new BootloaderClient(dev.Host);
        Assert.Equal(0x22, client.GetVersion().Version);
        Assert.Equal(0x410, client.GetId());
        dev.Verify();
    }

    [Fact]
    public void ReadMemory_256_bytes_at_flash_start_matches_spec_4_4()
    {
        var data = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        using var dev = new ScriptedDevice()
            .Expect(B(0x11, 0xEE), A)
            .Expect(B(0x08, 0x00, 0x00, 0x00, 0x08), A)
            .Expect(B(0xFF, 0x00), new[] { A }.Concat(data).ToArray()).Start();
        var got = new BootloaderClient(dev.Host).ReadMemory(0x08000000, 256);
        dev.Verify();
        Assert.Equal(data, got);
    }

    [Fact]
    public void WriteMemory_4_bytes_matches_spec_4_6()
    {
        using var dev = new ScriptedDevice()
            .Expect(B(0x31, 0xCE), A)
            .Expect(B(0x08, 0x00, 0x00, 0x00, 0x08), A)
            .Expect(B(0x03, 0xDE, 0xAD, 0xBE, 0xEF, 0x21), A).Start();
        new BootloaderClient(dev.Host).WriteMemory(0x08000000, B(0xDE, 0xAD, 0xBE, 0xEF));
        dev.Verify();
    }

    [Fact]
    public void WriteMemory_pads_the_tail_with_FF_to_a_multiple_of_4()
    {
        // Spec 4.6: 3 bytes 01 02 03 -> 03 01 02 03 FF FC
        using var dev = new ScriptedDevice()
            .Expect(B(0x31, 0xCE), A)
            .Expect(B(0x08, 0x00, 0x01, 0x00, 0x09), A)
            .Expect(B(0x03, 0x01, 0x02, 0x03, 0xFF, 0xFC), A).Start();
        new BootloaderClient(dev.Host).WriteMemory(0x08000100, B(1, 2, 3));
        dev.Verify();
    }

    [Fact]
    public void LegacyErase_pages_0_to_3_matches_spec_4_7()
    {
        using var dev = new ScriptedDevice()
            .Expect(B(0x43, 0xBC), A)
            .Expect(B(0x03, 0x00, 0x01, 0x02, 0x03, 0x03), A).Start();
        new BootloaderClient(dev.Host).LegacyErase(new[] { 0, 1, 2, 3 });
        dev.Verify();
    }

    [Fact]
    public void LegacyMassErase_sends_FF_00()
    {
        using var dev = new ScriptedDevice().Expect(B(0x43, 0xBC), A).Expect(B(0xFF, 0x00), A).Start();
        new BootloaderClient(dev.Host).LegacyMassErase();
        dev.Verify();
    }

    [Fact]
    public void ExtendedErase_frames_match_spec_4_8()
    {
        using var dev = new ScriptedDevice()
            .Expect(B(0x44, 0xBB), A).Expect(B(0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00), A)
            .Expect(B(0x44, 0xBB), A).Expect(B(0x00, 0x02, 0x01, 0x00, 0x01, 0x01, 0x01, 0x02, 0x00), A)
            .Expect(B(0x44, 0xBB), A).Expect(B(0xFF, 0xFF, 0x00), A)
            .Expect(B(0x44, 0xBB), A).Expect(B(0xFF, 0xFE, 0x01), A)
            .Expect(B(0x44, 0xBB), A).Expect(B(0xFF, 0xFD, 0x02), A).Start();
        var c = new BootloaderClient(dev.Host);
        c.ExtendedErase(new[] { 0, 1 });
        c.ExtendedErase(new[] { 256, 257, 258 });
        c.ExtendedEraseSpecial(An3155.MassEraseCode);
        c.ExtendedEraseSpecial(An3155.Bank1EraseCode);
        c.ExtendedEraseSpecial(An3155.Bank2EraseCode);
        dev.Verify();
    }

    [Fact]
    public void Go_sends_the_address_frame()
    {
        using var dev = new ScriptedDevice().Expect(B(0x21, 0xDE), A).Expect(B(0x08, 0x00, 0x00, 0x00, 0x08), A).Start();
        new BootloaderClient(dev.Host).Go(0x08000000);
        dev.Verify();
    }

    [Fact]
    public void Protection_commands_frames_match_spec_4_9_to_4_12()
    {
        using var dev = new ScriptedDevice()
            .Expect(B(0x63, 0x9C), A).Expect(B(0x01, 0x00, 0x01, 0x00), A)
            .Expect(B(0x73, 0x8C), A, A)
            .Expect(B(0x82, 0x7D), A, A)
            .Expect(B(0x92, 0x6D), A, A).Start();
        var c = new BootloaderClient(dev.Host);
        c.WriteProtect(new[] { 0, 1 });
        c.WriteUnprotect();
        c.ReadoutProtect();
        c.ReadoutUnprotect();
        dev.Verify();
    }

    [Fact]
    public void GetChecksum_follows_the_r18_flow()
    {
        using var dev = new ScriptedDevice()
            .Expect(B(0xA1, 0x5E), A)
            .Expect(B(0x08, 0x00, 0x00, 0x00, 0x08), A)
            .Expect(B(0x00, 0x00, 0x00, 0x40, 0x40), A)          // 256 bytes = 64 words
            .Expect(B(0x04, 0xC1, 0x1D, 0xB7, 0x6F), A)          // polynomial (spec 4.13)
            .Expect(B(0xFF, 0xFF, 0xFF, 0xFF, 0x00), A, A, 0xDF, 0x8A, 0x8A, 0x2B, 0xDF ^ 0x8A ^ 0x8A ^ 0x2B).Start();
        var crc = new BootloaderClient(dev.Host).GetChecksum(0x08000000, 256);
        dev.Verify();
        Assert.Equal(0xDF8A8A2Bu, crc);
    }

    [Fact]
    public void A_nack_names_the_step_the_bytes_and_the_address()
    {
        using var dev = new ScriptedDevice()
            .Expect(B(0x11, 0xEE), A)
            .Expect(B(0x1F, 0xFF, 0x00, 0x00, 0xE0), N).Start();
        var e = Assert.Throws<Stm32NackException>(() => new BootloaderClient(dev.Host).ReadMemory(0x1FFF0000, 4));
        Assert.Equal("Read Memory address", e.Step);
        Assert.Equal(0x1FFF0000u, e.Address);
        Assert.Equal(B(0x1F, 0xFF, 0x00, 0x00, 0xE0), e.Sent);
        Assert.Equal(B(N), e.Received);
        Assert.Contains("0x1FFF0000", e.Message);
    }

    [Fact]
    public void An_unexpected_byte_is_a_protocol_error_with_what_came_back()
    {
        using var dev = new ScriptedDevice().Expect(B(0x01, 0xFE), 0x00).Start();
        var e = Assert.Throws<Stm32ProtocolException>(() => new BootloaderClient(dev.Host).GetVersion());
        Assert.Equal(B(0x00), e.Received);
        Assert.Contains("0x00", e.Message);
    }

    [Fact]
    public void Silence_is_a_timeout_that_says_what_was_sent()
    {
        using var dev = new ScriptedDevice().Expect(B(0x02, 0xFD)).Start();
        var client = new BootloaderClient(dev.Host, new BootloaderOptions { ReplyTimeout = TimeSpan.FromMilliseconds(100) });
        var e = Assert.Throws<Stm32TimeoutException>(() => client.GetId());
        Assert.Equal(B(0x02, 0xFD), e.Sent);
        Assert.Empty(e.Received);
    }

    [Fact]
    public void Cancellation_stops_a_long_wait_quickly()
    {
        using var dev = new ScriptedDevice().Expect(B(0x44, 0xBB), A).Expect(B(0xFF, 0xFF, 0x00)).Start();
        var client = new BootloaderClient(dev.Host);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var sw = System.Diagnostics.Stopwatch.StartNew();
        Assert.ThrowsAny<OperationCanceledException>(() => client.ExtendedEraseSpecial(An3155.MassEraseCode, cts.Token));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), "a 60 s mass-erase wait must end on cancellation");
        dev.Verify();   // the frames went out as the spec says, so it was the mass-erase wait that was cancelled
    }

    [Fact]
    public void ReadoutUnprotect_waits_the_timeout_it_is_given_and_ticks_on_the_calling_thread()
    {
        // The chip accepts 0x92 and then says nothing: the wait is the call's 0.6 s, not the
        // options' 60 s mass-erase timeout, and the tick hears it from the start.
        using var dev = new ScriptedDevice().Expect(B(0x92, 0x6D), A).Start();
        var client = new BootloaderClient(dev.Host);
        var ticks = new List<TimeSpan>();
        var threads = new HashSet<int>();
        var e = Assert.Throws<Stm32TimeoutException>(() => client.ReadoutUnprotect(TimeSpan.FromMilliseconds(600), t =>
        {
            ticks.Add(t);
            threads.Add(Environment.CurrentManagedThreadId);
        }));
        dev.Verify();
        Assert.Equal("Readout Unprotect (done)", e.Step);
        Assert.Contains("no answer within 0.6 s", e.Message);
        Assert.Equal(TimeSpan.FromSeconds(60), client.Options.MassEraseTimeout);
        // The start, then one tick per empty 250 ms slice: 600 ms take at least three.
        Assert.Equal(TimeSpan.Zero, ticks[0]);
        Assert.True(ticks.Count >= 4, $"{ticks.Count} ticks");
        Assert.Equal(ticks.OrderBy(t => t), ticks);
        Assert.Equal(new[] { Environment.CurrentManagedThreadId }, threads);
        Assert.False(client.IsIdle);
    }

    [Fact]
    public void ReadoutUnprotect_with_a_tick_ends_idle_with_its_bytes_counted()
    {
        using var dev = new ScriptedDevice().Expect(B(0x92, 0x6D), A, A).Start();
        var client = new BootloaderClient(dev.Host);
        var ticks = new List<TimeSpan>();
        client.ReadoutUnprotect(null, ticks.Add);
        dev.Verify();
        Assert.Equal(TimeSpan.Zero, ticks[0]);
        Assert.True(client.IsIdle);
        Assert.Equal(2, client.BytesSent);
        Assert.Equal(2, client.BytesReceived);
    }

    [Fact]
    public void A_mass_erase_ticks_while_it_waits_for_the_final_ACK()
    {
        // The chip takes the erase and never answers: the wait ticks on this thread until it times out.
        using var dev = new ScriptedDevice().Expect(B(0x43, 0xBC), A).Expect(B(0xFF, 0x00)).Start();
        var client = new BootloaderClient(dev.Host, new BootloaderOptions { MassEraseTimeout = TimeSpan.FromMilliseconds(600) });
        var ticks = new List<TimeSpan>();
        var e = Assert.Throws<Stm32TimeoutException>(() => client.LegacyMassErase(ticks.Add, default));
        dev.Verify();
        Assert.Equal("Erase (global)", e.Step);
        Assert.Equal(TimeSpan.Zero, ticks[0]);
        Assert.True(ticks.Count >= 4, $"{ticks.Count} ticks");
        Assert.Equal(ticks.OrderBy(t => t), ticks);
    }

    [Fact]
    public void An_extended_mass_erase_ticks_too_and_ends_idle()
    {
        using var dev = new ScriptedDevice().Expect(B(0x44, 0xBB), A).Expect(B(0xFF, 0xFF, 0x00), A).Start();
        var client = new BootloaderClient(dev.Host);
        var ticks = new List<TimeSpan>();
        client.ExtendedEraseSpecial(An3155.MassEraseCode, ticks.Add, default);
        dev.Verify();
        Assert.Equal(TimeSpan.Zero, ticks[0]);
        Assert.True(client.IsIdle);
    }

    [Fact]
    public void Cancellation_ends_a_ticking_wait_at_once()
    {
        using var dev = new ScriptedDevice().Expect(B(0x92, 0x6D), A).Start();
        var client = new BootloaderClient(dev.Host);
        using var cts = new CancellationTokenSource();
        int ticks = 0;
        Assert.ThrowsAny<OperationCanceledException>(() => client.ReadoutUnprotect(TimeSpan.FromSeconds(60), _ =>
        {
            if (++ticks == 2) cts.Cancel();
        }, cts.Token));
        // No slice after the cancellation: the wait ended with the tick that cancelled it.
        Assert.Equal(2, ticks);
        dev.Verify();
    }

    [Fact]
    public void WriteMemory_waits_the_ack_timeout_it_is_given_and_leaves_the_options_alone()
    {
        using var dev = new ScriptedDevice()
            .Expect(B(0x31, 0xCE), A)
            .Expect(B(0x08, 0x00, 0x00, 0x00, 0x08), A)
            .Expect(B(0x03, 0xDE, 0xAD, 0xBE, 0xEF, 0x21)).Start();
        var options = new BootloaderOptions { WriteTimeout = TimeSpan.FromSeconds(30) };
        var client = new BootloaderClient(dev.Host, options);
        var e = Assert.Throws<Stm32TimeoutException>(() => client.WriteMemory(0x08000000, B(0xDE, 0xAD, 0xBE, 0xEF), 0, 4, TimeSpan.FromMilliseconds(300)));
        dev.Verify();
        Assert.Equal("Write Memory data", e.Step);
        Assert.Contains("no answer within 0.3 s", e.Message);
        Assert.Equal(TimeSpan.FromSeconds(30), options.WriteTimeout);
    }
}
