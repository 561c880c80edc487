using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using Stm32.Protocol.Devices;
using Stm32.Protocol.Simulation;
using Stm32.Protocol.Transport;

namespace Stm32.Protocol.Emulation
{
    /// <summary>
    /// The arrays an emulated core runs on. The simulated chip passes its own (flash, RAM from
    /// 0x20000000, system memory), so what a program writes is what the bootloader then reads.
    /// Addresses and lengths must be multiples of 1 KiB (Unicorn's page size for ARM).
    /// </summary>
    public sealed class EmulatedMemory
    {
        public EmulatedMemory(MemoryRange flash, byte[] flashData, uint ramBase, byte[] ramData, MemoryRange systemMemory, byte[] systemMemoryData)
        {
            Flash = flash;
            FlashData = flashData ?? throw new ArgumentNullException(nameof(flashData));
            RamBase = ramBase;
            RamData = ramData ?? throw new ArgumentNullException(nameof(ramData));
            SystemMemory = systemMemory;
            SystemMemoryData = systemMemoryData ?? throw new ArgumentNullException(nameof(systemMemoryData));
            if (flashData.Length < flash.Length) throw new ArgumentException("The flash array is shorter than the flash range.", nameof(flashData));
            if (systemMemoryData.Length < systemMemory.Length) throw new ArgumentException("The system-memory array is shorter than its range.", nameof(systemMemoryData));
        }

        public MemoryRange Flash { get; }

        public byte[] FlashData { get; }

        public uint RamBase { get; }

        public byte[] RamData { get; }

        public MemoryRange SystemMemory { get; }

        public byte[] SystemMemoryData { get; }

        /// <summary>
        /// Fresh arrays for a catalog row: erased flash, zeroed RAM from 0x20000000 to the row's
        /// RAM end, and a system memory whose first two words are a vector table into itself (so a
        /// jump to the bootloader's entry is seen as such).
        /// </summary>
        public static EmulatedMemory ForDevice(DeviceInfo device)
        {
            if (device == null) throw new ArgumentNullException(nameof(device));
            var flash = new byte[device.Flash.Length];
            for (int i = 0; i < flash.Length; i++) flash[i] = 0xFF;
            var ram = new byte[Math.Max(device.Ram.End, device.Ram.Start) - ChipMemory.RamBase];
            var sys = new byte[device.SystemMemory.Length];
            for (int i = 0; i < sys.Length; i++) sys[i] = 0xFF;
            WriteRomVector(sys, device.SystemMemory.Start, device.Ram.Start);
            return new EmulatedMemory(device.Flash, flash, ChipMemory.RamBase, ram, device.SystemMemory, sys);
        }

        /// <summary>Puts a vector table (SP in the bootloader's RAM, entry 0x100 into the ROM) at the start of a system-memory array.</summary>
        public static void WriteRomVector(byte[] systemMemory, uint systemMemoryStart, uint stackTop)
        {
            if (systemMemory == null) throw new ArgumentNullException(nameof(systemMemory));
            if (systemMemory.Length < 8) return;
            BitConverter.GetBytes(stackTop).CopyTo(systemMemory, 0);
            BitConverter.GetBytes((systemMemoryStart + 0x100) | 1u).CopyTo(systemMemory, 4);
        }
    }

    /// <summary>How the USART looks when a program starts.</summary>
    public enum UsartAtGo
    {
        /// <summary>At its reset values with its clock off (AN3155: Go de-initialises the peripherals the bootloader used).</summary>
        Reset,

        /// <summary>Still running as the bootloader set it after autobaud: enabled, 8E1, BRR matching the line.</summary>
        Configured,
    }

    public sealed class EmulatedCoreOptions
    {
        public SimulatorTiming Timing { get; set; } = SimulatorTiming.Instant;

        /// <summary>The host's line rate now (the far end of the wire); null: the device link's BaudRate.</summary>
        public Func<int>? LineBaud { get; set; }

        /// <summary>True for an address in a write-protected page or sector.</summary>
        public Func<uint, bool>? IsWriteProtected { get; set; }

