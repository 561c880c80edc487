using Stm32.Protocol.Bootloader;
using Stm32.Protocol.Devices;
using Stm32.Protocol.Simulation;
using Xunit;

namespace Stm32.Protocol.Tests.Simulation
{
    public class MemoryCommandTests
    {
        private const uint Flash = ChipHarness.FlashBase;

        [Fact]
        public void Read_256_bytes_as_in_spec_4_4()
        {
            using var h = new ChipHarness();
            h.Chip.Poke(Flash, new byte[] { 1, 2, 3, 4 });
            h.Sync();
            h.Send(0x11, 0xEE);
            h.ExpectAck();
            h.Send(0x08, 0x00, 0x00, 0x00, 0x08);
            h.ExpectAck();
            h.Send(0xFF, 0x00);
            var reply = h.Receive(257);
            Assert.Equal(0x79, reply[0]);
            Assert.Equal(new byte[] { 1, 2, 3, 4 }, reply.Skip(1).Take(4));
            Assert.All(reply.Skip(5), b => Assert.Equal(0xFF, b));
            h.ExpectSilence(); // no trailing ACK
        }

        [Fact]
        public void Read_nacks_bad_checksum_bad_address_reserved_ram_bad_count_and_overrun()
        {
            using var h = new ChipHarness(0x410, new SimulatorOptions { BootloaderVersion = 0x31 });
            h.Sync();
            h.SendCommand(An3155.ReadMemory);
            h.ExpectAck();
            h.Send(0x08, 0x00, 0x00, 0x00, 0x09);
            h.ExpectNack();

            foreach (var bad in new uint[] { 0x30000000, 0x20000000, 0x200001FC, 0x20005000, 0x1FFFF810 })
            {
                h.SendCommand(An3155.ReadMemory);
                h.ExpectAck();
                h.SendAddress(bad);
                h.ExpectNack();
            }

            h.SendCommand(An3155.ReadMemory);
            h.ExpectAck();
            h.SendAddress(Flash);
            h.ExpectAck();
            h.Send(0x03, 0x03);
            h.ExpectNack();

            // The last 4 bytes of flash are fine, 8 bytes run past the end.
            Assert.Equal(4, h.Read(Flash + 0x1FFFC, 4).Length);
            h.SendCommand(An3155.ReadMemory);
            h.ExpectAck();
            h.SendAddress(Flash + 0x1FFFC);
            h.ExpectAck();
            h.Send(0x07, 0xF8);
            h.ExpectNack();

            // Usable RAM starts at the catalog's ram_start.
            Assert.Equal(new byte[4], h.Read(0x20000200, 4));
        }

        [Fact]
        public void Pre_v31_bug_drops_a_bad_address_silently_and_parses_the_count_as_a_command()
        {
            using var h = new ChipHarness(0x410); // 2.2 by default: bug on
            h.Sync();
            h.SendCommand(An3155.ReadMemory);
            h.ExpectAck();
            h.SendAddress(0x30000000);
            h.ExpectSilence();
            h.Send(0x00, 0xFF); // "N ~N" for one byte... is the Get command now
            var reply = h.Receive(3);
            Assert.Equal(new byte[] { 0x79, 11, 0x22 }, reply);
            h.Receive(12);
        }

        [Fact]
        public void Device_fields_are_readable()
        {
            using var h = new ChipHarness(0x413); // F4: the fields lie outside system memory
            h.Sync();
            Assert.Equal(new byte[] { 0x00, 0x04 }, h.Read(0x1FFF7A22, 2));
            var uid = h.Read(0x1FFF7A10, 12);
            Assert.Equal(uid, h.Chip.Peek(0x1FFF7A10, 12));
            Assert.Equal(uid, new SimulatedChip(h.Chip.Device).Peek(0x1FFF7A10, 12)); // deterministic
            Assert.Equal(256, h.Read(0x1FFF7A00, 256).Length); // the aligned block stm32loader reads
            Assert.Equal(0x31, h.Read(0x1FFF77DE, 1)[0]); // bootloader ID
            Assert.Equal(new byte[] { 0xEC, 0xAA, 0xFF, 0xFF }, h.Read(0x1FFFC000, 4));
        }

        [Fact]
        public void F1_option_bytes_have_factory_defaults()
        {
            using var h = new ChipHarness(0x410);
            h.Sync();
            Assert.Equal(new byte[] { 0xA5, 0x5A, 0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00 },
                h.Read(0x1FFFF800, 16));
            Assert.Equal(new byte[] { 0x80, 0x00 }, h.Read(0x1FFFF7E0, 2));
        }

