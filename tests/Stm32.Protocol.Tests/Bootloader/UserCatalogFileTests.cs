using Stm32.Protocol.Devices;

namespace Stm32.Protocol.Tests.Bootloader;

/// <summary>
/// User device files (issue 2), read without installing them (ReadUserFile touches no shared
/// state, so these run alongside the other tests).
/// </summary>
public class UserCatalogFileTests
{
    private static IReadOnlyList<DeviceInfo> Read(string text, string extension)
    {
        var path = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N") + extension);
        File.WriteAllText(path, text);
        try
        {
            return DeviceCatalog.ReadUserFile(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static string Error(string text, string extension)
        => Assert.Throws<FormatException>(() => Read(text, extension)).Message;

    [Fact]
    public void Json_takes_hex_strings_numbers_arrays_null_escapes_and_a_byte_order_mark()
    {
        var rows = Read("\uFEFF[ { \"pid_hex\": 2457, \"name\": \"My \\\"quoted\\\" part \\u00B5\", \"ram_start\": \"0x20001000\", \"ram_end\": 536891392,"
            + " \"flash_start\": \"0x08000000\", \"flash_end\": \"0x08010000\", \"page_size_or_sector_layout\": 2048,"
            + " \"flags\": [\"F_NO_ME\"], \"bootloader_ids\": [49, \"0x91\"], \"notes\": null } ]", ".json");
        var d = Assert.Single(rows);
        Assert.Equal(0x999, d.ProductId);
        Assert.Equal("My \"quoted\" part \u00B5", d.Name);
        Assert.Equal(new MemoryRange(0x20001000, 0x20005000), d.Ram);
        Assert.Equal(32, d.Layout!.PageCount);
        Assert.Equal(DeviceFlags.NoMassErase, d.Flags & DeviceFlags.NoMassErase);
        Assert.Equal(new byte[] { 0x31, 0x91 }, d.BootloaderIds);
    }

    [Fact]
    public void Json_is_recognised_by_its_first_character_too_and_one_object_is_one_row()
    {
        var d = Assert.Single(Read("  {\"pid_hex\":\"0x998\",\"name\":\"One\"}", ".txt"));
        Assert.Equal(0x998, d.ProductId);
        Assert.Empty(Read("[]", ".json"));
    }

    [Theory]
    [InlineData("[\n{\"pid_hex\": \"0x999\", \"name\": \"a\", \"ram_end\": 1.5}\n]", "line 2", "whole")]
    [InlineData("[\n{\"pid_hex\": \"0x999\", \"name\": \"a\",\n \"flags\": {\"x\": 1}}]", "line 3", "object")]
    [InlineData("[\n{\"pid_hex\": \"0x999\", \"name\": 'a'}]", "line 2", "double quotes")]
    [InlineData("[\n{\"pid_hex\": \"0x999\", \"name\": \"a\", \"name\": \"b\"}]", "line 2", "twice")]
    [InlineData("[\n{\"pid_hex\": \"0x999\", \"name\": \"a\"}] x", "line 2", "after the end")]
    [InlineData("[\n{\"pid_hex\": \"0x999\", \"name\": \"a\", \"flash_start\": \"0x08000000\", \"flash_end\": \"0x08010000\"}]", "line 2", "no page_size_or_sector_layout")]
    [InlineData("[\n{\"pid_hex\": \"0x999\", \"name\": \"a\", \"ram_start\": \"0x20005000\", \"ram_end\": \"0x20001000\"}]", "line 2", "not above")]
    [InlineData("[\n{\"pid_hex\": \"0x1000\", \"name\": \"a\"}]", "line 2", "not a product ID")]
    public void Bad_json_names_the_line_and_what_is_wrong(string text, string line, string what)
    {
        var message = Error(text, ".json");
        Assert.Contains(".json, " + line + ":", message);
        Assert.Contains(what, message);
    }

    [Fact]
    public void Csv_errors_name_the_physical_line_even_after_a_quoted_line_break()
    {
        var message = Error(
            "pid_hex,name,ram_start,ram_end,flash_start,flash_end,page_size_or_sector_layout,option_bytes_start,option_bytes_end,system_memory_start,system_memory_end,flags,pages_per_sector,notes\n"
            + "0x998,A,,,,,,,,,,,,\"two\nlines\"\n"
            + "0x999,B,0x2000zz00,0x20004000,,,,,,,,,,\n", ".csv");
        Assert.Contains(".csv, line 4:", message);
        Assert.Contains("0x2000zz00", message);
    }

    [Fact]
    public void Csv_without_a_required_column_is_refused()
        => Assert.Contains("no column 'flags'", Error("pid_hex,name,ram_start,ram_end,flash_start,flash_end,page_size_or_sector_layout,option_bytes_start,option_bytes_end,system_memory_start,system_memory_end,pages_per_sector\n", ".csv"));
}
