using Stm32.Protocol.Devices;
using Stm32.Protocol.Emulation;
using Stm32.Protocol.Simulation;

namespace Stm32.Protocol.Tests.Emulation;

/// <summary>The flash controller and USART models on their own (no Unicorn needed).</summary>
public class PeripheralModelTests
{
    private const uint Key1 = 0x45670123, Key2 = 0xCDEF89AB;

    private static (F1FlashController Fc, byte[] Flash, CoreContext Ctx) F1(bool realistic = false, Func<uint, bool>? wrp = null)
    {
        var d = DeviceCatalog.Resolve("0x410")!;
        var flash = Enumerable.Repeat((byte)0xFF, (int)d.Flash.Length).ToArray();
        var ctx = new CoreContext(realistic);
        return (new F1FlashController(ctx, flash, 0, d.Flash, d.Layout!, wrp, "F1", 0), flash, ctx);
    }

    [Fact]
    public void F1_locked_controller_refuses_and_a_wrong_key_locks_it_until_reset()
    {
        var (fc, flash, _) = F1();
        fc.Write(0x10, 4, 1); // PG while locked: ignored
        fc.WriteFlash(0x08000000, 2, 0x1234);
        Assert.Equal(0xFF, flash[0]);
        Assert.NotEqual(0u, fc.Read(0x0C, 4) & (1u << 2)); // PGERR

        fc.Write(0x04, 4, Key1);
        fc.Write(0x04, 4, 0x12345678); // wrong second key
        fc.Write(0x04, 4, Key1);
        fc.Write(0x04, 4, Key2);
        Assert.NotEqual(0u, fc.Read(0x10, 4) & (1u << 7)); // still LOCK

        fc.Reset();
        fc.Write(0x04, 4, Key1);
        fc.Write(0x04, 4, Key2);
        Assert.Equal(0u, fc.Read(0x10, 4) & (1u << 7));
    }

    [Fact]
    public void F1_programs_half_words_once_and_refuses_protected_pages()
    {
        var (fc, flash, _) = F1(wrp: a => a >= 0x08000400 && a < 0x08000800);
        fc.Write(0x04, 4, Key1);
        fc.Write(0x04, 4, Key2);
        fc.Write(0x10, 4, 1); // PG
        fc.WriteFlash(0x08000000, 2, 0x1234);
        Assert.Equal(new byte[] { 0x34, 0x12 }, flash[..2]);
        fc.WriteFlash(0x08000000, 2, 0x0034); // not erased and not 0x0000: PGERR, unchanged
        Assert.Equal(new byte[] { 0x34, 0x12 }, flash[..2]);
        Assert.NotEqual(0u, fc.Read(0x0C, 4) & (1u << 2));
        fc.WriteFlash(0x08000004, 4, 0); // a word: refused
        Assert.Equal(0xFF, flash[4]);
        fc.WriteFlash(0x08000400, 2, 0); // protected page
        Assert.Equal(0xFF, flash[0x400]);
        Assert.NotEqual(0u, fc.Read(0x0C, 4) & (1u << 4)); // WRPRTERR
    }

    [Fact]
    public void F1_page_erase_holds_busy_with_realistic_timing_and_not_without()
    {
        foreach (bool realistic in new[] { true, false })
        {
            var (fc, flash, _) = F1(realistic);
            flash[0x800] = 0;
            fc.Write(0x04, 4, Key1);
            fc.Write(0x04, 4, Key2);
            fc.Write(0x10, 4, 2);          // PER
            fc.Write(0x14, 4, 0x08000800); // AR
            fc.Write(0x10, 4, 2 | 0x40);   // STRT
            Assert.Equal(0xFF, flash[0x800]);
            // 20 ms of BSY with realistic timing (read at once: not over), none without.
            Assert.Equal(realistic, (fc.Read(0x0C, 4) & 1u) != 0);
            Assert.NotEqual(0u, fc.Read(0x0C, 4) & (1u << 5)); // EOP
        }
    }

