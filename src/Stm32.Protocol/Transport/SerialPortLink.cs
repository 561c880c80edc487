using System;
using System.Diagnostics;
using System.IO;
using System.IO.Ports;
using System.Runtime.InteropServices;
using System.Threading;

namespace Stm32.Protocol.Transport
{
    /// <summary>Why a serial port could not be opened.</summary>
    public enum PortOpenFailure
    {
        /// <summary>No such device (on Linux: the device file does not exist).</summary>
        NotFound,
        /// <summary>The device exists but another program holds it (or, where that cannot be told apart, we may not open it).</summary>
        Busy,
        /// <summary>The device exists and we lack the permission to open it (on Linux: not in the dialout group).</summary>
        AccessDenied,
        /// <summary>Anything else the operating system reported.</summary>
        Failed,
    }

    /// <summary>A serial port could not be opened; <see cref="Failure"/> says why.</summary>
    public sealed class PortOpenException : IOException
    {
        public PortOpenException(string port, PortOpenFailure failure, string message, Exception? inner = null)
            : base(message, inner)
        {
            Port = port;
            Failure = failure;
        }

        public string Port { get; }

        public PortOpenFailure Failure { get; }
    }

    /// <summary>
    /// A real serial port through System.IO.Ports. The AN3155 default is 8 data bits, even
    /// parity, one stop bit (spec 1); every part of it is configurable for adapters that cannot
    /// do parity. A read waits once for the whole timeout and ends early on cancellation.
    /// <para>On Linux and macOS, System.IO.Ports opens and configures the port (and drives the
    /// modem lines), but bytes move on its file descriptor directly (poll, read, write): its
    /// SerialStream hands every read and write to an I/O thread that sleeps 1 ms whenever it is
    /// idle, which added 1.2-2.7 ms to each of the three ACK round trips of a 256-byte block
    /// (BENCHMARKS.md). The descriptor comes from the stream's private handle field of the exact
    /// System.IO.Ports we pin (10.0.14); where it is not found, the stream is used as before.</para>
    /// </summary>
    public sealed class SerialPortLink : IByteLink
    {
        private readonly SerialPort _port;
        // The port's descriptor (null: use the stream). System.IO.Ports owns and closes it;
        // UnixFd holds a reference on it during each call, so a Dispose on another thread
        // cannot close it under a read (see UnixFd).
        private readonly SafeHandle? _fd;
        private volatile bool _disposed;

