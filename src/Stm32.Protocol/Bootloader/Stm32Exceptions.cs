using System;
using System.Globalization;
using System.Linq;

namespace Stm32.Protocol.Bootloader
{
    /// <summary>
    /// A bootloader conversation failed. Says which step failed, what was sent and what (if
    /// anything) came back, so "no response" can be explained (spec 14.2 item 1).
    /// </summary>
    public class Stm32Exception : Exception
    {
        public Stm32Exception(string message, string step = "", byte[]? sent = null, byte[]? received = null, uint? address = null, Exception? inner = null)
            : base(message, inner)
        {
            Step = step;
            Sent = sent ?? Array.Empty<byte>();
            Received = received ?? Array.Empty<byte>();
            Address = address;
        }

        /// <summary>The protocol step: "sync", "Read Memory address", "Write Memory data", ...</summary>
        public string Step { get; }

        /// <summary>The bytes of the frame that got no good answer (may be truncated for data frames).</summary>
        public byte[] Sent { get; }

        /// <summary>Whatever came back (empty when nothing did).</summary>
        public byte[] Received { get; }

        /// <summary>The memory address the step was about, where there was one.</summary>
        public uint? Address { get; }

        public static string Hex(byte[] bytes, int max = 16)
        {
            if (bytes.Length == 0) return "nothing";
            var s = string.Join(" ", bytes.Take(max).Select(b => b.ToString("X2", CultureInfo.InvariantCulture)));
            return bytes.Length > max ? s + string.Format(CultureInfo.InvariantCulture, " ... ({0} bytes)", bytes.Length) : s;
        }
    }

    /// <summary>The device answered NACK (0x1F).</summary>
    public class Stm32NackException : Stm32Exception
    {
        public Stm32NackException(string message, string step, byte[]? sent = null, byte[]? received = null, uint? address = null)
            : base(message, step, sent, received, address) { }
    }

    /// <summary>Nothing (or too little) came back in time.</summary>
    public class Stm32TimeoutException : Stm32Exception
    {
        public Stm32TimeoutException(string message, string step, byte[]? sent = null, byte[]? received = null, uint? address = null)
            : base(message, step, sent, received, address) { }
    }

    /// <summary>
    /// An operation ran out of its total time (<see cref="OperationDeadline"/>): the chip kept
    /// answering too slowly, or recovery kept going, for longer than the operation may take. Not
    /// retried. Step and Address name where it stood.
    /// </summary>
    public sealed class Stm32DeadlineException : Stm32TimeoutException
    {
        public Stm32DeadlineException(OperationDeadline deadline, string step, byte[]? sent = null, byte[]? received = null, uint? address = null)
            : base(string.Format(CultureInfo.InvariantCulture, "{0}; it stopped at {1}{2}.", deadline.Describe(), step,
                    address.HasValue ? string.Format(CultureInfo.InvariantCulture, " at 0x{0:X8}", address.Value) : ""),
                step, sent, received, address)
        {
            Budget = deadline.Budget;
            Expected = deadline.Expected;
        }

        /// <summary>The total time the operation had.</summary>
        public TimeSpan Budget { get; }

        /// <summary>What a working chip needs for it.</summary>
        public TimeSpan Expected { get; }
    }

    /// <summary>The bootloader never answered the sync byte: wiring, boot pins, baud, parity (spec 14.2).</summary>
    public class Stm32NoResponseException : Stm32TimeoutException
    {
        public Stm32NoResponseException(string message, byte[]? sent = null, byte[]? received = null)
            : base(message, "sync", sent, received) { }
    }

    /// <summary>A byte came back that the protocol does not allow there.</summary>
    public class Stm32ProtocolException : Stm32Exception
    {
        public Stm32ProtocolException(string message, string step, byte[]? sent = null, byte[]? received = null, uint? address = null)
            : base(message, step, sent, received, address) { }
    }

    /// <summary>The chip is read-protected (RDP level 1): only Get, Get Version, Get ID and Readout Unprotect work.</summary>
    public class Stm32ReadProtectedException : Stm32NackException
    {
        public Stm32ReadProtectedException(string message, string step, byte[]? sent = null, byte[]? received = null, uint? address = null)
            : base(message, step, sent, received, address) { }
    }

    /// <summary>The device does not offer the command (not in its Get list).</summary>
    public class Stm32UnsupportedCommandException : Stm32Exception
    {
        public Stm32UnsupportedCommandException(byte command)
            : base(string.Format(CultureInfo.InvariantCulture, "The bootloader does not offer the {0} command (0x{1:X2}).", An3155.Name(command), command),
                An3155.Name(command))
        {
            Command = command;
        }

        public byte Command { get; }
    }

    /// <summary>What was read back differs from what was written.</summary>
    public class Stm32VerifyException : Stm32Exception
    {
        public Stm32VerifyException(string message, uint address, int differingBytes)
            : base(message, "verify", null, null, address)
        {
            DifferingBytes = differingBytes;
        }

        public int DifferingBytes { get; }
    }

    /// <summary>
    /// A block or command kept failing after every retry and resync the recovery options allow.
    /// Step and Address name where; the inner exception is the last failure.
    /// </summary>
    public class Stm32RecoveryFailedException : Stm32Exception
    {
        public Stm32RecoveryFailedException(string message, string step, uint? address, int attempts, Stm32Exception? last)
            : base(message, step, last?.Sent, last?.Received, address, last)
        {
            Attempts = attempts;
        }

        /// <summary>How many times it was tried in all.</summary>
        public int Attempts { get; }
    }

    /// <summary>The chip came back from a reset as a different device (product ID or bootloader version changed).</summary>
    public class Stm32DeviceChangedException : Stm32Exception
    {
        public Stm32DeviceChangedException(string message)
            : base(message, "re-identify") { }
    }

    /// <summary>The chip left its bootloader (Go, or an exit sequence): nothing more can be sent to it.</summary>
    public class Stm32NotInBootloaderException : InvalidOperationException
    {
        public Stm32NotInBootloaderException()
            : base("The chip is running its application (Go was sent, or it was reset into it); reset it into the bootloader and connect again.") { }
    }
}
