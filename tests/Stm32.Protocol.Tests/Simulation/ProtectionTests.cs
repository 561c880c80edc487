using Stm32.Protocol.Bootloader;
using Stm32.Protocol.Simulation;
using Xunit;

namespace Stm32.Protocol.Tests.Simulation
{
    public class ProtectionTests
    {
        private const uint Flash = ChipHarness.FlashBase;
        private const uint F1Options = 0x1FFFF800;

        [Fact]
        public void Write_protect_as_in_spec_4_9_resets_and_protects()
        {
            using var h = new ChipHarness(0x410);
            h.Sync();
            h.Send(0x63, 0x9C);
            h.ExpectAck();
            h.Send(0x01, 0x00, 0x01, 0x00);
            h.ExpectAck();
            h.WaitForState(ChipState.WaitingForSync);
            Assert.Equal(1, h.Chip.ResetCount);
            h.SendCommand(An3155.GetVersion);
            h.ExpectSilence(); // the reset needs a new sync
            h.Sync();

            // Sectors 0 and 1 = pages 0..7 (4 pages per sector): WRP0 = 0xFC.
            Assert.Equal(new byte[] { 0xFC, 0x03, 0xFF, 0x00 }, h.Read(F1Options + 8, 4));
            Assert.True(h.Chip.IsPageWriteProtected(7));
            Assert.False(h.Chip.IsPageWriteProtected(8));

            // Writes and erases of protected pages are ACKed but do nothing.
            Assert.Equal(An3155.Ack, h.Write(Flash, new byte[] { 1, 2, 3, 4 }));
            Assert.Equal(An3155.Ack, h.Write(Flash + 8 * 1024, new byte[] { 1, 2, 3, 4 }));
            Assert.Equal(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF }, h.Chip.Peek(Flash, 4));
            Assert.Equal(new byte[] { 1, 2, 3, 4 }, h.Chip.Peek(Flash + 8 * 1024, 4));
            h.Chip.Poke(Flash, new byte[] { 0 });
            h.SendCommand(An3155.Erase);
            h.ExpectAck();
            h.Send(0xFF, 0x00);
            h.ExpectAck();
            Assert.Equal(0, h.Chip.Peek(Flash, 1)[0]);
            Assert.Equal(0xFF, h.Chip.Peek(Flash + 8 * 1024, 1)[0]);

            // A second Write Protect replaces the set.
            h.SendCommand(An3155.WriteProtect);
            h.ExpectAck();
            h.Send(0x00, 0x02, 0x02);
            h.ExpectAck();
            h.Sync();
            Assert.False(h.Chip.IsPageWriteProtected(0));
            Assert.True(h.Chip.IsPageWriteProtected(8));

            // Write Unprotect: two ACKs, reset, nothing protected.
            h.Send(0x73, 0x8C);
            h.Expect(0x79, 0x79);
            h.WaitForState(ChipState.WaitingForSync);
            h.Sync();
            Assert.False(h.Chip.IsPageWriteProtected(8));
            Assert.Equal(new byte[] { 0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00 }, h.Read(F1Options + 8, 8));
            Assert.Equal(3, h.Chip.ResetCount);
        }

        [Fact]
        public void Write_protect_with_bad_checksum_is_nacked_without_reset()
        {
            using var h = new ChipHarness(0x410);
            h.Sync();
            h.SendCommand(An3155.WriteProtect);
            h.ExpectAck();
            h.Send(0x00, 0x01, 0x00);
            h.ExpectNack();
            Assert.Equal(0, h.Chip.ResetCount);
            Assert.False(h.Chip.IsPageWriteProtected(4));
        }

