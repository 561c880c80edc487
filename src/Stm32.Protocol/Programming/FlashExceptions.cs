using System;
using System.Globalization;
using System.Threading;
using Stm32.Protocol.Bootloader;
using Stm32.Protocol.Devices;

namespace Stm32.Protocol.Programming
{
    /// <summary>
    /// A write stopped half way (Ctrl+C): the message says what the flash holds now, and
    /// <see cref="FirstAddressNotWritten"/> where the image stopped being written.
    /// </summary>
    public sealed class Stm32WriteStoppedException : OperationCanceledException
    {
        public Stm32WriteStoppedException(string message, uint? firstAddressNotWritten, CancellationToken ct)
            : base(message, ct)
        {
            FirstAddressNotWritten = firstAddressNotWritten;
        }

        /// <summary>The first image address not written (null when the write had finished and only its verify was stopped).</summary>
        public uint? FirstAddressNotWritten { get; }
    }

    /// <summary>After an erase the chip acknowledged, a byte still does not read 0xFF.</summary>
    public sealed class Stm32NotErasedException : Stm32VerifyException
    {
        public Stm32NotErasedException(DeviceInfo device, uint address, byte value, int differing)
            : base(string.Format(CultureInfo.InvariantCulture,
                "The erase did not take: 0x{0:X8}{1} reads 0x{2:X2}, not 0xFF, although the chip acknowledged the erase. A write-protected {3} does that (Get-Stm32OptionByte shows the protection; Unprotect-Stm32Flash -Write removes it); otherwise the bootloader does not erase what it says it does.",
                address, device.Layout?.PageAt(address) is FlashPage p ? string.Format(CultureInfo.InvariantCulture, " ({0} {1})", device.Layout.UnitName, p.Index) : "",
                value, device.Layout?.UnitName ?? "page"), address, Math.Max(1, differing))
        {
            Page = device.Layout?.PageAt(address)?.Index;
            Value = value;
        }

        /// <summary>The page (sector) holding the address, where the layout knows it.</summary>
        public int? Page { get; }

        /// <summary>What the byte reads.</summary>
        public byte Value { get; }
    }
}
