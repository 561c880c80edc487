using System.Runtime.InteropServices;
using Stm32.Protocol.Transport;

namespace Stm32.Bench;

/// <summary>
/// BENCH-ONLY PROTOTYPE, not the module's transport: a Linux serial link on the bare file
/// descriptor (open, termios raw 8N1/8E1, poll, read, write), as stm32flash does it. It exists to
/// measure what System.IO.Ports costs per reply (`--client posix`): on Unix its SerialStream
/// queues every Read/Write to an I/O thread that sleeps 1 ms whenever no request is pending, so
/// each ACK round trip pays up to ~1-2 ms of hand-over. See BENCHMARKS.md, "Findings".
/// </summary>
public sealed class PosixTtyLink : IByteLink
{
    private const int O_RDWR = 0x2, O_NOCTTY = 0x100, O_NONBLOCK = 0x800;
    private const short POLLIN = 0x1;
    private const int EINTR = 4, EAGAIN = 11;
    private const int TCIFLUSH = 0, TCSANOW = 0;
    private const uint PARENB = 0x100, CSTOPB = 0x40, CLOCAL = 0x800, CREAD = 0x80;
    private int _fd;

    public PosixTtyLink(string path, int baudRate, bool evenParity = false)
    {
        Name = path;
        BaudRate = baudRate;
        _fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK);
        if (_fd < 0) throw new IOException($"open {path} failed (errno {Marshal.GetLastWin32Error()}).");
        var t = new byte[256];
        if (tcgetattr(_fd, t) != 0) throw new IOException("tcgetattr failed.");
        cfmakeraw(t);
        // struct termios on Linux: c_iflag, c_oflag, c_cflag, c_lflag (4 bytes each), ...
        uint cflag = BitConverter.ToUInt32(t, 8);
        cflag |= CLOCAL | CREAD;
        cflag &= ~CSTOPB;
        if (evenParity) cflag |= PARENB; else cflag &= ~PARENB;
        BitConverter.GetBytes(cflag).CopyTo(t, 8);
        cfsetspeed(t, SpeedConstant(baudRate));
        if (tcsetattr(_fd, TCSANOW, t) != 0) throw new IOException($"tcsetattr failed (errno {Marshal.GetLastWin32Error()}).");
    }

    private static uint SpeedConstant(int baud) => baud switch
    {
        9600 => 0xD, 19200 => 0xE, 38400 => 0xF, 57600 => 0x1001, 115200 => 0x1002, 230400 => 0x1003,
        460800 => 0x1004, 921600 => 0x1007, _ => throw new ArgumentOutOfRangeException(nameof(baud)),
    };

    public string Name { get; }
    public int BaudRate { get; }
    public bool SupportsModemLines => false;
    public void SetModemLine(ModemLine line, bool asserted) => throw new NotSupportedException();

    public void Write(byte[] buffer, int offset, int count)
    {
        while (count > 0)
        {
            var n = write(_fd, ref buffer[offset], (IntPtr)count).ToInt32();
            if (n < 0)
            {
                var err = Marshal.GetLastWin32Error();
                if (err == EINTR) continue;
                if (err == EAGAIN) { var p = new PollFd { fd = _fd, events = 0x4 }; poll(ref p, 1, 10); continue; }
                throw new IOException($"write failed (errno {err}).");
            }
            offset += n;
            count -= n;
        }
    }

    public int Read(byte[] buffer, int offset, int count, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var left = deadline - DateTime.UtcNow;
            var slice = (int)Math.Max(0, Math.Min(50, Math.Ceiling(left.TotalMilliseconds)));
            var pfd = new PollFd { fd = _fd, events = POLLIN };
            var r = poll(ref pfd, 1, slice);
            if (r > 0 && (pfd.revents & POLLIN) != 0)
            {
                var n = read(_fd, ref buffer[offset], (IntPtr)count).ToInt32();
                if (n > 0) return n;
                var err = Marshal.GetLastWin32Error();
                if (n < 0 && err != EINTR && err != EAGAIN) throw new IOException($"read failed (errno {err}).");
            }
            if (DateTime.UtcNow >= deadline) return 0;
        }
    }

    public void DiscardInput() => tcflush(_fd, TCIFLUSH);

    public void Dispose()
    {
        var fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0) close(fd);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd { public int fd; public short events; public short revents; }

    [DllImport("libc", SetLastError = true)] private static extern int open([MarshalAs(UnmanagedType.LPStr)] string path, int flags);
    [DllImport("libc", SetLastError = true)] private static extern int close(int fd);
    [DllImport("libc", SetLastError = true)] private static extern IntPtr read(int fd, ref byte buf, IntPtr count);
    [DllImport("libc", SetLastError = true)] private static extern IntPtr write(int fd, ref byte buf, IntPtr count);
    [DllImport("libc", SetLastError = true)] private static extern int poll(ref PollFd fds, uint nfds, int timeout);
    [DllImport("libc", SetLastError = true)] private static extern int tcgetattr(int fd, byte[] termios);
    [DllImport("libc", SetLastError = true)] private static extern int tcsetattr(int fd, int actions, byte[] termios);
    [DllImport("libc", SetLastError = true)] private static extern void cfmakeraw(byte[] termios);
    [DllImport("libc", SetLastError = true)] private static extern int cfsetspeed(byte[] termios, uint speed);
    [DllImport("libc", SetLastError = true)] private static extern int tcflush(int fd, int queue);
}