        private SerialPortLink(SerialPort port)
        {
            _port = port;
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Windows)) _fd = UnixFd.HandleOf(port.BaseStream);
            // A Linux pseudo-terminal opens like a serial port but has no modem lines.
            SupportsModemLines = !(RuntimeInformation.IsOSPlatform(OSPlatform.Linux)
                && Path.GetFullPath(port.PortName).StartsWith("/dev/pts/", StringComparison.Ordinal));
        }

        /// <summary>Opens <paramref name="portName"/>. Throws <see cref="PortOpenException"/>.</summary>
        public static SerialPortLink Open(string portName, int baudRate = 115200, Parity parity = Parity.Even,
            int dataBits = 8, StopBits stopBits = StopBits.One)
        {
            if (string.IsNullOrWhiteSpace(portName)) throw new ArgumentException("A port name is required.", nameof(portName));
            // On Linux System.IO.Ports reports a missing device as "access denied": look first.
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Windows) && !File.Exists(portName))
                throw new PortOpenException(portName, PortOpenFailure.NotFound,
                    $"The serial port '{portName}' does not exist. Is the adapter plugged in? Get-Stm32Port lists the ports present (or ls /dev/serial/by-id).");

            var port = new SerialPort(portName, baudRate, parity, dataBits, stopBits)
            {
                Handshake = Handshake.None,
                ReadTimeout = 500,
                WriteTimeout = 2000,
                DtrEnable = false,
                RtsEnable = false,
            };
            try
            {
                port.Open();
            }
            catch (Exception e) when (e is UnauthorizedAccessException || e is IOException || e is ArgumentException)
            {
                port.Dispose();
                bool? mayAccess = RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? (bool?)null : access(portName, R_OK | W_OK) == 0;
                throw Classify(portName, e, mayAccess);
            }
            return new SerialPortLink(port);
        }

        private const int R_OK = 4, W_OK = 2, EBUSY = 16, ENOTTY = 25, EINVAL = 22;

        [DllImport("libc", SetLastError = true)]
        private static extern int access([MarshalAs(UnmanagedType.LPStr)] string path, int mode);

        /// <summary>
        /// Turns what SerialPort.Open threw into a <see cref="PortOpenException"/> that says why:
        /// NotFound, AccessDenied (with the dialout hint on Linux), Busy (another program holds
        /// it) or Failed. <paramref name="mayAccess"/>: whether access(2) allows read and write
        /// (null on Windows, where "access denied" means another program has the port).
        /// </summary>
        public static PortOpenException Classify(string portName, Exception e, bool? mayAccess)
        {
            var windows = mayAccess == null;
            switch (e)
            {
                case UnauthorizedAccessException _ when mayAccess == false:
                    return new PortOpenException(portName, PortOpenFailure.AccessDenied,
                        $"You may not open the serial port '{portName}' (permission denied). On Linux add yourself to the group that owns it, usually 'dialout': "
                        + "sudo usermod -aG dialout $USER, then log out and in again (ls -l shows the group).", e);
                case UnauthorizedAccessException _:
                    return new PortOpenException(portName, PortOpenFailure.Busy,
                        $"The serial port '{portName}' is in use by another program (a serial monitor, another Connect-Stm32, stm32flash, ModemManager); close it and try again"
                        + (windows ? "." : ", or check that you may open it (on Linux the 'dialout' group: sudo usermod -aG dialout $USER)."), e);
                case FileNotFoundException _:
                case DirectoryNotFoundException _:
                    return new PortOpenException(portName, PortOpenFailure.NotFound,
                        $"The serial port '{portName}' does not exist. Is the adapter plugged in? Get-Stm32Port lists the ports present.", e);
                case IOException io when io.HResult == EBUSY || io.Message.IndexOf("busy", StringComparison.OrdinalIgnoreCase) >= 0:
                    return new PortOpenException(portName, PortOpenFailure.Busy,
                        $"The serial port '{portName}' is in use by another program that holds it exclusively (device busy); close that program and try again.", e);
                case IOException io when windows && io.Message.IndexOf("does not exist", StringComparison.OrdinalIgnoreCase) >= 0:
                    return new PortOpenException(portName, PortOpenFailure.NotFound,
                        $"The serial port '{portName}' does not exist. Is the adapter plugged in? Get-Stm32Port lists the ports present.", e);
                default:
                    return new PortOpenException(portName, PortOpenFailure.Failed,
                        $"The serial port '{portName}' could not be opened: {e.Message}", e);
            }
        }

        public string Name => _port.PortName;

        public int BaudRate => _port.BaudRate;

        public Parity Parity => _port.Parity;

        /// <summary>False on a Linux pseudo-terminal (/dev/pts/N); true on real ports.</summary>
        public bool SupportsModemLines { get; }

        /// <summary>
        /// How long a write may wait while the port's output queue takes nothing (default 2 s); then
        /// it fails with an IOException (Windows: TimeoutException). Zero or negative waits for ever.
        /// </summary>
        public TimeSpan WriteTimeout
        {
            get => _port.WriteTimeout < 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(_port.WriteTimeout);
            set => _port.WriteTimeout = value <= TimeSpan.Zero ? SerialPort.InfiniteTimeout : (int)Math.Min(int.MaxValue, Math.Ceiling(value.TotalMilliseconds));
        }

        public void Write(byte[] buffer, int offset, int count)
        {
            ThrowIfDisposed();
            // The port's WriteTimeout (2 s) bounds a write whose output stopped draining, as on Windows.
            if (_fd != null) UnixFd.WriteAll(_fd, buffer, offset, count, Name, WriteTimeout);
            else _port.Write(buffer, offset, count);
        }

        public int Read(byte[] buffer, int offset, int count, TimeSpan timeout, CancellationToken cancellationToken)
        {
            ThrowIfDisposed();
            if (timeout <= TimeSpan.Zero) return 0;
            if (_fd != null) return UnixFd.Read(_fd, buffer, offset, count, timeout, cancellationToken, Name);
            if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows)) return ReadInSlices(buffer, offset, count, timeout, cancellationToken);
            // One read for the whole timeout, cancelled by the deadline or the caller's token. Not
            // a loop of short timed reads: on Unix, System.IO.Ports' I/O thread can read a byte
            // into a request whose timeout has just fired, and that byte is lost (a Write Memory
            // ACK arriving ~50 ms after the frame vanished once every ~60 blocks with 50 ms slices,
            // bench/Stm32.Bench loss-probe). Its timed reads also round up to 30 ms.
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(timeout);
            try
            {
                return _port.BaseStream.ReadAsync(buffer, offset, count, deadline.Token).GetAwaiter().GetResult();
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return 0;
            }
            catch (TimeoutException) when (!cancellationToken.IsCancellationRequested)
            {
                return 0;
            }
        }

        /// <summary>
        /// Windows: blocking reads with ReadTimeout in slices of at most 50 ms so a cancellation is
        /// seen quickly. (Windows' SerialStream has no cancellable ReadAsync: a token is checked only
        /// before the read starts. A timed-out ReadFile loses no byte, unlike the Unix I/O thread.)
        /// Not tested here: no Windows machine.
        /// </summary>
        private int ReadInSlices(byte[] buffer, int offset, int count, TimeSpan timeout, CancellationToken cancellationToken)
        {
            var clock = Stopwatch.StartNew();
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var left = timeout - clock.Elapsed;
                if (left <= TimeSpan.Zero) return 0;
                _port.ReadTimeout = (int)Math.Max(1, Math.Ceiling(Math.Min(50, left.TotalMilliseconds)));
                try
                {
                    var n = _port.Read(buffer, offset, count);
                    if (n > 0) return n;
                }
                catch (TimeoutException)
                {
                }
            }
        }

        public void DiscardInput() => _port.DiscardInBuffer();

        public void SetModemLine(ModemLine line, bool asserted)
        {
            if (!SupportsModemLines) throw new ModemLinesNotSupportedException(Name);
            try
            {
                switch (line)
                {
                    case ModemLine.Dtr: _port.DtrEnable = asserted; break;
                    case ModemLine.Rts: _port.RtsEnable = asserted; break;
                    case ModemLine.Break: _port.BreakState = asserted; break;
                    default: throw new ArgumentOutOfRangeException(nameof(line));
                }
            }
            catch (IOException e) when (e.HResult == ENOTTY || e.HResult == EINVAL || e.Message.IndexOf("ioctl", StringComparison.OrdinalIgnoreCase) >= 0)
            {
                // The driver has no modem-control ioctls (a pty under another name, some virtual ports).
                throw new ModemLinesNotSupportedException(Name, e);
            }
        }

        /// <summary>
        /// Closes the port. Safe while another thread reads or writes: the descriptor is closed
        /// when that call's current poll slice (at most 50 ms) lets go of it, and the call then
        /// ends with ObjectDisposedException (on the stream path System.IO.Ports ends pending
        /// requests itself).
        /// </summary>
        public void Dispose()
        {
            _disposed = true;
            _port.Dispose();
        }

        private void ThrowIfDisposed()
        {
            if (_disposed) throw new ObjectDisposedException(Name);
        }
    }
}