        /// <summary>Line faults on the USART (drop/corrupt per direction, seeded), as the simulated chip's.</summary>
        public SimulatorFaults? Faults { get; set; }

        public UsartAtGo UsartAtGo { get; set; } = UsartAtGo.Reset;

        /// <summary>Instructions per run slice between link pumps (stops are at instruction boundaries).</summary>
        public ulong SliceInstructions { get; set; } = 5_000;
    }

    public enum CoreExitReason
    {
        /// <summary>The program asked for a system reset (AIRCR SYSRESETREQ).</summary>
        ResetRequested,

        /// <summary>The program jumped into system memory (the ROM bootloader's code).</summary>
        EnteredSystemMemory,

        /// <summary>The program faulted: an unmapped access, an invalid instruction, a write to read-only memory.</summary>
        Fault,

        /// <summary>The host stopped the core.</summary>
        Stopped,

        /// <summary>The link was closed.</summary>
        LinkClosed,
    }

    public sealed class CoreExit
    {
        public CoreExit(CoreExitReason reason, uint address, string message)
        {
            Reason = reason;
            Address = address;
            Message = message;
        }

        public CoreExitReason Reason { get; }

        /// <summary>The program counter when it ended (where it entered system memory, or faulted).</summary>
        public uint Address { get; }

        public string Message { get; }

        public override string ToString() => $"{Reason} at 0x{Address:X8}: {Message}";
    }

    /// <summary>
    /// An emulated Cortex-M core (Unicorn 2) running what the bootloader's Go starts: the on-chip
    /// flasher in RAM, or a user program in flash. Flash, RAM and system memory are the given
    /// arrays; USART1, the flash controller, RCC and SysTick/AIRCR are modelled; every other
    /// peripheral register keeps what is written (and writes are logged: a blinky's GPIO
    /// toggles can be watched). Code runs in slices of a few ten thousand instructions on a
    /// thread of its own; between slices the link is pumped, and when a slice did nothing but
    /// poll status registers the thread waits for the next byte or deadline instead of spinning.
    /// Stops inside a callback only happen for a reset request (never resumed), so a replayed
    /// access can never lose a byte.
    /// <para>From RAM, flash is mapped through callbacks (reads come from the array, writes go to
    /// the controller). From flash, it is mapped directly for execution and writes fault: a
    /// program that programs its own flash while running from it is not modelled.</para>
    /// </summary>
    public sealed class EmulatedCore : IDisposable
    {
        private static readonly Lazy<(bool Ok, string? Reason)> Availability = new Lazy<(bool, string?)>(() =>
        {
            bool ok = UnicornEngine.Probe(out var reason);
            return (ok, reason);
        });

        private readonly EmulatedMemory _memory;
        private readonly IByteLink _link;
        private readonly EmulatedCoreOptions _options;
        private readonly CoreContext _ctx;
        private readonly EmulatedRcc _rcc;
        private readonly EmulatedUsart _usart;
        private readonly FlashController _flash;
        private readonly SystemControl _scs;
        private readonly RegisterFile _otherRegisters = new RegisterFile();
        private readonly IBusDevice[] _devices;
        private readonly object _gate = new object();
        private readonly ManualResetEventSlim _exited = new ManualResetEventSlim(false);

        private UnicornEngine? _engine;
        private Thread? _thread;
        private volatile bool _stopRequested;
        private volatile bool _resetRequested;
        private CoreExit? _exit;
        private Exception? _callbackError;

