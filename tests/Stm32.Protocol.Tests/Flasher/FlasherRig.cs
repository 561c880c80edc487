using Stm32.Protocol.Devices;
using Stm32.Protocol.Emulation;
using Stm32.Protocol.Flasher;
using Stm32.Protocol.Simulation;
using Stm32.Protocol.Transport;

namespace Stm32.Protocol.Tests.Flasher;

/// <summary>
/// A host port for the in-memory pair that can change its rate like a USB adapter: refused
/// rates answer false; a "lying" rate is accepted but the line then runs at another one.
/// </summary>
internal sealed class TestBaudSwitch : IBaudSwitchable
{
    private readonly InMemoryLink _host;

    public TestBaudSwitch(InMemoryLink host) => _host = host;

    public HashSet<int> Refused { get; } = new();

    /// <summary>Rate asked -> rate the line really gets.</summary>
    public Dictionary<int, int> Lies { get; } = new();

    /// <summary>The rate the wire really runs at (what the chip's USART must match).</summary>
    public int LineRate { get; private set; }

    public List<int> Calls { get; } = new();

    public bool TrySetBaudRate(int baudRate)
    {
        Calls.Add(baudRate);
        if (Refused.Contains(baudRate)) return false;
        _host.BaudRate = baudRate;
        LineRate = Lies.TryGetValue(baudRate, out var real) ? real : baudRate;
        return true;
    }

    public void Init(int rate)
    {
        _host.BaudRate = rate;
        LineRate = rate;
    }
}

/// <summary>
/// An emulated chip of a catalog row with the flasher loaded as Write Memory + Go would (the
/// image copied into the row's free RAM, then Go at its base), and a session on the host end.
/// </summary>
internal sealed class FlasherRig : IDisposable
{
    public FlasherRig(string productId, int baud = 921600, SimulatorTiming timing = SimulatorTiming.Instant, UsartAtGo usart = UsartAtGo.Reset,
        Func<uint, bool>? writeProtected = null, SimulatorFaults? faults = null)
    {
        Device = DeviceCatalog.Resolve(productId) ?? throw new ArgumentException(productId);
        Memory = EmulatedMemory.ForDevice(Device);
        Pair = new InMemoryLinkPair("sim://" + productId, baud);
        Port = new TestBaudSwitch(Pair.Host);
        Port.Init(baud);
        Core = new EmulatedCore(Device, Memory, Pair.Device, new EmulatedCoreOptions
        {
            Timing = timing,
            LineBaud = () => Port.LineRate,
            UsartAtGo = usart,
            IsWriteProtected = writeProtected,
            Faults = faults,
        });
        Baud = baud;
    }

    public DeviceInfo Device { get; }
    public EmulatedMemory Memory { get; }
    public InMemoryLinkPair Pair { get; }
    public TestBaudSwitch Port { get; }
    public EmulatedCore Core { get; }
    public int Baud { get; }

    /// <summary>Loads the flasher where the bootloader would and starts it like Go.</summary>
    public void StartFlasher(byte[]? image = null)
    {
        var bytes = image ?? FlasherImage.BuildFor(Device, Baud);
        uint load = FlasherImage.LoadAddress(Device);
        Array.Copy(bytes, 0, Memory.RamData, (int)(load - Memory.RamBase), bytes.Length);
        Core.Start(load);
    }

    public FlasherSession Session(FlasherSessionOptions? options = null)
    {
        options ??= new FlasherSessionOptions();
        FlasherSession.UseFamilyTimings(options, Device.Family);
        return new FlasherSession(Pair.Host, options);
    }

    public byte[] Flash(uint address, int length)
    {
        var b = new byte[length];
        Array.Copy(Memory.FlashData, (int)(address - Device.Flash.Start), b, 0, length);
        return b;
    }

    public void Dispose()
    {
        Core.Dispose();
        Pair.Host.Dispose();
    }
}
