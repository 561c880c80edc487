using Stm32.Protocol.Firmware;
using Stm32.Protocol.Flasher;
using Stm32.Protocol.Simulation;
using Stm32.Protocol.Tests.Emulation;

namespace Stm32.Protocol.Tests.Flasher;

/// <summary>
/// The flasher images running on the emulated core, driven by the host session over the
/// in-memory pair: what ends in the emulated flash must be exactly the image, and the CRCs the
/// chip computed must match the host's.
/// </summary>
public class FlasherProgrammingTests
{
    // One row per variant: F1 (F103 medium density), F0 (F07x) and F3 (F303xB/C) share the F0/F3
    // image, F4 (F401xB/C: 16K/64K/128K sectors), G0 (G07x).
    public static TheoryData<string> Rows => new() { "0x410", "0x448", "0x422", "0x423", "0x460" };

    internal static byte[] Random(int length, int seed)
    {
        var b = new byte[length];
        new Random(seed).NextBytes(b);
        return b;
    }

    internal static FlasherResult Program(FlasherRig rig, IReadOnlyList<ImageSegment> segments, FlasherRunRequest? request = null)
    {
        rig.StartFlasher();
        var req = request ?? new FlasherRunRequest(rig.Device, segments);
        return FlasherRun.Run(rig.Pair.Host, req);
    }

    [EmulatorTheory]
    [MemberData(nameof(Rows))]
    public void Random_image_ends_exactly_in_flash_with_matching_crcs(string pid)
    {
        using var rig = new FlasherRig(pid);
        var data = Random(20 * 1024 + 6, pid.GetHashCode());
        uint at = rig.Device.Flash.Start + 0x800;
        var result = Program(rig, new[] { new ImageSegment(at, data) });

        Assert.True(result.Verified);
        Assert.Equal(data, rig.Flash(at, data.Length));
        var crc = Assert.Single(result.Crcs);
        Assert.Equal(FlasherCrc32.Compute(rig.Flash(crc.Address, (int)crc.Length)), crc.Chip);
        Assert.True(result.ExitConfirmed);
        Assert.True(rig.Core.WaitForExit(TimeSpan.FromSeconds(5)));
        Assert.Equal(Stm32.Protocol.Emulation.CoreExitReason.ResetRequested, rig.Core.Exit!.Reason);
    }

    [EmulatorTheory]
    [MemberData(nameof(Rows))]
    public void Sparse_image_writes_its_segments_and_leaves_the_rest_alone(string pid)
    {
        using var rig = new FlasherRig(pid);
        uint f = rig.Device.Flash.Start;
        // Old content outside the segments must survive where no page is erased.
        var old = Random(256, 1);
        uint keep = f + 0x10000 - 256;
        Array.Copy(old, 0, rig.Memory.FlashData, (int)(keep - f), old.Length);
        var segs = new[]
        {
            new ImageSegment(f + 3, Random(5, 2)),            // odd start and length: padded to the unit
            new ImageSegment(f + 0x1001, Random(1000, 3)),
            new ImageSegment(f + 0x3FF0, Random(40, 4)),       // crosses a 16 KiB boundary
            new ImageSegment(f + 0x9000, Random(7, 5)),
        };
        var result = Program(rig, segs);

        Assert.True(result.Verified);
        foreach (var s in segs) Assert.Equal(s.ToArray(), rig.Flash(s.Address, s.Length));
        // Padding to the programming unit is 0xFF, so the bytes around a segment stay erased.
        Assert.Equal(0xFF, rig.Flash(f + 2, 1)[0]);
        Assert.Equal(0xFF, rig.Flash(f + 8, 1)[0]);
        Assert.Equal(old, rig.Flash(keep, old.Length));
    }