        public EmulatedCore(DeviceInfo device, EmulatedMemory memory, IByteLink deviceLink, EmulatedCoreOptions? options = null)
        {
            Device = device ?? throw new ArgumentNullException(nameof(device));
            _memory = memory ?? throw new ArgumentNullException(nameof(memory));
            _link = deviceLink ?? throw new ArgumentNullException(nameof(deviceLink));
            _options = options ?? new EmulatedCoreOptions();
            Profile = EmulatedChipProfile.For(device)
                ?? throw new NotSupportedException($"The emulated core does not model the {device.Family} family ({device}).");
            if (device.Layout == null) throw new NotSupportedException($"{device} has no flash layout in the catalog.");
            _ctx = new CoreContext(_options.Timing == SimulatorTiming.Realistic);
            _rcc = new EmulatedRcc(Profile);
            var lineBaud = _options.LineBaud ?? (() => _link.BaudRate);
            _usart = new EmulatedUsart(Profile.UsartBase, Profile.UsartLayout, _ctx, () => Profile.UsartClock, () => _rcc.UsartClockEnabled, lineBaud, _options.Faults);
            switch (Profile.FlashController)
            {
                case FlashControllerKind.F1:
                    // F1 XL-density (0x430): the second bank's registers serve the upper 512 KiB.
                    uint bank2 = device.ProductId == 0x430 ? device.Flash.Start + 0x80000 : 0;
                    _flash = new F1FlashController(_ctx, memory.FlashData, 0, device.Flash, device.Layout, _options.IsWriteProtected, device.Family, bank2);
                    break;
                case FlashControllerKind.F4:
                    _flash = new F4FlashController(_ctx, memory.FlashData, 0, device.Flash, device.Layout, _options.IsWriteProtected, device.Family,
                        dualBankNumbering: device.Layout.PageCount > 12);
                    break;
                default:
                    _flash = new G0FlashController(_ctx, memory.FlashData, 0, device.Flash, device.Layout, _options.IsWriteProtected, device.Family);
                    break;
            }
            _scs = new SystemControl(_ctx, () => Profile.Hclk, Profile.Cpuid, RequestReset);
            _devices = new IBusDevice[] { _usart, _flash, _rcc };
        }

        /// <summary>True when libunicorn.so.2 (Unicorn 2) can be loaded here.</summary>
        public static bool IsAvailable => Availability.Value.Ok;

        /// <summary>Why the core is unavailable (null when it is available).</summary>
        public static string? UnavailableReason => Availability.Value.Reason;

        public DeviceInfo Device { get; }

        public EmulatedChipProfile Profile { get; }

        /// <summary>True from <see cref="Start"/> until the program ends.</summary>
        public bool IsRunning
        {
            get { lock (_gate) return _thread != null && _exit == null; }
        }

        /// <summary>How the last run ended (null while running or before the first).</summary>
        public CoreExit? Exit
        {
            get { lock (_gate) return _exit; }
        }

        /// <summary>Raised on the core's thread when a run ends.</summary>
        public event Action<CoreExit>? Exited;

        /// <summary>Writes to registers nobody models (GPIO, clock enables...), oldest first.</summary>
        public IReadOnlyList<PeripheralWrite> PeripheralWrites => _otherRegisters.Log;

        public long UsartBytesReceived => _usart.BytesReceived;

        public long UsartBytesSent => _usart.BytesSent;

        /// <summary>The USART's own rate now (kernel clock over BRR), 0 when not set up.</summary>
        public int UsartRate => _usart.Rate;

        public long FlashUnitsProgrammed => _flash.Programmed;

        public long FlashUnitsErased => _flash.Erased;

        /// <summary>Run slices so far and how many of them ended idle (the thread then waited): diagnostics.</summary>
        public long Slices { get; private set; }

        public long IdleSlices { get; private set; }

        public TimeSpan IdleTime => TimeSpan.FromTicks(_idleTicks * TimeSpan.TicksPerSecond / Stopwatch.Frequency);

        private long _idleTicks;

