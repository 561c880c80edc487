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
        private readonly UnixFd.OwnedFd _master;
        private readonly UnixFd.OwnedFd _slave;
        private readonly object _writeGate = new object();

        public PseudoTerminalLink(int baudRate = 115200)
        {
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux))
                throw new PlatformNotSupportedException("Pseudo-terminals are only supported on Linux.");
            BaudRate = baudRate;
            // Non-blocking: a write to a client that stopped reading waits in poll slices (see
            // UnixFd.WriteAll), so Dispose can end it.
            _master = new UnixFd.OwnedFd(posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK));
            try
            {
                if (_master.IsInvalid) throw Error("posix_openpt");
                var m = (int)_master.DangerousGetHandle();
                if (grantpt(m) != 0) throw Error("grantpt");
                if (unlockpt(m) != 0) throw Error("unlockpt");
                var namePtr = ptsname(m);
                if (namePtr == IntPtr.Zero) throw Error("ptsname");
                SlavePath = Marshal.PtrToStringAnsi(namePtr)!;
                _slave = new UnixFd.OwnedFd(open(SlavePath, O_RDWR | O_NOCTTY | O_NONBLOCK));
                if (_slave.IsInvalid) throw Error("open " + SlavePath);
                // Raw mode (no echo, no line editing, no CR/LF translation) until a client sets its own.
                var termios = new byte[256];
                var s = (int)_slave.DangerousGetHandle();
                if (tcgetattr(s, termios) == 0)
                {
                    cfmakeraw(termios);
                    tcsetattr(s, 0, termios);
                }
            }
            catch
            {
                _slave?.Dispose();
                _master.Dispose();
                throw;
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
            lock (_writeGate) UnixFd.WriteAll(_master, buffer, offset, count, Name);
        }

        /// <summary>As <see cref="IByteLink.Read"/>; a client closing its end is not an error here (the next client may come).</summary>
        public int Read(byte[] buffer, int offset, int count, TimeSpan timeout, CancellationToken cancellationToken)
            => UnixFd.Read(_master, buffer, offset, count, timeout, cancellationToken, Name, hangupIsQuiet: true);

        public void DiscardInput() => UnixFd.DiscardInput(_master);

        /// <summary>Closes both ends; a read or write in progress on another thread ends with ObjectDisposedException.</summary>
        public void Dispose()
        {
            _master.Dispose();
            _slave.Dispose();
        }

        private static Exception Error(string what)
            => new System.IO.IOException($"{what} failed (errno {Marshal.GetLastWin32Error()}).");

        [DllImport("libc", SetLastError = true)] private static extern int posix_openpt(int flags);
        [DllImport("libc", SetLastError = true)] private static extern int grantpt(int fd);
        [DllImport("libc", SetLastError = true)] private static extern int unlockpt(int fd);
        [DllImport("libc", SetLastError = true)] private static extern IntPtr ptsname(int fd);
        [DllImport("libc", SetLastError = true)] private static extern int open([MarshalAs(UnmanagedType.LPStr)] string path, int flags);
        [DllImport("libc", SetLastError = true)] private static extern int tcgetattr(int fd, byte[] termios);
        [DllImport("libc", SetLastError = true)] private static extern int tcsetattr(int fd, int actions, byte[] termios);
        [DllImport("libc", SetLastError = true)] private static extern void cfmakeraw(byte[] termios);
    }
}
