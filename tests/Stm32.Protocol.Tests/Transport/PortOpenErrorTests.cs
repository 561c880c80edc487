using System.IO.Ports;
using Stm32.Protocol.Transport;

namespace Stm32.Protocol.Tests.Transport;

/// <summary>Why a serial port did not open, in words a user can act on.</summary>
public class PortOpenErrorTests
{
    [Fact]
    public void Permission_denied_names_the_dialout_group()
    {
        var e = SerialPortLink.Classify("/dev/ttyUSB0", new UnauthorizedAccessException("Access to the path is denied."), mayAccess: false);
        Assert.Equal(PortOpenFailure.AccessDenied, e.Failure);
        Assert.Contains("dialout", e.Message);
        Assert.Contains("permission denied", e.Message);
    }

    [Fact]
    public void Access_denied_on_a_port_we_may_open_is_another_program()
    {
        var e = SerialPortLink.Classify("/dev/ttyUSB0", new UnauthorizedAccessException(), mayAccess: true);
        Assert.Equal(PortOpenFailure.Busy, e.Failure);
        Assert.Contains("in use by another program", e.Message);
        var w = SerialPortLink.Classify("COM3", new UnauthorizedAccessException("Access to the port 'COM3' is denied."), mayAccess: null);
        Assert.Equal(PortOpenFailure.Busy, w.Failure);
        Assert.DoesNotContain("dialout", w.Message); // Windows: no Linux hint
    }

    [Fact]
    public void Device_busy_is_busy_and_a_missing_com_port_is_not_found()
    {
        Assert.Equal(PortOpenFailure.Busy, SerialPortLink.Classify("/dev/ttyUSB0", new IOException("Device or resource busy : '/dev/ttyUSB0'", 16), true).Failure);
        Assert.Equal(PortOpenFailure.NotFound, SerialPortLink.Classify("COM9", new IOException("The port 'COM9' does not exist."), null).Failure);
        Assert.Equal(PortOpenFailure.NotFound, SerialPortLink.Classify("/dev/x", new FileNotFoundException(), true).Failure);
        Assert.Equal(PortOpenFailure.Failed, SerialPortLink.Classify("/dev/ttyS0", new IOException("Input/output error", 5), true).Failure);
    }

    [LinuxFact]
    public void A_missing_device_is_not_found_before_System_IO_Ports_calls_it_access_denied()
    {
        var e = Assert.Throws<PortOpenException>(() => SerialPortLink.Open("/dev/ttyUSB-does-not-exist", 115200, Parity.None));
        Assert.Equal(PortOpenFailure.NotFound, e.Failure);
        Assert.Contains("Get-Stm32Port", e.Message);
    }

    [LinuxFact]
    public void A_file_that_is_no_tty_fails_with_the_reason()
    {
        var file = Path.GetTempFileName();
        try
        {
            var e = Assert.Throws<PortOpenException>(() => SerialPortLink.Open(file, 115200, Parity.None));
            Assert.NotEqual(PortOpenFailure.NotFound, e.Failure);
            Assert.Contains(file, e.Message);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