        /// <summary>
        /// Does what the bootloader's Go does: MSP from the word at <paramref name="vectorTable"/>,
        /// then runs from the word after it, in the background.
        /// </summary>
        public void Start(uint vectorTable)
        {
            if (!IsAvailable) throw new EmulationException("The emulated core is unavailable: " + UnavailableReason);
            lock (_gate)
            {
                if (_thread != null && _exit == null) throw new InvalidOperationException("The core is already running.");
                _thread?.Join();
                _exit = null;
                _exited.Reset();
                _stopRequested = _resetRequested = false;
                _callbackError = null;
                _ctx.Now = CoreContext.Clock;
                foreach (var d in _devices) d.Reset();
                _scs.Reset();
                _otherRegisters.Clear();
                if (_options.UsartAtGo == UsartAtGo.Configured) ConfigureUsartAsBootloader();

                bool fromFlash = _memory.Flash.Contains(vectorTable, 8);
                uint sp = ReadWord(vectorTable), pc = ReadWord(vectorTable + 4);
                var engine = new UnicornEngine(Profile.CpuModel);
                try
                {
                    MapMemory(engine, fromFlash);
                    engine.WriteRegister(UnicornNative.RegSp, sp);
                    engine.WriteRegister(UnicornNative.RegMsp, sp);
                }
                catch
                {
                    engine.Dispose();
                    throw;
                }
                _engine = engine;
                _thread = new Thread(() => RunLoop(pc)) { IsBackground = true, Name = "EmulatedCore " + Device.ProductIdHex };
                _thread.Start();
            }
        }

        /// <summary>Waits for the run to end; true when it did within the timeout.</summary>
        public bool WaitForExit(TimeSpan timeout) => _exited.Wait(timeout);

        /// <summary>Stops the program (the core exits with <see cref="CoreExitReason.Stopped"/>).</summary>
        public void Stop()
        {
            Thread? t;
            lock (_gate)
            {
                t = _thread;
                _stopRequested = true;
                _engine?.Stop();
            }
            if (t != null && t != Thread.CurrentThread) t.Join(TimeSpan.FromSeconds(5));
        }

        public void Dispose()
        {
            Stop();
            _exited.Dispose();
        }

        private void RequestReset()
        {
            _resetRequested = true;
            _engine?.Stop(); // never resumed, so the replayed write does not matter
        }

        private void ConfigureUsartAsBootloader()
        {
            _rcc.EnableUsartClock();
            int baud = (_options.LineBaud ?? (() => _link.BaudRate))();
            uint brr = baud > 0 ? (uint)Math.Round((double)Profile.UsartClock / baud) : 0;
            bool old = Profile.UsartLayout == UsartLayout.Old;
            uint frame = (1u << 12) | (1u << 10) | (1u << 3) | (1u << 2); // M, PCE, TE, RE
            if (old)
            {
                _usart.Write(0x08, 4, brr);
                _usart.Write(0x0C, 4, frame | (1u << 13));
            }
            else
            {
                _usart.Write(0x0C, 4, brr);
                _usart.Write(0x00, 4, frame | 1u);
            }
        }

        private uint ReadWord(uint address)
        {
            byte[] data;
            int index;
            if (_memory.Flash.Contains(address, 4))
            {
                data = _memory.FlashData;
                index = (int)(address - _memory.Flash.Start);
            }
            else if (address >= _memory.RamBase && address - _memory.RamBase + 4 <= (uint)_memory.RamData.Length)
            {
                data = _memory.RamData;
                index = (int)(address - _memory.RamBase);
            }
            else throw new ArgumentOutOfRangeException(nameof(address), $"0x{address:X8} is neither flash nor RAM.");
            return BitConverter.ToUInt32(data, index);
        }

        private void MapMemory(UnicornEngine engine, bool fromFlash)
        {
            CheckPages(_memory.Flash.Start, _memory.Flash.Length, "flash");
            CheckPages(_memory.RamBase, (uint)_memory.RamData.Length, "RAM");
            CheckPages(_memory.SystemMemory.Start, _memory.SystemMemory.Length, "system memory");
            engine.MapArray(_memory.RamBase, _memory.RamData, 0, (uint)_memory.RamData.Length, UnicornNative.ProtAll);
            // Readable, not executable: a jump into the ROM stops the core and is reported as such.
            engine.MapArray(_memory.SystemMemory.Start, _memory.SystemMemoryData, 0, _memory.SystemMemory.Length, UnicornNative.ProtRead);
            if (fromFlash)
                engine.MapArray(_memory.Flash.Start, _memory.FlashData, 0, _memory.Flash.Length, UnicornNative.ProtRead | UnicornNative.ProtExec);
            else engine.MapMmio(_memory.Flash.Start, _memory.Flash.Length, FlashRead, FlashWrite);
            engine.MapMmio(0x40000000, 0x20000000, BusRead, BusWrite);
            engine.MapMmio(_scs.Base, _scs.Size, ScsRead, ScsWrite);
        }

