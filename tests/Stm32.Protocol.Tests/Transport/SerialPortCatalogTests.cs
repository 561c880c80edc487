using Stm32.Protocol.Transport;

namespace Stm32.Protocol.Tests.Transport;

/// <summary>Get-Stm32Port's Linux walk over a fake /sys and /dev built of real symlinks, as the kernel lays them out.</summary>
public class SerialPortCatalogTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("sysfs");

    public void Dispose() => _root.Delete(true);

    private string P(string relative) => Path.Combine(_root.FullName, relative);

    private string Dir(string relative) => Directory.CreateDirectory(P(relative)).FullName;

    private void Link(string relative, string target) => Directory.CreateSymbolicLink(P(relative), P(target));

    private void Text(string relative, string text) => File.WriteAllText(P(relative), text + "\n");

    private void BuildTree()
    {
        Dir("sys/bus/usb"); Dir("sys/bus/usb-serial"); Dir("sys/bus/pnp"); Dir("sys/bus/platform"); Dir("sys/bus/serial-base");
        Dir("sys/drivers/ftdi_sio"); Dir("sys/drivers/cdc_acm"); Dir("sys/drivers/serial"); Dir("sys/drivers/port");
        Dir("sys/class/tty"); Dir("dev/serial/by-id");

        // FTDI: usb device 1-1 / interface 1-1:1.0 / usb-serial port ttyUSB0
        var usb = "sys/devices/pci0000:00/usb1/1-1";
        Dir(usb + "/1-1:1.0/ttyUSB0");
        Text(usb + "/idVendor", "0403"); Text(usb + "/idProduct", "6001");
        Text(usb + "/manufacturer", "FTDI"); Text(usb + "/product", "FT232R USB UART"); Text(usb + "/serial", "A50285BI");
        Text(usb + "/1-1:1.0/bInterfaceNumber", "00");
        Link(usb + "/1-1:1.0/ttyUSB0/subsystem", "sys/bus/usb-serial");
        Link(usb + "/1-1:1.0/ttyUSB0/driver", "sys/drivers/ftdi_sio");
        Dir("sys/class/tty/ttyUSB0");
        Link("sys/class/tty/ttyUSB0/device", usb + "/1-1:1.0/ttyUSB0");
        Link("dev/serial/by-id/usb-FTDI_FT232R_USB_UART_A50285BI-if00-port0", "dev/ttyUSB0");
        File.WriteAllText(P("dev/ttyUSB0"), "");

        // CDC ACM (ST-LINK V2-1 VCP): the interface is the device
        var acm = "sys/devices/pci0000:00/usb1/1-2";
        Dir(acm + "/1-2:1.1");
        Text(acm + "/idVendor", "0483"); Text(acm + "/idProduct", "374b"); Text(acm + "/product", "STM32 STLink");
        Text(acm + "/1-2:1.1/bInterfaceNumber", "01");
        Link(acm + "/1-2:1.1/subsystem", "sys/bus/usb");
        Link(acm + "/1-2:1.1/driver", "sys/drivers/cdc_acm");
        Dir("sys/class/tty/ttyACM0");
        Link("sys/class/tty/ttyACM0/device", acm + "/1-2:1.1");

        // ttyS0 on pnp behind a serial-base port (Linux 6.5+), ttyS1 a platform placeholder, tty0 and pts without a device
        Dir("sys/devices/pnp0/00:00/00:00:0/00:00:0.0");
        Link("sys/devices/pnp0/00:00/subsystem", "sys/bus/pnp");
        Link("sys/devices/pnp0/00:00/driver", "sys/drivers/serial");
        Link("sys/devices/pnp0/00:00/00:00:0/subsystem", "sys/bus/serial-base");
        Link("sys/devices/pnp0/00:00/00:00:0/00:00:0.0/subsystem", "sys/bus/serial-base");
        Link("sys/devices/pnp0/00:00/00:00:0/00:00:0.0/driver", "sys/drivers/port");
        Dir("sys/class/tty/ttyS0");
        Link("sys/class/tty/ttyS0/device", "sys/devices/pnp0/00:00/00:00:0/00:00:0.0");
        Dir("sys/devices/platform/serial8250/serial8250:0/serial8250:0.1");
        Link("sys/devices/platform/serial8250/subsystem", "sys/bus/platform");
        Link("sys/devices/platform/serial8250/serial8250:0/subsystem", "sys/bus/serial-base");
        Link("sys/devices/platform/serial8250/serial8250:0/serial8250:0.1/subsystem", "sys/bus/serial-base");
        Dir("sys/class/tty/ttyS1");
        Link("sys/class/tty/ttyS1/device", "sys/devices/platform/serial8250/serial8250:0/serial8250:0.1");
        Dir("sys/class/tty/tty0");
        Dir("sys/class/tty/ptmx");
    }

    [LinuxFact]
    public void Lists_usb_adapters_with_their_identity_and_real_uarts_but_not_placeholders()
    {
        BuildTree();
        var ports = SerialPortCatalog.EnumerateLinux(P("sys"), P("dev"));
        Assert.Equal(new[] { "ttyACM0", "ttyS0", "ttyUSB0" }, ports.Select(p => p.Name));

        var ftdi = ports.Single(p => p.Name == "ttyUSB0");
        Assert.Equal(P("dev/ttyUSB0"), ftdi.Port);
        Assert.Equal("0403", ftdi.UsbVendorId);
        Assert.Equal("6001", ftdi.UsbProductId);
        Assert.Equal("FTDI", ftdi.Manufacturer);
        Assert.Equal("FT232R USB UART", ftdi.Product);
        Assert.Equal("A50285BI", ftdi.SerialNumber);
        Assert.Equal("00", ftdi.Interface);
        Assert.Equal("ftdi_sio", ftdi.Driver);
        Assert.Equal("usb", ftdi.Subsystem);
        Assert.Equal(P("dev/serial/by-id/usb-FTDI_FT232R_USB_UART_A50285BI-if00-port0"), ftdi.ByIdPath);
        Assert.Equal("FTDI FT232R USB UART", ftdi.Description);

        var acm = ports.Single(p => p.Name == "ttyACM0");
        Assert.Equal("0483", acm.UsbVendorId);
        Assert.Equal("374b", acm.UsbProductId);
        Assert.Equal("cdc_acm", acm.Driver);
        Assert.Equal("01", acm.Interface);
        Assert.Null(acm.ByIdPath);

        var uart = ports.Single(p => p.Name == "ttyS0");
        Assert.Equal("pnp", uart.Subsystem);
        Assert.Equal("serial", uart.Driver);
        Assert.Null(uart.UsbVendorId);
    }

    [LinuxFact]
    public void A_machine_without_sysfs_has_no_ports()
    {
        Assert.Empty(SerialPortCatalog.EnumerateLinux(P("nothing"), P("dev")));
    }

    [LinuxFact]
    public void The_real_machine_lists_only_ports_with_hardware_behind_them()
    {
        var ports = SerialPortCatalog.Enumerate();
        Assert.All(ports, p => Assert.True(Directory.Exists(Path.Combine("/sys/class/tty", p.Name, "device")), p.Name));
        Assert.DoesNotContain(ports, p => p.Name.StartsWith("pts", StringComparison.Ordinal) || p.Name == "ptmx");
    }
}
