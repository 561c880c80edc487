using System;
using System.Globalization;
using System.IO;
using System.Net.Sockets;
using System.Threading;

namespace Stm32.Protocol.Transport
{
    /// <summary>
    /// A raw byte stream over TCP: a serial server (ser2net, ESP-link, lab serial servers) on
    /// the client side, or one accepted connection on the side that serves the simulated chip.
    /// No telnet/RFC 2217 negotiation: line settings are the server's. No modem lines.
    /// </summary>
    public sealed class TcpLink : IByteLink
    {
        private readonly TcpClient _client;
        // Kept from the start: TcpClient.Client is null once the client is disposed, and a read
        // on another thread (the simulated chip's serving thread) must then end with
        // ObjectDisposedException, not a NullReferenceException that kills the process.
        private readonly Socket _socket;
        private readonly NetworkStream _stream;
        private volatile bool _disposed;

        public TcpLink(TcpClient client, string name, int baudRate)
        {
            _client = client;
            _client.NoDelay = true; // one-byte ACKs must not wait for Nagle
            _socket = client.Client;
            _stream = client.GetStream();
            WriteTimeout = DefaultWriteTimeout;
            Name = name;
            BaudRate = baudRate;
        }

        /// <summary>Connects to host:port within <paramref name="timeout"/>.</summary>
        public static TcpLink Connect(string host, int port, int baudRate, TimeSpan timeout, CancellationToken ct = default)
        {
            var client = new TcpClient();
            try
            {
                var task = client.ConnectAsync(host, port);
                bool done;
                try
                {
                    done = task.Wait((int)timeout.TotalMilliseconds, ct);
                }
                catch (AggregateException e) when (e.InnerException != null)
                {
                    // A refused or unresolvable connection: the SocketException, not its wrapper.
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
                    throw;
                }
                if (!done)
                    throw new TimeoutException($"No TCP connection to {host}:{port} within {timeout.TotalSeconds:0.#} s.");
                if (task.IsFaulted) throw task.Exception!.InnerException!;
                return new TcpLink(client, $"tcp://{host}:{port}", baudRate);
            }
            catch
            {
                client.Dispose();
                throw;
            }
        }

        public string Name { get; }

        public int BaudRate { get; set; }

        public bool SupportsModemLines => false;

        public bool IsConnected => _client.Connected;

        /// <summary>The other end has closed the connection (all it sent has been read). Does not wait.</summary>
        public bool PeerClosed
        {
            get
            {
                try
                {
                    return _socket.Poll(0, SelectMode.SelectRead) && _socket.Available == 0;
                }
                catch (Exception e) when (e is SocketException || e is ObjectDisposedException)
                {
                    return true;
                }
            }
        }

        // Bytes read so far: a server that closes before sending any is busy or refusing us.
        private long _received;

        /// <summary>The default <see cref="WriteTimeout"/>.</summary>
        public static readonly TimeSpan DefaultWriteTimeout = TimeSpan.FromSeconds(5);

        /// <summary>
        /// How long a write may wait for the other end to take the bytes (it stalls once both
        /// socket buffers are full: a serial server that stopped reading). Then the write fails
        /// with IOException, as other failures of the connection do. Zero waits for ever.
        /// </summary>
        public TimeSpan WriteTimeout
        {
            get => TimeSpan.FromMilliseconds(_client.SendTimeout);
            set => _client.SendTimeout = value <= TimeSpan.Zero ? 0 : (int)Math.Min(int.MaxValue, Math.Ceiling(value.TotalMilliseconds));
        }

        public void SetModemLine(ModemLine line, bool asserted)
            => throw new ModemLinesNotSupportedException(Name);

        public void Write(byte[] buffer, int offset, int count)
        {
            try
            {
                _stream.Write(buffer, offset, count);
            }
            catch (IOException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.TimedOut or SocketError.WouldBlock })
            {
                throw new IOException(string.Format(CultureInfo.InvariantCulture,
                    "{0}: the other end took no data for {1:0.###} s (is the serial server stalled?).", Name, WriteTimeout.TotalSeconds), e);
            }
        }

        public int Read(byte[] buffer, int offset, int count, TimeSpan timeout, CancellationToken cancellationToken)
        {
            var deadline = Deadline.After(timeout);
            var socket = _socket;
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                ThrowIfDisposed();
                var left = deadline.Remaining;
                var sliceUs = (int)Math.Max(0, Math.Min(50_000, left.TotalMilliseconds * 1000));
                if (socket.Poll(sliceUs, SelectMode.SelectRead))
                {
                    // Closed here while the poll waited: that is our Dispose, not the peer.
                    ThrowIfDisposed();
                    if (socket.Available == 0)
                    {
                        if (_received == 0)
                            throw new PortOpenException(Name, PortOpenFailure.Busy, string.Format(CultureInfo.InvariantCulture,
                                "{0}: the server accepted the connection and closed it before sending anything: it serves one client at a time and another has it (Start-Stm32Simulator, ser2net), or it refuses us. Try again when the other client is done.",
                                Name));
                        throw new IOException($"{Name}: the other end closed the connection.");
                    }
                    var n = _stream.Read(buffer, offset, Math.Min(count, socket.Available));
                    _received += n;
                    return n;
                }
                if (deadline.HasPassed) return 0;
            }
        }

        public void DiscardInput()
        {
            ThrowIfDisposed();
            var socket = _socket;
            var scratch = new byte[256];
            while (socket.Available > 0) _received += _stream.Read(scratch, 0, Math.Min(scratch.Length, socket.Available));
        }

        private void ThrowIfDisposed()
        {
            if (_disposed) throw new ObjectDisposedException(Name);
        }

        public void Dispose()
        {
            _disposed = true;
            _stream.Dispose();
            _client.Dispose();
        }
    }
}
