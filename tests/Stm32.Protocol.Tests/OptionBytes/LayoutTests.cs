using Stm32.Protocol.Devices;
using Stm32.Protocol.Programming;
using Stm32.Protocol.Simulation;

namespace Stm32.Protocol.Tests.OptionBytes;

/// <summary>The shared family layouts: decode, encode, complements, defaults (spec 7).</summary>
public class LayoutTests
{
    /// <summary>One row per layout flavour the bootloader can write.</summary>
    public static TheoryData<int> SupportedRows() => new()
    {
        0x440, // F0
        0x410, // F1 medium density
        0x414, // F1 high density
        0x422, // F3
        0x411, // F2
        0x413, // F4
        0x419, // F42x: bank-1 block at 0x1FFFC000
        0x449, // F7
        0x417, // L0
        0x416, // L1
        0x435, // L4 (16 readable bytes)
        0x415, // L47x dual bank
        0x460, // G0
        0x469, // G4
        0x495, // WB
        0x497, // WL
    };

    private static byte[] FactoryBlock(DeviceInfo device)
    {
        using var chip = new SimulatedChip(device);
        var block = OptionLayout.BlockFor(device);
        return chip.Peek(block.Start, (int)block.Length);
    }

    [Theory]
    [MemberData(nameof(SupportedRows))]
    public void Factory_defaults_decode_as_level_0_with_nothing_protected(int pid)
    {
        var device = DeviceCatalog.Find((ushort)pid)!;
        var layout = OptionLayout.For(device);
        var block = OptionLayout.BlockFor(device);
        var set = layout.Decode(FactoryBlock(device), block.Start, device);
        Assert.Equal(ReadProtectionLevel.Level0, set.ReadProtection);
        Assert.Equal(device.Family == "F1" ? 0xA5 : 0xAA, set.RdpByte);
        Assert.Empty(set.BadComplementOffsets);
        Assert.True(set.NRstStop);
        Assert.True(set.NRstStdby);
        Assert.True(set.SoftwareWatchdog);
        if (device.Family is "L4") Assert.Null(set.WriteProtectedPages); // WRP lies past the 16 readable bytes
        else Assert.Empty(set.WriteProtectedPages!);
        Assert.Contains("Level0", set.Describe());
        Assert.Contains(device.Family, set.ToString());
    }

    [Theory]
    [MemberData(nameof(SupportedRows))]
    public void Every_user_field_round_trips_and_complements_follow(int pid)
    {
        var device = DeviceCatalog.Find((ushort)pid)!;
        var layout = OptionLayout.For(device);
        var raw = FactoryBlock(device);
        var before = layout.Decode(raw, 0, device);

        // No change: the same bytes.
        Assert.Equal(raw, layout.Apply(raw, new OptionByteChange()));

        foreach (var field in layout.Fields.Where(f => f != OptionField.ReadProtection && f != OptionField.WriteProtection))
        {
            var old = before[field]!.Value;
            var width = layout.WidthOf(field);
            uint value = width == 1 ? old ^ 1 : (old + 1) & ((1u << width) - 1);
            var change = new OptionByteChange();
            Set(change, field, value);
            var encoded = layout.Apply(raw, change);
            var after = layout.Decode(encoded, 0, device);
            Assert.Equal(value, after[field]);
            Assert.Empty(after.BadComplementOffsets);
            foreach (var other in before.Values.Keys.Where(k => k != field))
                Assert.Equal(before[other], after[other]);
            // And back again gives the factory bytes.
            var back = new OptionByteChange();
            Set(back, field, old);
            Assert.Equal(raw, layout.Apply(encoded, back));
        }
    }

    private static void Set(OptionByteChange c, OptionField f, uint v)
    {
        switch (f)
        {
            case OptionField.SoftwareWatchdog: c.SoftwareWatchdog = v != 0; break;
            case OptionField.NRstStop: c.NRstStop = v != 0; break;
            case OptionField.NRstStdby: c.NRstStdby = v != 0; break;
            case OptionField.NBoot0: c.NBoot0 = v != 0; break;
            case OptionField.NBoot1: c.NBoot1 = v != 0; break;
            case OptionField.NSwBoot0: c.NSwBoot0 = v != 0; break;
            case OptionField.NBootSel: c.NBootSel = v != 0; break;
            case OptionField.BorLevel: c.BorLevel = (int)v; break;
            case OptionField.Data0: c.Data0 = (byte)v; break;
            case OptionField.Data1: c.Data1 = (byte)v; break;
            default: throw new ArgumentOutOfRangeException(nameof(f));
        }
    }