    [EmulatorTheory]
    [InlineData("0x412")] // F1 low density: 32 KiB
    [InlineData("0x448")] // F07x: 128 KiB
    [InlineData("0x423")] // F401xB/C: 256 KiB in 16K/64K/128K sectors
    [InlineData("0x456")] // G05x: 64 KiB
    public void Full_flash_image_over_old_content(string pid)
    {
        using var rig = new FlasherRig(pid);
        var old = Random((int)rig.Device.Flash.Length, 99);
        Array.Copy(old, rig.Memory.FlashData, old.Length);
        var data = Random((int)rig.Device.Flash.Length, 7);
        var result = Program(rig, new[] { new ImageSegment(rig.Device.Flash.Start, data) });

        Assert.True(result.Verified);
        Assert.Equal(data, rig.Flash(rig.Device.Flash.Start, data.Length));
        Assert.Equal(rig.Device.Layout!.PageCount, result.UnitsErased);
    }

    [EmulatorFact]
    public void F1_xl_density_programs_across_into_the_second_bank()
    {
        // 0x430: the upper 512 KiB has its own key, status and control registers (+0x40).
        using var rig = new FlasherRig("0x430");
        uint at = rig.Device.Flash.Start + 0x80000 - 0x1000;
        Array.Copy(Random(0x2000, 20), 0, rig.Memory.FlashData, 0x80000 - 0x1000, 0x2000); // both sides need erasing
        var data = Random(0x2000, 21);
        var result = Program(rig, new[] { new ImageSegment(at, data) });

        Assert.True(result.Verified);
        Assert.Equal(data, rig.Flash(at, data.Length));
        Assert.Equal(4, result.UnitsErased);
    }

    [EmulatorFact]
    public void Blank_pages_are_not_erased_and_compressible_data_is_sent_compressed()
    {
        using var rig = new FlasherRig("0x410");
        var data = new byte[16 * 1024];
        for (int i = 0; i < data.Length; i++) data[i] = (byte)(i / 64);
        var result = Program(rig, new[] { new ImageSegment(rig.Device.Flash.Start, data) });

        Assert.Equal(data, rig.Flash(rig.Device.Flash.Start, data.Length));
        Assert.Equal(0, result.UnitsErased);
        Assert.Equal(16, result.UnitsSkippedBlank);
        Assert.True(result.CompressionRatio > 4, "ratio " + result.CompressionRatio);
        Assert.Equal(0, rig.Core.FlashUnitsErased);
    }

    [EmulatorFact]
    public void Mass_erase_when_asked()
    {
        using var rig = new FlasherRig("0x410");
        Array.Copy(Random(4096, 3), 0, rig.Memory.FlashData, 0x8000, 4096);
        var req = new FlasherRunRequest(rig.Device, new[] { new ImageSegment(rig.Device.Flash.Start, Random(2048, 4)) });
        req.Program.Erase = FlasherEraseMode.Mass;
        var result = Program(rig, req.Segments, req);

        Assert.True(result.Verified);
        Assert.All(rig.Flash(rig.Device.Flash.Start + 0x8000, 4096), b => Assert.Equal(0xFF, b));
    }

    [EmulatorFact]
    public void Realistic_timing_with_the_bootloaders_usart_still_running()
    {
        // Byte clock and flash busy times as the ROM path's simulated chip; the USART as the
        // bootloader left it (its divider is kept).
        using var rig = new FlasherRig("0x410", baud: 115200, timing: SimulatorTiming.Realistic, usart: Stm32.Protocol.Emulation.UsartAtGo.Configured);
        var data = Random(4096, 11);
        var req = new FlasherRunRequest(rig.Device, new[] { new ImageSegment(rig.Device.Flash.Start + 0x400, data) })
        {
            BaudRates = new[] { 921600 },
            BaudSwitch = rig.Port,
        };
        Array.Copy(Random(1024, 12), 0, rig.Memory.FlashData, 0x400, 1024); // one page needs an erase
        var result = Program(rig, req.Segments, req);

        Assert.True(result.Verified);
        Assert.True(result.Hello!.UsartKept);
        Assert.Equal(921600, result.BaudRate);
        Assert.Equal(data, rig.Flash(rig.Device.Flash.Start + 0x400, data.Length));
        Assert.Equal(1, result.UnitsErased);
    }
}
