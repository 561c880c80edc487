using System;
using System.Threading;

namespace Stm32.Protocol.Transport
{
    /// <summary>
    /// A byte pipe to (or from) a bootloader: a serial port, an in-memory pair for the simulated
    /// chip, later TCP. The protocol code never knows which one it talks to (STYLE: stm32flash's
    /// port interface).
    /// </summary>
    public interface IByteLink : IDisposable
    {
        /// <summary>What the user would call this link: "/dev/ttyUSB0", "COM3", "sim://0x410".</summary>
        string Name { get; }

        /// <summary>The line rate in baud; the simulated chip uses it for realistic wire time.</summary>
        int BaudRate { get; }

        /// <summary>Writes all the bytes (blocking until they are handed to the link).</summary>
        void Write(byte[] buffer, int offset, int count);

        /// <summary>
        /// Reads at least one and at most <paramref name="count"/> bytes. Returns 0 when nothing
        /// arrived before <paramref name="timeout"/>. Throws OperationCanceledException when
        /// <paramref name="cancellationToken"/> fires and ObjectDisposedException/IOException when
        /// the link is gone.
        /// </summary>
        int Read(byte[] buffer, int offset, int count, TimeSpan timeout, CancellationToken cancellationToken);

        /// <summary>Drops whatever input has arrived and not been read.</summary>
        void DiscardInput();

        /// <summary>Whether <see cref="SetModemLine"/> can drive DTR, RTS and BREAK on this link.</summary>
        bool SupportsModemLines { get; }

        /// <summary>Asserts (true) or releases (false) a modem line. Throws ModemLinesNotSupportedException
        /// when <see cref="SupportsModemLines"/> is false.</summary>
        void SetModemLine(ModemLine line, bool asserted);
    }

    public enum ModemLine
    {
        Dtr,
        Rts,
        Break,
    }
}