        // The MMIO callbacks: no allocation, and never an exception into native code (recorded, then the core stops).
        private ulong FlashRead(IntPtr uc, ulong offset, uint size, IntPtr user)
        {
            try
            {
                return _flash.ReadFlash(_memory.Flash.Start + (uint)offset, (int)size);
            }
            catch (Exception e)
            {
                Fail(e);
                return 0;
            }
        }

        private void FlashWrite(IntPtr uc, ulong offset, uint size, ulong value, IntPtr user)
        {
            try
            {
                _flash.WriteFlash(_memory.Flash.Start + (uint)offset, (int)size, (uint)value);
            }
            catch (Exception e)
            {
                Fail(e);
            }
        }

        private ulong BusRead(IntPtr uc, ulong offset, uint size, IntPtr user)
        {
            try
            {
                uint address = 0x40000000 + (uint)offset;
                var d = DeviceAt(address);
                return d != null ? d.Read(address - d.Base, (int)size) : _otherRegisters.Read(address, (int)size);
            }
            catch (Exception e)
            {
                Fail(e);
                return 0;
            }
        }

        private void BusWrite(IntPtr uc, ulong offset, uint size, ulong value, IntPtr user)
        {
            try
            {
                uint address = 0x40000000 + (uint)offset;
                var d = DeviceAt(address);
                if (d != null) d.Write(address - d.Base, (int)size, (uint)value);
                else
                {
                    _otherRegisters.Write(address, (int)size, (uint)value);
                    _ctx.Activity++;
                }
            }
            catch (Exception e)
            {
                Fail(e);
            }
        }

        private ulong ScsRead(IntPtr uc, ulong offset, uint size, IntPtr user)
        {
            try
            {
                return _scs.Read((uint)offset, (int)size);
            }
            catch (Exception e)
            {
                Fail(e);
                return 0;
            }
        }

        private void ScsWrite(IntPtr uc, ulong offset, uint size, ulong value, IntPtr user)
        {
            try
            {
                _scs.Write((uint)offset, (int)size, (uint)value);
            }
            catch (Exception e)
            {
                Fail(e);
            }
        }

        private static void CheckPages(uint start, uint length, string what)
        {
            if ((start & 0x3FF) != 0 || (length & 0x3FF) != 0 || length == 0)
                throw new EmulationException($"The {what} (0x{start:X8}, 0x{length:X} bytes) is not a whole number of 1 KiB pages.");
        }

        private IBusDevice? DeviceAt(uint address)
        {
            foreach (var d in _devices)
                if (address - d.Base < d.Size) return d;
            return null;
        }

        private void Fail(Exception e)
        {
            _callbackError ??= e;
            _engine?.Stop();
        }

