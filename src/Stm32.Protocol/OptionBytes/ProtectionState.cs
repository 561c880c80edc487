using System.Collections.Generic;
using System.Globalization;
using Stm32.Protocol.Devices;

namespace Stm32.Protocol.OptionBytes
{
    /// <summary>Read and write protection of a chip as far as the bootloader shows it (Get-Stm32Info).</summary>
    public sealed class ProtectionState
    {
        internal ProtectionState(DeviceInfo device, bool readProtected, OptionByteSet? options, string? optionsUnreadableReason)
        {
            Device = device;
            IsReadProtected = readProtected;
            OptionBytes = options;
            OptionsUnreadableReason = optionsUnreadableReason;
        }

        public DeviceInfo Device { get; }

        /// <summary>A Read of flash was NACKed: RDP level 1 (level 2 never answers at all).</summary>
        public bool IsReadProtected { get; }

        /// <summary>The level from the option bytes where readable; 1 when read-protected; else null.</summary>
        public ReadProtectionLevel? ReadProtection => IsReadProtected ? ReadProtectionLevel.Level1 : OptionBytes?.ReadProtection;

        /// <summary>Null where the option bytes cannot be read (see <see cref="OptionsUnreadableReason"/>).</summary>
        public OptionByteSet? OptionBytes { get; }

        public string? OptionsUnreadableReason { get; }

        /// <summary>Write-protected pages (sectors on F2/F4/F7); null when not readable.</summary>
        public IReadOnlyList<int>? WriteProtectedPages => OptionBytes?.WriteProtectedPages;

        public override string ToString()
            => IsReadProtected
                ? "read-protected (RDP level 1): Unprotect-Stm32Flash -ReadOut lifts it and erases the whole flash"
                // No flash in the memory map and no option bytes read: no Read was tried, so nothing is known.
                : OptionBytes == null && Device.Flash.IsEmpty
                    ? string.Format(CultureInfo.InvariantCulture, "read protection unknown (the catalog has no memory map for this chip); write protection: unknown ({0})", OptionsUnreadableReason)
                    : string.Format(CultureInfo.InvariantCulture, "not read-protected; write protection: {0}",
                        OptionBytes?.DescribeWrp() ?? "unknown (" + OptionsUnreadableReason + ")");
    }
}