    [Fact]
    public void G0_double_words_are_programmed_once_between_erases()
    {
        var d = DeviceCatalog.Resolve("0x460")!;
        var flash = Enumerable.Repeat((byte)0xFF, (int)d.Flash.Length).ToArray();
        var fc = new G0FlashController(new CoreContext(false), flash, 0, d.Flash, d.Layout!, null, "G0");
        fc.Write(0x08, 4, Key1);
        fc.Write(0x08, 4, Key2);
        fc.Write(0x14, 4, 1); // PG
        fc.WriteFlash(0x08000000, 4, 0x11111111);
        Assert.Equal(0xFF, flash[0]); // nothing until the second word
        fc.WriteFlash(0x08000004, 4, 0x22222222);
        Assert.Equal(0x11, flash[0]);
        Assert.Equal(0x22, flash[4]);

        fc.WriteFlash(0x08000000, 4, 0x01010101);
        fc.WriteFlash(0x08000004, 4, 0x02020202);
        Assert.Equal(0x11, flash[0]);
        Assert.NotEqual(0u, fc.Read(0x10, 4) & (1u << 3)); // PROGERR
        fc.Write(0x10, 4, 0xFFFF);                          // clear errors

        fc.WriteFlash(0x08000104, 4, 0);                    // first word not double-word aligned
        Assert.NotEqual(0u, fc.Read(0x10, 4) & (1u << 5)); // PGAERR
        fc.Write(0x10, 4, 0xFFFF);
        fc.WriteFlash(0x08000200, 2, 0);                    // half-word
        Assert.NotEqual(0u, fc.Read(0x10, 4) & (1u << 6)); // SIZERR
    }

    [Fact]
    public void F4_sector_erase_by_snb_and_program_size_checked()
    {
        var d = DeviceCatalog.Resolve("0x413")!;
        var flash = new byte[d.Flash.Length];
        var fc = new F4FlashController(new CoreContext(false), flash, 0, d.Flash, d.Layout!, null, "F4", dualBankNumbering: false);
        fc.Write(0x04, 4, Key1);
        fc.Write(0x04, 4, Key2);
        fc.Write(0x10, 4, 2u | (1u << 3) | (2u << 8) | (1u << 16)); // SER, SNB 1, x32, STRT
        Assert.All(flash.Skip(0x4000).Take(0x4000), b => Assert.Equal(0xFF, b));
        Assert.Equal(0, flash[0x3FFF]);
        Assert.Equal(0, flash[0x8000]);

        fc.Write(0x10, 4, 1u | (2u << 8)); // PG, x32
        fc.WriteFlash(0x08004000, 2, 0);    // a half-word with PSIZE x32
        Assert.NotEqual(0u, fc.Read(0x0C, 4) & (1u << 6)); // PGPERR
        fc.WriteFlash(0x08004002, 4, 0);    // misaligned word
        Assert.NotEqual(0u, fc.Read(0x0C, 4) & (1u << 5)); // PGAERR
        fc.WriteFlash(0x08004004, 4, 0x12345678);
        Assert.Equal(0x78, flash[0x4004]);
    }

    [Fact]
    public void Usart_bytes_arrive_garbled_when_the_rates_differ()
    {
        int line = 115200;
        var ctx = new CoreContext(false);
        var u = new EmulatedUsart(0x40013800, UsartLayout.Old, ctx, () => 24_000_000, () => true, () => line, null);
        u.Write(0x08, 4, 208);                                       // 24 MHz / 208 = 115384 baud
        u.Write(0x0C, 4, (1u << 13) | (1u << 12) | (1u << 10) | 0xC); // UE, M, PCE, TE, RE
        var data = Enumerable.Range(0, 64).Select(i => (byte)i).ToArray();
        u.Receive(data, data.Length, 0);
        var got = Enumerable.Range(0, 64).Select(_ => (byte)u.Read(0x04, 4)).ToArray();
        Assert.Equal(data, got);

        line = 57600;
        u.Receive(data, data.Length, 0);
        got = Enumerable.Range(0, 64).Select(_ => (byte)u.Read(0x04, 4)).ToArray();
        Assert.NotEqual(data, got);
        Assert.Equal(64, u.GarbledBytes);
    }
}
