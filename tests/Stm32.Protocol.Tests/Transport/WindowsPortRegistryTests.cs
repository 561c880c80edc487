using Stm32.Protocol.Transport;

namespace Stm32.Protocol.Tests.Transport;

/// <summary>
/// Get-Stm32Port's Windows walk over a fake registry laid out as Windows keeps it (SERIALCOMM
/// for the list, Enum for what each port is), and the parsing of device instance IDs.
/// </summary>
public class WindowsPortRegistryTests
{
    [Fact]
    public void A_usb_instance_id_gives_vendor_product_and_serial()
    {
        var id = WindowsDeviceId.Parse(@"USB\VID_0403&PID_6001\A50285BI")!;
        Assert.Equal("USB", id.Enumerator);
        Assert.Equal("0403", id.VendorId);
        Assert.Equal("6001", id.ProductId);
        Assert.Equal("A50285BI", id.SerialNumber);
        Assert.Null(id.Interface);
        Assert.Equal(@"USB\VID_0403&PID_6001\A50285BI", id.ToString());
    }

    [Theory]
    [InlineData(@"USB\VID_1A86&PID_7523\5&2E2E1A3C&0&1", "1a86", "7523", null, null)]          // CH340: no serial, Windows made one up
    [InlineData(@"USB\VID_0483&PID_374B&MI_02\6&1B5A7A4E&0&0002", "0483", "374b", "02", null)] // ST-LINK VCP interface
    [InlineData(@"FTDIBUS\VID_0403+PID_6001+A50285BIA\0000", "0403", "6001", null, "A50285BIA")]
    [InlineData(@"usb\vid_10c4&pid_ea60\0001", "10c4", "ea60", null, "0001")]                  // CP210x with serial 0001
    [InlineData(@"ACPI\PNP0501\1", null, null, null, null)]
    [InlineData(@"BTHENUM\{00001101-0000-1000-8000-00805F9B34FB}_LOCALMFG&0002\7&3A1B&0&000000000000_00000000", null, null, null, null)]
    public void Instance_ids_of_common_ports_parse(string text, string? vid, string? pid, string? mi, string? serial)
    {
        var id = WindowsDeviceId.Parse(text)!;
        Assert.Equal(vid, id.VendorId);
        Assert.Equal(pid, id.ProductId);
        Assert.Equal(mi, id.Interface);
        Assert.Equal(serial, id.SerialNumber);
    }

    [Theory]
    [InlineData("")]
    [InlineData("COM3")]
    [InlineData(@"USB\VID_0403&PID_6001")]
    [InlineData(@"USB\\A50285BI")]
    public void Text_that_is_no_instance_id_gives_null(string text) => Assert.Null(WindowsDeviceId.Parse(text));

    [Theory]
    [InlineData("@oem12.inf,%ftdi%;FTDI", "FTDI")]
    [InlineData("@oem7.inf,%stmicro%;STMicroelectronics", "STMicroelectronics")]
    [InlineData("USB Serial Port (COM12)", "USB Serial Port (COM12)")]
    [InlineData("@msports.inf", null)]
    [InlineData("  ", null)]
    public void Indirect_strings_give_their_text(string value, string? expected) => Assert.Equal(expected, WindowsPortRegistry.PlainText(value));

    private const string Enum = @"SYSTEM\CurrentControlSet\Enum\";

