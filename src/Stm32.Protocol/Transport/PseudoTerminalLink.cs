using System;
using System.Runtime.InteropServices;
using System.Threading;

namespace Stm32.Protocol.Transport
{
    /// <summary>
    /// The master side of a Linux pseudo-terminal as a link: the simulated chip serves it, and any
    /// client (our SerialPort path, stm32flash) opens <see cref="SlavePath"/> like a serial port.
    /// The slave is kept open here too, so the master never sees a hang-up between clients.
    /// A pty carries no parity bits and cannot drive modem lines: clients use 8N1.
    /// </summary>
    public sealed class PseudoTerminalLink : IByteLink
    {
        private const int O_RDWR = 0x2, O_NOCTTY = 0x100, O_NONBLOCK = 0x800;
        private const short POLLIN = 0x1;
        private const int EINTR = 4, EAGAIN = 11, EIO = 5;
        private const int TCIFLUSH = 0;
        private int _master = -1;
        private int _slave = -1;
        private readonly object _writeGate = new object();

        public PseudoTerminalLink(int baudRate = 115200)
        {
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux))
                throw new PlatformNotSupportedException("Pseudo-terminals are only supported on Linux.");
            BaudRate = baudRate;
            _master = posix_openpt(O_RDWR | O_NOCTTY);
            if (_master < 0) throw Error("posix_openpt");
            if (grantpt(_master) != 0) throw Error("grantpt");
            if (unlockpt(_master) != 0) throw Error("unlockpt");
            var namePtr = ptsname(_master);
            if (namePtr == IntPtr.Zero) throw Error("ptsname");
            SlavePath = Marshal.PtrToStringAnsi(namePtr)!;
            _slave = open(SlavePath, O_RDWR | O_NOCTTY | O_NONBLOCK);
            if (_slave < 0) throw Error("open " + SlavePath);
            // Raw mode (no echo, no line editing, no CR/LF translation) until a client sets its own.
            var termios = new byte[256];
            if (tcgetattr(_slave, termios) == 0)
            {
                cfmakeraw(termios);
                tcsetattr(_slave, 0, termios);
            }
        }

        /// <summary>The path a client opens, e.g. /dev/pts/3.</summary>
        public string SlavePath { get; }

        public string Name => SlavePath;

        public int BaudRate { get; set; }

        public bool SupportsModemLines => false;

        public void SetModemLine(ModemLine line, bool asserted)
            => throw new ModemLinesNotSupportedException(Name);

        public void Write(byte[] buffer, int offset, int count)
        {
            lock (_writeGate)
            {
                while (count > 0)
                {
                    var fd = _master;
                    if (fd < 0) throw new ObjectDisposedException(Name);
                    var n = write(fd, ref buffer[offset], (IntPtr)count).ToInt32();
                    if (n < 0)
                    {
                        var err = Marshal.GetLastWin32Error();
                        if (err == EINTR || err == EAGAIN) { Thread.Sleep(1); continue; }
                        throw Error("write");
                    }
                    offset += n;
                    count -= n;
                }
            }
        }

        public int Read(byte[] buffer, int offset, int count, TimeSpan timeout, CancellationToken cancellationToken)
        {
            var deadline = Deadline.After(timeout);
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var fd = _master;
                if (fd < 0) throw new ObjectDisposedException(Name);
                var left = deadline.Remaining;
                var slice = (int)Math.Min(50, Math.Ceiling(left.TotalMilliseconds));
                var pfd = new PollFd { fd = fd, events = POLLIN };
                var r = poll(ref pfd, 1, slice);
                if (r > 0 && (pfd.revents & POLLIN) != 0)
                {
                    var n = read(fd, ref buffer[offset], (IntPtr)count).ToInt32();
                    if (n > 0) return n;
                    var err = Marshal.GetLastWin32Error();
                    if (n < 0 && err != EINTR && err != EAGAIN && err != EIO) throw Error("read");
                }
                if (deadline.HasPassed) return 0;
                if (r > 0 && (pfd.revents & POLLIN) == 0) Thread.Sleep(5); // HUP without data: don't spin
            }
        }

        public void DiscardInput()
        {
            var fd = _master;
            if (fd >= 0) tcflush(fd, TCIFLUSH);
        }

        public void Dispose()
        {
            var m = Interlocked.Exchange(ref _master, -1);
            var s = Interlocked.Exchange(ref _slave, -1);
            if (s >= 0) close(s);
            if (m >= 0) close(m);
        }

        private static Exception Error(string what)
            => new System.IO.IOException($"{what} failed (errno {Marshal.GetLastWin32Error()}).");

        [StructLayout(LayoutKind.Sequential)]
        private struct PollFd
        {
            public int fd;
            public short events;
            public short revents;
        }

        [DllImport("libc", SetLastError = true)] private static extern int posix_openpt(int flags);
        [DllImport("libc", SetLastError = true)] private static extern int grantpt(int fd);
        [DllImport("libc", SetLastError = true)] private static extern int unlockpt(int fd);
        [DllImport("libc", SetLastError = true)] private static extern IntPtr ptsname(int fd);
        [DllImport("libc", SetLastError = true)] private static extern int open([MarshalAs(UnmanagedType.LPStr)] string path, int flags);
        [DllImport("libc", SetLastError = true)] private static extern int close(int fd);
        [DllImport("libc", SetLastError = true)] private static extern IntPtr read(int fd, ref byte buf, IntPtr count);
        [DllImport("libc", SetLastError = true)] private static extern IntPtr write(int fd, ref byte buf, IntPtr count);
        [DllImport("libc", SetLastError = true)] private static extern int poll(ref PollFd fds, uint nfds, int timeout);
        [DllImport("libc", SetLastError = true)] private static extern int tcgetattr(int fd, byte[] termios);
        [DllImport("libc", SetLastError = true)] private static extern int tcsetattr(int fd, int actions, byte[] termios);
        [DllImport("libc", SetLastError = true)] private static extern void cfmakeraw(byte[] termios);
        [DllImport("libc", SetLastError = true)] private static extern int tcflush(int fd, int queue);
    }
}
