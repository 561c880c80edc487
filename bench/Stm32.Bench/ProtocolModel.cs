using System.Reflection;
using Stm32.Protocol.Devices;

namespace Stm32.Bench;

/// <summary>
/// The protocol's own limit for an operation (spec 6.4 throughput model): every byte that must
/// cross the wire, both ways, at 11 bit times (the simulator's realistic timing: start, 8 data,
/// parity slot, stop), plus the chip's erase and program time from the simulator's one timing
/// table (Devices/FlashTimings.cs, read by reflection so the model and the chip cannot drift
/// apart). No host or OS latency at all: a client at 1.00 would turn every reply around in zero time.
/// </summary>
public sealed class ProtocolModel
{
    private readonly object _timings;
    private readonly MethodInfo _pageErase, _massErase, _program;

    public ProtocolModel(DeviceInfo device, byte bootloaderVersion, int baud)
    {
        Device = device;
        Version = bootloaderVersion;
        Baud = baud;
        var type = typeof(DeviceCatalog).Assembly.GetType("Stm32.Protocol.Devices.FlashTimings", throwOnError: true)!;
        _timings = type.GetMethod("For", BindingFlags.Public | BindingFlags.Static)!.Invoke(null, new object[] { device.Family })!;
        _pageErase = type.GetMethod("PageErase")!;
        _massErase = type.GetMethod("MassErase")!;
        _program = type.GetMethod("Program")!;
    }

    public DeviceInfo Device { get; }
    public byte Version { get; }
    public int Baud { get; }

    /// <summary>Codes the Get list carries: 11 on 2.x/3.0/3.1, 12 with Get Checksum (3.3).</summary>
    private int GetCodes => Version >= 0x33 ? 12 : 11;

    public double ByteSeconds => 11.0 / Baud;

    /// <summary>Wire bytes (both directions) and chip busy seconds.</summary>
    public readonly record struct Cost(long Bytes, double ChipSeconds)
    {
        public static Cost operator +(Cost a, Cost b) => new(a.Bytes + b.Bytes, a.ChipSeconds + b.ChipSeconds);
        public static Cost operator *(int n, Cost a) => new(n * a.Bytes, n * a.ChipSeconds);
    }

    public double Seconds(Cost c) => c.Bytes * ByteSeconds + c.ChipSeconds;

    /// <summary>
    /// What spec 15a.2 tells every host to send to know the chip: 7F/79 (or 7F 7F/1F when it is
    /// already synchronised), Get (00 FF / 79 N V codes 79: the version and the erase command),
    /// Get Version (01 FE / 79 V O1 O2 79) and Get ID (02 FD / 79 01 PH PL 79: the memory map).
    /// stm32flash sends exactly this.
    /// </summary>
    public Cost Connect(bool alreadySynced)
        => new((alreadySynced ? 3 : 2) + (2 + 1 + 1 + 1 + GetCodes + 1) + (2 + 1 + 3 + 1) + (2 + 1 + 1 + 2 + 1), 0);

    /// <summary>Spec 15a.3: before writing, learn the read protection: one Read Memory of 2 bytes (a refused Read means RDP level 1).</summary>
    public Cost ProtectionCheck() => ReadBlock(2);

    /// <summary>Erase exactly the pages/sectors the data touches (0x43 with one page byte each, 0x44 with two).</summary>
    public Cost ErasePages(IReadOnlyList<FlashPage> pages)
    {
        double busy = pages.Sum(p => ((TimeSpan)_pageErase.Invoke(_timings, new object[] { p.Size })!).TotalSeconds);
        long bytes = Version >= 0x30
            ? 2 + 1 + 2 + 2L * pages.Count + 1 + 1          // 44 BB / 79 / NH NL pages.. XOR / 79
            : 2 + 1 + 1 + pages.Count + 1 + 1;              // 43 BC / 79 / N pages.. XOR / 79
        return new Cost(bytes, busy);
    }

    /// <summary>Mass erase: 43 BC / 79 / FF 00 / 79, or 44 BB / 79 / FF FF 00 / 79.</summary>
    public Cost MassErase()
        => new(Version >= 0x30 ? 2 + 1 + 3 + 1 : 2 + 1 + 2 + 1,
            ((TimeSpan)_massErase.Invoke(_timings, new object[] { Device.Flash.Length })!).TotalSeconds);

    /// <summary>The cheaper way to leave exactly the touched pages erased (mass erase only when every page is touched).</summary>
    public Cost EraseFor(IReadOnlyList<FlashPage> pages)
    {
        var byPages = ErasePages(pages);
        if (pages.Count < Device.Layout!.PageCount) return byPages;
        var mass = MassErase();
        return Seconds(mass) < Seconds(byPages) ? mass : byPages;
    }

    /// <summary>Write Memory of n bytes: 31 CE / 79 / A3..A0 X / 79 / N D.. X / (program) 79.</summary>
    public Cost WriteBlock(int n = 256)
        => new(2 + 1 + 5 + 1 + (1 + n + 1) + 1, ((TimeSpan)_program.Invoke(_timings, new object[] { n })!).TotalSeconds);

    /// <summary>Read Memory of n bytes: 11 EE / 79 / A3..A0 X / 79 / N ~N / 79 D..</summary>
    public Cost ReadBlock(int n = 256) => new(2 + 1 + 5 + 1 + 2 + 1 + n, 0);

    /// <summary>Get Checksum (AN3155r18): A1 5E / 79 / addr / 79 / words / 79 / poly / 79 / init / 79 / 79 C3..C0 X. The chip's CRC time is not modelled (the simulator charges none).</summary>
    public Cost Checksum() => new(2 + 1 + 5 + 1 + 5 + 1 + 5 + 1 + 5 + 1 + 1 + 4 + 1, 0);

    /// <summary>Blocks of 256 aligned to 256 from flash start that hold at least one byte that is not 0xFF.</summary>
    public static int DataBlocks(byte[] flat) => Enumerable.Range(0, (flat.Length + 255) / 256)
        .Count(i => flat.Skip(i * 256).Take(256).Any(b => b != 0xFF));
}
