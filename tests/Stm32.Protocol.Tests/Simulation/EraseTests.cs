using Stm32.Protocol.Bootloader;
using Stm32.Protocol.Simulation;
using Xunit;

namespace Stm32.Protocol.Tests.Simulation
{
    public class EraseTests
    {
        private const uint Flash = ChipHarness.FlashBase;

        private static void FillPages(ChipHarness h, int pages, uint pageSize)
        {
            for (int p = 0; p < pages; p++) h.Chip.Poke(Flash + (uint)p * pageSize, new byte[] { 0x00, 0x11, 0x22, (byte)p });
        }

        private static bool Erased(ChipHarness h, uint address) => h.Chip.Peek(address, 4).All(b => b == 0xFF);

        [Fact]
        public void Erase_0x43_global()
        {
            using var h = new ChipHarness(0x410);
            FillPages(h, 128, 1024);
            h.Sync();
            h.Send(0x43, 0xBC);
            h.ExpectAck();
            h.Send(0xFF, 0x00);
            h.ExpectAck();
            Assert.True(Enumerable.Range(0, 128).All(p => Erased(h, Flash + (uint)p * 1024)));
        }

        [Fact]
        public void Erase_0x43_FF_then_anything_else_acks_without_erasing()
        {
            using var h = new ChipHarness(0x410);
            FillPages(h, 2, 1024);
            h.Sync();
            h.SendCommand(An3155.Erase);
            h.ExpectAck();
            h.Send(0xFF, 0x01);
            h.ExpectAck();
            Assert.False(Erased(h, Flash));
        }

        [Fact]
        public void Erase_0x43_page_list_as_in_spec_4_7()
        {
            using var h = new ChipHarness(0x410);
            FillPages(h, 6, 1024);
            h.Sync();
            h.SendCommand(An3155.Erase);
            h.ExpectAck();
            h.Send(0x03, 0x00, 0x01, 0x02, 0x03, 0x03);
            h.ExpectAck();
            Assert.True(Enumerable.Range(0, 4).All(p => Erased(h, Flash + (uint)p * 1024)));
            Assert.False(Erased(h, Flash + 4 * 1024));

            // Bad checksum, and a page past the last one (0x410 has 128 pages).
            h.SendCommand(An3155.Erase);
            h.ExpectAck();
            h.Send(0x00, 0x04, 0x00);
            h.ExpectNack();
            h.SendCommand(An3155.Erase);
            h.ExpectAck();
            h.Send(0x00, 0x80, 0x80);
            h.ExpectNack();
            Assert.False(Erased(h, Flash + 4 * 1024));
        }

        [Fact]
        public void Extended_erase_mass_and_page_list_as_in_spec_4_8()
        {
            using var h = new ChipHarness(0x410, new SimulatorOptions { BootloaderVersion = 0x31 });
            FillPages(h, 128, 1024);
            h.Sync();
            h.Send(0x44, 0xBB);
            h.ExpectAck();
            h.Send(0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00);
            h.ExpectAck();
            Assert.True(Erased(h, Flash) && Erased(h, Flash + 1024));
            Assert.False(Erased(h, Flash + 2048));

            h.SendCommand(An3155.ExtendedErase);
            h.ExpectAck();
            h.Send(0xFF, 0xFF, 0x00);
            h.ExpectAck();
            Assert.True(Enumerable.Range(0, 128).All(p => Erased(h, Flash + (uint)p * 1024)));
        }

        [Fact]
        public void Extended_erase_refusals()
        {
            using var h = new ChipHarness(0x410, new SimulatorOptions { BootloaderVersion = 0x31 });
            FillPages(h, 1, 1024);
            h.Sync();
            void Erase(params byte[] frame)
            {
                h.SendCommand(An3155.ExtendedErase);
                h.ExpectAck();
                h.Send(frame);
                h.ExpectNack();
            }
            Erase(0xFF, 0xFE, 0x01); // bank 1 on a single-bank part
            Erase(0xFF, 0xFD, 0x02); // bank 2
            for (int code = 0xFFF0; code <= 0xFFFC; code++) Erase(0xFF, (byte)code, (byte)(0xFF ^ (byte)code)); // reserved
            Erase(0xFF, 0xFF, 0x01); // mass erase with a bad checksum
            Erase(0x00, 0x00, 0x00, 0x00, 0x01); // bad checksum
            Erase(0x00, 0x00, 0x00, 0x80, 0x80); // page 128 of 128
            var tooMany = new List<byte> { 0x00, 0x80 };
            for (int p = 0; p < 129; p++) { tooMany.Add((byte)(p >> 8)); tooMany.Add((byte)p); }
            tooMany.Add(An3155.Xor(tooMany.ToArray(), 0, tooMany.Count));
            Erase(tooMany.ToArray()); // N = 128: not below the page count
            Assert.False(Erased(h, Flash));
        }

