using System;
using System.Collections.ObjectModel;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Host;
using Stm32.PowerShell.Infrastructure;
using Stm32.Protocol.Devices;
using Stm32.Protocol.Programming;

namespace Stm32.PowerShell.Commands
{
    /// <summary>
    /// Changes option bytes by named field (or the whole block with -Raw). Builds the family's
    /// layout, writes it (the chip erases its option area, programs it and resets), resyncs,
    /// reads back and checks each changed field.
    /// <para>
    /// Read protection level 2 is permanent. It takes all of: -Force (without it the change is
    /// refused with ReadProtectionLevel2Refused before any prompt, whatever -Confirm says), the
    /// ShouldProcess confirmation (ConfirmImpact High), and then a typed confirmation: the user
    /// types the chip's product ID as the prompt shows it; Enter alone, or anything else, is No.
    /// Scripts skip the typed question only with -Level2ProductId naming the connected chip's
    /// product ID; no -Confirm or $ConfirmPreference setting skips it. A host that cannot prompt
    /// refuses.
    /// </para>
    /// </summary>
    [Cmdlet(VerbsCommon.Set, "Stm32OptionByte", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High,
        DefaultParameterSetName = FieldsSet)]
    [OutputType(typeof(Stm32OptionByteWriteResult))]
    public sealed class SetStm32OptionByteCommand : Stm32SessionCmdletBase
    {
        private const string FieldsSet = "Fields";
        private const string RawSet = "Raw";

        #region Parameters

        /// <summary>Read protection: Level0 (open), Level1 (flash unreadable from outside), Level2 (permanent).</summary>
        [Parameter(ParameterSetName = FieldsSet)]
        public ReadProtectionLevel? ReadProtection { get; set; }

        /// <summary>An exact RDP byte (wins over -ReadProtection).</summary>
        [Parameter(ParameterSetName = FieldsSet)]
        public byte? RdpByte { get; set; }

        [Parameter(ParameterSetName = FieldsSet)]
        public bool? SoftwareWatchdog { get; set; }

        [Parameter(ParameterSetName = FieldsSet)]
        public bool? NRstStop { get; set; }

        [Parameter(ParameterSetName = FieldsSet)]
        public bool? NRstStdby { get; set; }

        [Parameter(ParameterSetName = FieldsSet)]
        public bool? NBoot0 { get; set; }

        [Parameter(ParameterSetName = FieldsSet)]
        public bool? NBoot1 { get; set; }

        [Parameter(ParameterSetName = FieldsSet)]
        public bool? NSwBoot0 { get; set; }

        [Parameter(ParameterSetName = FieldsSet)]
        public bool? NBootSel { get; set; }

        [Parameter(ParameterSetName = FieldsSet)]
        [ValidateRange(0, 7)]
        public int? BorLevel { get; set; }

        [Parameter(ParameterSetName = FieldsSet)]
        public byte? Data0 { get; set; }

        [Parameter(ParameterSetName = FieldsSet)]
        public byte? Data1 { get; set; }

        /// <summary>The complete set of protected WRP sectors (replaces the current one; @() clears it).</summary>
        [Parameter(ParameterSetName = FieldsSet)]
        [ValidateNotNull]
        public int[]? WriteProtectedSector { get; set; }

        /// <summary>The whole block, byte for byte, complements included.</summary>
        [Parameter(Mandatory = true, ParameterSetName = RawSet, HelpMessage = "The whole option block, complements included (Get-Stm32OptionByte shows the current one as Raw).")]
        [ValidateNotNullOrEmpty]
        public byte[]? Raw { get; set; }

        /// <summary>Allows read protection level 2 (permanent). Nothing else needs it.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        /// <summary>
        /// For scripts: the product ID of the chip to lock with level 2 (as Get-Stm32Info shows it,
        /// e.g. 0x413). It stands in for the typed confirmation and must match the connected chip.
        /// </summary>
        [Parameter(ParameterSetName = FieldsSet)]
        [Parameter(ParameterSetName = RawSet)]
        [ValidateRange(0, 0xFFFF)]
        public int? Level2ProductId { get; set; }

        [Parameter]
        public SwitchParameter PassThru { get; set; }

        #endregion

        #region Overrides

