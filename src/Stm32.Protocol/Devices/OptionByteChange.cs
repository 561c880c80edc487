using System.Collections.Generic;

namespace Stm32.Protocol.Devices
{
    /// <summary>
    /// What to change in the option bytes: set only the fields to change (null = keep), or
    /// <see cref="Raw"/> for the whole block exactly as given. Maps one to one onto
    /// Set-Stm32OptionByte's parameters.
    /// </summary>
    public sealed class OptionByteChange
    {
        /// <summary>The RDP level; 2 is permanent and refused unless the write allows it.</summary>
        public ReadProtectionLevel? ReadProtection { get; set; }

        /// <summary>An exact RDP byte (wins over <see cref="ReadProtection"/>).</summary>
        public byte? RdpByte { get; set; }

        public bool? SoftwareWatchdog { get; set; }

        public bool? NRstStop { get; set; }

        public bool? NRstStdby { get; set; }

        public bool? NBoot0 { get; set; }

        public bool? NBoot1 { get; set; }

        public bool? NSwBoot0 { get; set; }

        public bool? NBootSel { get; set; }

        public int? BorLevel { get; set; }

        public byte? Data0 { get; set; }

        public byte? Data1 { get; set; }

        /// <summary>The complete protected set of WRP sectors (replaces the current one).</summary>
        public IReadOnlyCollection<int>? WriteProtectedSectors { get; set; }

        /// <summary>The whole block, byte for byte, complements included (checked, never fixed).</summary>
        public byte[]? Raw { get; set; }

        public bool IsEmpty => Raw == null && WriteProtectedSectors == null && Fields().Count == 0;

        /// <summary>The named fields set here, RDP resolved to a byte by the layout.</summary>
        internal Dictionary<OptionField, uint> Fields(OptionLayout? layout = null)
        {
            var d = new Dictionary<OptionField, uint>();
            if (RdpByte.HasValue) d[OptionField.ReadProtection] = RdpByte.Value;
            else if (ReadProtection.HasValue && layout != null) d[OptionField.ReadProtection] = layout.RdpFor(ReadProtection.Value);
            else if (ReadProtection.HasValue) d[OptionField.ReadProtection] = ReadProtection.Value == ReadProtectionLevel.Level2 ? 0xCCu : 0xAAu;
            void Bool(OptionField f, bool? v)
            {
                if (v.HasValue) d[f] = v.Value ? 1u : 0u;
            }
            Bool(OptionField.SoftwareWatchdog, SoftwareWatchdog);
            Bool(OptionField.NRstStop, NRstStop);
            Bool(OptionField.NRstStdby, NRstStdby);
            Bool(OptionField.NBoot0, NBoot0);
            Bool(OptionField.NBoot1, NBoot1);
            Bool(OptionField.NSwBoot0, NSwBoot0);
            Bool(OptionField.NBootSel, NBootSel);
            if (BorLevel.HasValue) d[OptionField.BorLevel] = (uint)BorLevel.Value;
            if (Data0.HasValue) d[OptionField.Data0] = Data0.Value;
            if (Data1.HasValue) d[OptionField.Data1] = Data1.Value;
            return d;
        }
    }
}
