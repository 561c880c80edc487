// TEMPORARY stand-in for Stm32.Protocol.Simulation.SimulatedChip (branch `sim`), written to the
// announced API so the module can be built and tested before the real simulator lands on main.
// Delete this folder when merging main brings the real one (a duplicate type would not compile).
using System;
using System.Collections.Generic;
using System.Threading;
using Stm32.Protocol.Devices;
using Stm32.Protocol.Transport;

namespace Stm32.Protocol.Simulation
{
    internal enum SimulatorTiming { Instant, Realistic }

    internal sealed class SimulatorOptions
    {
        public SimulatorTiming Timing { get; set; } = SimulatorTiming.Instant;
        public byte? BootloaderVersion { get; set; }
    }

    internal sealed class SimulatedChip : IDisposable
    {
        private readonly DeviceInfo _device;
        private readonly byte _version;
        private readonly Dictionary<uint, byte> _memory = new Dictionary<uint, byte>();
        private IByteLink? _link;
        private Thread? _thread;
        private CancellationTokenSource? _cts;

        private volatile bool _synced;
        private volatile bool _running;

        public SimulatedChip(DeviceInfo device, SimulatorOptions? options = null)
        {
            _device = device;
            var o = options ?? new SimulatorOptions();
            _version = o.BootloaderVersion ?? device.DefaultBootloaderVersion;
            if (device.FlashSizeAddress is uint fs)
            {
                var kib = device.Flash.Length / 1024;
                _memory[fs] = (byte)kib;
                _memory[fs + 1] = (byte)(kib >> 8);
            }
            if (device.UniqueIdAddress is uint uid)
                for (uint i = 0; i < 12; i++) _memory[uid + i] = (byte)(0x30 + i);
        }

        /// <summary>Sampled at reset: false runs the application, which ignores every byte.</summary>
        public bool Boot0 { get; set; } = true;

        public DeviceInfo Device => _device;

        public void Attach(IByteLink deviceEnd)
        {
            Detach();
            _link = deviceEnd;
            _cts = new CancellationTokenSource();
            var ct = _cts.Token;
            _thread = new Thread(() => Serve(deviceEnd, ct)) { IsBackground = true, Name = "sim " + _device.ProductIdHex };
            _thread.Start();
        }

        public void Detach()
        {
            _cts?.Cancel();
            _thread?.Join(1000);
            _cts?.Dispose();
            _cts = null;
            _thread = null;
            _link = null;
        }

        public void Reset() { _synced = false; _running = !Boot0; }

        public void Dispose() => Detach();

        private byte[] Commands()
            => _version >= 0x30
                ? new byte[] { 0x00, 0x01, 0x02, 0x11, 0x21, 0x31, 0x44, 0x63, 0x73, 0x82, 0x92 }
                : new byte[] { 0x00, 0x01, 0x02, 0x11, 0x21, 0x31, 0x43, 0x63, 0x73, 0x82, 0x92 };

        private void Serve(IByteLink link, CancellationToken ct)
        {
            try
            {
                while (!ct.IsCancellationRequested)
                {
                    int b = ReadByte(link, ct);
                    if (_running) continue;
                    if (!_synced)
                    {
                        if (b == 0x7F) { _synced = true; Send(link, 0x79); }
                        continue;
                    }
                    int c = ReadByte(link, ct);
                    if ((b ^ c) != 0xFF) { Send(link, 0x1F); continue; }
                    switch (b)
                    {
                        case 0x00:
                            var cmds = Commands();
                            var g = new List<byte> { 0x79, (byte)cmds.Length, _version };
                            g.AddRange(cmds);
                            g.Add(0x79);
                            Send(link, g.ToArray());
                            break;
                        case 0x01: Send(link, 0x79, _version, 0, 0, 0x79); break;
                        case 0x02: Send(link, 0x79, 1, (byte)(_device.ProductId >> 8), (byte)_device.ProductId, 0x79); break;
                        case 0x11:
                            {
                                Send(link, 0x79);
                                var addr = ReadAddress(link, ct);
                                if (addr == null) { Send(link, 0x1F); break; }
                                Send(link, 0x79);
                                int n = ReadByte(link, ct), nc = ReadByte(link, ct);
                                if ((n ^ nc) != 0xFF) { Send(link, 0x1F); break; }
                                var data = new byte[n + 1];
                                lock (_memory)
                                    for (int i = 0; i <= n; i++)
                                        data[i] = _memory.TryGetValue(addr.Value + (uint)i, out var v) ? v : (byte)0xFF;
                                Send(link, 0x79);
                                Send(link, data);
                                break;
                            }
                        case 0x31:
                            {
                                Send(link, 0x79);
                                var addr = ReadAddress(link, ct);
                                if (addr == null) { Send(link, 0x1F); break; }
                                Send(link, 0x79);
                                int n = ReadByte(link, ct);
                                var data = new byte[n + 1];
                                byte x = (byte)n;
                                for (int i = 0; i <= n; i++) { data[i] = (byte)ReadByte(link, ct); x ^= data[i]; }
                                if (ReadByte(link, ct) != x) { Send(link, 0x1F); break; }
                                lock (_memory)
                                    for (int i = 0; i <= n; i++)
                                    {
                                        var a = addr.Value + (uint)i;
                                        var old = _memory.TryGetValue(a, out var v) ? v : (byte)0xFF;
                                        _memory[a] = (byte)(old & data[i]);
                                    }
                                Send(link, 0x79);
                                break;
                            }
                        default: Send(link, 0x1F); break;
                    }
                }
            }
            catch (OperationCanceledException) { }
            catch (ObjectDisposedException) { }
        }

        private static uint? ReadAddress(IByteLink link, CancellationToken ct)
        {
            var a = new byte[5];
            for (int i = 0; i < 5; i++) a[i] = (byte)ReadByte(link, ct);
            if ((a[0] ^ a[1] ^ a[2] ^ a[3]) != a[4]) return null;
            return (uint)(a[0] << 24 | a[1] << 16 | a[2] << 8 | a[3]);
        }

        private static int ReadByte(IByteLink link, CancellationToken ct)
        {
            var one = new byte[1];
            while (true)
            {
                if (link.Read(one, 0, 1, TimeSpan.FromSeconds(1), ct) == 1) return one[0];
            }
        }

        private static void Send(IByteLink link, params byte[] bytes) => link.Write(bytes, 0, bytes.Length);
    }
}