    /// <summary>An FTDI adapter (FTDI's driver), an ST-LINK's virtual COM port, a CH340, a built-in COM1, and Wine's mapped COM ports.</summary>
    private static FakeRegistry Machine()
    {
        var r = new FakeRegistry();
        r.Set(@"HARDWARE\DEVICEMAP\SERIALCOMM", @"\Device\VCP0", "COM12");
        r.Set(@"HARDWARE\DEVICEMAP\SERIALCOMM", @"\Device\USBSER000", "COM5");
        r.Set(@"HARDWARE\DEVICEMAP\SERIALCOMM", @"\Device\Serial0", "COM1");
        r.Set(@"HARDWARE\DEVICEMAP\SERIALCOMM", @"\Device\CH341SER0", "COM7");
        r.Set(@"HARDWARE\DEVICEMAP\SERIALCOMM", @"\Device\Serial9", "COM9");   // no Enum entry (Wine's mapped ports look like this)

        // FTDI: the USB device, and the port FTDIBUS enumerates on it (serial + channel letter).
        r.Set(Enum + @"USB\VID_0403&PID_6001\A50285BI", "Service", "FTDIBUS");
        r.Set(Enum + @"FTDIBUS\VID_0403+PID_6001+A50285BIA\0000", "FriendlyName", "USB Serial Port (COM12)");
        r.Set(Enum + @"FTDIBUS\VID_0403+PID_6001+A50285BIA\0000", "Mfg", "@oem12.inf,%ftdi%;FTDI");
        r.Set(Enum + @"FTDIBUS\VID_0403+PID_6001+A50285BIA\0000", "Service", "FTSER2K");
        r.Set(Enum + @"FTDIBUS\VID_0403+PID_6001+A50285BIA\0000\Device Parameters", "PortName", "COM12");
        r.Key(Enum + @"FTDIBUS\VID_0403+PID_6001+A50285BIA\0000\Control");

        // ST-LINK V2-1: composite device; the VCP is interface 02, its parent carries the serial.
        r.Set(Enum + @"USB\VID_0483&PID_374B\066DFF555052836687031634", "ParentIdPrefix", "6&1b5a7a4e&0");
        r.Set(Enum + @"USB\VID_0483&PID_374B&MI_02\6&1B5A7A4E&0&0002", "FriendlyName", "STMicroelectronics STLink Virtual COM Port (COM5)");
        r.Set(Enum + @"USB\VID_0483&PID_374B&MI_02\6&1B5A7A4E&0&0002", "Mfg", "@oem7.inf,%stmicro%;STMicroelectronics");
        r.Set(Enum + @"USB\VID_0483&PID_374B&MI_02\6&1B5A7A4E&0&0002", "Service", "usbser");
        r.Set(Enum + @"USB\VID_0483&PID_374B&MI_02\6&1B5A7A4E&0&0002\Device Parameters", "PortName", "COM5");
        r.Key(Enum + @"USB\VID_0483&PID_374B&MI_02\6&1B5A7A4E&0&0002\Control");

        // CH340 without a serial number; an unplugged one remembered with the same COM name.
        r.Set(Enum + @"USB\VID_1A86&PID_7523\5&2E2E1A3C&0&1", "DeviceDesc", "@oem20.inf,%ch341sersa64.devicedesc%;USB-SERIAL CH340");
        r.Set(Enum + @"USB\VID_1A86&PID_7523\5&2E2E1A3C&0&1", "Service", "CH341SER_A64");
        r.Set(Enum + @"USB\VID_1A86&PID_7523\5&2E2E1A3C&0&1\Device Parameters", "PortName", "COM7");
        r.Set(Enum + @"USB\VID_1A86&PID_7523\5&2E2E1A3C&0&2", "FriendlyName", "Old adapter (COM7)");
        r.Set(Enum + @"USB\VID_1A86&PID_7523\5&2E2E1A3C&0&2\Device Parameters", "PortName", "COM7");
        r.Key(Enum + @"USB\VID_1A86&PID_7523\5&2E2E1A3C&0&1\Control");

        // The motherboard's COM1.
        r.Set(Enum + @"ACPI\PNP0501\1", "FriendlyName", "Communications Port (COM1)");
        r.Set(Enum + @"ACPI\PNP0501\1", "Mfg", "(Standard port types)");
        r.Set(Enum + @"ACPI\PNP0501\1", "Service", "Serial");
        r.Set(Enum + @"ACPI\PNP0501\1\Device Parameters", "PortName", "COM1");
        r.Key(Enum + @"ACPI\PNP0501\1\Control");
        return r;
    }

    [Fact]
    public void The_list_is_serialcomm_in_natural_order()
    {
        var ports = SerialPortCatalog.EnumerateWindows(Machine());
        Assert.Equal(new[] { "COM1", "COM5", "COM7", "COM9", "COM12" }, ports.Select(p => p.Port));
        Assert.All(ports, p => Assert.Equal(p.Port, p.Name));
    }

