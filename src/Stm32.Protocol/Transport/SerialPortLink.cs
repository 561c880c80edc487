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
        /// <summary>The device exists but we may not open it: another program holds it, or no permission.</summary>
        Busy,
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
    /// </summary>
    public sealed class SerialPortLink : IByteLink
    {
        private readonly SerialPort _port;

        private SerialPortLink(SerialPort port)
        {
            _port = port;
        }

        /// <summary>Opens <paramref name="portName"/>. Throws <see cref="PortOpenException"/>.</summary>
        public static SerialPortLink Open(string portName, int baudRate = 115200, Parity parity = Parity.Even,
            int dataBits = 8, StopBits stopBits = StopBits.One)
        {
            if (string.IsNullOrWhiteSpace(portName)) throw new ArgumentException("A port name is required.", nameof(portName));
            // On Linux System.IO.Ports reports a missing device as "access denied": look first.
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Windows) && !File.Exists(portName))
                throw new PortOpenException(portName, PortOpenFailure.NotFound,
                    $"The serial port '{portName}' does not exist. Is the adapter plugged in? ls /dev/serial/by-id shows the ones that are.");

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
            catch (UnauthorizedAccessException e)
            {
                port.Dispose();
                throw new PortOpenException(portName, PortOpenFailure.Busy,
                    $"The serial port '{portName}' is in use by another program, or you may not open it" +
                    (RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? "." : " (on Linux add yourself to the 'dialout' group: sudo usermod -aG dialout $USER, then log in again)."),
                    e);
            }
            catch (IOException e)
            {
                port.Dispose();
                var notFound = e is FileNotFoundException || RuntimeInformation.IsOSPlatform(OSPlatform.Windows) && e.Message.IndexOf("does not exist", StringComparison.OrdinalIgnoreCase) >= 0;
                throw new PortOpenException(portName, notFound ? PortOpenFailure.NotFound : PortOpenFailure.Failed,
                    $"The serial port '{portName}' could not be opened: {e.Message}", e);
            }
            catch (ArgumentException e)
            {
                port.Dispose();
                throw new PortOpenException(portName, PortOpenFailure.Failed,
                    $"The serial port '{portName}' could not be opened: {e.Message}", e);
            }
            return new SerialPortLink(port);
        }

        public string Name => _port.PortName;

        public int BaudRate => _port.BaudRate;

        public Parity Parity => _port.Parity;

        public bool SupportsModemLines => true;

        public void Write(byte[] buffer, int offset, int count)
        {
            _port.Write(buffer, offset, count);
        }

        public int Read(byte[] buffer, int offset, int count, TimeSpan timeout, CancellationToken cancellationToken)
        {
            if (timeout <= TimeSpan.Zero) return 0;
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

        public void DiscardInput() => _port.DiscardInBuffer();

        public void SetModemLine(ModemLine line, bool asserted)
        {
            switch (line)
            {
                case ModemLine.Dtr: _port.DtrEnable = asserted; break;
                case ModemLine.Rts: _port.RtsEnable = asserted; break;
                case ModemLine.Break: _port.BreakState = asserted; break;
                default: throw new ArgumentOutOfRangeException(nameof(line));
            }
        }

        public void Dispose() => _port.Dispose();
    }
}
