using Stm32.Protocol.Devices;
using Stm32.Protocol.Emulation;
using Stm32.Protocol.Transport;

namespace Stm32.Protocol.Tests.Emulation;

public class EmulatedCoreTests
{
    // A blinky for an F103, hand-assembled Thumb: toggle PC13 in GPIOC_ODR five times, then
    // request a system reset through AIRCR.
    private static readonly ushort[] Blinky =
    {
        0x4806,         // 08: ldr  r0, =GPIOC_ODR
        0x2105,         // 0A: movs r1, #5
        0x2200,         // 0C: movs r2, #0
        0x2380,         // 0E: movs r3, #0x80      (loop)
        0x019B,         // 10: lsls r3, r3, #6     (0x2000: PC13)
        0x405A,         // 12: eors r2, r3
        0x6002,         // 14: str  r2, [r0]
        0x3901,         // 16: subs r1, #1
        0xD1F9,         // 18: bne  loop
        0x4803,         // 1A: ldr  r0, =AIRCR
        0x4903,         // 1C: ldr  r1, =0x05FA0004
        0x6001,         // 1E: str  r1, [r0]
        0xE7FE,         // 20: b    .
        0xBF00,         // 22: nop
    };

    [EmulatorFact]
    public void Go_to_flash_runs_the_user_program_and_its_gpio_toggles_are_seen()
    {
        var device = DeviceCatalog.Resolve("0x410")!;
        var memory = EmulatedMemory.ForDevice(device);
        var image = new List<byte>();
        image.AddRange(BitConverter.GetBytes(0x20005000u));
        image.AddRange(BitConverter.GetBytes(0x08000009u));
        foreach (var op in Blinky) image.AddRange(BitConverter.GetBytes(op));
        image.AddRange(BitConverter.GetBytes(0x4001100Cu));
        image.AddRange(BitConverter.GetBytes(0xE000ED0Cu));
        image.AddRange(BitConverter.GetBytes(0x05FA0004u));
        image.ToArray().CopyTo(memory.FlashData, 0);
        var pair = new InMemoryLinkPair("sim://0x410", 115200);
        using var core = new EmulatedCore(device, memory, pair.Device);

        core.Start(0x08000000);

        Assert.True(core.WaitForExit(TimeSpan.FromSeconds(5)));
        Assert.Equal(CoreExitReason.ResetRequested, core.Exit!.Reason);
        var odr = core.PeripheralWrites.Where(w => w.Address == 0x4001100C).Select(w => w.Value).ToArray();
        Assert.Equal(new uint[] { 0x2000, 0, 0x2000, 0, 0x2000 }, odr);
    }

    [EmulatorFact]
    public void A_program_that_runs_into_unmapped_memory_is_reported_as_a_fault()
    {
        var device = DeviceCatalog.Resolve("0x410")!;
        var memory = EmulatedMemory.ForDevice(device);
        BitConverter.GetBytes(0x20005000u).CopyTo(memory.FlashData, 0);
        BitConverter.GetBytes(0x30000001u).CopyTo(memory.FlashData, 4); // nothing there
        var pair = new InMemoryLinkPair("sim://0x410", 115200);
        using var core = new EmulatedCore(device, memory, pair.Device);

        core.Start(0x08000000);

        Assert.True(core.WaitForExit(TimeSpan.FromSeconds(5)));
        Assert.Equal(CoreExitReason.Fault, core.Exit!.Reason);
    }

    [Fact]
    public void Families_without_a_model_are_refused_clearly()
    {
        var l4 = DeviceCatalog.Resolve("0x415")!;
        var pair = new InMemoryLinkPair("sim://0x415", 115200);
        var e = Assert.Throws<NotSupportedException>(() => new EmulatedCore(l4, EmulatedMemory.ForDevice(l4), pair.Device));
        Assert.Contains("L4", e.Message);
    }
}
