using System;
using System.Collections.Generic;
using System.Diagnostics;

namespace Stm32.Protocol.Emulation
{
    /// <summary>A memory-mapped peripheral of the emulated chip (offsets from its base).</summary>
    internal interface IBusDevice
    {
        uint Base { get; }

        uint Size { get; }

        uint Read(uint offset, int size);

        void Write(uint offset, int size, uint value);

        /// <summary>The next Stopwatch time something changes by itself (0: nothing pending).</summary>
        long NextEvent { get; }

        /// <summary>Back to the reset state (the chip reset).</summary>
        void Reset();
    }

    /// <summary>What every peripheral shares: the time base and an activity count the run loop uses to spot idling.</summary>
    internal sealed class CoreContext
    {
        public CoreContext(bool realistic)
        {
            Realistic = realistic;
        }

        /// <summary>Realistic timing: flash operations and bytes take their time; else they are instant.</summary>
        public bool Realistic { get; }

        /// <summary>Raised by anything that changes state (a byte moved, a flash operation): not idle.</summary>
        public long Activity;

        /// <summary>Status polls that found nothing new (no byte, still busy, a timer read): many of them and no activity = waiting.</summary>
        public long EmptyPolls;

        /// <summary>
        /// The program's timer base (Stopwatch ticks): the wall clock read when the current run
        /// slice started. SysTick stands still inside a slice and moves between slices, after the
        /// link was pumped, so a program never sees time pass without the bytes that arrived
        /// meanwhile (a descheduled emulator thread must not look like a silent line). Flash busy
        /// times and the wire use the wall clock (<see cref="Clock"/>), so a 52 us program ends
        /// when it should, not at the end of a slice.
        /// </summary>
        public long Now = Stopwatch.GetTimestamp();

        public static long Clock => Stopwatch.GetTimestamp();

        public static long TicksOf(TimeSpan t) => (long)(t.TotalSeconds * Stopwatch.Frequency);

        public static long TicksOfMicroseconds(double us) => (long)(us * Stopwatch.Frequency / 1e6);
    }

    /// <summary>
    /// Registers nobody models (GPIO, clock enables, ...): they keep what is written (word-wide,
    /// byte and half-word writes merged) and read it back, and writes are recorded in order so a
    /// test can watch a program toggle a pin.
    /// </summary>
    internal sealed class RegisterFile
    {
        private readonly Dictionary<uint, uint> _words = new Dictionary<uint, uint>();
        private readonly List<PeripheralWrite> _log = new List<PeripheralWrite>();
        private readonly object _gate = new object();

        public int LogCapacity { get; set; } = 100_000;

        public uint Read(uint address, int size)
        {
            lock (_gate)
            {
                _words.TryGetValue(address & ~3u, out var w);
                return Extract(w, address, size);
            }
        }

        public void Write(uint address, int size, uint value)
        {
            lock (_gate)
            {
                var at = address & ~3u;
                _words.TryGetValue(at, out var w);
                _words[at] = Merge(w, address, size, value);
                if (_log.Count < LogCapacity) _log.Add(new PeripheralWrite(address, size, value, CoreContext.Clock));
            }
        }

        public void Set(uint address, uint value)
        {
            lock (_gate) _words[address & ~3u] = value;
        }

        public IReadOnlyList<PeripheralWrite> Log
        {
            get { lock (_gate) return _log.ToArray(); }
        }

        public void Clear()
        {
            lock (_gate)
            {
                _words.Clear();
                _log.Clear();
            }
        }

        public static uint Extract(uint word, uint address, int size)
        {
            int shift = (int)(address & 3) * 8;
            return size >= 4 ? word : (word >> shift) & (size == 2 ? 0xFFFFu : 0xFFu);
        }

        public static uint Merge(uint word, uint address, int size, uint value)
        {
            if (size >= 4) return value;
            int shift = (int)(address & 3) * 8;
            uint mask = (size == 2 ? 0xFFFFu : 0xFFu) << shift;
            return (word & ~mask) | ((value << shift) & mask);
        }
    }

    /// <summary>A write to a peripheral register nobody models (e.g. a GPIO output register).</summary>
    public readonly struct PeripheralWrite
    {
        public PeripheralWrite(uint address, int size, uint value, long ticks)
        {
            Address = address;
            Size = size;
            Value = value;
            Ticks = ticks;
        }

        public uint Address { get; }

        public int Size { get; }

        public uint Value { get; }

        /// <summary>Stopwatch timestamp.</summary>
        public long Ticks { get; }

        public override string ToString() => $"0x{Address:X8} <- 0x{Value:X} ({Size} B)";
    }

    /// <summary>
    /// The system control space the programs touch: SysTick (a 24-bit down counter at HCLK,
    /// driven by the Stopwatch so timeouts run in real time whatever the emulation speed),
    /// AIRCR (SYSRESETREQ asks for a reset), CPUID, and the rest kept as plain registers.
    /// </summary>
    internal sealed class SystemControl : IBusDevice
    {
        private readonly Func<uint> _hclk;
        private readonly uint _cpuid;
        private readonly Action _resetRequest;
        private readonly RegisterFile _other = new RegisterFile();
        private uint _csr, _rvr;
        private long _origin;

        private readonly CoreContext _ctx;

        public SystemControl(CoreContext ctx, Func<uint> hclk, uint cpuid, Action resetRequest)
        {
            _ctx = ctx;
            _hclk = hclk;
            _cpuid = cpuid;
            _resetRequest = resetRequest;
        }

        public uint Base => 0xE000E000;

        public uint Size => 0x1000;

        public long NextEvent => 0;

        public void Reset()
        {
            _csr = 0;
            _rvr = 0;
            _origin = _ctx.Now;
            _other.Clear();
        }

        public uint Read(uint offset, int size)
        {
            switch (offset & ~3u)
            {
                case 0x010: return _csr;
                case 0x014: return _rvr;
                case 0x018:
                    _ctx.EmptyPolls++;
                    return CurrentValue();
                case 0xD00: return _cpuid;
                default: return _other.Read(Base + offset, size);
            }
        }

        public void Write(uint offset, int size, uint value)
        {
            switch (offset & ~3u)
            {
                case 0x010:
                    if ((value & 1) != 0 && (_csr & 1) == 0) _origin = _ctx.Now;
                    _csr = value & 7u;
                    break;
                case 0x014:
                    _rvr = value & 0xFFFFFFu;
                    break;
                case 0x018:
                    _origin = _ctx.Now; // any write clears the counter
                    break;
                case 0xD0C:
                    if ((value >> 16) == 0x05FA && (value & 4u) != 0) _resetRequest();
                    break;
                default:
                    _other.Write(Base + offset, size, value);
                    break;
            }
        }

        private uint CurrentValue()
        {
            if ((_csr & 1) == 0) return 0;
            double elapsed = (_ctx.Now - _origin) / (double)Stopwatch.Frequency;
            ulong cycles = (ulong)(elapsed * _hclk());
            ulong period = (ulong)_rvr + 1;
            return (uint)(_rvr - (cycles % period));
        }
    }
}