    [Fact]
    public void An_ftdi_port_has_usb_ids_the_usb_serial_number_and_the_manufacturer()
    {
        var p = SerialPortCatalog.EnumerateWindows(Machine()).Single(x => x.Port == "COM12");
        Assert.Equal("0403", p.UsbVendorId);
        Assert.Equal("6001", p.UsbProductId);
        Assert.Equal("A50285BI", p.SerialNumber);   // the USB serial, not FTDIBUS's A50285BIA
        Assert.Equal("FTDI", p.Manufacturer);
        Assert.Equal("USB Serial Port", p.Product);
        Assert.Equal("FTDI USB Serial Port", p.Description);
        Assert.Equal("FTSER2K", p.Driver);
        Assert.Equal("ftdibus", p.Subsystem);
        Assert.Equal(@"FTDIBUS\VID_0403+PID_6001+A50285BIA\0000", p.DeviceId);
    }

    [Fact]
    public void A_composite_devices_port_takes_the_serial_number_of_its_parent()
    {
        var p = SerialPortCatalog.EnumerateWindows(Machine()).Single(x => x.Port == "COM5");
        Assert.Equal("0483", p.UsbVendorId);
        Assert.Equal("374b", p.UsbProductId);
        Assert.Equal("02", p.Interface);
        Assert.Equal("066DFF555052836687031634", p.SerialNumber);
        Assert.Equal("STMicroelectronics STLink Virtual COM Port", p.Product);
        Assert.Equal("usbser", p.Driver);
    }

    [Fact]
    public void The_started_device_wins_over_a_remembered_one_with_the_same_name()
    {
        var p = SerialPortCatalog.EnumerateWindows(Machine()).Single(x => x.Port == "COM7");
        Assert.Equal(@"USB\VID_1A86&PID_7523\5&2E2E1A3C&0&1", p.DeviceId);
        Assert.Equal("USB-SERIAL CH340", p.Product);   // no FriendlyName: DeviceDesc
        Assert.Null(p.SerialNumber);                  // the CH340 has none; Windows' made-up instance is not one
        Assert.Equal("1a86", p.UsbVendorId);
    }

    [Fact]
    public void A_builtin_port_and_a_port_without_a_device_entry_are_listed_with_what_is_known()
    {
        var ports = SerialPortCatalog.EnumerateWindows(Machine());
        var com1 = ports.Single(x => x.Port == "COM1");
        Assert.Equal("(Standard port types) Communications Port", com1.Description);
        Assert.Equal("acpi", com1.Subsystem);
        Assert.Null(com1.UsbVendorId);
        var com9 = ports.Single(x => x.Port == "COM9");
        Assert.Null(com9.DeviceId);
        Assert.Equal("", com9.Description);
    }

    /// <summary>Keys and values in memory; paths compare case-insensitively, as the registry does.</summary>
    private sealed class FakeRegistry : IRegistryReader
    {
        private readonly Dictionary<string, Dictionary<string, object>> _keys = new(StringComparer.OrdinalIgnoreCase);

        public void Key(string path)
        {
            var parts = path.Split('\\');
            for (int i = 1; i <= parts.Length; i++)
            {
                var p = string.Join('\\', parts.Take(i));
                if (!_keys.ContainsKey(p)) _keys[p] = new Dictionary<string, object>(StringComparer.OrdinalIgnoreCase);
            }
        }

        public void Set(string path, string name, object value)
        {
            Key(path);
            _keys[path][name] = value;
        }

        public IReadOnlyList<string> SubKeyNames(string path)
            => _keys.Keys.Where(k => k.Length > path.Length + 1 && k.StartsWith(path + "\\", StringComparison.OrdinalIgnoreCase) && k.IndexOf('\\', path.Length + 1) < 0)
                .Select(k => k.Substring(path.Length + 1)).ToList();

        public IReadOnlyList<string> ValueNames(string path) => _keys.TryGetValue(path, out var v) ? v.Keys.ToList() : new List<string>();

        public object? GetValue(string path, string name) => _keys.TryGetValue(path, out var v) && v.TryGetValue(name, out var x) ? x : null;

        public bool KeyExists(string path) => _keys.ContainsKey(path);
    }
}
