using Stm32.Protocol.Devices;

namespace Stm32.Protocol.Tests.Bootloader;

public class CatalogTests
{
    [Fact]
    public void Every_row_of_devices_csv_is_in_the_catalog()
    {
        var csvRows = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "data", "devices.csv")).Skip(1)
            .Count(l => l.StartsWith("0x", StringComparison.OrdinalIgnoreCase));
        Assert.Equal(89, csvRows);
        Assert.Equal(csvRows, DeviceCatalog.All.Count);
    }

    [Fact]
    public void F103_medium_density_has_128_KiB_in_1_KiB_pages()
    {
        var d = DeviceCatalog.Find(0x410)!;
        Assert.Equal("STM32F10xxx Medium-density", d.Name);
        Assert.Equal("F1", d.Family);
        Assert.Equal(128u * 1024, d.Flash.Length);
        Assert.True(d.Layout!.IsUniform);
        Assert.Equal(1024u, d.Layout.PageSize);
        Assert.Equal(128, d.Layout.PageCount);
        Assert.Equal(0x22, d.DefaultBootloaderVersion);
        Assert.Equal(new MemoryRange(0x1FFFF800, 0x1FFFF810), d.OptionBytes);
        Assert.Equal(0x20000200u, d.Ram.Start);
    }

    [Fact]
    public void F407_has_the_sector_table()
    {
        var d = DeviceCatalog.Find(0x413)!;
        Assert.False(d.Layout!.IsUniform);
        Assert.Equal(12, d.Layout.PageCount);
        Assert.Equal(new uint[] { 16, 16, 16, 16, 64, 128, 128, 128, 128, 128, 128, 128 }.Select(k => k * 1024),
            d.Layout.Pages.Select(p => p.Size));
        Assert.Equal(4, d.Layout.PageAt(0x08010000)!.Index);
        Assert.Equal(5, d.Layout.PageAt(0x08020000)!.Index);
        Assert.Equal(11, d.Layout.PageAt(0x080FFFFF)!.Index);
        Assert.Null(d.Layout.PageAt(0x08100000));
        Assert.Equal(0x31, d.DefaultBootloaderVersion);
    }

    [Fact]
    public void Pages_touching_ranges_are_distinct_and_ordered()
    {
        var layout = DeviceCatalog.Find(0x410)!.Layout!;
        var pages = layout.PagesTouching(new[]
        {
            MemoryRange.FromLength(0x08000000, 0x110),
            MemoryRange.FromLength(0x0801FC00, 16),
            MemoryRange.FromLength(0x080003F0, 0x20),
        });
        Assert.Equal(new[] { 0, 1, 127 }, pages.Select(p => p.Index));
    }

    [Theory]
    [InlineData("0x410", 0x410)]
    [InlineData("410h", 0x410)]
    [InlineData("STM32F40xxx/41xxx", 0x413)]
    [InlineData("stm32f030x8", 0x440)]
    public void Resolve_by_pid_or_name(string text, int pid)
        => Assert.Equal(pid, DeviceCatalog.Resolve(text)!.ProductId);

    [Fact]
    public void An_unknown_pid_gives_a_generic_device()
    {
        Assert.Null(DeviceCatalog.Find(0x999));
        var g = DeviceCatalog.Generic(0x999);
        Assert.True(g.IsGeneric);
        Assert.False(g.CanProgram);
        Assert.Contains("0x999", g.Name);
    }

    [Fact]
    public void User_rows_replace_built_in_ones()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path,
                "pid_hex,name,ram_start,ram_end,flash_start,flash_end,page_size_or_sector_layout,option_bytes_start,option_bytes_end,system_memory_start,system_memory_end,flags,pages_per_sector\n" +
                "0x999,My test part,0x20001000,0x20004000,0x08000000,0x08010000,2048,0x1FFF7800,0x1FFF787F,0x1FFF0000,0x1FFF7000,,1\n");
            DeviceCatalog.LoadUserFile(path);
            var d = DeviceCatalog.Find(0x999)!;
            Assert.Equal("My test part", d.Name);
            Assert.Equal(32, d.Layout!.PageCount);
        }
        finally
        {
            DeviceCatalog.ClearUserRows();
            File.Delete(path);
        }
    }
}
