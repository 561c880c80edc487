using System.Text.RegularExpressions;
using Xunit;
using Stm32.Protocol.Devices;

namespace Stm32.Protocol.Tests.Bootloader;

/// <summary>
/// "Is my chip supported?": orderable part numbers (as printed on chips and in ST's ordering
/// information) resolve to the catalog rows of their product IDs, AN2606's device IDs.
/// </summary>
public class PartNumberTests
{
    [Theory]
    // F0 (RM0091, RM0360)
    [InlineData("STM32F030F4P6", 0x444)]
    [InlineData("STM32F030K6T6", 0x444)]
    [InlineData("STM32F030C8T6", 0x440)]
    [InlineData("STM32F030CCT6", 0x442)]
    [InlineData("STM32F031K6T6", 0x444)]
    [InlineData("STM32F042K6T6", 0x445)]
    [InlineData("STM32F051R8T6", 0x440)]
    [InlineData("STM32F070F6P6", 0x445)]
    [InlineData("STM32F070RBT6", 0x448)]
    [InlineData("STM32F072RBT6", 0x448)]
    [InlineData("STM32F091RCT6", 0x442)]
    // F1 (RM0008: densities by flash size)
    [InlineData("STM32F103C8T6", 0x410)]
    [InlineData("STM32F103CBT6", 0x410)]
    [InlineData("STM32F103C6T6A", 0x412)]
    [InlineData("STM32F103RCT6", 0x414)]
    [InlineData("STM32F103ZET6", 0x414)]
    [InlineData("STM32F103ZGT6", 0x430)]
    [InlineData("STM32F101RBT6", 0x410)]
    [InlineData("STM32F102C8T6", 0x410)]
    [InlineData("STM32F100C8T6B", 0x420)]
    [InlineData("STM32F100RBT6B", 0x420)]
    [InlineData("STM32F100RCT6B", 0x428)]
    [InlineData("STM32F105RCT6", 0x418)]
    [InlineData("STM32F107VCT6", 0x418)]
    // F2, F3
    [InlineData("STM32F205RBT6", 0x411)]
    [InlineData("STM32F207ZGT6", 0x411)]
    [InlineData("STM32F301K8T6", 0x439)]
    [InlineData("STM32F302R8T6", 0x439)]
    [InlineData("STM32F303CCT6", 0x422)]
    [InlineData("STM32F303K8T6", 0x438)]
    [InlineData("STM32F303RET6", 0x446)]
    [InlineData("STM32F334R8T6", 0x438)]
    [InlineData("STM32F373CCT6", 0x432)]
    // F4
    [InlineData("STM32F401CCU6", 0x423)]
    [InlineData("STM32F401CEU6", 0x433)]
    [InlineData("STM32F401RET6", 0x433)]
    [InlineData("STM32F405RGT6", 0x413)]
    [InlineData("STM32F407VGT6", 0x413)]
    [InlineData("STM32F410RBT6", 0x458)]
    [InlineData("STM32F411CEU6", 0x431)]
    [InlineData("STM32F411RET6", 0x431)]
    [InlineData("STM32F412ZGT6", 0x441)]
    [InlineData("STM32F413ZHT6", 0x463)]
    [InlineData("STM32F429ZIT6", 0x419)]
    [InlineData("STM32F446RET6", 0x421)]
    [InlineData("STM32F469NIH6", 0x434)]
    // F7
    [InlineData("STM32F722ZET6", 0x452)]
    [InlineData("STM32F746NGH6", 0x449)]
    [InlineData("STM32F767ZIT6", 0x451)]
    // G0, G4
    [InlineData("STM32G030F6P6", 0x466)]
    [InlineData("STM32G031K8T6", 0x466)]
    [InlineData("STM32G051C8T6", 0x456)]
    [InlineData("STM32G071RBT6", 0x460)]
    [InlineData("STM32G0B1RET6", 0x467)]
    [InlineData("STM32G431KBT6", 0x468)]
    [InlineData("STM32G474RET6", 0x469)]
    [InlineData("STM32G491RET6", 0x479)]
    // H7, H5
    [InlineData("STM32H723ZGT6", 0x483)]
    [InlineData("STM32H743ZIT6", 0x450)]
    [InlineData("STM32H750VBT6", 0x450)]
    [InlineData("STM32H7A3ZIT6Q", 0x480)]
    [InlineData("STM32H7B0VBT6", 0x480)]
    [InlineData("STM32H503RBT6", 0x474)]
    [InlineData("STM32H533RET6", 0x478)]
    [InlineData("STM32H563ZIT6", 0x484)]
    // L0 (categories), L1 (categories: an ordering code ending in A is the second one)
    [InlineData("STM32L011K4T6", 0x457)]
    [InlineData("STM32L031K6T6", 0x425)]
    [InlineData("STM32L053R8T6", 0x417)]
    [InlineData("STM32L072CZT6", 0x447)]
    [InlineData("STM32L151C8T6", 0x416)]
    [InlineData("STM32L151C8T6A", 0x429)]
    [InlineData("STM32L152RBT6A", 0x429)]
    [InlineData("STM32L152RCT6", 0x427)]
    [InlineData("STM32L152RCT6A", 0x436)]
    [InlineData("STM32L151QDH6", 0x436)]
    [InlineData("STM32L152RET6", 0x437)]
    // L4, L5
    [InlineData("STM32L412KBU6", 0x464)]
    [InlineData("STM32L432KCU6", 0x435)]
    [InlineData("STM32L452RET6", 0x462)]
    [InlineData("STM32L476RGT6", 0x415)]
    [InlineData("STM32L496ZGT6", 0x461)]
    [InlineData("STM32L4R5ZIT6", 0x470)]
    [InlineData("STM32L4P5ZGT6", 0x471)]
    [InlineData("STM32L552ZET6Q", 0x472)]
    // U0, U5
    [InlineData("STM32U031K8U6", 0x459)]
    [InlineData("STM32U083RCT6", 0x489)]
    [InlineData("STM32U545RET6Q", 0x455)]
    [InlineData("STM32U575ZIT6Q", 0x482)]
    [InlineData("STM32U585AII6Q", 0x482)]
    [InlineData("STM32U5A9NJH6Q", 0x481)]
    // WB, WBA, WL
    [InlineData("STM32WB15CCU6", 0x494)]
    [InlineData("STM32WB35CEU6A", 0x495)]
    [InlineData("STM32WB55RGV6", 0x495)]
    [InlineData("STM32WBA52CGU6", 0x492)]
    [InlineData("STM32WLE4C8U6", 0x497)]
    [InlineData("STM32WLE5JCI6", 0x497)]
    [InlineData("STM32WL55JCI7", 0x497)]
    // C0
    [InlineData("STM32C011F4P6", 0x443)]
    [InlineData("STM32C031C6T6", 0x453)]
    [InlineData("STM32C071RBT6", 0x493)]
    [InlineData("STM32C092RCT6", 0x44D)]
    // As people type them: lower case, without STM32, with tape-and-reel options
    [InlineData("stm32f103c8t6", 0x410)]
    [InlineData("F072RB", 0x448)]
    [InlineData("STM32F103C8T6TR", 0x410)]
    [InlineData("STM32F103xB", 0x410)]
    public void AnOrderablePartNumberResolvesToTheRowOfItsProductId(string partNumber, int pid)
    {
        var rows = DeviceCatalog.FindByPartNumber(partNumber);
        Assert.Equal(new[] { pid }, rows.Select(r => (int)r.ProductId));
        Assert.Equal(pid, DeviceCatalog.Resolve(partNumber)!.ProductId);
    }

