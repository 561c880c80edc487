using Stm32.Protocol.Bootloader;
using Stm32.Protocol.Programming;
using Xunit;

namespace Stm32.Protocol.Tests.Bootloader;

/// <summary>Scripted edge cases of resuming a session and of re-identifying after a reset (review of issue 7's changes).</summary>
public class ResumeAndIdentityTests
{
    private const byte A = 0x79, N = 0x1F;
    private static byte[] B(params byte[] b) => b;

    private static readonly byte[] Get22 = { A, 0x0B, 0x22, 0x00, 0x01, 0x02, 0x11, 0x21, 0x31, 0x43, 0x63, 0x73, 0x82, 0x92, A };
    private static readonly byte[] Version22 = { A, 0x22, 0x00, 0x00, A };
    private static byte[] Id(ushort pid) => new byte[] { A, 0x01, (byte)(pid >> 8), (byte)pid, A };

    [Fact]
    public void Resuming_a_chip_reset_since_with_a_second_sync_ACK_leaves_nothing_pending()
    {
        // 7F 7F to a fresh L412-style chip: ACK for autobaud, its extra ACK, then the second 0x7F is
        // half a pair; the third completes it (NACK). A fourth 0x7F would be left pending and the
        // Get ID below would start with it.
        using var dev = new ScriptedDevice()
            .Expect(B(0x7F, 0x7F), A, A)
            .Expect(B(0x7F), N)
            .Expect(B(0x02, 0xFD), Id(0x464))
            .Start();
        var client = new BootloaderClient(dev.Host);
        Assert.Equal(SyncOutcome.Fresh, client.Synchronize(true, default));
        Assert.Equal(0x464, client.GetId());
        dev.Verify();
    }

    [Fact]
    public void One_garbled_Get_ID_after_a_reset_is_asked_again_not_taken_for_another_device()
    {
        var options = new BootloaderOptions { ResetSettleTime = System.TimeSpan.Zero, SyncProbeTimeout = System.TimeSpan.FromMilliseconds(20) };
        using var dev = new ScriptedDevice()
            // Connect.
            .Expect(B(0x7F), A).Expect(B(0x00, 0xFF), Get22).Expect(B(0x01, 0xFE), Version22).Expect(B(0x02, 0xFD), Id(0x410))
            // Readout Protect: two ACKs, then the chip resets.
            .Expect(B(0x82, 0x7D), A, A)
            // Re-identify: the Get ID answer arrives with one bit flipped (0x410 -> 0x412).
            .Expect(B(0x7F), A).Expect(B(0x00, 0xFF), Get22).Expect(B(0x01, 0xFE), Version22).Expect(B(0x02, 0xFD), Id(0x412))
            // Asked again: 0x410. The two disagree, so the chip is identified once more.
            .Expect(B(0x02, 0xFD), Id(0x410))
            .Expect(B(0x7F)).Expect(B(0x7F), N)
            .Expect(B(0x00, 0xFF), Get22).Expect(B(0x01, 0xFE), Version22).Expect(B(0x02, 0xFD), Id(0x410))
            // Probe: Get ID, then the flash-size register, refused (the chip is read-protected now) ...
            .Expect(B(0x02, 0xFD), Id(0x410))
            .Expect(B(0x11, 0xEE), N)
            // ... and three reads of flash refused: RDP level 1.
            .Expect(B(0x11, 0xEE), N).Expect(B(0x11, 0xEE), N).Expect(B(0x11, 0xEE), N)
            .Start();
        using var c = Stm32Connection.Open(dev.Host, options);
        c.ReadoutProtect();
        Assert.Equal(0x410, c.ProductId);
        Assert.True(c.IsReadProtected);
        dev.Verify();
    }
}