    [Fact]
    public void F1_pairs_are_encoded_byte_for_byte()
    {
        var device = DeviceCatalog.Find(0x410)!;
        var layout = OptionLayout.For(device);
        var raw = FactoryBlock(device);
        Assert.Equal(new byte[] { 0xA5, 0x5A, 0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00 }, raw);
        var encoded = layout.Apply(raw, new OptionByteChange
        {
            NRstStop = false, Data0 = 0x12, Data1 = 0x34, WriteProtectedSectors = new[] { 0, 9 },
        });
        Assert.Equal(new byte[] { 0xA5, 0x5A, 0xFD, 0x02, 0x12, 0xED, 0x34, 0xCB, 0xFE, 0x01, 0xFD, 0x02, 0xFF, 0x00, 0xFF, 0x00 }, encoded);
        var set = layout.Decode(encoded, 0x1FFFF800, device);
        Assert.Equal(new[] { 0, 9 }, set.WriteProtectedSectors);
        Assert.Equal(new[] { 0, 1, 2, 3, 36, 37, 38, 39 }, set.WriteProtectedPages);
        Assert.Equal((byte)0x12, set.Data0);
        Assert.Null(set.NBoot0);
    }

    [Fact]
    public void F1_has_no_level_2_and_level_1_is_written_as_00()
    {
        var layout = OptionLayout.ForFamily("F1");
        Assert.False(layout.HasLevel2);
        Assert.Equal(ReadProtectionLevel.Level1, layout.LevelOf(0xCC));
        Assert.False(layout.IsLevel2(0xCC));
        Assert.Equal(0x00, layout.RdpFor(ReadProtectionLevel.Level1));
        var f0 = OptionLayout.ForFamily("F0");
        Assert.Equal(ReadProtectionLevel.Level2, f0.LevelOf(0xCC));
        Assert.Equal(ReadProtectionLevel.Level0, f0.LevelOf(0xAA));
        Assert.Equal(ReadProtectionLevel.Level1, f0.LevelOf(0xA5));
    }

    [Fact]
    public void F4_layout_keeps_user_rdp_and_nwrp_where_st_puts_them()
    {
        var device = DeviceCatalog.Find(0x413)!;
        var layout = OptionLayout.For(device);
        var raw = FactoryBlock(device);
        Assert.Equal(0xEC, raw[0]);
        Assert.Equal(0xAA, raw[1]);
        var encoded = layout.Apply(raw, new OptionByteChange { SoftwareWatchdog = false, BorLevel = 1, WriteProtectedSectors = new[] { 2, 11 } });
        Assert.Equal(0xC4, encoded[0]); // WDG_SW (bit 5) cleared, BOR_LEV = 01
        Assert.Equal(0xFB, encoded[8]);
        Assert.Equal(0xF7, encoded[9]);
        var set = layout.Decode(encoded, 0x1FFFC000, device);
        Assert.Equal(new[] { 2, 11 }, set.WriteProtectedPages);
        Assert.Equal("sector", set.UnitName);
        Assert.Equal(1, set.BorLevel);
    }

    [Fact]
    public void L0_words_carry_value_and_complement_halves()
    {
        var device = DeviceCatalog.Find(0x447)!;
        var layout = OptionLayout.For(device);
        var raw = FactoryBlock(device);
        Assert.Equal(new byte[] { 0xAA, 0x00, 0x55, 0xFF, 0x70, 0x80, 0x8F, 0x7F }, raw.Take(8).ToArray());
        var encoded = layout.Apply(raw, new OptionByteChange { NRstStop = false, NBoot1 = false, WriteProtectedSectors = new[] { 1, 17 } });
        Assert.Equal(new byte[] { 0x50, 0x00, 0xAF, 0xFF }, encoded.Skip(4).Take(4).ToArray());
        Assert.Equal(new byte[] { 0x02, 0x00, 0xFD, 0xFF, 0x02, 0x00, 0xFD, 0xFF }, encoded.Skip(8).Take(8).ToArray());
        var set = layout.Decode(encoded, 0x1FF80000, device);
        Assert.Equal(new[] { 1, 17 }, set.WriteProtectedSectors);
        Assert.Equal(Enumerable.Range(32, 32).Concat(Enumerable.Range(17 * 32, 32)), set.WriteProtectedPages);
    }

    [Fact]
    public void G0_optr_bits_sit_where_rm0444_puts_them()
    {
        var device = DeviceCatalog.Find(0x460)!;
        var layout = OptionLayout.For(device);
        var raw = FactoryBlock(device);
        var encoded = layout.Apply(raw, new OptionByteChange { NRstStop = false, NBoot0 = false });
        uint optr = BitConverter.ToUInt32(encoded, 0);
        Assert.Equal(0xFFEFF8AAu & ~(1u << 13) & ~(1u << 26), optr);
        Assert.Equal(~optr, BitConverter.ToUInt32(encoded, 4));
        Assert.Equal(raw.Skip(8), encoded.Skip(8));
        Assert.Contains(OptionField.NBootSel, layout.Fields);
        Assert.DoesNotContain(OptionField.NSwBoot0, layout.Fields);
    }

