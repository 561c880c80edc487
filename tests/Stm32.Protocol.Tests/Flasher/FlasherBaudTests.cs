using Stm32.Protocol.Firmware;
using Stm32.Protocol.Flasher;
using Stm32.Protocol.Tests.Emulation;

namespace Stm32.Protocol.Tests.Flasher;

public class FlasherBaudTests
{
    private static FlasherRunRequest Request(FlasherRig rig, byte[] data, params int[] rates) => new(rig.Device, new[] { new ImageSegment(rig.Device.Flash.Start, data) })
    {
        BaudRates = rates,
        BaudSwitch = rig.Port,
    };

    [EmulatorTheory]
    [InlineData("0x410", 1000000)]  // F1, 24 MHz USART clock: 1 Mbaud is BRR 24, 2 Mbaud would be 12 (< 16)
    [InlineData("0x448", 1000000)]  // F0
    [InlineData("0x413", 3000000)]  // F4, 60 MHz APB2: 3 Mbaud is BRR 20
    [InlineData("0x460", 1000000)]  // G0
    public void Both_ends_switch_to_the_highest_reachable_rate(string pid, int expected)
    {
        using var rig = new FlasherRig(pid, baud: 115200);
        var data = FlasherProgrammingTests.Random(4096, 1);
        var result = FlasherProgrammingTests.Program(rig, null!, Request(rig, data, 4000000, 3000000, 2000000, 1000000, 921600, 460800));

        Assert.Equal(expected, result.BaudRate);
        Assert.True(result.Baud!.Changed);
        Assert.InRange(rig.Core.UsartRate, expected * 0.98, expected * 1.02);
        Assert.Equal(data, rig.Flash(rig.Device.Flash.Start, data.Length));
        Assert.Contains(result.Baud.Attempts, a => a.StartsWith("4000000: not reachable", StringComparison.Ordinal));
    }

    [EmulatorFact]
    public void A_rate_the_adapter_refuses_falls_back_and_the_next_is_tried()
    {
        using var rig = new FlasherRig("0x410", baud: 115200);
        rig.Port.Refused.Add(921600);
        var data = FlasherProgrammingTests.Random(2048, 2);
        var result = FlasherProgrammingTests.Program(rig, null!, Request(rig, data, 921600, 460800));

        Assert.Equal(460800, result.BaudRate);
        Assert.Contains(result.Baud!.Attempts, a => a.Contains("refused the rate"));
        Assert.Equal(data, rig.Flash(rig.Device.Flash.Start, data.Length));
    }

    [EmulatorFact]
    public void An_adapter_that_silently_runs_another_rate_ends_back_at_the_old_rate()
    {
        using var rig = new FlasherRig("0x410", baud: 115200);
        rig.Port.Lies[921600] = 500000; // accepted, but the wire runs at another rate: nothing gets through
        var data = FlasherProgrammingTests.Random(2048, 3);
        var result = FlasherProgrammingTests.Program(rig, null!, Request(rig, data, 921600));

        Assert.Equal(115200, result.BaudRate);
        Assert.False(result.Baud!.Changed);
        Assert.Contains(result.Baud.Attempts, a => a.Contains("no answer at the new rate"));
        Assert.InRange(rig.Core.UsartRate, 115200 * 0.98, 115200 * 1.02);
        Assert.Equal(data, rig.Flash(rig.Device.Flash.Start, data.Length));
    }

    [EmulatorFact]
    public void The_flasher_refuses_a_rate_its_clock_cannot_make()
    {
        using var rig = new FlasherRig("0x410", baud: 115200);
        rig.StartFlasher();
        var s = rig.Session();
        s.Connect();
        var p = new byte[8];
        BitConverter.GetBytes(3_000_000u).CopyTo(p, 0);
        p[4] = 100;
        var (status, nearest) = s.SendRaw(0x03, p, TimeSpan.Zero);

        Assert.Equal(FlasherStatus.BadRate, status);
        Assert.Equal(1_500_000u, nearest); // 24 MHz / BRR 16
        Assert.InRange(rig.Core.UsartRate, 115200 * 0.98, 115200 * 1.02);
    }
}
