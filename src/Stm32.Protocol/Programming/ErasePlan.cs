using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using Stm32.Protocol.Devices;

namespace Stm32.Protocol.Programming
{
    /// <summary>
    /// What an erase will do, worked out before anything is sent (<see cref="FlashProgrammer.PlanErase"/>):
    /// the pages (sectors), whether the whole flash goes in one mass erase, and how the blank check
    /// is made. Write-protected pages are refused while planning. <see cref="Describe"/> is what
    /// -WhatIf shows; <see cref="FlashProgrammer.Erase(ErasePlan, System.IProgress{OperationProgress}, System.Threading.CancellationToken)"/>
    /// carries out exactly this plan.
    /// </summary>
    public sealed class ErasePlan
    {
        internal ErasePlan(Stm32Connection connection, FlashLayout layout, MemoryRange flash, IReadOnlyList<FlashPage> pages, bool wholeFlash,
            EraseOptions options, VerifyMethod blankCheck)
        {
            Connection = connection;
            Device = connection.Device;
            Layout = layout;
            Flash = flash;
            Pages = pages;
            WholeFlash = wholeFlash;
            Options = options;
            BlankCheck = blankCheck;
            Ranges = AddressRanges.Merge(pages);
        }

        internal Stm32Connection Connection { get; }

        internal FlashLayout Layout { get; }

        public DeviceInfo Device { get; }

        /// <summary>The flash as the chip reports it.</summary>
        public MemoryRange Flash { get; }

        /// <summary>"page" or "sector".</summary>
        public string UnitName => Layout.UnitName;

        /// <summary>The pages (sectors) erased, in order; every page for the whole flash.</summary>
        public IReadOnlyList<FlashPage> Pages { get; }

        /// <summary>The erased addresses, neighbouring pages merged.</summary>
        public IReadOnlyList<MemoryRange> Ranges { get; }

        /// <summary>The whole flash was asked for: a mass erase where the part has one.</summary>
        public bool WholeFlash { get; }

        /// <summary>A whole-flash erase on a part without mass erase (L0/L1): page by page from the start.</summary>
        public bool PageByPage => WholeFlash && (Device.Flags & DeviceFlags.NoMassErase) != 0;

        public EraseOptions Options { get; }

        /// <summary>How the blank check is made: Checksum (a believable Get Checksum), ReadBack, or None (no check asked for).</summary>
        public VerifyMethod BlankCheck { get; }

        /// <summary>What -WhatIf shows and -Verbose repeats before the erase.</summary>
        public string Describe()
        {
            var sb = new StringBuilder("Erase ");
            var unit = UnitName;
            if (!WholeFlash)
                sb.AppendFormat(CultureInfo.InvariantCulture, "{0} ({1})", OptionByteSet.Counted(unit, Pages.Select(p => p.Index)), string.Join(", ", Ranges));
            else
                sb.AppendFormat(CultureInfo.InvariantCulture, "the whole flash ({0} KiB, {1} {2}s){3}", Flash.Length / 1024, Pages.Count, unit, HowWhole(Device, unit));
            if (BlankCheck != VerifyMethod.None)
                sb.Append(BlankCheck == VerifyMethod.Checksum ? ", then check that it reads blank by Get Checksum" : ", then check that it reads blank by reading it back");
            sb.Append('.');
            return sb.ToString();
        }

        public override string ToString() => Describe();

        /// <summary>
        /// How a whole-flash erase goes: page by page on a part without mass erase; otherwise a
        /// mass erase, which may turn into bank erases or page by page while running (the
        /// bootloader's answer decides, <see cref="Stm32Connection.MassErase"/>).
        /// </summary>
        internal static string HowWhole(DeviceInfo device, string unit)
            => (device.Flags & DeviceFlags.NoMassErase) != 0
                ? string.Format(CultureInfo.InvariantCulture, ", {0} by {0}: the part has no mass erase", unit)
                : string.Format(CultureInfo.InvariantCulture, " by mass erase{0}, or {1} by {1} should the bootloader refuse the mass-erase code",
                    device.BankCount == 2 ? " (bank by bank where the chip wants that)" : "", unit);
    }
}
