using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using Stm32.Protocol.Bootloader;
using Stm32.Protocol.Transport;

namespace Stm32.Protocol.Simulation
{
    /// <summary>
    /// The simulated chip's end of the serial line: the byte clock, the line faults and the trace.
    /// With realistic timing every byte costs 11 bit times at the link's baud rate each way (spec 1),
    /// kept on running Stopwatch deadlines so nothing drifts, and flash work costs its duration
    /// from when the frame it answers has arrived; with instant timing nothing waits. Bytes are
    /// dropped or corrupted per direction as <see cref="SimulatorFaults"/> asks (seeded, so a run
    /// repeats). Only the serving thread reads and sends; the trace and
    /// <see cref="DiscardInput"/> may be used from any thread. A reset of the chip unwinds whatever
    /// waits here with <see cref="ChipResetException"/>.
    /// </summary>
    internal sealed class ChipWire
    {
        private readonly SimulatorOptions _options;
        private readonly SimulatorFaults _faults;
        private readonly ResetEpoch _epoch;
        private readonly Random _rngToDevice, _rngToHost;
        private readonly object _traceGate = new object();
        private readonly Queue<TraceEntry> _trace = new Queue<TraceEntry>();

        private volatile IByteLink? _link;
        private CancellationToken _ct;

        // Owned by the serving thread.
        private readonly byte[] _rx = new byte[512];
        private int _rxPos, _rxLen;
        private bool _keepRxOnReset;
        private long _rxDeadline, _txDeadline;

        /// <summary>When the bytes now in _rx became readable (Stopwatch ticks): the host wrote them then.</summary>
        private long _rxChunkTicks;

        public ChipWire(SimulatorOptions options, SimulatorFaults faults, ResetEpoch epoch)
        {
            _options = options;
            _faults = faults;
            _epoch = epoch;
            _rngToDevice = new Random(_faults.Seed);
            _rngToHost = new Random(unchecked(_faults.Seed + 1));
        }

        public bool Realistic => _options.Timing == SimulatorTiming.Realistic;

        /// <summary>The attached link (null when detached).</summary>
        public IByteLink? Link => _link;

        /// <summary>Starts serving a link: nothing received yet, no reply under way.</summary>
        public void Connect(IByteLink link, CancellationToken ct)
        {
            _ct = ct;
            _rxPos = _rxLen = 0;
            _rxDeadline = _txDeadline = 0;
            _link = link;
        }

        public void Disconnect() => _link = null;

        /// <summary>Drops what the host sent before a reset (a reset empties the UART).</summary>
        public void DiscardInput()
        {
            try
            {
                _link?.DiscardInput();
            }
            catch (ObjectDisposedException)
            {
            }
        }

        /// <summary>
        /// After a reset unwound the serving thread: the reply that was going out stops, the next
        /// starts from now, and bytes read before the reset are dropped (unless they came after it).
        /// </summary>
        public void AfterReset()
        {
            _txDeadline = 0;
            if (!_keepRxOnReset) _rxPos = _rxLen = 0;
            _keepRxOnReset = false;
        }

        #region Receiving

