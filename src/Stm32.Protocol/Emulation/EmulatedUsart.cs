using System;
using System.Collections.Generic;
using System.Diagnostics;
using Stm32.Protocol.Simulation;

namespace Stm32.Protocol.Emulation
{
    /// <summary>Which USART register layout a family has.</summary>
    public enum UsartLayout
    {
        /// <summary>F1, F2, F4, L1: SR 0x00, DR 0x04, BRR 0x08, CR1 0x0C (UE bit 13).</summary>
        Old,

        /// <summary>F0, F3, F7, G0, L4, ...: CR1 0x00 (UE bit 0), BRR 0x0C, ISR 0x1C, ICR 0x20, RDR 0x24, TDR 0x28.</summary>
        New,
    }

    /// <summary>
    /// A USART as the programs see it, wired to the device end of a byte link. Bytes cost 11 bit
    /// times (start, 8 data, parity, stop) on the wire with realistic timing, as on the ROM path:
    /// a received byte is readable (RXNE) once it has fully arrived, counted from when the host
    /// wrote it; a sent byte leaves the shift register one byte time after it started, and TXE/TC
    /// follow. The rate on the wire is the host's; the USART's own rate is its kernel clock over
    /// BRR (16× oversampling). When the two differ by more than 3 %, or the frame is not
    /// 8 data bits + even parity (M and PCE set), every byte each way arrives garbled, as on a
    /// real line. Reception is buffered without limit (no overrun is modelled: the flasher's
    /// polling interval is not checked here). Bytes received while UE or RE is clear are lost.
    /// Fault knobs (drop/corrupt per direction) are those of <see cref="SimulatorFaults"/>.
    /// Registers and queues belong to the core's thread (callbacks and pumping); only the
    /// counters and <see cref="Rate"/> are read from elsewhere.
    /// </summary>
    internal sealed class EmulatedUsart : IBusDevice
    {
        private const uint Rxne = 1u << 5, Tc = 1u << 6, Txe = 1u << 7;

        private readonly CoreContext _ctx;
        private readonly UsartLayout _layout;
        private readonly Func<uint> _kernelClock;
        private readonly Func<bool> _clockEnabled;
        private readonly Func<int> _lineBaud;
        private readonly SimulatorFaults _faults;
        private readonly Random _rngIn, _rngOut, _garble;
        private readonly object _gate = new object();

        // Registers.
        private uint _cr1, _cr2, _cr3, _brr, _gtpr;

        // Receive side: (value, Stopwatch time it has fully arrived).
        private readonly Queue<(byte Value, long Arrival)> _rx = new Queue<(byte, long)>();
        private long _rxLineFree;

        // Send side: bytes waiting for their due time before going to the link.
        private readonly Queue<(byte Value, long Due)> _tx = new Queue<(byte, long)>();
        private long _txLastStart, _txLastDue;

        public EmulatedUsart(uint baseAddress, UsartLayout layout, CoreContext ctx, Func<uint> kernelClock, Func<bool> clockEnabled,
            Func<int> lineBaud, SimulatorFaults? faults)
        {
            Base = baseAddress;
            _layout = layout;
            _ctx = ctx;
            _kernelClock = kernelClock;
            _clockEnabled = clockEnabled;
            _lineBaud = lineBaud;
            _faults = faults ?? new SimulatorFaults();
            _rngIn = new Random(_faults.Seed);
            _rngOut = new Random(unchecked(_faults.Seed + 1));
            _garble = new Random(unchecked(_faults.Seed + 7));
        }

        public uint Base { get; }

        public uint Size => 0x400;

        public long BytesReceived { get; private set; }

        public long BytesSent { get; private set; }

        /// <summary>Bytes that arrived garbled because the rates or frame formats did not match.</summary>
        public long GarbledBytes { get; private set; }

        private uint UeBit => _layout == UsartLayout.Old ? 1u << 13 : 1u;

        private bool Enabled => (_cr1 & UeBit) != 0;

        private bool RxOn => Enabled && (_cr1 & (1u << 2)) != 0;

        private bool TxOn => Enabled && (_cr1 & (1u << 3)) != 0;

        /// <summary>The USART's own rate from its kernel clock and BRR (0 when it cannot talk).</summary>
        public int Rate => RateLocked();

        private int RateLocked()
        {
            if (_brr < 16) return 0;
            bool over8 = (_cr1 & (1u << 15)) != 0;
            uint div = over8 ? ((_brr & 0xFFF0u) | ((_brr & 7u) << 1)) : _brr;
            return div == 0 ? 0 : (int)((over8 ? 2.0 : 1.0) * _kernelClock() / div);
        }

        /// <summary>True when a byte would cross the line intact: same rate within 3 %, 8 data bits + even parity.</summary>
        private bool LineMatches()
        {
            int line = _lineBaud();
            int own = RateLocked();
            if (line <= 0 || own <= 0) return false;
            if (Math.Abs(own - line) > line * 0.03) return false;
            const uint frame = (1u << 12) | (1u << 10); // M (M0) and PCE
            return (_cr1 & frame) == frame && (_cr1 & (1u << 9)) == 0; // even parity
        }

        private long ByteTicks()
        {
            int line = _lineBaud();
            return line <= 0 ? 0 : (long)Math.Round(Stopwatch.Frequency * 11.0 / line);
        }

