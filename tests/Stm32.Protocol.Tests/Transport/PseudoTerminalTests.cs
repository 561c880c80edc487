using System.IO.Ports;
using System.Runtime.InteropServices;
using Stm32.Protocol.Transport;

namespace Stm32.Protocol.Tests.Transport;

[Trait("Category", "Pty")]
public class PseudoTerminalTests
{
    [LinuxFact]
    public void Bytes_cross_a_pty_both_ways_through_System_IO_Ports()
    {
        using var pty = new PseudoTerminalLink();
        Assert.StartsWith("/dev/pts/", pty.SlavePath);
        using var port = new SerialPort(pty.SlavePath, 115200, Parity.None, 8, StopBits.One) { ReadTimeout = 2000 };
        port.Open();
        port.Write(new byte[] { 0x7F }, 0, 1);
        var buf = new byte[4];
        Assert.Equal(1, pty.Read(buf, 0, 4, TimeSpan.FromSeconds(2), default));
        Assert.Equal(0x7F, buf[0]);
        pty.Write(new byte[] { 0x79, 0x00, 0x0A, 0x0D }, 0, 4);
        var got = new byte[4];
        int n = 0;
        while (n < 4) n += port.Read(got, n, 4 - n);
        Assert.Equal(new byte[] { 0x79, 0x00, 0x0A, 0x0D }, got); // raw: no CR/LF translation
    }

    [LinuxFact]
    public void Read_times_out_with_zero_and_honours_cancellation()
    {
        using var pty = new PseudoTerminalLink();
        var buf = new byte[1];
        Assert.Equal(0, pty.Read(buf, 0, 1, TimeSpan.FromMilliseconds(50), default));
        using var cts = new CancellationTokenSource(100);
        Assert.ThrowsAny<OperationCanceledException>(() => pty.Read(buf, 0, 1, TimeSpan.FromSeconds(30), cts.Token));
    }
}
