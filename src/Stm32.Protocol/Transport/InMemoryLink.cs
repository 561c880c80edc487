using System;
using System.Collections.Generic;
using System.Threading;

namespace Stm32.Protocol.Transport
{
    /// <summary>
    /// Two connected in-memory links: what one end writes, the other reads. The simulated chip
    /// sits on the device end. Modem lines set on the host end are visible on the device end
    /// (as if DTR/RTS were wired to the chip's RESET/BOOT0), through <see cref="HostLines"/>.
    /// </summary>
    public sealed class InMemoryLinkPair
    {
        public InMemoryLinkPair(string name, int baudRate)
        {
            var toDevice = new ByteQueue();
            var toHost = new ByteQueue();
            HostLines = new ModemLineState();
            Host = new InMemoryLink(name, baudRate, toHost, toDevice, HostLines);
            Device = new InMemoryLink(name + " (device side)", baudRate, toDevice, toHost, null);
        }

        /// <summary>The end a client opens.</summary>
        public InMemoryLink Host { get; }

        /// <summary>The end the simulated chip serves.</summary>
        public InMemoryLink Device { get; }

        /// <summary>The modem lines the host end drives.</summary>
        public ModemLineState HostLines { get; }
    }

    /// <summary>Modem line levels driven by a host; raises <see cref="Changed"/> on every change.</summary>
    public sealed class ModemLineState
    {
        private readonly object _gate = new object();
        private readonly Dictionary<ModemLine, bool> _lines = new Dictionary<ModemLine, bool>
        {
            [ModemLine.Dtr] = false,
            [ModemLine.Rts] = false,
            [ModemLine.Break] = false,
        };

        /// <summary>Raised (on the host's thread) after a line changes: the line and its new state.</summary>
        public event Action<ModemLine, bool>? Changed;

        public bool IsAsserted(ModemLine line)
        {
            lock (_gate) return _lines[line];
        }

        internal void Set(ModemLine line, bool asserted)
        {
            lock (_gate)
            {
                if (_lines[line] == asserted) return;
                _lines[line] = asserted;
            }
            Changed?.Invoke(line, asserted);
        }
    }

    public sealed class InMemoryLink : IByteLink
    {
        private readonly ByteQueue _in;
        private readonly ByteQueue _out;
        private readonly ModemLineState? _lines;

        internal InMemoryLink(string name, int baudRate, ByteQueue input, ByteQueue output, ModemLineState? lines)
        {
            Name = name;
            BaudRate = baudRate;
            _in = input;
            _out = output;
            _lines = lines;
        }

        public string Name { get; }
        public int BaudRate { get; set; }
        public bool SupportsModemLines => _lines != null;

        /// <summary>True once either end has been disposed.</summary>
        public bool IsClosed => _in.IsClosed || _out.IsClosed;

        public void Write(byte[] buffer, int offset, int count)
        {
            if (_out.IsClosed) throw new ObjectDisposedException(Name);
            _out.Enqueue(buffer, offset, count);
        }

        public int Read(byte[] buffer, int offset, int count, TimeSpan timeout, CancellationToken cancellationToken)
            => _in.Dequeue(buffer, offset, count, timeout, cancellationToken, Name);

        public void DiscardInput() => _in.Clear();

        public void SetModemLine(ModemLine line, bool asserted)
        {
            if (_lines == null) throw new ModemLinesNotSupportedException(Name);
            _lines.Set(line, asserted);
        }

        /// <summary>Closes both directions: the other end's reads end with ObjectDisposedException.</summary>
        public void Dispose()
        {
            _in.Close();
            _out.Close();
        }
    }

    /// <summary>A thread-safe FIFO of bytes with blocking, cancellable reads.</summary>
    internal sealed class ByteQueue
    {
        private readonly Queue<byte> _bytes = new Queue<byte>();
        private bool _closed;

        public bool IsClosed
        {
            get { lock (_bytes) return _closed; }
        }

        public void Enqueue(byte[] buffer, int offset, int count)
        {
            lock (_bytes)
            {
                for (int i = 0; i < count; i++) _bytes.Enqueue(buffer[offset + i]);
                Monitor.PulseAll(_bytes);
            }
        }

        public void Clear()
        {
            lock (_bytes) _bytes.Clear();
        }

        public void Close()
        {
            lock (_bytes)
            {
                _closed = true;
                Monitor.PulseAll(_bytes);
            }
        }

        public int Dequeue(byte[] buffer, int offset, int count, TimeSpan timeout, CancellationToken ct, string name)
        {
            var deadline = Deadline.After(timeout);
            using (ct.Register(() => { lock (_bytes) Monitor.PulseAll(_bytes); }))
            {
                lock (_bytes)
                {
                    while (_bytes.Count == 0)
                    {
                        ct.ThrowIfCancellationRequested();
                        if (_closed) throw new ObjectDisposedException(name);
                        var left = deadline.Remaining;
                        if (left <= TimeSpan.Zero) return 0;
                        // Wake at least every 50 ms so a cancellation that raced the Register is seen.
                        Monitor.Wait(_bytes, left < TimeSpan.FromMilliseconds(50) ? left : TimeSpan.FromMilliseconds(50));
                    }
                    int n = 0;
                    while (n < count && _bytes.Count > 0) buffer[offset + n++] = _bytes.Dequeue();
                    return n;
                }
            }
        }
    }
}