        public byte ReadByte()
        {
            while (true)
            {
                if (_rxPos < _rxLen)
                {
                    _epoch.Check();
                    byte b = _rx[_rxPos++];
                    if (Realistic)
                    {
                        // The byte finished arriving one byte time after the line was free (spec 1: 11 bits),
                        // counted from when the host wrote it (its chunk became readable), not from when
                        // this thread got to it: a chip thread descheduled on a busy machine catches up
                        // with the wire instead of adding its delay to every later byte. Nothing waits
                        // here: the chip acts on a frame only once it has arrived (Send and Busy wait
                        // for _rxDeadline), and the trace records the arrival time, so a frame costs
                        // one wait, not a spin per byte (many served chips share few cores).
                        _rxDeadline = Math.Max(_rxDeadline, _rxChunkTicks) + ByteTicks();
                    }
                    long arrived = Realistic ? _rxDeadline : Stopwatch.GetTimestamp();
                    if (_faults.DropRateToDevice > 0 && _rngToDevice.NextDouble() < _faults.DropRateToDevice)
                    {
                        AddTrace(TraceDirection.ToDevice, b, TraceFault.Dropped, arrived);
                        continue;
                    }
                    var fault = TraceFault.None;
                    if (_faults.CorruptRateToDevice > 0 && _rngToDevice.NextDouble() < _faults.CorruptRateToDevice)
                    {
                        b ^= (byte)(1 << _rngToDevice.Next(8));
                        fault = TraceFault.Corrupted;
                    }
                    AddTrace(TraceDirection.ToDevice, b, fault, arrived);
                    return b;
                }
                _epoch.Check();
                var link = _link ?? throw new ObjectDisposedException("link");
                int n = link.Read(_rx, 0, _rx.Length, TimeSpan.FromMilliseconds(50), _ct);
                _rxChunkTicks = Stopwatch.GetTimestamp();
                _rxPos = 0;
                _rxLen = n;
                if (n > 0 && _epoch.HasMoved)
                {
                    // A reset happened while we waited: the reset dropped the older input, so
                    // these bytes were most likely sent after it (e.g. the 0x7F of a new sync).
                    _keepRxOnReset = true;
                    throw new ChipResetException();
                }
            }
        }

        public byte[] ReadBytes(int count)
        {
            var b = new byte[count];
            for (int i = 0; i < count; i++) b[i] = ReadByte();
            return b;
        }

        /// <summary>An address frame (addresses, sizes, CRC parameters); false on a bad XOR.</summary>
        public bool ReadWord(out uint value) => An3155.TryReadAddressFrame(ReadBytes(5), 0, out value);

        /// <summary>A code and its complement (a command pair, Read's N and ~N); false when they do not match.</summary>
        public bool ReadComplemented(out byte value)
        {
            value = ReadByte();
            return (byte)(value ^ ReadByte()) == 0xFF;
        }

        #endregion

        #region Sending

        public void Send(params byte[] bytes)
        {
            _epoch.Check();
            var link = _link ?? throw new ObjectDisposedException("link");
            var frame = new List<(byte Value, long Due, TraceFault Fault)>(bytes.Length);
            // A reply starts once the frame it answers has arrived, and goes out back to back from
            // then: a byte this thread was late for is sent at once and the next keeps the wire's
            // schedule (a UART's FIFO catching up).
            if (Realistic) _txDeadline = Math.Max(_txDeadline, Math.Max(Stopwatch.GetTimestamp(), _rxDeadline));
            foreach (var value in bytes)
            {
                byte b = value;
                long due = 0;
                if (Realistic)
                {
                    _txDeadline += ByteTicks();
                    due = _txDeadline;
                }
                if (_faults.DropRateToHost > 0 && _rngToHost.NextDouble() < _faults.DropRateToHost)
                {
                    // Lost on the way: it takes its wire time and reaches nobody (traced in order).
                    frame.Add((b, due, TraceFault.Dropped));
                    continue;
                }
                var fault = TraceFault.None;
                if (_faults.CorruptRateToHost > 0 && _rngToHost.NextDouble() < _faults.CorruptRateToHost)
                {
                    b ^= (byte)(1 << _rngToHost.Next(8));
                    fault = TraceFault.Corrupted;
                }
                frame.Add((b, due, fault));
            }
            if (!Realistic)
            {
                foreach (var f in frame) AddTrace(TraceDirection.ToHost, f.Value, f.Fault);
                var sent = frame.Where(f => f.Fault != TraceFault.Dropped).Select(f => f.Value).ToArray();
                if (sent.Length > 0) link.Write(sent, 0, sent.Length);
                return;
            }
            // Each byte leaves at its wire time, never early. Mid-reply the thread sleeps about a
            // millisecond and then writes every byte that has fallen due (at most that late, as a
            // USB adapter's latency would deliver them); the reply's last byte, the one the host
            // waits for, is met by a short spin. A 256-byte answer costs a few spins, not 256.
            int i = 0;
            while (i < frame.Count)
            {
                long now = Stopwatch.GetTimestamp();
                int j = i;
                while (j < frame.Count && frame[j].Due <= now) j++;
                if (j > i)
                {
                    _epoch.Check();
                    var due = new List<byte>(j - i);
                    for (int k = i; k < j; k++)
                    {
                        AddTrace(TraceDirection.ToHost, frame[k].Value, frame[k].Fault);
                        if (frame[k].Fault != TraceFault.Dropped) due.Add(frame[k].Value);
                    }
                    if (due.Count > 0) link.Write(due.ToArray(), 0, due.Count);
                    i = j;
                    continue;
                }
                if (frame[frame.Count - 1].Due - now > Stopwatch.Frequency / 700) SleepAboutAMillisecond();
                else WaitUntil(frame[i].Due);
            }
        }

