using System;
using System.Globalization;
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
        /// <summary>The name is something else: a directory, a regular file, a device that is not a terminal.</summary>
        NotASerialPort,
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
    /// <para>On Windows a read never asks the driver to wait: ReadTimeout is 0 (COMMTIMEOUTS
    /// {MAXDWORD, 0, 0}: return at once with what is queued), the wait happens here, on the
    /// port's DataReceived event, in slices of at most 50 ms, and a read takes
    /// min(count, BytesToRead) bytes, which are already queued. System.IO.Ports' own timed read
    /// uses {MAXDWORD, MAXDWORD, N} ("wait up to N ms for the first byte"), which Wine turns into
    /// an almost endless wait; the form used here means the same on Windows and Wine.</para>
    /// </summary>
    public sealed class SerialPortLink : IByteLink
    {
        private const int WindowsSliceMs = 50;
        private readonly SerialPort _port;
        private readonly bool _windows;
        // The port's descriptor (null: use the stream). System.IO.Ports owns and closes it;
        // UnixFd holds a reference on it during each call, so a Dispose on another thread
        // cannot close it under a read (see UnixFd).
        private readonly SafeHandle? _fd;
        // Windows: set by DataReceived, by Dispose and by a cancelled read's token. Never
        // disposed: a read on another thread may still be waiting on it when Dispose runs.
        private readonly AutoResetEvent? _dataArrived;
        private volatile bool _disposed;

        private SerialPortLink(SerialPort port, bool pseudoTerminal)
        {
            _port = port;
            _windows = RuntimeInformation.IsOSPlatform(OSPlatform.Windows);
            if (_windows)
            {
                _dataArrived = new AutoResetEvent(false);
                _port.ReceivedBytesThreshold = 1;
                _port.DataReceived += OnDataReceived;
                _port.ReadTimeout = 0;
            }
            else
            {
                _fd = UnixFd.HandleOf(port.BaseStream);
            }
            // A Linux pseudo-terminal opens like a serial port but has no modem lines.
            SupportsModemLines = !pseudoTerminal;
        }

        /// <summary>
        /// Opens <paramref name="portName"/> (on Windows any form of a COM name, see
        /// <see cref="SerialPortName"/>). Throws <see cref="PortOpenException"/>. A Linux
        /// pseudo-terminal is opened 8N1 whatever <paramref name="parity"/> says: it has no wire,
        /// the kernel drops the parity flag, and asking again for it on a later open fails
        /// (tcsetattr reports EINVAL when none of the requested changes could be made).
        /// </summary>
        public static SerialPortLink Open(string portName, int baudRate = 115200, Parity parity = Parity.Even,
            int dataBits = 8, StopBits stopBits = StopBits.One)
        {
            if (string.IsNullOrWhiteSpace(portName)) throw new ArgumentException("A port name is required.", nameof(portName));
            var windows = RuntimeInformation.IsOSPlatform(OSPlatform.Windows);
            portName = SerialPortName.Normalize(portName, windows);
            var pseudoTerminal = false;
            if (!windows)
            {
                // Look first: on Linux System.IO.Ports reports a missing device as "access denied",
                // and a regular file or /dev/null as "in use by another program" (its exclusive-use
                // ioctl fails there, which it reports as EBUSY).
                var kind = DeviceNode.Probe(portName, out var major);
                if (kind != DeviceNodeKind.Terminal && kind != DeviceNodeKind.Unknown)
                    throw NotASerialPort(portName, kind);
                if (kind == DeviceNodeKind.Unknown && !File.Exists(portName))
                    throw new PortOpenException(portName, PortOpenFailure.NotFound,
                        $"The serial port '{portName}' does not exist. Is the adapter plugged in? Get-Stm32Port lists the ports present (or ls /dev/serial/by-id).");
                pseudoTerminal = kind == DeviceNodeKind.Terminal && major >= 136 && major <= 143;
                if (pseudoTerminal) parity = Parity.None;
            }

            SerialPort? port = null;
            try
            {
                // Inside the try: on Windows the constructor itself refuses some names (\\server\x).
                port = new SerialPort(portName, baudRate, parity, dataBits, stopBits)
                {
                    Handshake = Handshake.None,
                    ReadTimeout = 500,
                    WriteTimeout = 2000,
                    DtrEnable = false,
                    RtsEnable = false,
                };
                port.Open();
            }
            catch (Exception e) when (e is UnauthorizedAccessException || e is IOException || e is ArgumentException)
            {
                port?.Dispose();
                if (windows) throw Classify(portName, e, null);
                var kind = DeviceNode.Probe(portName, out _);
                if (kind != DeviceNodeKind.Terminal && kind != DeviceNodeKind.Unknown) throw NotASerialPort(portName, kind, e);
                if (e is ArgumentException && parity != Parity.None && OpensWithoutParity(portName, baudRate, dataBits, stopBits))
                    throw new PortOpenException(portName, PortOpenFailure.Failed,
                        $"The serial port '{portName}' refused {parity.ToString().ToLowerInvariant()} parity (its driver cannot do it, as a pseudo-terminal or some virtual ports cannot). The bootloader needs 8E1 on a real wire; over a link without parity use -Parity None.", e);
                if (e is ArgumentException)
                    throw new PortOpenException(portName, PortOpenFailure.Failed, string.Format(CultureInfo.InvariantCulture,
                        "The serial port '{0}' refused the line settings {1} baud, {2}{3}{4} (its driver cannot do them: try a common baud rate such as 115200 or 57600).",
                        portName, baudRate, dataBits, parity.ToString()[0], stopBits == StopBits.One ? "1" : stopBits == StopBits.Two ? "2" : "1.5"), e);
                throw Classify(portName, e, access(portName, R_OK | W_OK) == 0);
            }
            return new SerialPortLink(port, pseudoTerminal);
        }

        private static PortOpenException NotASerialPort(string portName, DeviceNodeKind kind, Exception? inner = null)
            => new PortOpenException(portName, PortOpenFailure.NotASerialPort,
                $"'{portName}' is {DeviceNode.Describe(kind)}, not a serial port. A serial port is a terminal device such as /dev/ttyUSB0, /dev/ttyACM0 or /dev/ttyS0; Get-Stm32Port lists the ones present.", inner);

        /// <summary>Whether the port opens with the same settings but no parity (then parity was what it refused).</summary>
        private static bool OpensWithoutParity(string portName, int baudRate, int dataBits, StopBits stopBits)
        {
            try
            {
                using var probe = new SerialPort(portName, baudRate, Parity.None, dataBits, stopBits) { Handshake = Handshake.None };
                probe.Open();
                return true;
            }
            catch (Exception e) when (e is UnauthorizedAccessException || e is IOException || e is ArgumentException)
            {
                return false;
            }
        }

        private const int R_OK = 4, W_OK = 2, EBUSY = 16, ENOTTY = 25, EINVAL = 22;

        [DllImport("libc", SetLastError = true)]
        private static extern int access([MarshalAs(UnmanagedType.LPStr)] string path, int mode);

        /// <summary>
        /// Turns what SerialPort.Open threw into a <see cref="PortOpenException"/> that says why:
        /// NotFound, AccessDenied (with the dialout hint on Linux), Busy (another program holds
        /// it), NotASerialPort (Windows: a name System.IO.Ports refuses) or Failed. <paramref name="mayAccess"/>: whether access(2) allows read and write
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
                case ArgumentException _ when windows:
                    // System.IO.Ports: "does not start with COM/com or does not resolve to a valid serial port".
                    return new PortOpenException(portName, PortOpenFailure.NotASerialPort,
                        $"'{portName}' is not a serial port: Windows names them COM1, COM2, ... (\\\\.\\COM12, COM12: and com12 are taken too). Get-Stm32Port lists the ones present.", e);
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
            if (_fd != null)
            {
                UnixFd.WriteAll(_fd, buffer, offset, count, Name, WriteTimeout);
                return;
            }
            try
            {
                _port.Write(buffer, offset, count);
            }
            catch (Exception e) when (_disposed && IsClosedPortError(e))
            {
                throw new ObjectDisposedException(Name, e.Message);
            }
        }

        public int Read(byte[] buffer, int offset, int count, TimeSpan timeout, CancellationToken cancellationToken)
        {
            ThrowIfDisposed();
            if (timeout <= TimeSpan.Zero) return 0;
            if (_fd != null) return UnixFd.Read(_fd, buffer, offset, count, timeout, cancellationToken, Name);
            if (_windows) return ReadWindows(buffer, offset, count, timeout, cancellationToken);
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
        /// Windows (and Wine): take what the driver has queued, at most <paramref name="count"/>
        /// bytes, as soon as there is any; otherwise wait for DataReceived (or a cancellation, or
        /// Dispose) at most one slice and look again, so an event that never comes costs at most
        /// 50 ms. The read itself never waits (ReadTimeout 0), so a byte can only stay queued for
        /// the next call, never be lost at a timeout.
        /// </summary>
        private int ReadWindows(byte[] buffer, int offset, int count, TimeSpan timeout, CancellationToken cancellationToken)
        {
            var deadline = Deadline.After(timeout);
            using var wake = cancellationToken.CanBeCanceled ? cancellationToken.Register(WakeReader) : default;
            try
            {
                while (true)
                {
                    ThrowIfDisposed();
                    cancellationToken.ThrowIfCancellationRequested();
                    var queued = _port.BytesToRead;
                    if (queued > 0)
                    {
                        try
                        {
                            var n = _port.Read(buffer, offset, Math.Min(count, queued));
                            if (n > 0) return n;
                        }
                        catch (TimeoutException)
                        {
                            // Nothing after all (a DiscardInput in between): wait as if none had come.
                        }
                    }
                    var left = deadline.Remaining;
                    if (left <= TimeSpan.Zero) return 0;
                    _dataArrived!.WaitOne((int)Math.Max(1, Math.Ceiling(Math.Min(WindowsSliceMs, left.TotalMilliseconds))));
                }
            }
            catch (Exception e) when (_disposed && IsClosedPortError(e))
            {
                // Closed under us: System.IO.Ports says "the port is closed" (InvalidOperationException).
                throw new ObjectDisposedException(Name, e.Message);
            }
        }

        private void OnDataReceived(object sender, SerialDataReceivedEventArgs e) => WakeReader();

        private void WakeReader()
        {
            try
            {
                _dataArrived?.Set();
            }
            catch (ObjectDisposedException)
            {
            }
        }

        /// <summary>What System.IO.Ports throws when the port is closed during or before a call.</summary>
        private static bool IsClosedPortError(Exception e)
            => e is InvalidOperationException || e is IOException || e is ObjectDisposedException;

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
            catch (IOException e) when (MeansNoModemLines(e))
            {
                throw new ModemLinesNotSupportedException(Name, e);
            }
        }

        // Win32 errors a driver without modem control gives for EscapeCommFunction/SetCommState
        // (System.IO.Ports throws them as IOException with HResult 0x8007xxxx).
        private const int ERROR_INVALID_FUNCTION = 1, ERROR_NOT_SUPPORTED = 50, ERROR_INVALID_PARAMETER = 87;

        /// <summary>
        /// Whether a failed DTR/RTS/break change means the driver has no modem-control lines (a pty
        /// under another name, virtual and Bluetooth COM ports): on Unix errno ENOTTY or EINVAL
        /// (System.IO.Ports' HResult is the errno) or a message naming the ioctl; on Windows
        /// HRESULT_FROM_WIN32 of ERROR_INVALID_FUNCTION, ERROR_NOT_SUPPORTED or ERROR_INVALID_PARAMETER.
        /// </summary>
        public static bool MeansNoModemLines(IOException e)
        {
            if (e.HResult == ENOTTY || e.HResult == EINVAL || e.Message.IndexOf("ioctl", StringComparison.OrdinalIgnoreCase) >= 0) return true;
            if ((e.HResult & unchecked((int)0xFFFF0000)) != unchecked((int)0x80070000)) return false;
            var win32 = e.HResult & 0xFFFF;
            return win32 == ERROR_INVALID_FUNCTION || win32 == ERROR_NOT_SUPPORTED || win32 == ERROR_INVALID_PARAMETER;
        }


        /// <summary>
        /// Closes the port. Safe while another thread reads or writes: the call ends with
        /// ObjectDisposedException. On Unix the descriptor is closed when that call's current poll
        /// slice (at most 50 ms) lets go of it; on Windows a waiting read is woken at once (a read
        /// or write System.IO.Ports was doing fails as "port closed", reported as disposed).
        /// </summary>
        public void Dispose()
        {
            _disposed = true;
            WakeReader();
            if (_windows) _port.DataReceived -= OnDataReceived;
            _port.Dispose();
        }

        private void ThrowIfDisposed()
        {
            if (_disposed) throw new ObjectDisposedException(Name);
        }
    }
}