    [Theory]
    [InlineData("STM32F401RE", 0x433)]
    [InlineData("STM32F303RE", 0x446)]
    [InlineData("STM32F303CC", 0x422)]
    [InlineData("STM32F072RB", 0x448)]
    [InlineData("STM32WB55", 0x495)]
    [InlineData("STM32F411CE", 0x431)]
    public void APartNumberWithoutItsTailStillFindsItsRow(string partNumber, int pid)
        => Assert.Equal(new[] { pid }, DeviceCatalog.FindByPartNumber(partNumber).Select(r => (int)r.ProductId));

    [Theory]
    [InlineData("STM32F103", new[] { 0x412, 0x410, 0x414, 0x430 })]
    [InlineData("STM32F401", new[] { 0x423, 0x433 })]
    [InlineData("stm32f030", new[] { 0x440, 0x444, 0x442 })]
    [InlineData("STM32L151C8", new[] { 0x416, 0x429 })]
    [InlineData("STM32L152RC", new[] { 0x427, 0x436 })]
    [InlineData("STM32F2", new[] { 0x411 })]
    public void ALineOrAnUnfinishedPartNumberListsEveryRowItMayBe(string partNumber, int[] pids)
    {
        Assert.Equal(pids.OrderBy(p => p), DeviceCatalog.FindByPartNumber(partNumber).Select(r => (int)r.ProductId).OrderBy(p => p));
        Assert.Null(DeviceCatalog.Resolve(partNumber) is { } one && pids.Length > 1 ? one : null);
    }

