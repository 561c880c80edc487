using Stm32.Protocol.Bootloader;

namespace Stm32.Protocol.Tests.Bootloader;

/// <summary>Synchronisation per spec 2, 2.1 and 15a.1.</summary>
public class SyncTests
{
    private const byte A = 0x79, N = 0x1F;

    private static byte[] B(params byte[] b) => b;

    [Fact]
    public void A_fresh_chip_answers_ACK()
    {
        using var dev = new ScriptedDevice().Expect(B(0x7F), A).Start();
        Assert.Equal(SyncOutcome.Fresh, new BootloaderClient(dev.Host).Synchronize());
        dev.Verify();
    }

    [Fact]
    public void A_leading_zero_before_the_ACK_is_tolerated()
    {
        using var dev = new ScriptedDevice().Expect(B(0x7F), 0x00, A).Start();
        Assert.Equal(SyncOutcome.Fresh, new BootloaderClient(dev.Host).Synchronize());
        dev.Verify();
    }

    [Fact]
    public void A_NACK_means_already_synchronised()
    {
        using var dev = new ScriptedDevice().Expect(B(0x7F), N).Start();
        Assert.Equal(SyncOutcome.AlreadySynchronized, new BootloaderClient(dev.Host).Synchronize());
        dev.Verify();
    }

    [Fact]
    public void A_synchronised_chip_holding_our_0x7F_gets_a_second_one_and_NACKs()
    {
        // The chip takes 0x7F as the first byte of a pair and waits; 7F 7F fails the complement check.
        using var dev = new ScriptedDevice().Expect(B(0x7F)).Expect(B(0x7F), N).Start();
        var client = new BootloaderClient(dev.Host);
        Assert.Equal(SyncOutcome.AlreadySynchronized, client.Synchronize());
        dev.Verify();
    }

    [Fact]
    public void No_answer_at_all_is_a_no_response_error_naming_the_sync_byte()
    {
        using var dev = new ScriptedDevice().Start();
        var client = new BootloaderClient(dev.Host, new BootloaderOptions { ReplyTimeout = TimeSpan.FromMilliseconds(100), SyncProbeTimeout = TimeSpan.FromMilliseconds(20) });
        var e = Assert.Throws<Stm32NoResponseException>(() => client.Synchronize());
        Assert.Equal("sync", e.Step);
        Assert.Equal(B(0x7F), e.Sent);
        Assert.Empty(e.Received);
    }
}
