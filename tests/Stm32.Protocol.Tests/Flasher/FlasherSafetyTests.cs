using Stm32.Protocol.Emulation;
using Stm32.Protocol.Firmware;
using Stm32.Protocol.Flasher;
using Stm32.Protocol.Tests.Emulation;

namespace Stm32.Protocol.Tests.Flasher;

/// <summary>The flasher's own checks: the map it is given, write protection, system memory and option bytes.</summary>
public class FlasherSafetyTests
{
    private static FlasherSession Configured(FlasherRig rig, Action<FlasherFlashMap>? edit = null)
    {
        rig.StartFlasher();
        var s = rig.Session();
        s.Connect();
        var map = FlasherRun.MapFor(rig.Device);
        edit?.Invoke(map);
        s.Configure(map);
        return s;
    }

    private static byte[] Write(uint address, int length) => FlasherSession.WritePayload(address, new byte[length], 0, length, false, out _);

    [EmulatorTheory]
    [InlineData("0x410", 0x1FFFF000u)] // F1 system memory
    [InlineData("0x410", 0x1FFFF800u)] // F1 option bytes
    [InlineData("0x410", 0x08020000u)] // just past the flash
    [InlineData("0x410", 0x20001000u)] // RAM (the flasher itself)
    [InlineData("0x460", 0x1FFF7800u)] // G0 option bytes
    [InlineData("0x413", 0x1FFFC000u)] // F4 option bytes
    public void Raw_frames_outside_the_map_are_refused_by_the_flasher(string pid, uint address)
    {
        using var rig = Rig(pid);
        var s = Configured(rig);
        var sys = (byte[])rig.Memory.SystemMemoryData.Clone();

        Assert.Equal(FlasherStatus.Address, s.SendRaw(0x05, Write(address, 64), TimeSpan.Zero).Status);
        Assert.Equal(FlasherStatus.Address, s.SendRaw(0x04, FlasherSession.ErasePayload(address, 1, false, false), TimeSpan.Zero).Status);
        Assert.Equal(FlasherStatus.Address, s.SendRaw(0x06, FlasherSession.CrcPayload(address, 16), TimeSpan.Zero).Status);
        Assert.Equal(sys, rig.Memory.SystemMemoryData);
        // Still alive and in sequence afterwards.
        Assert.Equal(FlasherStatus.Ok, s.SendRaw(0x06, FlasherSession.CrcPayload(rig.Device.Flash.Start, 16), TimeSpan.Zero).Status);
    }

    private static FlasherRig Rig(string pid) => new(pid);

    [EmulatorFact]
    public void A_config_reaching_beyond_the_main_flash_is_refused()
    {
        using var rig = Rig("0x410");
        rig.StartFlasher();
        var s = rig.Session();
        s.Connect();
        var map = new FlasherFlashMap(0x1FFFF000, 0x1FFFF800, new[] { (2u, 1024u) });
        var e = Assert.Throws<FlasherCommandException>(() => s.Configure(map));
        Assert.Equal(FlasherStatus.Address, e.Status);
        // Nothing configured: writes are refused.
        Assert.Equal(FlasherStatus.NotConfigured, s.SendRaw(0x05, Write(0x08000000, 64), TimeSpan.Zero).Status);
    }

    [EmulatorFact]
    public void Misaligned_writes_are_refused()
    {
        using var rig = Rig("0x460"); // G0: double words
        var s = Configured(rig);
        Assert.Equal(FlasherStatus.Address, s.SendRaw(0x05, Write(0x08000004, 64), TimeSpan.Zero).Status);
        Assert.Equal(FlasherStatus.Address, s.SendRaw(0x05, Write(0x08000000, 60), TimeSpan.Zero).Status);
    }

