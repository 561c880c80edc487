using System;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using Stm32.Protocol.Transport;

namespace Stm32.Protocol.Simulation
{
    /// <summary>
    /// Serves one simulated chip to clients of any kind: on a Linux pseudo-terminal (the client
    /// opens <see cref="Endpoint"/> like a serial port, 8N1) or on a TCP port (a raw byte stream,
    /// like ser2net). The chip keeps its state across clients, as a board on the desk does: a
    /// second client finds it still synchronised.
    /// <para>TCP: one client is served at a time, as a chip has one UART. Another that connects
    /// meanwhile is told the chip is busy the way ser2net-style servers tell it: its connection is
    /// accepted and closed at once, before a byte is sent (our <see cref="TcpLink"/> reports that as
    /// a busy port). A client that sends nothing for <see cref="IdleTimeout"/> while the chip waits
    /// for it is dropped, so one idle client cannot hold the chip for ever; the next client is
    /// served the moment it connects.</para>
    /// </summary>
    public sealed class SimulatorHost : IDisposable
    {
        /// <summary>The idle time after which a TCP client is dropped, unless told otherwise.</summary>
        public static readonly TimeSpan DefaultIdleTimeout = TimeSpan.FromSeconds(60);

        private readonly TcpListener? _listener;
        private readonly PseudoTerminalLink? _pty;
        private readonly Thread? _acceptThread;
        private readonly Thread? _idleThread;
        private readonly CancellationTokenSource _cts = new CancellationTokenSource();
        private readonly object _gate = new object();
        private ClientLink? _current;
        private int _clients;
        private int _refused;
        private int _dropped;

        private SimulatorHost(SimulatedChip chip, PseudoTerminalLink pty)
        {
            Chip = chip;
            _pty = pty;
            Endpoint = pty.SlavePath;
            chip.Attach(pty);
        }

        private SimulatorHost(SimulatedChip chip, TcpListener listener, int baudRate, TimeSpan idleTimeout)
        {
            Chip = chip;
            _listener = listener;
            BaudRate = baudRate;
            IdleTimeout = idleTimeout;
            var ep = (IPEndPoint)listener.LocalEndpoint;
            Endpoint = $"tcp://{ep.Address}:{ep.Port}";
            _acceptThread = new Thread(AcceptLoop) { IsBackground = true, Name = "Stm32 simulator " + Endpoint };
            _acceptThread.Start();
            if (idleTimeout > TimeSpan.Zero)
            {
                _idleThread = new Thread(IdleLoop) { IsBackground = true, Name = "Stm32 simulator idle watch " + Endpoint };
                _idleThread.Start();
            }
        }

        public SimulatedChip Chip { get; }

        /// <summary>What a client opens: /dev/pts/N or tcp://127.0.0.1:port.</summary>
        public string Endpoint { get; }

        public int BaudRate { get; }

        /// <summary>TCP: a client that sends nothing this long while the chip waits for it is dropped (zero: never).</summary>
        public TimeSpan IdleTimeout { get; }

        /// <summary>Clients served so far (TCP), or 1 (pty).</summary>
        public int ClientsServed => _pty != null ? 1 : Volatile.Read(ref _clients);

        /// <summary>TCP clients turned away because another was being served.</summary>
        public int ClientsRefused => Volatile.Read(ref _refused);

        /// <summary>TCP clients dropped for sending nothing for <see cref="IdleTimeout"/>.</summary>
        public int ClientsDropped => Volatile.Read(ref _dropped);

        /// <summary>Creates a pseudo-terminal and serves the chip on it (Linux).</summary>
        public static SimulatorHost OnPseudoTerminal(SimulatedChip chip, int baudRate)
            => new SimulatorHost(chip, new PseudoTerminalLink(baudRate));

        /// <summary>
        /// Listens on address:port (port 0 picks a free one) and serves one client at a time,
        /// dropping one that is idle for <paramref name="idleTimeout"/> (null: <see cref="DefaultIdleTimeout"/>; zero: never).
        /// </summary>
        public static SimulatorHost OnTcp(SimulatedChip chip, IPAddress address, int port, int baudRate, TimeSpan? idleTimeout = null)
        {
            var listener = new TcpListener(address, port);
            listener.Start();
            return new SimulatorHost(chip, listener, baudRate, idleTimeout ?? DefaultIdleTimeout);
        }