        [Fact]
        public void Write_4_bytes_as_in_spec_4_6()
        {
            using var h = new ChipHarness();
            h.Sync();
            h.Send(0x31, 0xCE);
            h.ExpectAck();
            h.Send(0x08, 0x00, 0x00, 0x00, 0x08);
            h.ExpectAck();
            h.Send(0x03, 0xDE, 0xAD, 0xBE, 0xEF, 0x21);
            h.ExpectAck();
            Assert.Equal(new byte[] { 0xDE, 0xAD, 0xBE, 0xEF, 0xFF }, h.Chip.Peek(Flash, 5));
            Assert.Equal(new byte[] { 0xDE, 0xAD, 0xBE, 0xEF }, h.Read(Flash, 4));
        }

        [Fact]
        public void Flash_programming_ands_bits()
        {
            using var h = new ChipHarness();
            h.Sync();
            Assert.Equal(An3155.Ack, h.Write(Flash, new byte[] { 0xF0, 0x12, 0xFF, 0x00 }));
            Assert.Equal(An3155.Ack, h.Write(Flash, new byte[] { 0x0F, 0xFF, 0x34, 0xFF }));
            Assert.Equal(new byte[] { 0x00, 0x12, 0x34, 0x00 }, h.Read(Flash, 4));
        }

        [Fact]
        public void Write_nacks_bad_checksum_unaligned_length_and_bad_targets()
        {
            using var h = new ChipHarness(0x410, new SimulatorOptions { BootloaderVersion = 0x31 });
            h.Sync();
            h.SendCommand(An3155.WriteMemory);
            h.ExpectAck();
            h.SendAddress(Flash);
            h.ExpectAck();
            h.Send(0x03, 1, 2, 3, 4, 0x00);
            h.ExpectNack();
            Assert.Equal(An3155.Nack, h.Write(Flash, new byte[] { 1, 2, 3 }));
            Assert.Equal(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF }, h.Chip.Peek(Flash, 4));
            Assert.Equal(An3155.Nack, h.Write(Flash + 0x1FFFC, new byte[8])); // past the end of flash

            foreach (var bad in new uint[] { 0x20000000, 0x1FFFF000, 0x1FFFF7E0, 0x1FFFF802, 0x40000000 })
            {
                h.SendCommand(An3155.WriteMemory);
                h.ExpectAck();
                h.SendAddress(bad);
                h.ExpectNack();
            }
        }

        [Fact]
        public void Unaligned_length_can_be_accepted()
        {
            using var h = new ChipHarness(0x410, new SimulatorOptions { NackUnalignedWriteLength = false });
            h.Sync();
            Assert.Equal(An3155.Ack, h.Write(Flash, new byte[] { 1, 2, 3 }));
            Assert.Equal(new byte[] { 1, 2, 3, 0xFF }, h.Chip.Peek(Flash, 4));
        }

        [Fact]
        public void Ram_writes_work_and_go_runs_the_application()
        {
            using var h = new ChipHarness();
            h.Sync();
            Assert.Equal(An3155.Ack, h.Write(0x20000200, new byte[] { 0x00, 0x20, 0x00, 0x20, 0x09, 0x02, 0x00, 0x20 }));
            Assert.Equal(new byte[] { 0x00, 0x20, 0x00, 0x20 }, h.Chip.Peek(0x20000200, 4));

            foreach (var bad in new uint[] { 0x20000000, 0x1FFFF000, 0x1FFFF800, 0x30000000 })
            {
                h.SendCommand(An3155.Go);
                h.ExpectAck();
                h.SendAddress(bad);
                h.ExpectNack();
            }
            h.Send(0x21, 0xDE);
            h.ExpectAck();
            h.SendAddress(0x20000200);
            h.ExpectAck();
            h.WaitForState(ChipState.RunningApplication);
            h.Send(An3155.Sync);
            h.SendCommand(An3155.Get);
            h.ExpectSilence();
            h.Chip.Reset();
            Assert.Equal(ChipState.WaitingForSync, h.Chip.State);
            Assert.Equal(1, h.Chip.ResetCount);
            Assert.Equal(new byte[] { 0x00, 0x20, 0x00, 0x20 }, h.Chip.Peek(0x20000200, 4)); // RAM survives a reset
            h.Sync();
        }