    [Fact]
    public void AFamilyPrefixListsTheFamily()
    {
        var f4 = DeviceCatalog.FindByPartNumber("STM32F4").Select(r => (int)r.ProductId).ToList();
        Assert.Equal(new[] { 0x413, 0x419, 0x421, 0x423, 0x431, 0x433, 0x434, 0x441, 0x458, 0x463 }, f4.OrderBy(p => p));
    }

    private static Func<string, bool> Glob(string pattern)
    {
        var regex = new Regex("^" + Regex.Escape(pattern).Replace("\\*", ".*").Replace("\\?", ".") + "$", RegexOptions.IgnoreCase);
        return regex.IsMatch;
    }

    [Theory]
    [InlineData("*F072*", new[] { 0x448 })]
    [InlineData("*F401*", new[] { 0x423, 0x433 })]
    [InlineData("*F40xxx*", new[] { 0x413, 0x423, 0x433 })]   // x: any, as in the names
    [InlineData("*WB55*", new[] { 0x495 })]
    [InlineData("STM32F103C8*", new[] { 0x410 })]
    public void WildcardsMatchNamesAndThePartsARowCovers(string query, int[] pids)
        => Assert.Equal(pids.OrderBy(p => p), DeviceCatalog.FindByName(query, Glob(query)).Select(r => (int)r.ProductId).OrderBy(p => p));

    [Fact]
    public void AnExactNameFindsItsRow()
        => Assert.Equal(0x410, Assert.Single(DeviceCatalog.FindByName("STM32F10xxx Medium-density")).ProductId);

    [Fact]
    public void APartNoRowCoversIsSaidSoNotGivenAWrongRow()
    {
        // The STM32L010 value line splits across four L0 IDs by flash size; the catalog does not guess.
        Assert.Empty(DeviceCatalog.FindByPartNumber("STM32L010RBT6"));
        Assert.Contains("the catalog has no row for the STM32L010 line", DeviceCatalog.ExplainNoMatch("STM32L010RBT6"));
        // No F401 has 1 MB: the answer names the flash sizes the F401 rows do cover.
        Assert.Empty(DeviceCatalog.FindByPartNumber("STM32F401RGT6"));
        var why = DeviceCatalog.ExplainNoMatch("STM32F401RGT6");
        Assert.Contains("flash-size letter G (1 MB)", why);
        Assert.Contains("0x423 STM32F401xB(C) (flash-size letters B, C)", why);
        Assert.Contains("0x433 STM32F401xD(E) (flash-size letters D, E)", why);
        Assert.Contains("not a part number of an STM32 series the catalog knows", DeviceCatalog.ExplainNoMatch("NOPE123"));
        Assert.Null(DeviceCatalog.Resolve("STM32L010RBT6"));
    }

    [Fact]
    public void ANewFamilyKnownOnlyByNameResolvesToItsNameOnlyRow()
    {
        var row = Assert.Single(DeviceCatalog.FindByPartNumber("STM32U375RGT6"));
        Assert.Equal(0x454, row.ProductId);
        Assert.True(row.Flags.HasFlag(DeviceFlags.NameOnly));
    }

    [Fact]
    public void EveryStm32RowCoversPartsAndEachOfItsPartNamesLeadsBackToIt()
    {
        foreach (var row in DeviceCatalog.All.Where(d => d.Name.StartsWith("STM32", StringComparison.Ordinal) && !d.Name.StartsWith("STM32W-", StringComparison.Ordinal)))
        {
            var names = DeviceCatalog.PartNames(row);
            Assert.True(names.Count > 0, row.Name + " covers no part");
            foreach (var name in names)
                Assert.Contains(row, DeviceCatalog.FindByPartNumber(name));
        }
    }

    [Theory]
    [InlineData("STM32F401RET6", "F401", 'R', 'E', 'T', '6', "")]
    [InlineData("stm32wba52cgu6", "WBA52", 'C', 'G', 'U', '6', "")]
    [InlineData("STM32L151C8T6ATR", "L151", 'C', '8', 'T', '6', "ATR")]
    [InlineData("STM32F103x8", "F103", null, '8', null, null, "")]
    public void APartNumberIsReadIntoItsFields(string text, string line, char? pins, char? flash, char? package, char? temperature, string options)
    {
        Assert.True(PartNumber.TryParse(text, out var p));
        Assert.Equal((line, pins, flash, package, temperature, options), (p.Line, p.Pins, p.FlashSize, p.Package, p.Temperature, p.Options));
    }

    [Theory]
    [InlineData("STM32F10xxx Medium-density")]
    [InlineData("*F072*")]
    [InlineData("BlueNRG-1")]
    [InlineData("0x410")]
    [InlineData("")]
    public void TextThatIsNoPartNumberIsNotReadAsOne(string text)
        => Assert.False(PartNumber.TryParse(text, out _));
}
