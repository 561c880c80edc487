using Stm32.Protocol.Bootloader;
using Stm32.Protocol.Devices;
using Stm32.Protocol.Simulation;
using Stm32.Protocol.Transport;
using Xunit;

namespace Stm32.Protocol.Tests.Simulation
{
    /// <summary>
    /// A simulated chip on the device end of an in-memory pair; the test speaks raw bytes on the
    /// host end, exactly as a client would.
    /// </summary>
    internal sealed class ChipHarness : IDisposable
    {
        public const uint FlashBase = 0x08000000;

        public ChipHarness(ushort pid = 0x410, SimulatorOptions? options = null, int baud = 115200, bool wireModemLines = true)
            : this(DeviceCatalog.Find(pid) ?? throw new ArgumentException("no such row"), options, baud, wireModemLines)
        {
        }

        public ChipHarness(DeviceInfo device, SimulatorOptions? options = null, int baud = 115200, bool wireModemLines = true)
        {
            Pair = new InMemoryLinkPair("sim://" + device.ProductIdHex, baud);
            Chip = new SimulatedChip(device, options);
            if (wireModemLines) Chip.Attach(Pair);
            else Chip.Attach(Pair.Device);
        }

        public InMemoryLinkPair Pair { get; }

        public SimulatedChip Chip { get; }

        public InMemoryLink Host => Pair.Host;

        public void Send(params byte[] bytes) => Host.Write(bytes, 0, bytes.Length);

        public void SendCommand(byte code) => Send(code, (byte)~code);

        public void SendAddress(uint address) => Send(An3155.AddressFrame(address));

        /// <summary>Reads exactly <paramref name="count"/> bytes or fails after <paramref name="timeoutMs"/>.</summary>
        public byte[] Receive(int count, int timeoutMs = 3000)
        {
            var buffer = new byte[count];
            int got = 0;
            var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
            while (got < count)
            {
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero) break;
                got += Host.Read(buffer, got, count - got, left, CancellationToken.None);
            }
            Assert.True(got == count, $"expected {count} bytes, got {got}: {Stm32Exception.Hex(buffer.Take(got).ToArray())}");
            return buffer;
        }

        public void Expect(params byte[] expected)
        {
            var got = Receive(expected.Length);
            Assert.Equal(Stm32Exception.Hex(expected, 300), Stm32Exception.Hex(got, 300));
        }

        public void ExpectAck() => Expect(An3155.Ack);

        public void ExpectNack() => Expect(An3155.Nack);

        /// <summary>Asserts nothing arrives within <paramref name="ms"/>.</summary>
        public void ExpectSilence(int ms = 150)
        {
            var buffer = new byte[64];
            int n = Host.Read(buffer, 0, buffer.Length, TimeSpan.FromMilliseconds(ms), CancellationToken.None);
            Assert.True(n == 0, "expected silence, got " + Stm32Exception.Hex(buffer.Take(n).ToArray()));
        }

        public void Sync()
        {
            Send(An3155.Sync);
            ExpectAck();
        }

        /// <summary>Read Memory through the protocol; asserts every ACK.</summary>
        public byte[] Read(uint address, int count)
        {
            SendCommand(An3155.ReadMemory);
            ExpectAck();
            SendAddress(address);
            ExpectAck();
            Send((byte)(count - 1), (byte)~(count - 1));
            ExpectAck();
            return Receive(count);
        }

        /// <summary>Write Memory frames; returns the reply to the data block (ACK or NACK).</summary>
        public byte Write(uint address, byte[] data)
        {
            SendCommand(An3155.WriteMemory);
            ExpectAck();
            SendAddress(address);
            ExpectAck();
            Send(DataBlock(data));
            return Receive(1)[0];
        }

        public static byte[] DataBlock(byte[] data)
        {
            var block = new byte[data.Length + 2];
            block[0] = (byte)(data.Length - 1);
            Array.Copy(data, 0, block, 1, data.Length);
            block[block.Length - 1] = An3155.Xor(block, 0, block.Length - 1);
            return block;
        }

        /// <summary>Waits until the chip reaches the state (state changes happen on the serving thread).</summary>
        public void WaitForState(ChipState state, int timeoutMs = 2000)
        {
            var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
            while (Chip.State != state && DateTime.UtcNow < deadline) Thread.Sleep(2);
            Assert.Equal(state, Chip.State);
        }

        public void Dispose()
        {
            Chip.Dispose();
            Host.Dispose();
        }
    }
}