    [EmulatorTheory]
    [InlineData("0x410")]
    [InlineData("0x460")]
    public void Forbidden_ranges_from_the_host_are_refused(string pid)
    {
        using var rig = Rig(pid);
        uint f = rig.Device.Flash.Start;
        uint page = rig.Device.Layout!.Pages[2].Start, end = rig.Device.Layout.Pages[2].End;
        var old = FlasherProgrammingTests.Random((int)(end - page), 5);
        Array.Copy(old, 0, rig.Memory.FlashData, (int)(page - f), old.Length);
        rig.StartFlasher();
        var req = new FlasherRunRequest(rig.Device, new[] { new ImageSegment(f, FlasherProgrammingTests.Random(0x3000, 6)) });
        req.Forbidden.Add((page, end));

        var e = Assert.Throws<FlasherCommandException>(() => FlasherRun.Run(rig.Pair.Host, req));
        Assert.Equal(FlasherStatus.Address, e.Status);
        Assert.Equal(page, e.Value);
        Assert.Equal(old, rig.Flash(page, old.Length));
    }

    [EmulatorTheory]
    [InlineData("0x410", true)]
    [InlineData("0x410", false)]
    [InlineData("0x460", true)]
    [InlineData("0x413", true)]
    public void Write_protected_pages_the_host_did_not_know_are_refused_by_the_controller(string pid, bool pageHasContent)
    {
        var probe = Stm32.Protocol.Devices.DeviceCatalog.Resolve(pid)!;
        var wrp = probe.Layout!.Pages[1];
        using var rig = new FlasherRig(pid, writeProtected: a => a >= wrp.Start && a < wrp.End);
        var old = pageHasContent ? FlasherProgrammingTests.Random(256, 8) : Enumerable.Repeat((byte)0xFF, 256).ToArray();
        Array.Copy(old, 0, rig.Memory.FlashData, (int)(wrp.Start - probe.Flash.Start), old.Length);
        rig.StartFlasher();
        var req = new FlasherRunRequest(rig.Device, new[] { new ImageSegment(wrp.Start, FlasherProgrammingTests.Random(512, 9)) });

        var e = Assert.Throws<FlasherCommandException>(() => FlasherRun.Run(rig.Pair.Host, req));
        Assert.Equal(FlasherStatus.WriteProtected, e.Status);
        Assert.Equal(old, rig.Flash(wrp.Start, old.Length));
    }

    [EmulatorFact]
    public void Exit_to_the_bootloader_jumps_into_system_memory()
    {
        using var rig = Rig("0x410");
        var s = Configured(rig);
        Assert.True(s.Exit(FlasherExitMode.Bootloader, rig.Device.SystemMemory.Start));
        Assert.True(rig.Core.WaitForExit(TimeSpan.FromSeconds(5)));
        Assert.Equal(CoreExitReason.EnteredSystemMemory, rig.Core.Exit!.Reason);
        Assert.Equal(rig.Device.SystemMemory.Start + 0x100, rig.Core.Exit.Address);
    }

    [Theory]
    [InlineData("0x410", true)]
    [InlineData("0x412", true)]
    [InlineData("0x420", true)]
    [InlineData("0x430", true)]
    [InlineData("0x418", true)]
    [InlineData("0x440", false)] // F030x8: 6 KiB free
    [InlineData("0x444", false)] // F03x4/6: 2 KiB free
    [InlineData("0x445", false)] // F04x: no free RAM in the catalog
    [InlineData("0x448", true)]
    [InlineData("0x438", false)] // F303x6/8: 6 KiB free
    [InlineData("0x422", true)]
    [InlineData("0x413", true)]
    [InlineData("0x419", true)]
    [InlineData("0x466", false)] // G03x/04x: 4 KiB free
    [InlineData("0x460", true)]
    [InlineData("0x456", true)]
    [InlineData("0x467", false)] // G0B1: two banks
    [InlineData("0x415", false)] // L4: no flasher for the family
    public void Rows_the_flasher_supports(string pid, bool supported)
    {
        var d = Stm32.Protocol.Devices.DeviceCatalog.Resolve(pid)!;
        Assert.Equal(supported, FlasherImage.Supports(d, out var reason));
        Assert.Equal(supported, reason.Length == 0);
    }
}