        private void RunLoop(uint pc)
        {
            var engine = _engine!;
            var buffer = new byte[4096];
            var outgoing = new List<byte>(4096);
            CoreExit exit;
            try
            {
                while (true)
                {
                    long before = _ctx.Activity, polls = _ctx.EmptyPolls;
                    int err = engine.Run(pc, _options.SliceInstructions);
                    pc = engine.ReadRegister(UnicornNative.RegPc);
                    if (_callbackError != null)
                    {
                        exit = new CoreExit(CoreExitReason.Fault, pc, "A peripheral model failed: " + _callbackError.Message);
                        break;
                    }
                    if (_resetRequested)
                    {
                        exit = new CoreExit(CoreExitReason.ResetRequested, pc, "The program requested a system reset (AIRCR).");
                        break;
                    }
                    if (_stopRequested)
                    {
                        exit = new CoreExit(CoreExitReason.Stopped, pc, "Stopped by the host.");
                        break;
                    }
                    if (err != UnicornNative.ErrOk)
                    {
                        if (_memory.SystemMemory.Contains(pc & ~1u))
                            exit = new CoreExit(CoreExitReason.EnteredSystemMemory, pc & ~1u, "The program jumped into system memory (the ROM bootloader).");
                        else
                            exit = new CoreExit(CoreExitReason.Fault, pc, $"Emulation stopped: {UnicornNative.ErrorText(err)}.");
                        break;
                    }
                    // Waiting, not computing: nothing changed, and the slice was mostly status polls.
                    bool idle = _ctx.Activity == before && _ctx.EmptyPolls - polls >= (long)(_options.SliceInstructions / 100);
                    Slices++;
                    if (idle) IdleSlices++;
                    long t0 = Stopwatch.GetTimestamp();
                    Pump(buffer, outgoing, idle);
                    if (idle) _idleTicks += Stopwatch.GetTimestamp() - t0;
                }
            }
            catch (ObjectDisposedException)
            {
                exit = new CoreExit(CoreExitReason.LinkClosed, pc, "The link was closed.");
            }
            catch (System.IO.IOException e)
            {
                exit = new CoreExit(CoreExitReason.LinkClosed, pc, "The link failed: " + e.Message);
            }
            catch (EmulationException e)
            {
                exit = new CoreExit(CoreExitReason.Fault, pc, e.Message);
            }
            try
            {
                // What the program sent before it ended still reaches the host.
                outgoing.Clear();
                _usart.TakeDue(outgoing, long.MaxValue);
                if (outgoing.Count > 0) _link.Write(outgoing.ToArray(), 0, outgoing.Count);
            }
            catch (Exception e) when (e is ObjectDisposedException || e is System.IO.IOException)
            {
            }
            lock (_gate)
            {
                _exit = exit;
                _engine = null;
            }
            engine.Dispose();
            _exited.Set();
            try
            {
                Exited?.Invoke(exit);
            }
            catch (Exception)
            {
                // A subscriber's failure must not kill the core's thread.
            }
        }

        /// <summary>Moves bytes between the link and the USART; when the slice was idle, waits for the next thing to happen (at most 2 ms).</summary>
        private void Pump(byte[] buffer, List<byte> outgoing, bool idle)
        {
            long now = CoreContext.Clock;
            outgoing.Clear();
            if (_usart.TakeDue(outgoing, now) > 0) _link.Write(outgoing.ToArray(), 0, outgoing.Count);

            // Everything the host has written so far is on its way before the program sees time move.
            bool received = false;
            for (int i = 0; i < 16; i++)
            {
                int n = _link.Read(buffer, 0, buffer.Length, TimeSpan.Zero, CancellationToken.None);
                if (n <= 0) break;
                _usart.Receive(buffer, n, CoreContext.Clock);
                received = true;
            }
            if (received || !idle)
            {
                _ctx.Now = CoreContext.Clock;
                return;
            }

            long next = 0;
            foreach (var d in _devices)
            {
                long e = d.NextEvent;
                if (e > now && (next == 0 || e < next)) next = e;
            }
            long limit = now + CoreContext.TicksOf(TimeSpan.FromMilliseconds(2));
            long until = next == 0 ? limit : Math.Min(next, limit);
            long left = until - CoreContext.Clock;
            if (left > 0)
            {
                if (left < Stopwatch.Frequency / 2000)
                {
                    // Under half a millisecond: a blocking wait would oversleep, so spin politely.
                    while (CoreContext.Clock < until) Thread.Yield();
                }
                else
                {
                    int n = _link.Read(buffer, 0, buffer.Length, TimeSpan.FromTicks(left * TimeSpan.TicksPerSecond / Stopwatch.Frequency), CancellationToken.None);
                    if (n > 0) _usart.Receive(buffer, n, CoreContext.Clock);
                }
            }
            _ctx.Now = CoreContext.Clock;
        }
    }
}
