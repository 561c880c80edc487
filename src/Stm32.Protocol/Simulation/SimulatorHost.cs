using System;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using Stm32.Protocol.Transport;

namespace Stm32.Protocol.Simulation
{
    /// <summary>
    /// Serves one simulated chip to clients of any kind: on a Linux pseudo-terminal (the client
    /// opens <see cref="Endpoint"/> like a serial port, 8N1) or on a TCP port (a raw byte stream,
    /// one client at a time, like ser2net). The chip keeps its state across clients, as a board
    /// on the desk does: a second client finds it still synchronised.
    /// </summary>
    public sealed class SimulatorHost : IDisposable
    {
        private readonly TcpListener? _listener;
        private readonly PseudoTerminalLink? _pty;
        private readonly Thread? _acceptThread;
        private readonly CancellationTokenSource _cts = new CancellationTokenSource();
        private TcpLink? _current;
        private int _clients;

        private SimulatorHost(SimulatedChip chip, PseudoTerminalLink pty)
        {
            Chip = chip;
            _pty = pty;
            Endpoint = pty.SlavePath;
            chip.Attach(pty);
        }

        private SimulatorHost(SimulatedChip chip, TcpListener listener, int baudRate)
        {
            Chip = chip;
            _listener = listener;
            BaudRate = baudRate;
            var ep = (IPEndPoint)listener.LocalEndpoint;
            Endpoint = $"tcp://{ep.Address}:{ep.Port}";
            _acceptThread = new Thread(AcceptLoop) { IsBackground = true, Name = "Stm32 simulator " + Endpoint };
            _acceptThread.Start();
        }

        public SimulatedChip Chip { get; }

        /// <summary>What a client opens: /dev/pts/N or tcp://127.0.0.1:port.</summary>
        public string Endpoint { get; }

        public int BaudRate { get; }

        /// <summary>Clients served so far (TCP), or 1 (pty).</summary>
        public int ClientsServed => _pty != null ? 1 : _clients;

        /// <summary>Creates a pseudo-terminal and serves the chip on it (Linux).</summary>
        public static SimulatorHost OnPseudoTerminal(SimulatedChip chip, int baudRate)
            => new SimulatorHost(chip, new PseudoTerminalLink(baudRate));

        /// <summary>Listens on address:port (port 0 picks a free one) and serves one client at a time.</summary>
        public static SimulatorHost OnTcp(SimulatedChip chip, IPAddress address, int port, int baudRate)
        {
            var listener = new TcpListener(address, port);
            listener.Start(1);
            return new SimulatorHost(chip, listener, baudRate);
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
                var link = new TcpLink(client, Endpoint + " (client)", BaudRate);
                _current = link;
                Interlocked.Increment(ref _clients);
                Chip.Attach(link);
                // Serve until the client goes away: the chip's own read then fails and it stops
                // serving. (Polling the socket from here would race with the chip's reads.)
                while (!_cts.IsCancellationRequested && Chip.IsServing) Thread.Sleep(50);
                Chip.Detach();
                link.Dispose();
                _current = null;
            }
        }

        public void Dispose()
        {
            _cts.Cancel();
            try { _listener?.Stop(); } catch (SocketException) { }
            _current?.Dispose();
            _acceptThread?.Join(2000);
            Chip.Detach();
            _pty?.Dispose();
        }
    }
}