        [Fact]
        public void Readout_protect_restricts_commands_and_unprotect_erases_everything()
        {
            using var h = new ChipHarness(0x410);
            h.Chip.Poke(Flash, new byte[] { 1, 2, 3, 4 });
            h.Chip.Poke(0x20000000, new byte[] { 5 });
            h.Chip.Poke(0x20004FFF, new byte[] { 6 });
            h.Sync();
            h.Send(0x82, 0x7D);
            h.Expect(0x79, 0x79);
            h.WaitForState(ChipState.WaitingForSync);
            Assert.Equal(1, h.Chip.ReadProtectionLevel);
            Assert.NotEqual(0xA5, h.Chip.Peek(F1Options, 1)[0]);
            h.Sync();

            // Only Get, Get Version, Get ID and Readout Unprotect (spec 3).
            foreach (var code in new byte[] { 0x11, 0x21, 0x31, 0x43, 0x63, 0x73, 0x82 })
            {
                h.SendCommand(code);
                h.ExpectNack();
            }
            h.SendCommand(An3155.GetVersion);
            h.Expect(0x79, 0x22, 0x00, 0x00, 0x79);
            h.SendCommand(An3155.GetId);
            h.Expect(0x79, 0x01, 0x04, 0x10, 0x79);
            h.SendCommand(An3155.Get);
            h.Receive(15);

            h.Send(0x92, 0x6D);
            h.Expect(0x79, 0x79);
            h.WaitForState(ChipState.WaitingForSync);
            Assert.Equal(0, h.Chip.ReadProtectionLevel);
            Assert.Equal(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF }, h.Chip.Peek(Flash, 4));
            Assert.Equal(0, h.Chip.Peek(0x20000000, 1)[0]);
            Assert.Equal(0, h.Chip.Peek(0x20004FFF, 1)[0]);
            h.Sync();
            Assert.Equal(new byte[] { 0xA5, 0x5A }, h.Read(F1Options, 2));
        }

        [Fact]
        public void Double_nack_when_protected()
        {
            using var h = new ChipHarness(0x413, new SimulatorOptions { DoubleNackWhenProtected = true });
            h.Chip.SetReadProtection(1);
            h.Sync();
            foreach (var code in new byte[] { 0x11, 0x21, 0x31 })
            {
                h.SendCommand(code);
                h.Expect(0x1F, 0x1F);
            }
            h.SendCommand(An3155.ExtendedErase);
            h.ExpectNack();
            h.ExpectSilence(100);
        }

        [Fact]
        public void Level_2_never_answers()
        {
            using var h = new ChipHarness(0x413);
            h.Chip.SetReadProtection(2);
            Assert.Equal(ChipState.Halted, h.Chip.State);
            h.Send(An3155.Sync);
            h.ExpectSilence();
            h.Chip.Reset();
            Assert.Equal(ChipState.Halted, h.Chip.State);
            Assert.Equal(0xCC, h.Chip.Peek(0x1FFFC001, 1)[0]);
            Assert.Throws<NotSupportedException>(() => new SimulatedChip(Stm32.Protocol.Devices.DeviceCatalog.Find(0x410)!).SetReadProtection(2)); // F1 has no level 2
        }

        [Fact]
        public void Option_byte_write_erases_programs_and_resets()
        {
            using var h = new ChipHarness(0x410);
            h.Sync();
            var options = new byte[] { 0xA5, 0x5A, 0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00, 0xFE, 0x01, 0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00 };
            h.SendCommand(An3155.WriteMemory);
            h.ExpectAck();
            h.SendAddress(F1Options);
            h.ExpectAck();
            h.Send(ChipHarness.DataBlock(options));
            h.ExpectAck();
            h.WaitForState(ChipState.WaitingForSync);
            Assert.Equal(1, h.Chip.ResetCount);
            h.Sync();
            Assert.Equal(options, h.Read(F1Options, 16));
            Assert.True(h.Chip.IsPageWriteProtected(0));
            Assert.False(h.Chip.IsPageWriteProtected(4));

            // Writing a short block erases the rest of the area; RDP != A5 means level 1 after the reset.
            h.SendCommand(An3155.WriteMemory);
            h.ExpectAck();
            h.SendAddress(F1Options);
            h.ExpectAck();
            h.Send(ChipHarness.DataBlock(new byte[] { 0x00, 0xFF, 0xFF, 0xFF }));
            h.ExpectAck();
            h.WaitForState(ChipState.WaitingForSync);
            Assert.Equal(1, h.Chip.ReadProtectionLevel);
            Assert.Equal(0xFF, h.Chip.Peek(F1Options + 8, 1)[0]);
        }

        [Fact]
        public void Rdp_0xCC_written_to_the_options_halts_an_f4()
        {
            using var h = new ChipHarness(0x413);
            h.Sync();
            var options = Enumerable.Repeat((byte)0xFF, 16).ToArray();
            options[0] = 0xEC;
            options[1] = 0xCC;
            Assert.Equal(An3155.Ack, h.Write(0x1FFFC000, options));
            h.WaitForState(ChipState.Halted);
            Assert.Equal(2, h.Chip.ReadProtectionLevel);
        }

        [Fact]
        public void L4_write_protect_uses_wrp_areas()
        {
            using var h = new ChipHarness(0x435);
            h.Sync();
            h.SendCommand(An3155.WriteProtect);
            h.ExpectAck();
            var frame = new byte[] { 0x03, 2, 3, 4, 10, 0 };
            frame[5] = An3155.Xor(frame, 0, 5);
            h.Send(frame);
            h.ExpectAck();
            h.WaitForState(ChipState.WaitingForSync);
            Assert.Equal(new[] { false, false, true, true, true, false, true, false },
                new[] { 0, 1, 2, 3, 4, 5, 10, 11 }.Select(h.Chip.IsPageWriteProtected).ToArray());
        }

        private static void WriteProtect(ChipHarness h, params byte[] sectors)
        {
            h.SendCommand(An3155.WriteProtect);
            h.ExpectAck();
            var frame = new byte[sectors.Length + 2];
            frame[0] = (byte)(sectors.Length - 1);
            Array.Copy(sectors, 0, frame, 1, sectors.Length);
            frame[frame.Length - 1] = An3155.Xor(frame, 0, frame.Length - 1);
            h.Send(frame);
            h.ExpectAck();
            h.WaitForState(ChipState.WaitingForSync);
            h.Sync();
        }

        [Fact]
        public void F4_write_protect_clears_nwrp_bits()
        {
            using var h = new ChipHarness(0x413);
            h.Sync();
            WriteProtect(h, 0, 1, 9);
            Assert.Equal(new byte[] { 0xFC, 0xFD }, h.Read(0x1FFFC008, 2));
            Assert.True(h.Chip.IsPageWriteProtected(9));
            Assert.False(h.Chip.IsPageWriteProtected(2));
            Assert.Equal(0xAA, h.Read(0x1FFFC001, 1)[0]);
        }

        [Fact]
        public void L0_write_protect_sets_wrp_bits_per_32_pages()
        {
            using var h = new ChipHarness(0x417);
            h.Sync();
            WriteProtect(h, 0, 17);
            // WRP1 word: value 0x0001, complement 0xFFFE; WRP2 word: bit 1.
            Assert.Equal(new byte[] { 0x01, 0x00, 0xFE, 0xFF, 0x02, 0x00, 0xFD, 0xFF }, h.Read(0x1FF80008, 8));
            Assert.True(h.Chip.IsPageWriteProtected(31));
            Assert.False(h.Chip.IsPageWriteProtected(32));
            Assert.True(h.Chip.IsPageWriteProtected(17 * 32));
            Assert.Equal(new byte[] { 0xAA, 0x00, 0x55, 0xFF }, h.Read(0x1FF80000, 4));
        }

        [Fact]
        public void Dual_bank_option_rows_expose_two_blocks()
        {
            using var h = new ChipHarness(0x419, new SimulatorOptions { BootloaderVersion = 0x31 });
            h.Sync();
            Assert.Equal(16, h.Read(0x1FFEC000, 16).Length);
            Assert.Equal(new byte[] { 0xEC, 0xAA }, h.Read(0x1FFFC000, 2));
            h.SendCommand(An3155.ReadMemory);
            h.ExpectAck();
            h.SendAddress(0x1FFEC010);
            h.ExpectNack();
            Assert.Equal(new byte[] { 0x00, 0x08 }, h.Read(0x1FFF7A22, 2)); // 2048 KiB
        }
    }
}
