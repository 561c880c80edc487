using Stm32.Protocol.Bootloader;
using Stm32.Protocol.Devices;
using Stm32.Protocol.Simulation;
using Xunit;

namespace Stm32.Protocol.Tests.Simulation
{
    public class SyncAndIdentityTests
    {
        [Fact]
        public void Before_sync_everything_but_0x7F_is_ignored()
        {
            using var h = new ChipHarness();
            h.Send(0x00, 0xFF, 0x01, 0xFE, 0x79, 0x55);
            h.ExpectSilence();
            Assert.Equal(ChipState.WaitingForSync, h.Chip.State);
            h.Sync();
            h.WaitForState(ChipState.CommandLoop);
        }

        [Fact]
        public void After_sync_0x7F_is_the_first_byte_of_a_pair()
        {
            using var h = new ChipHarness();
            h.Sync();
            h.Send(An3155.Sync);
            h.ExpectSilence(); // half a pair: the chip waits (no inter-byte timeout)
            h.Send(An3155.Sync); // (7F, 7F) fails the complement check
            h.ExpectNack();
            h.Send(0x7F, 0x80); // a valid pair, but 0x7F is no command
            h.ExpectNack();
        }

        [Fact]
        public void A_half_sent_command_waits_forever()
        {
            using var h = new ChipHarness();
            h.Sync();
            h.Send(An3155.GetVersion);
            h.ExpectSilence(300);
            h.Send(0xFE);
            h.Expect(0x79, 0x22, 0x00, 0x00, 0x79);
        }

        [Fact]
        public void Bad_complement_and_unknown_codes_get_one_nack()
        {
            using var h = new ChipHarness();
            h.Sync();
            h.Send(0x00, 0x00);
            h.ExpectNack();
            h.SendCommand(An3155.ExtendedErase); // a 2.2 bootloader has 0x43 only
            h.ExpectNack();
            h.SendCommand(An3155.GetChecksum);
            h.ExpectNack();
            h.SendCommand(An3155.Special);
            h.ExpectNack();
            h.SendCommand(An3155.GetVersion);
            h.Expect(0x79, 0x22, 0x00, 0x00, 0x79);
        }

        [Fact]
        public void Leading_zero_and_extra_ack_quirks()
        {
            using var h = new ChipHarness(0x464, new SimulatorOptions { LeadingZeroBeforeSyncAck = true, ExtraAckAfterSync = true });
            h.Send(An3155.Sync);
            h.Expect(0x00, 0x79, 0x79);
            h.SendCommand(An3155.GetVersion);
            h.Expect(0x79, 0x31, 0x00, 0x00, 0x79);
        }

        [Theory]
        [InlineData(0x22, new byte[] { 0x00, 0x01, 0x02, 0x11, 0x21, 0x31, 0x43, 0x63, 0x73, 0x82, 0x92 })]
        [InlineData(0x31, new byte[] { 0x00, 0x01, 0x02, 0x11, 0x21, 0x31, 0x44, 0x63, 0x73, 0x82, 0x92 })]
        [InlineData(0x33, new byte[] { 0x00, 0x01, 0x02, 0x11, 0x21, 0x31, 0x44, 0x63, 0x73, 0x82, 0x92, 0xA1 })]
        [InlineData(0x40, new byte[] { 0x00, 0x01, 0x02, 0x11, 0x21, 0x31, 0x44, 0x63, 0x73, 0x82, 0x92, 0xA1 })]
        public void Get_lists_the_commands_of_the_version(byte version, byte[] codes)
        {
            using var h = new ChipHarness(0x410, new SimulatorOptions { BootloaderVersion = version });
            Assert.Equal(codes, h.Chip.SupportedCommands);
            h.Sync();
            h.SendCommand(An3155.Get);
            // 79 | N = number of codes | version | codes | 79 (spec 4.1, stm32flash reads N+1 bytes)
            var expected = new List<byte> { 0x79, (byte)codes.Length, version };
            expected.AddRange(codes);
            expected.Add(0x79);
            h.Expect(expected.ToArray());
        }

        [Fact]
        public void Get_version_and_get_id()
        {
            using var h = new ChipHarness(0x413);
            h.Sync();
            h.SendCommand(An3155.GetVersion);
            h.Expect(0x79, 0x31, 0x00, 0x00, 0x79);
            h.SendCommand(An3155.GetId);
            h.Expect(0x79, 0x01, 0x04, 0x13, 0x79);
        }

        [Fact]
        public void Unsupported_version_is_refused()
        {
            Assert.Throws<ArgumentException>(() => new SimulatedChip(DeviceCatalog.Find(0x410)!, new SimulatorOptions { BootloaderVersion = 0x32 }));
        }

        public static IEnumerable<object[]> ProgrammableRows()
            => DeviceCatalog.All
                .Where(d => !d.Flash.IsEmpty && d.Layout != null
                    && (d.Flags & (DeviceFlags.NonAn3155BlueNrg | DeviceFlags.NonSt)) == 0)
                .Select(d => new object[] { d.ProductIdHex });

        [Theory]
        [MemberData(nameof(ProgrammableRows))]
        public void Every_programmable_catalog_row_is_simulated(string pid)
        {
            var device = DeviceCatalog.Resolve(pid)!;
            using var h = new ChipHarness(device);
            h.Sync();
            h.SendCommand(An3155.GetId);
            h.Expect(0x79, 0x01, (byte)(device.ProductId >> 8), (byte)device.ProductId, 0x79);
            Assert.Equal(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF }, h.Read(device.Flash.Start, 4));
            Assert.Equal(h.Chip.FlashSize, device.Flash.Length);
            if (device.FlashSizeAddress is uint fs)
            {
                var kib = h.Read(fs, 2);
                Assert.Equal(device.Flash.Length / 1024, (uint)(kib[0] | kib[1] << 8));
            }
            if (device.UniqueIdAddress is uint uid) Assert.Equal(12, h.Read(uid, 12).Length);
            if (device.BootloaderIdAddress is uint bid && device.BootloaderIds.Count > 0)
                Assert.Equal(device.BootloaderIds[0], h.Read(bid, 1)[0]);
            if (!device.OptionBytes.IsEmpty) Assert.Equal(16, h.Read(device.OptionBytes.Start, 16).Length);
            Assert.Equal(0, h.Chip.ReadProtectionLevel);
        }

        [Fact]
        public void Trace_records_every_byte_each_way()
        {
            using var h = new ChipHarness();
            h.Send(0x01);
            h.Sync();
            h.SendCommand(An3155.GetVersion);
            h.Receive(5);
            var trace = h.Chip.Trace;
            Assert.Equal(
                "-> 01,-> 7F,<- 79,-> 01,-> FE,<- 79,<- 22,<- 00,<- 00,<- 79",
                string.Join(",", trace.Select(t => t.ToString())));
            Assert.True(trace.Zip(trace.Skip(1), (a, b) => a.Ticks <= b.Ticks).All(x => x));
            h.Chip.ClearTrace();
            Assert.Empty(h.Chip.Trace);
        }
    }
}
