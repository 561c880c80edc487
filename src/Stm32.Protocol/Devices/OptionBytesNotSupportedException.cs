using System;
using System.Globalization;

namespace Stm32.Protocol.Devices
{
    /// <summary>
    /// The part's option bytes are not memory the bootloader can read and write (H7, L5, U5, H5,
    /// or no option range in the catalog, spec 7).
    /// </summary>
    public sealed class OptionBytesNotSupportedException : NotSupportedException
    {
        public OptionBytesNotSupportedException(DeviceInfo device)
            : base(string.Format(CultureInfo.InvariantCulture,
                "Changing the option bytes of {0} is not possible through this bootloader: {1}. STM32CubeProgrammer (-ob) or a debug probe can change them.",
                device?.ToString() ?? "this device",
                device == null || device.OptionBytes.IsEmpty
                    ? "the catalog has no option-byte area for it"
                    : "its option bytes are registers, not memory the bootloader writes with Write Memory"))
        {
            Device = device;
        }

        public DeviceInfo? Device { get; }
    }
}
