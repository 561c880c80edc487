using Stm32.Protocol.Flasher;
using Stm32.Protocol.Tests.Emulation;

namespace Stm32.Protocol.Tests.Flasher;

public class FlasherSmokeTests
{
    [EmulatorFact]
    public void F1_flasher_says_hello()
    {
        using var rig = new FlasherRig("0x410");
        rig.StartFlasher();
        var s = rig.Session();
        var hello = s.Connect();
        Assert.Equal(FlasherVariant.F1, hello.Variant);
        Assert.Equal(24_000_000u, hello.UsartClock);
        Assert.False(rig.Core.Exit != null, rig.Core.Exit?.ToString());
    }
}