        protected override void ProcessSession(Stm32Session session)
        {
            var change = BuildChange();
            if (change.IsEmpty)
            {
                WriteError(Error("Name at least one option field to change (for example -NRstStop $false), or give -Raw.",
                    ErrorIds.InvalidArgument, ErrorCategory.InvalidArgument, session));
                return;
            }
            var connection = session.Connection;
            // Planned with level 2 allowed so -WhatIf and the refusal can both describe it; the
            // gate is here, before any prompt.
            var plan = connection.PlanOptionBytes(change, allowLevel2: true, CancelToken);
            var text = plan.Describe();
            // ShouldProcess writes the text as verbose itself, except under -WhatIf (host only).
            if (MyInvocation.BoundParameters.ContainsKey("WhatIf")) WriteVerbose(text);
            if (plan.IsNoChange)
            {
                WriteVerbose($"{session}: the option bytes already hold these values; nothing is written.");
                if (PassThru) WriteObject(new Stm32OptionByteWriteResult(session, connection.WriteOptionBytes(plan, CancelToken)));
                return;
            }
            if (plan.SetsLevel2 && !Force)
            {
                WriteError(ErrorFor(new ReadProtectionLevel2RefusedException(plan.Before.Family), session));
                return;
            }
            if (!ShouldProcess($"{session}: {text}", $"Change the option bytes of {session}? {text}", "Set-Stm32OptionByte"))
                return;
            if (plan.SetsLevel2 && !ConfirmLevel2(session))
                return;

            var result = connection.WriteOptionBytes(plan, CancelToken);
            foreach (var w in result.Warnings) WriteWarning($"{session}: {w}");
            if (result.ChipSilent)
            {
                WriteWarning($"{session}: read protection level 2 was written. The bootloader no longer answers, for good; the session is closed.");
                session.Close();
            }
            else
            {
                session.NoteWriteProtectedPages(result.After?.WriteProtectedPages);
                WriteVerbose(result.After != null
                    ? $"{session}: read back after the reset:{Environment.NewLine}{result.After.Describe()}"
                    : $"{session}: written; the chip is read-protected now, so the other fields cannot be read back.");
            }
            if (PassThru) WriteObject(new Stm32OptionByteWriteResult(session, result));
        }

        #endregion

        /// <summary>
        /// The second, explicit confirmation for level 2 (after ShouldProcess). Its default is No:
        /// the user must type the chip's product ID; an empty answer or anything else declines.
        /// Scripts give the same answer up front with -Level2ProductId. A host that cannot ask refuses.
        /// </summary>
        private bool ConfirmLevel2(Stm32Session session)
        {
            var expected = $"0x{session.ProductId:X3}";
            if (Level2ProductId.HasValue)
            {
                if (Level2ProductId.Value != session.ProductId)
                {
                    WriteError(Error($"{session}: -Level2ProductId 0x{Level2ProductId.Value:X3} does not match the connected chip ({expected}, {session.DeviceName}). Nothing was written.",
                        ErrorIds.ReadProtectionLevel2Refused, ErrorCategory.PermissionDenied, session));
                    return false;
                }
                WriteWarning($"{session}: setting read protection level 2 (permanent) on {expected}, confirmed by -Level2ProductId.");
                return true;
            }
            var caption = $"Set read protection level 2 on {session}";
            var message = "Read protection level 2 is PERMANENT: the bootloader and the debug port are switched off for good, the chip can never be read, erased or reprogrammed again, and no tool can undo it."
                + $" To go ahead, type the chip's product ID, {expected}. Anything else, or Enter alone, cancels.";
            var field = $"Product ID ({expected} to set level 2)";
            string? typed;
            try
            {
                var answers = Host.UI.Prompt(caption, message, new Collection<FieldDescription> { new FieldDescription(field) });
                typed = answers != null && answers.TryGetValue(field, out var value) ? value?.BaseObject?.ToString() : null;
            }
            catch (Exception e) when (e is PSInvalidOperationException || e is HostException || e is NotImplementedException || e is NotSupportedException)
            {
                WriteError(Error($"{session}: read protection level 2 needs a typed confirmation and this host cannot ask ({e.Message}). Nothing was written. Scripts that really mean it pass -Force -Confirm:$false -Level2ProductId {expected}.",
                    ErrorIds.ReadProtectionLevel2Refused, ErrorCategory.PermissionDenied, session));
                return false;
            }
            if (typed != null && string.Equals(typed.Trim(), expected, StringComparison.OrdinalIgnoreCase)) return true;
            WriteWarning($"{session}: level 2 not confirmed (the answer was not {expected}); nothing was written.");
            return false;
        }

        private OptionByteChange BuildChange()
        {
            if (ParameterSetName == RawSet) return new OptionByteChange { Raw = Raw };
            return new OptionByteChange
            {
                ReadProtection = ReadProtection,
                RdpByte = RdpByte,
                SoftwareWatchdog = SoftwareWatchdog,
                NRstStop = NRstStop,
                NRstStdby = NRstStdby,
                NBoot0 = NBoot0,
                NBoot1 = NBoot1,
                NSwBoot0 = NSwBoot0,
                NBootSel = NBootSel,
                BorLevel = BorLevel,
                Data0 = Data0,
                Data1 = Data1,
                WriteProtectedSectors = WriteProtectedSector,
            };
        }
    }
}
