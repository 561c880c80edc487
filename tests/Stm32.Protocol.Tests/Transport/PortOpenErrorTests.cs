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
    public void A_regular_file_is_named_as_one_not_as_busy()
    {
        var file = Path.GetTempFileName();
        try
        {
            var e = Assert.Throws<PortOpenException>(() => SerialPortLink.Open(file, 115200, Parity.None));
            Assert.Equal(PortOpenFailure.NotASerialPort, e.Failure);
            Assert.Contains($"'{file}' is a regular file, not a serial port", e.Message);
            Assert.DoesNotContain("in use", e.Message);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [LinuxFact]
    public void A_directory_is_named_as_one_not_as_missing()
    {
        var dir = Directory.CreateTempSubdirectory("port").FullName;
        try
        {
            var e = Assert.Throws<PortOpenException>(() => SerialPortLink.Open(dir, 115200, Parity.None));
            Assert.Equal(PortOpenFailure.NotASerialPort, e.Failure);
            Assert.Contains($"'{dir}' is a directory, not a serial port", e.Message);
        }
        finally
        {
            Directory.Delete(dir);
        }
    }

    [LinuxFact]
    public void A_character_device_that_is_no_terminal_is_named_as_one()
    {
        var e = Assert.Throws<PortOpenException>(() => SerialPortLink.Open("/dev/null", 115200, Parity.None));
        Assert.Equal(PortOpenFailure.NotASerialPort, e.Failure);
        Assert.Contains("'/dev/null' is a character device that is not a terminal", e.Message);
    }

    [LinuxFact]
    public void A_pseudo_terminal_opens_again_and_again_whatever_parity_is_asked()
    {
        // The kernel drops a pty's parity flag; once an earlier open left the pty raw at 115200,
        // asking for even parity was the only change left, tcsetattr failed with EINVAL and every
        // later open said "Value does not fall within the expected range".
        using var pty = new PseudoTerminalLink();
        foreach (var parity in new[] { Parity.Even, Parity.Even, Parity.None, Parity.Even, Parity.Odd })
        {
            using var link = SerialPortLink.Open(pty.SlavePath, 115200, parity);
            Assert.Equal(Parity.None, link.Parity);   // what the pty really does
            Assert.False(link.SupportsModemLines);
        }
    }

    [LinuxFact]
    public void A_pseudo_terminal_behind_a_symlink_is_still_one()
    {
        using var pty = new PseudoTerminalLink();
        var link = Path.Combine(Path.GetTempPath(), "ttyV" + Guid.NewGuid().ToString("N")[..8]);
        File.CreateSymbolicLink(link, pty.SlavePath);
        try
        {
            using var a = SerialPortLink.Open(link, 115200, Parity.Even);
            a.Dispose();
            using var b = SerialPortLink.Open(link, 115200, Parity.Even);
            Assert.False(b.SupportsModemLines);
        }
        finally
        {
            File.Delete(link);
        }
    }

    [Fact]
    public void A_name_Windows_refuses_is_not_a_serial_port()
    {
        var e = SerialPortLink.Classify("LPT1", new ArgumentException("The given port name (LPT1) does not resolve to a valid serial port."), mayAccess: null);
        Assert.Equal(PortOpenFailure.NotASerialPort, e.Failure);
        Assert.Contains("'LPT1' is not a serial port", e.Message);
        Assert.Contains("COM12:", e.Message);
    }

    [Theory]
    [InlineData(25, true)]                     // Unix ENOTTY
    [InlineData(22, true)]                     // Unix EINVAL
    [InlineData(unchecked((int)0x80070032), true)]   // ERROR_NOT_SUPPORTED ("The request is not supported", Wine on a pty)
    [InlineData(unchecked((int)0x80070001), true)]   // ERROR_INVALID_FUNCTION (virtual ports)
    [InlineData(unchecked((int)0x80070057), true)]   // ERROR_INVALID_PARAMETER
    [InlineData(unchecked((int)0x8007001F), false)]  // ERROR_GEN_FAILURE: a device that went away, not missing lines
    [InlineData(unchecked((int)0x80070005), false)]  // ERROR_ACCESS_DENIED
    [InlineData(5, false)]                     // Unix EIO
    public void A_refused_modem_line_is_recognised_on_unix_and_windows(int hresult, bool noModemLines)
        => Assert.Equal(noModemLines, SerialPortLink.MeansNoModemLines(new IOException("failed", hresult)));
}