        private void AcceptLoop()
        {
            while (!_cts.IsCancellationRequested)
            {
                TcpClient client;
                try
                {
                    client = _listener!.AcceptTcpClient();
                }
                catch (Exception) when (_cts.IsCancellationRequested)
                {
                    return;
                }
                catch (SocketException)
                {
                    continue;
                }
                catch (ObjectDisposedException)
                {
                    return;
                }
                lock (_gate)
                {
                    if (_cts.IsCancellationRequested)
                    {
                        client.Dispose();
                        return;
                    }
                    if (_current != null && !_current.HasEnded(Chip))
                    {
                        // Busy: closed before a byte is sent (the client's TcpLink says so).
                        Interlocked.Increment(ref _refused);
                        client.Dispose();
                        continue;
                    }
                    EndCurrentLocked();
                    _current = new ClientLink(new TcpLink(client, Endpoint + " (client)", BaudRate));
                    Interlocked.Increment(ref _clients);
                    Chip.Attach(_current);
                }
            }
        }

        /// <summary>Drops the client when the chip has waited for its next byte for the whole idle time.</summary>
        private void IdleLoop()
        {
            var slice = TimeSpan.FromTicks(Math.Max(TimeSpan.FromMilliseconds(10).Ticks, Math.Min(TimeSpan.FromMilliseconds(250).Ticks, IdleTimeout.Ticks / 4)));
            while (!_cts.Token.WaitHandle.WaitOne(slice))
            {
                lock (_gate)
                {
                    if (_current == null) continue;
                    if (_current.HasEnded(Chip)) EndCurrentLocked();
                    else if (_current.WaitedFor >= IdleTimeout)
                    {
                        Interlocked.Increment(ref _dropped);
                        EndCurrentLocked();
                    }
                }
            }
        }

        /// <summary>Stops serving the current client (it left, or is dropped) and lets its link go.</summary>
        private void EndCurrentLocked()
        {
            if (_current == null) return;
            _current.Dispose();
            Chip.Detach();
            _current = null;
        }

        public void Dispose()
        {
            _cts.Cancel();
            try { _listener?.Stop(); } catch (SocketException) { }
            lock (_gate) EndCurrentLocked();
            _acceptThread?.Join(2000);
            _idleThread?.Join(2000);
            Chip.Detach();
            _pty?.Dispose();
            _cts.Dispose();
        }

        /// <summary>
        /// The accepted client's link as the chip sees it, timing how long the chip has waited for
        /// the client's next byte: it counts only while the chip is reading (never while it is busy
        /// with a command, an erase, say), from the chip's first read since the last byte arrived.
        /// </summary>
        private sealed class ClientLink : IByteLink
        {
            private readonly TcpLink _inner;
            private long _waitingSince;

            public ClientLink(TcpLink inner) => _inner = inner;

            public string Name => _inner.Name;

            public int BaudRate => _inner.BaudRate;

            public bool SupportsModemLines => false;

            /// <summary>How long the chip has waited for the client's next byte (zero while it is busy or just got one).</summary>
            public TimeSpan WaitedFor
            {
                get
                {
                    var since = Interlocked.Read(ref _waitingSince);
                    return since == 0 ? TimeSpan.Zero : TimeSpan.FromSeconds((double)(Stopwatch.GetTimestamp() - since) / Stopwatch.Frequency);
                }
            }

            /// <summary>The client closed its end, or the chip stopped serving it.</summary>
            public bool HasEnded(SimulatedChip chip) => !chip.IsServing || _inner.PeerClosed;

            public int Read(byte[] buffer, int offset, int count, TimeSpan timeout, CancellationToken cancellationToken)
            {
                Interlocked.CompareExchange(ref _waitingSince, Stopwatch.GetTimestamp(), 0);
                var n = _inner.Read(buffer, offset, count, timeout, cancellationToken);
                if (n > 0) Interlocked.Exchange(ref _waitingSince, 0);
                return n;
            }

            public void Write(byte[] buffer, int offset, int count) => _inner.Write(buffer, offset, count);

            public void DiscardInput() => _inner.DiscardInput();

            public void SetModemLine(ModemLine line, bool asserted) => _inner.SetModemLine(line, asserted);

            public void Dispose() => _inner.Dispose();
        }
    }
}