        [Fact]
        public void Bank_erase_on_a_dual_bank_part()
        {
            using var h = new ChipHarness(0x419); // F42x: DB1M sector table, 2 banks
            h.Chip.Poke(Flash, new byte[] { 1 });
            h.Chip.Poke(Flash + 0x100000, new byte[] { 2 });
            h.Sync();
            h.SendCommand(An3155.ExtendedErase);
            h.ExpectAck();
            h.Send(0xFF, 0xFD, 0x02);
            h.ExpectAck();
            Assert.Equal(1, h.Chip.Peek(Flash, 1)[0]);
            Assert.Equal(0xFF, h.Chip.Peek(Flash + 0x100000, 1)[0]);
            h.SendCommand(An3155.ExtendedErase);
            h.ExpectAck();
            h.Send(0xFF, 0xFE, 0x01);
            h.ExpectAck();
            Assert.Equal(0xFF, h.Chip.Peek(Flash, 1)[0]);
        }

        [Fact]
        public void F4_page_numbers_are_sectors()
        {
            using var h = new ChipHarness(0x413);
            h.Chip.Poke(Flash + 0x10000 - 4, new byte[] { 3, 3, 3, 3 }); // end of sector 3
            h.Chip.Poke(Flash + 0x10000, new byte[] { 4, 4, 4, 4 }); // sector 4 (64K)
            h.Chip.Poke(Flash + 0x1FFFC, new byte[] { 4, 4, 4, 4 }); // end of sector 4
            h.Chip.Poke(Flash + 0x20000, new byte[] { 5, 5, 5, 5 }); // sector 5
            h.Sync();
            h.SendCommand(An3155.ExtendedErase);
            h.ExpectAck();
            h.Send(0x00, 0x00, 0x00, 0x04, 0x04);
            h.ExpectAck();
            Assert.False(Erased(h, Flash + 0x10000 - 4));
            Assert.True(Erased(h, Flash + 0x10000) && Erased(h, Flash + 0x1FFFC));
            Assert.False(Erased(h, Flash + 0x20000));
        }

        [Fact]
        public void No_mass_erase_parts_nack_it_but_erase_pages()
        {
            using var h = new ChipHarness(0x417); // L05x: F_NO_ME, 128-byte pages
            FillPages(h, 2, 128);
            h.Sync();
            h.SendCommand(An3155.ExtendedErase);
            h.ExpectAck();
            h.Send(0xFF, 0xFF, 0x00);
            h.ExpectNack();
            h.SendCommand(An3155.ExtendedErase);
            h.ExpectAck();
            h.Send(0x00, 0x00, 0x00, 0x01, 0x01);
            h.ExpectAck();
            Assert.False(Erased(h, Flash));
            Assert.True(Erased(h, Flash + 128));
        }

        [Fact]
        public void Page_limit_hangs_the_chip_until_reset()
        {
            using var h = new ChipHarness(0x430, new SimulatorOptions { BootloaderVersion = 0x31, ExtendedErasePageLimit = 154 });
            h.Sync();
            var frame = new List<byte> { 0x00, 154 }; // 155 pages
            for (int p = 0; p < 155; p++) { frame.Add((byte)(p >> 8)); frame.Add((byte)p); }
            frame.Add(An3155.Xor(frame.ToArray(), 0, frame.Count));
            h.SendCommand(An3155.ExtendedErase);
            h.ExpectAck();
            h.Send(frame.ToArray());
            h.ExpectSilence();
            h.WaitForState(ChipState.Hung);
            h.SendCommand(An3155.GetVersion);
            h.ExpectSilence();
            h.Chip.Reset();
            h.Sync();

            // 154 pages are fine.
            frame = new List<byte> { 0x00, 153 };
            for (int p = 0; p < 154; p++) { frame.Add((byte)(p >> 8)); frame.Add((byte)p); }
            frame.Add(An3155.Xor(frame.ToArray(), 0, frame.Count));
            h.SendCommand(An3155.ExtendedErase);
            h.ExpectAck();
            h.Send(frame.ToArray());
            h.ExpectAck();
        }
    }
}
