using System;
using System.Linq;
using System.Management.Automation;
using Stm32.PowerShell.Infrastructure;
using Stm32.Protocol.Devices;
using Stm32.Protocol.Programming;

namespace Stm32.PowerShell.Commands
{
    /// <summary>
    /// Turns on read protection (-ReadOut: RDP level 1, Readout Protect 0x82) or write
    /// protection of pages (-Page, -Sector, -Address -Length: Write Protect 0x63, at the part's
    /// WRP granularity). Each command resets the chip; the session resynchronises by itself.
    /// </summary>
    [Cmdlet(VerbsSecurity.Protect, "Stm32Flash", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High,
        DefaultParameterSetName = PageSet)]
    [OutputType(typeof(Stm32DeviceInfo))]
    public sealed class ProtectStm32FlashCommand : Stm32SessionCmdletBase
    {
        private const string ReadOutSet = "ReadOut";
        private const string PageSet = "Page";
        private const string SectorSet = "Sector";
        private const string AddressSet = "Address";

        #region Parameters

        /// <summary>Read protection level 1: flash can no longer be read, written or started through the bootloader.</summary>
        [Parameter(Mandatory = true, ParameterSetName = ReadOutSet)]
        public SwitchParameter ReadOut { get; set; }

        /// <summary>Pages (sectors on F2/F4/F7) to write-protect, by erase index.</summary>
        [Parameter(Mandatory = true, Position = 0, ParameterSetName = PageSet, HelpMessage = "Page numbers (sector numbers on F2/F4/F7) to write-protect.")]
        [ValidateNotNullOrEmpty]
        public int[]? Page { get; set; }

        /// <summary>WRP sectors (groups of pages one protection bit covers) by number.</summary>
        [Parameter(Mandatory = true, ParameterSetName = SectorSet, HelpMessage = "Write-protection sector numbers (each covers the part's pages per WRP bit).")]
        [ValidateNotNullOrEmpty]
        public int[]? Sector { get; set; }

        /// <summary>The start of a flash range to write-protect (every page it touches).</summary>
        [Parameter(Mandatory = true, ParameterSetName = AddressSet, HelpMessage = "Start address of the flash range to write-protect, e.g. 0x08000000.")]
        public uint Address { get; set; }

        [Parameter(Mandatory = true, ParameterSetName = AddressSet, HelpMessage = "Length in bytes of the flash range to write-protect.")]
        [ValidateRange(1, uint.MaxValue)]
        public uint Length { get; set; }

        /// <summary>Protect only these pages: the pages protected before lose their protection.</summary>
        [Parameter(ParameterSetName = PageSet)]
        [Parameter(ParameterSetName = SectorSet)]
        [Parameter(ParameterSetName = AddressSet)]
        public SwitchParameter Replace { get; set; }

        [Parameter]
        public SwitchParameter PassThru { get; set; }

        #endregion

        /// <summary>
        /// Readout Protect and Unprotect are sent only where a Read can show afterwards that they
        /// took (flash, system memory or RAM in the catalog row): DeviceLayoutUnknown otherwise.
        /// </summary>
        internal static void RequireReadProtectionCheck(Stm32Session session)
        {
            if (ProtectionOperations.ReadProtectionCheckAddress(session.Device) == null)
                throw new ModuleException(ErrorIds.DeviceLayoutUnknown, System.Management.Automation.ErrorCategory.InvalidOperation,
                    $"The catalog has no memory map for {session.Device}, so whether read protection changed could not be checked afterwards; nothing was sent. Add a catalog row for it (Get-Help Import-Stm32Device).");
        }

        #region Overrides

        protected override void ProcessSession(Stm32Session session)
        {
            var connection = session.Connection;
            if (ParameterSetName == ReadOutSet)
            {
                RequireReadProtectionCheck(session);
                if (connection.IsReadProtected)
                {
                    WriteVerbose($"{session}: the chip is already read-protected; nothing to do.");
                }
                else
                {
                    if (!ShouldProcess($"{session}: turn on read protection (RDP level 1). Flash can then no longer be read, written or started through the bootloader; lifting it later (Unprotect-Stm32Flash -ReadOut) erases the whole flash.",
                        $"Read-protect {session}? Flash can then no longer be read, written or started through the bootloader, and lifting the protection later ERASES THE WHOLE FLASH.",
                        "Protect-Stm32Flash -ReadOut"))
                        return;
                    // A chip without flash in its catalog row shows it was protected only now.
                    if (connection.ApplyReadoutProtection(CancelToken))
                        WriteVerbose($"{session}: read protection is on (RDP level 1); the chip reset and the session resynchronised.");
                    else
                        WriteVerbose($"{session}: the chip is already read-protected; nothing was sent.");
                    session.NoteWriteProtectedPages(null);
                }
            }
            else
            {
                Protocol.Programming.WriteProtectionPlan plan;
                try
                {
                    plan = ParameterSetName == SectorSet ? connection.PlanWriteProtectionOfSectors(Sector!)
                        : ParameterSetName == AddressSet ? connection.PlanWriteProtection(Address, Length)
                        : connection.PlanWriteProtection(Page!);
                }
                catch (ArgumentOutOfRangeException e) when (ParameterSetName != AddressSet)
                {
                    // A page or sector number the chip does not have (bad input): the same ErrorId as Clear-Stm32Flash.
                    throw new ModuleException(ErrorIds.PageOutOfRange, ErrorCategory.InvalidArgument, WithoutParamName(e), null, e);
                }
                var text = plan.Describe();
                // Which extra pages a WRP sector brings along: a warning (it is a surprise) that names only
                // them; the plan itself is ShouldProcess's text (-WhatIf, -Confirm, -Verbose), said once.
                if (plan.ExtraPages.Count > 0)
                    WriteWarning($"{session}: {OptionByteSet.Counted(plan.UnitName, plan.ExtraPages)} get write-protected too: one protection bit covers {plan.PagesPerSector} {plan.UnitName}s.");
                else if (MyInvocation.BoundParameters.ContainsKey("WhatIf")) WriteVerbose(text);
                var replaceText = Replace ? " The pages protected now lose their protection." : " Pages already protected stay protected.";
                if (!ShouldProcess($"{session}: {text}{replaceText}", $"Write-protect flash of {session}? {text}{replaceText} The chip resets.", "Protect-Stm32Flash"))
                    return;
                var result = connection.ApplyWriteProtection(plan, keepExisting: !Replace, CancelToken);
                foreach (var w in result.Warnings) WriteWarning($"{session}: {w}");
                session.NoteWriteProtectedPages(result.ProtectedAfter);
                WriteVerbose(result.ProtectedAfter != null
                    ? $"{session}: write-protected now: {(result.ProtectedAfter.Count == 0 ? "none" : OptionByteSet.Counted(plan.UnitName, result.ProtectedAfter))}."
                    : $"{session}: Write Protect sent; this part's write protection cannot be read back through the bootloader.");
            }
            if (PassThru) WriteObject(Stm32DeviceInfo.Read(session, CancelToken, WriteWarning));
        }

        #endregion
    }
}
