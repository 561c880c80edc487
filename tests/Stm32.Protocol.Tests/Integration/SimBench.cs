using Stm32.Protocol.Devices;
using Stm32.Protocol.Simulation;
using Stm32.Protocol.Transport;

namespace Stm32.Protocol.Tests.Integration;

/// <summary>A simulated chip served on an in-memory link, with the host end ready for a client.</summary>
internal sealed class SimBench : IDisposable
{
    public SimBench(ushort pid, byte? version = null, SimulatorTiming timing = SimulatorTiming.Instant, int baud = 115200, Action<SimulatorOptions>? configure = null)
    {
        Device = DeviceCatalog.Find(pid) ?? throw new ArgumentException($"no catalog row 0x{pid:X3}");
        Options = new SimulatorOptions { Timing = timing, BootloaderVersion = version };
        configure?.Invoke(Options);
        Chip = new SimulatedChip(Device, Options);
        Pair = new InMemoryLinkPair($"sim://0x{pid:X3}", baud);
        Chip.Attach(Pair.Device);
    }

    public DeviceInfo Device { get; }

    /// <summary>The chip keeps this object: fault rates and quirks changed here apply from the next byte.</summary>
    public SimulatorOptions Options { get; }
    public SimulatedChip Chip { get; }
    public InMemoryLinkPair Pair { get; }
    public IByteLink Host => Pair.Host;

    public void Dispose()
    {
        Chip.Dispose();
        Pair.Host.Dispose();
    }
}
