using Stm32.Protocol.Firmware;
using Stm32.Protocol.Flasher;
using Stm32.Protocol.Simulation;
using Stm32.Protocol.Tests.Emulation;

namespace Stm32.Protocol.Tests.Flasher;

/// <summary>
/// Line faults (the simulated chip's knobs on the emulated USART, and a faulty host link): the
/// run ends in a verified image, or in a FlasherException the caller falls back on; never in a
/// success with wrong bytes.
/// </summary>
public class FlasherFaultTests
{
    private static void AssertVerifiedOrFallback(FlasherRig rig, byte[] data, uint at, Func<FlasherResult> run, bool mustSucceed)
    {
        FlasherResult result;
        try
        {
            result = run();
        }
        catch (FlasherException) when (!mustSucceed)
        {
            return; // a clear error: the caller falls back to the ROM path
        }
        catch (FlasherException e)
        {
            rig.Core.Stop();
            throw new Xunit.Sdk.XunitException($"{e.Message} (core: {rig.Core.Exit?.ToString() ?? "running"}, usart in {rig.Core.UsartBytesReceived} out {rig.Core.UsartBytesSent}) ram {Convert.ToHexString(rig.Memory.RamData, (int)(FlasherImage.StackTop(rig.Device) - 0x20000000 - 1024), 1024)}");
        }
        Assert.True(result.Verified);
        Assert.Equal(data, rig.Flash(at, data.Length));
    }

    [EmulatorTheory]
    [InlineData("0x410", 1)]
    [InlineData("0x410", 2)]
    [InlineData("0x460", 3)]
    [InlineData("0x423", 4)]
    public void Dropped_and_flipped_bytes_each_way_are_retransmitted(string pid, int seed)
    {
        // About one fault every few thousand bytes each way: recovery must succeed.
        var faults = new SimulatorFaults
        {
            Seed = seed,
            DropRateToDevice = 0.0002,
            CorruptRateToDevice = 0.0002,
            DropRateToHost = 0.002,
            CorruptRateToHost = 0.002,
        };
        using var rig = new FlasherRig(pid, faults: faults);
        var data = FlasherProgrammingTests.Random(12 * 1024, seed);
        uint at = rig.Device.Flash.Start;
        Array.Copy(FlasherProgrammingTests.Random(8192, seed + 50), rig.Memory.FlashData, 8192); // pages to erase
        var req = new FlasherRunRequest(rig.Device, new[] { new ImageSegment(at, data) });
        req.Session.Margin = TimeSpan.FromMilliseconds(60);
        req.Session.MaxRetries = 20;
        // Instant flash in the emulation: do not wait for F1/F4 program times before resending.
        req.Session.ProgramTime = _ => TimeSpan.Zero;
        req.Session.EraseTime = _ => TimeSpan.Zero;
        FlasherResult? result = null;
        AssertVerifiedOrFallback(rig, data, at, () => result = FlasherProgrammingTests.Program(rig, req.Segments, req), mustSucceed: true);
        Assert.True(result!.Retransmits > 0, "no fault hit a frame; the test proves nothing");
    }

    [EmulatorTheory]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    public void Heavy_noise_never_ends_in_a_wrong_success(int seed)
    {
        var faults = new SimulatorFaults { Seed = seed, CorruptRateToDevice = 0.01, DropRateToHost = 0.01, CorruptRateToHost = 0.01 };
        using var rig = new FlasherRig("0x460", faults: faults);
        var data = FlasherProgrammingTests.Random(8 * 1024, seed);
        uint at = rig.Device.Flash.Start;
        var req = new FlasherRunRequest(rig.Device, new[] { new ImageSegment(at, data) });
        req.Session.Margin = TimeSpan.FromMilliseconds(40);
        req.Session.MaxRetries = 6;
        AssertVerifiedOrFallback(rig, data, at, () => FlasherProgrammingTests.Program(rig, req.Segments, req), mustSucceed: false);
    }

    [EmulatorTheory]
    [InlineData("garbage")]
    [InlineData("lost frame")]
    [InlineData("silence")]
    public void Garbage_a_lost_frame_or_silence_is_recovered(string kind)
    {
        using var rig = new FlasherRig("0x410");
        var link = new FaultyLink(rig.Pair.Host);
        switch (kind)
        {
            case "garbage": link.GarbageBeforeWrite = 6; link.GarbageLength = 300; break;
            case "lost frame": link.LoseWrite = 7; break;
            default: link.SilenceAfterWrite = 8; break;
        }
        var data = FlasherProgrammingTests.Random(12 * 1024, 3);
        uint at = rig.Device.Flash.Start + 0x400;
        rig.StartFlasher();
        var req = new FlasherRunRequest(rig.Device, new[] { new ImageSegment(at, data) });
        req.Session.Margin = TimeSpan.FromMilliseconds(60);
        var result = FlasherRun.Run(link, req);

        Assert.Equal(1, link.Injected);
        Assert.True(result.Verified);
        if (kind != "garbage") Assert.True(result.Retransmits > 0); // garbage between frames needs no resend
        Assert.Equal(data, rig.Flash(at, data.Length));
    }

    [EmulatorFact]
    public void A_chip_that_stops_answering_ends_in_a_clear_error()
    {
        using var rig = new FlasherRig("0x410");
        var link = new FaultyLink(rig.Pair.Host) { SilenceAfterWrite = 4, Silence = TimeSpan.FromMinutes(5) };
        rig.StartFlasher();
        var req = new FlasherRunRequest(rig.Device, new[] { new ImageSegment(rig.Device.Flash.Start, FlasherProgrammingTests.Random(8192, 1)) });
        req.Session.Margin = TimeSpan.FromMilliseconds(30);
        req.Session.MaxRetries = 2;

        var e = Assert.ThrowsAny<FlasherException>(() => FlasherRun.Run(link, req));
        Assert.Contains("did not answer", e.Message);
    }
}
