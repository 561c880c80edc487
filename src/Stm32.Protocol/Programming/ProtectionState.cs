using System.Collections.Generic;
using System.Globalization;
using Stm32.Protocol.Devices;

namespace Stm32.Protocol.Programming
{
    /// <summary>Read and write protection of a chip as far as the bootloader shows it (Get-Stm32Info).</summary>
    public sealed class ProtectionState
    {
        internal ProtectionState(DeviceInfo device, bool? knownReadProtection, OptionByteSet? options, string? optionsUnreadableReason)
        {
            Device = device;
            KnownReadProtection = knownReadProtection;
            IsReadProtected = knownReadProtection == true;
            OptionBytes = options;
            OptionsUnreadableReason = optionsUnreadableReason;
        }

        public DeviceInfo Device { get; }

        /// <summary>A Read of flash was NACKed: RDP level 1 (level 2 never answers at all).</summary>
        public bool IsReadProtected { get; }

        /// <summary>As <see cref="Programming.Stm32Connection.KnownReadProtection"/>: null where no Read showed it (no flash in the catalog row, no other Read answered).</summary>
        public bool? KnownReadProtection { get; }

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
                // No flash in the memory map and no other Read answered: nothing is known.
                : KnownReadProtection == null
                    ? string.Format(CultureInfo.InvariantCulture, "read protection unknown (the catalog has no memory map for this chip); write protection: unknown ({0})", OptionsUnreadableReason)
                    : string.Format(CultureInfo.InvariantCulture, "not read-protected; write protection: {0}",
                        OptionBytes?.DescribeWrp() ?? "unknown (" + OptionsUnreadableReason + ")");
    }
}
