using System;
using System.Collections.Generic;
using System.Linq;
using System.Globalization;
using Stm32.Protocol.Bootloader;
using Stm32.Protocol.Devices;

namespace Stm32.Protocol.Programming
{
    /// <summary>The change would set RDP level 2 (permanent) and the caller did not allow it.</summary>
    public sealed class ReadProtectionLevel2RefusedException : InvalidOperationException
    {
        public ReadProtectionLevel2RefusedException(string family)
            : base(string.Format(CultureInfo.InvariantCulture,
                "Refusing RDP 0xCC: on {0} that is read protection level 2, which is permanent. The bootloader and the debug port are switched off for good and the chip can never be reprogrammed. Allow level 2 explicitly (-Force) only if that is what you want.",
                family))
        {
            Family = family;
        }

        public string Family { get; }
    }

    /// <summary>Read back after an option write, a field does not hold what was written.</summary>
    public sealed class OptionByteVerifyException : Stm32VerifyException
    {
        public OptionByteVerifyException(string family, uint address, string field, string expected, string actual)
            : base(string.Format(CultureInfo.InvariantCulture,
                "The {0} option bytes at 0x{1:X8} did not take: {2} reads {3} after the reset, {4} was written.",
                family, address, field, actual, expected), address, 1)
        {
            Field = field;
            Expected = expected;
            Actual = actual;
        }

        /// <summary>The field's name (an <see cref="OptionField"/> name, "WriteProtection" or "Raw+0xNN").</summary>
        public string Field { get; }

        public string Expected { get; }

        public string Actual { get; }
    }
}

namespace Stm32.Protocol.Programming
{
    /// <summary>
    /// A write did not take because the page is write-protected (the chip ACKs such writes, spec
    /// 4.6), or an erase or write was refused before anything was sent because the option bytes
    /// say its pages are write-protected (the chip would ACK it and do nothing).
    /// </summary>
    public sealed class Stm32WriteProtectedException : Stm32VerifyException
    {
        public Stm32WriteProtectedException(DeviceInfo device, uint address, FlashPage page, Stm32VerifyException? inner = null)
            : base(string.Format(CultureInfo.InvariantCulture,
                "The write at 0x{0:X8} did not take: {1} {2} (0x{3:X8}-0x{4:X8}) is write-protected. The chip acknowledges such writes without programming them. Unprotect-Stm32Flash -Write removes write protection.",
                address, device.Layout?.UnitName ?? "page", page.Index, page.Start, page.End - 1), address, inner?.DifferingBytes ?? 1)
        {
            Page = page.Index;
            Pages = new[] { page.Index };
        }

        /// <summary>
        /// Refuses <paramref name="operation"/> ("erase", "write") of <paramref name="pages"/>, which
        /// the option bytes say are write-protected; nothing was sent. <paramref name="address"/>:
        /// the first address concerned (the image's first byte there), else the first page's start.
        /// </summary>
        public Stm32WriteProtectedException(DeviceInfo device, string operation, IReadOnlyList<FlashPage> pages, uint? address = null)
            : base(string.Format(CultureInfo.InvariantCulture,
                "Refusing to {0} {1}{2}: {3} write-protected, and the chip would acknowledge the {0} without doing it. Nothing was sent. Unprotect-Stm32Flash -Write removes write protection (the flash contents stay).",
                operation, Describe(device, pages),
                address.HasValue ? string.Format(CultureInfo.InvariantCulture, " at 0x{0:X8}", address.Value) : "",
                pages.Count == 1 ? "it is" : "they are"), address ?? pages[0].Start, 0)
        {
            Page = pages[0].Index;
            Pages = pages.Select(p => p.Index).ToArray();
        }

        /// <summary>The (first) protected page (sector on F2/F4/F7).</summary>
        public int Page { get; }

        /// <summary>Every protected page concerned.</summary>
        public IReadOnlyList<int> Pages { get; }

        private static string Describe(DeviceInfo device, IReadOnlyList<FlashPage> pages)
        {
            var unit = device.Layout?.UnitName ?? "page";
            var numbers = OptionByteSet.Ranges(pages.Select(p => p.Index).ToList());
            var first = pages.Min(p => p.Start);
            var last = pages.Max(p => p.End) - 1;
            return string.Format(CultureInfo.InvariantCulture, "{0}{1} {2} (0x{3:X8}-0x{4:X8})", unit, pages.Count == 1 ? "" : "s", numbers, first, last);
        }
    }
}