    [Fact]
    public void L4_optr_decodes_and_wrp_is_out_of_reach()
    {
        var device = DeviceCatalog.Find(0x435)!;
        var layout = OptionLayout.For(device);
        Assert.Equal(16u, OptionLayout.BlockFor(device).Length);
        var raw = FactoryBlock(device);
        var set = layout.Decode(raw, 0x1FFF7800, device);
        Assert.Equal(0, set.BorLevel);
        Assert.True(set.NBoot0);
        Assert.True(set.NSwBoot0);
        Assert.Null(set.WriteProtectedSectors);
        Assert.Contains("not readable", set.DescribeWrp());
        var e = Assert.Throws<ArgumentException>(() => layout.Apply(raw, new OptionByteChange { WriteProtectedSectors = new[] { 1 } }));
        Assert.Contains("Write Protect command", e.Message);
    }

    [Fact]
    public void Raw_bytes_are_taken_as_given_but_wrong_complements_are_refused()
    {
        var device = DeviceCatalog.Find(0x410)!;
        var layout = OptionLayout.For(device);
        var raw = FactoryBlock(device);
        var good = (byte[])raw.Clone();
        good[4] = 0x42;
        good[5] = 0xBD;
        Assert.Equal(good, layout.Apply(raw, new OptionByteChange { Raw = good }));
        var bad = (byte[])good.Clone();
        bad[5] = 0x00;
        var e = Assert.Throws<ArgumentException>(() => layout.Apply(raw, new OptionByteChange { Raw = bad }));
        Assert.Contains("0x05", e.Message);
        Assert.Throws<ArgumentException>(() => layout.Apply(raw, new OptionByteChange { Raw = good, Data0 = 1 }));
        Assert.Throws<ArgumentException>(() => layout.Apply(raw, new OptionByteChange { Raw = new byte[8] }));
    }

    [Fact]
    public void Fields_a_family_lacks_and_values_that_do_not_fit_are_refused()
    {
        var device = DeviceCatalog.Find(0x410)!;
        var layout = OptionLayout.For(device);
        var raw = FactoryBlock(device);
        var e = Assert.Throws<ArgumentException>(() => layout.Apply(raw, new OptionByteChange { NBoot0 = false }));
        Assert.Contains("NBoot0", e.Message);
        var f4 = OptionLayout.ForFamily("F4");
        Assert.Throws<ArgumentOutOfRangeException>(() => f4.Apply(f4.Defaults(), new OptionByteChange { BorLevel = 4 }));
    }

    [Theory]
    [InlineData(0x450)] // H7
    [InlineData(0x472)] // L5
    [InlineData(0x482)] // U5
    [InlineData(0x474)] // H5 (name only)
    public void Families_without_memory_mapped_options_are_not_possible_through_this_bootloader(int pid)
    {
        var device = DeviceCatalog.Find((ushort)pid)!;
        Assert.False(OptionLayout.IsSupported(device));
        var e = Assert.Throws<OptionBytesNotSupportedException>(() => OptionLayout.For(device));
        Assert.Contains("not possible through this bootloader", e.Message);
        Assert.IsAssignableFrom<NotSupportedException>(e);
        Assert.Throws<OptionBytesNotSupportedException>(() => OptionLayout.BlockFor(device));
    }

    [Fact]
    public void Option_blocks_are_the_family_base()
    {
        Assert.Equal(MemoryRange.FromLength(0x1FFFF800, 16), OptionLayout.BlockFor(DeviceCatalog.Find(0x410)!));
        Assert.Equal(MemoryRange.FromLength(0x1FFFC000, 16), OptionLayout.BlockFor(DeviceCatalog.Find(0x413)!));
        Assert.Equal(MemoryRange.FromLength(0x1FFFC000, 16), OptionLayout.BlockFor(DeviceCatalog.Find(0x419)!));
        Assert.Equal(MemoryRange.FromLength(0x1FFF0000, 32), OptionLayout.BlockFor(DeviceCatalog.Find(0x449)!));
        Assert.Equal(MemoryRange.FromLength(0x1FF80000, 32), OptionLayout.BlockFor(DeviceCatalog.Find(0x417)!));
        Assert.Equal(MemoryRange.FromLength(0x1FFF7800, 16), OptionLayout.BlockFor(DeviceCatalog.Find(0x415)!));
        Assert.Equal(MemoryRange.FromLength(0x1FFF7800, 0x80), OptionLayout.BlockFor(DeviceCatalog.Find(0x460)!));
        Assert.Equal(MemoryRange.FromLength(0x1FFF7800, 0x80), OptionLayout.BlockFor(DeviceCatalog.Find(0x497)!));
    }
}