        [Fact]
        public void Get_checksum_matches_the_stm32_crc()
        {
            using var h = new ChipHarness(0x413, new SimulatorOptions { BootloaderVersion = 0x33 });
            var data = Enumerable.Range(0, 256).Select(i => (byte)(i * 7)).ToArray();
            h.Chip.Poke(Flash, data);
            h.Sync();
            h.Send(0xA1, 0x5E);
            h.ExpectAck();
            h.SendAddress(Flash);
            h.ExpectAck();
            h.Send(0x00, 0x00, 0x00, 0x40, 0x40); // 64 words
            h.ExpectAck();
            h.Send(0x04, 0xC1, 0x1D, 0xB7, 0x6F);
            h.ExpectAck();
            h.Send(0xFF, 0xFF, 0xFF, 0xFF, 0x00);
            h.ExpectAck();
            var reply = h.Receive(6);
            var crc = An3155.Crc32(data);
            var c = new[] { (byte)(crc >> 24), (byte)(crc >> 16), (byte)(crc >> 8), (byte)crc };
            Assert.Equal(new byte[] { 0x79, c[0], c[1], c[2], c[3], (byte)(c[0] ^ c[1] ^ c[2] ^ c[3]) }, reply);

            // Test vector of spec 10.4 through the protocol: word 0x12345678 -> 0xDF8A8A2B.
            h.Chip.Poke(Flash, new byte[] { 0x78, 0x56, 0x34, 0x12 });
            h.SendCommand(An3155.GetChecksum);
            h.ExpectAck();
            h.SendAddress(Flash);
            h.ExpectAck();
            h.Send(0x00, 0x00, 0x00, 0x01, 0x01);
            h.ExpectAck();
            h.Send(0x04, 0xC1, 0x1D, 0xB7, 0x6F);
            h.ExpectAck();
            h.Send(0xFF, 0xFF, 0xFF, 0xFF, 0x00);
            h.ExpectAck();
            h.Expect(0x79, 0xDF, 0x8A, 0x8A, 0x2B, 0xDF ^ 0x8A ^ 0x8A ^ 0x2B);

            // Size 0 and sizes past the region are refused.
            foreach (var words in new uint[] { 0, 0x40001 })
            {
                h.SendCommand(An3155.GetChecksum);
                h.ExpectAck();
                h.SendAddress(Flash);
                h.ExpectAck();
                h.SendAddress(words);
                h.ExpectNack();
            }
        }

        [Fact]
        public void Get_checksum_honours_the_hosts_polynomial_and_initial_value()
        {
            using var h = new ChipHarness(0x413, new SimulatorOptions { BootloaderVersion = 0x33 });
            h.Chip.Poke(Flash, new byte[] { 0x78, 0x56, 0x34, 0x12, 0, 0, 0, 0 });
            h.Sync();
            // (polynomial, initial, words) -> CRC, worked out bit by bit outside this code base.
            foreach (var (polynomial, initial, words, crc) in new[]
            {
                (0x1EDC6F41u, 0xFFFFFFFFu, 1u, 0x57E25AD4u), // CRC-32C's polynomial, STM32 shape
                (0x1EDC6F41u, 0x00000000u, 2u, 0xE351AF26u),
            })
            {
                h.SendCommand(An3155.GetChecksum);
                h.ExpectAck();
                h.SendAddress(Flash);
                h.ExpectAck();
                h.SendAddress(words);
                h.ExpectAck();
                h.SendAddress(polynomial);
                h.ExpectAck();
                h.SendAddress(initial);
                h.ExpectAck();
                h.Expect(new byte[] { 0x79 }.Concat(An3155.AddressFrame(crc)).ToArray());
            }
        }

        [Fact]
        public void Get_checksum_in_the_stm32flash_flow()
        {
            using var h = new ChipHarness(0x413, new SimulatorOptions { BootloaderVersion = 0x33, ChecksumFlow = GetChecksumFlow.Stm32flash });
            h.Chip.Poke(Flash, new byte[] { 0x78, 0x56, 0x34, 0x12, 1, 2, 3, 4 });
            h.Sync();
            h.SendCommand(An3155.GetChecksum);
            h.ExpectAck();
            h.SendAddress(Flash);
            h.ExpectAck();
            h.SendAddress(4); // length in bytes
            h.Expect(0x79, 0x79, 0xDF, 0x8A, 0x8A, 0x2B, 0xDF ^ 0x8A ^ 0x8A ^ 0x2B);
            h.SendCommand(An3155.GetChecksum);
            h.ExpectAck();
            h.SendAddress(Flash);
            h.ExpectAck();
            h.SendAddress(6); // not a multiple of 4
            h.ExpectNack();
        }

        [Fact]
        public void Peek_and_poke_refuse_ranges_outside_one_region()
        {
            using var chip = new SimulatedChip(DeviceCatalog.Find(0x410)!);
            Assert.Throws<ArgumentOutOfRangeException>(() => chip.Peek(0x0801FFFE, 4));
            Assert.Throws<ArgumentOutOfRangeException>(() => chip.Poke(0x30000000, new byte[1]));
            chip.Poke(0x20000000, new byte[] { 9 }); // the back door reaches reserved RAM
            Assert.Equal(9, chip.Peek(0x20000000, 1)[0]);
        }
    }
}