        public void Ack() => Send(An3155.Ack);

        public void Nack() => Send(An3155.Nack);

        #endregion

        #region Time

        /// <summary>
        /// Realistic timing: waits until the frame just parsed has arrived on the wire (bytes are read
        /// ahead of their arrival time), so a change to memory or option bytes happens no earlier
        /// than on a chip, and a reset during the frame's wire time still stops it.
        /// </summary>
        public void Arrived()
        {
            if (Realistic) WaitUntil(_rxDeadline);
        }

        /// <summary>Flash/option operation time: only with realistic timing.</summary>
        public void Busy(TimeSpan duration)
        {
            if (Realistic && duration > TimeSpan.Zero) Stall(duration);
        }

        /// <summary>The chip is busy for <paramref name="duration"/> from when the frame it works on has arrived (any timing).</summary>
        public void Stall(TimeSpan duration)
            => WaitUntil(Math.Max(Stopwatch.GetTimestamp(), _rxDeadline) + (long)(duration.TotalSeconds * Stopwatch.Frequency));

        private long ByteTicks()
        {
            var baud = _link?.BaudRate ?? 0;
            return baud <= 0 ? 0 : (long)Math.Round(Stopwatch.Frequency * 11.0 / baud);
        }

        private void SleepAboutAMillisecond()
        {
            _epoch.Check();
            if (_ct.WaitHandle.WaitOne(1)) _ct.ThrowIfCancellationRequested();
        }

        /// <summary>Waits for a Stopwatch deadline without drift: sleeps while far, yields while near.</summary>
        private void WaitUntil(long deadline)
        {
            while (true)
            {
                long left = deadline - Stopwatch.GetTimestamp();
                if (left <= 0) return;
                _epoch.Check();
                double ms = left * 1000.0 / Stopwatch.Frequency;
                if (ms > 2)
                {
                    if (_ct.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(Math.Min(ms - 1, 50)))) _ct.ThrowIfCancellationRequested();
                }
                else Thread.Yield();
            }
        }

        #endregion

        #region Trace

        /// <summary>A snapshot of every byte each way (oldest first).</summary>
        public IReadOnlyList<TraceEntry> Trace
        {
            get { lock (_traceGate) return _trace.ToArray(); }
        }

        public void ClearTrace()
        {
            lock (_traceGate) _trace.Clear();
        }

        private void AddTrace(TraceDirection direction, byte value, TraceFault fault, long ticks = 0)
        {
            if (!_options.TraceEnabled) return;
            var entry = new TraceEntry(direction, value, ticks != 0 ? ticks : Stopwatch.GetTimestamp(), fault);
            lock (_traceGate)
            {
                _trace.Enqueue(entry);
                while (_trace.Count > Math.Max(1, _options.TraceCapacity)) _trace.Dequeue();
            }
        }

        #endregion
    }
}