        public long NextEvent
        {
            get
            {
                lock (_gate)
                {
                    long next = 0;
                    if (_rx.Count > 0) next = _rx.Peek().Arrival;
                    if (_tx.Count > 0) next = next == 0 ? _tx.Peek().Due : Math.Min(next, _tx.Peek().Due);
                    long now = CoreContext.Clock;
                    if (_txLastStart > now) next = next == 0 ? _txLastStart : Math.Min(next, _txLastStart);
                    if (_txLastDue > now) next = next == 0 ? _txLastDue : Math.Min(next, _txLastDue);
                    return next;
                }
            }
        }

        public void Reset()
        {
            lock (_gate)
            {
                _cr1 = _cr2 = _cr3 = _brr = _gtpr = 0;
                _rx.Clear();
                _txLastStart = _txLastDue = 0;
            }
        }

        /// <summary>Bytes the host wrote (read from the link at <paramref name="readAt"/>): they arrive one byte time apart from then.</summary>
        public void Receive(byte[] data, int count, long readAt)
        {
            lock (_gate)
            {
                bool intact = LineMatches();
                long byteTicks = _ctx.Realistic ? ByteTicks() : 0;
                for (int i = 0; i < count; i++)
                {
                    byte b = data[i];
                    _rxLineFree = Math.Max(_rxLineFree, readAt) + byteTicks;
                    if (_faults.DropRateToDevice > 0 && _rngIn.NextDouble() < _faults.DropRateToDevice) continue;
                    if (_faults.CorruptRateToDevice > 0 && _rngIn.NextDouble() < _faults.CorruptRateToDevice) b ^= (byte)(1 << _rngIn.Next(8));
                    if (!RxOn) continue; // nobody listening: the byte is lost
                    if (!intact)
                    {
                        b = (byte)_garble.Next(256);
                        GarbledBytes++;
                    }
                    _rx.Enqueue((b, _rxLineFree));
                }
                _ctx.Activity++;
            }
        }

        /// <summary>Takes the sent bytes whose wire time is over (all of them with instant timing).</summary>
        public int TakeDue(List<byte> into, long now)
        {
            lock (_gate)
            {
                int n = 0;
                while (_tx.Count > 0 && (!_ctx.Realistic || _tx.Peek().Due <= now))
                {
                    into.Add(_tx.Dequeue().Value);
                    n++;
                }
                return n;
            }
        }

        public uint Read(uint offset, int size)
        {
            {
                if (!_clockEnabled()) return 0;
                long now = _ctx.Realistic ? CoreContext.Clock : long.MaxValue;
                if (_layout == UsartLayout.Old)
                {
                    switch (offset)
                    {
                        case 0x00: return Status(now);
                        case 0x04: return ReadData(now);
                        case 0x08: return _brr;
                        case 0x0C: return _cr1;
                        case 0x10: return _cr2;
                        case 0x14: return _cr3;
                        case 0x18: return _gtpr;
                        default: return 0;
                    }
                }
                switch (offset)
                {
                    case 0x00: return _cr1;
                    case 0x04: return _cr2;
                    case 0x08: return _cr3;
                    case 0x0C: return _brr;
                    case 0x10: return _gtpr;
                    case 0x1C: return Status(now);
                    case 0x24: return ReadData(now);
                    default: return 0;
                }
            }
        }

        public void Write(uint offset, int size, uint value)
        {
            {
                if (!_clockEnabled()) return;
                _ctx.Activity++;
                if (_layout == UsartLayout.Old)
                {
                    switch (offset)
                    {
                        case 0x04: Send((byte)value); break;
                        case 0x08: _brr = value & 0xFFFF; break;
                        case 0x0C: _cr1 = value; break;
                        case 0x10: _cr2 = value; break;
                        case 0x14: _cr3 = value; break;
                        case 0x18: _gtpr = value; break;
                    }
                    return;
                }
                switch (offset)
                {
                    case 0x00: _cr1 = value; break;
                    case 0x04: if (!Enabled) _cr2 = value; break;
                    case 0x08: if (!Enabled) _cr3 = value; break;
                    case 0x0C: if (!Enabled) _brr = value & 0xFFFF; break; // BRR is writable only with UE clear
                    case 0x10: _gtpr = value; break;
                    case 0x28: Send((byte)value); break;
                }
            }
        }

        private uint Status(long now)
        {
            uint sr = 0;
            if (RxOn && _rx.Count > 0 && _rx.Peek().Arrival <= now) sr |= Rxne;
            else _ctx.EmptyPolls++;
            if (!_ctx.Realistic || _txLastStart <= now) sr |= Txe;
            if (!_ctx.Realistic || _txLastDue <= now) sr |= Tc;
            return sr;
        }

        private uint ReadData(long now)
        {
            if (_rx.Count == 0 || _rx.Peek().Arrival > now) return 0;
            _ctx.Activity++;
            BytesReceived++;
            return _rx.Dequeue().Value;
        }

        private void Send(byte b)
        {
            if (!TxOn) return;
            long now = CoreContext.Clock;
            long due = now;
            if (_ctx.Realistic)
            {
                // One byte may wait in TDR while the previous one shifts out.
                long start = Math.Max(now, _txLastDue);
                _txLastStart = start;
                _txLastDue = due = start + ByteTicks();
            }
            BytesSent++;
            if (_faults.DropRateToHost > 0 && _rngOut.NextDouble() < _faults.DropRateToHost) return;
            if (_faults.CorruptRateToHost > 0 && _rngOut.NextDouble() < _faults.CorruptRateToHost) b ^= (byte)(1 << _rngOut.Next(8));
            if (!LineMatches())
            {
                b = (byte)_garble.Next(256);
                GarbledBytes++;
            }
            _tx.Enqueue((b, due));
        }
    }
}
