using System.Globalization;
using System.Linq;
using System.Management.Automation;
using Stm32.PowerShell.Infrastructure;
using Stm32.Protocol.Devices;
using Stm32.Protocol.Programming;

namespace Stm32.PowerShell.Commands
{
    /// <summary>
    /// Lifts read protection (-ReadOut: Readout Unprotect 0x92, which MASS-ERASES the flash) or
    /// all write protection (-Write: Write Unprotect 0x73, the flash contents stay). The chip
    /// resets; the session resynchronises by itself and is usable again.
    /// </summary>
    [Cmdlet(VerbsSecurity.Unprotect, "Stm32Flash", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
    [OutputType(typeof(Stm32DeviceInfo))]
    public sealed class UnprotectStm32FlashCommand : Stm32SessionCmdletBase
    {
        private const string ReadOutSet = "ReadOut";
        private const string WriteSet = "Write";

        #region Parameters

        /// <summary>Lift read protection. The chip erases its whole flash doing it.</summary>
        [Parameter(Mandatory = true, ParameterSetName = ReadOutSet)]
        public SwitchParameter ReadOut { get; set; }

        /// <summary>Remove all write protection.</summary>
        [Parameter(Mandatory = true, ParameterSetName = WriteSet)]
        public SwitchParameter Write { get; set; }

        [Parameter]
        public SwitchParameter PassThru { get; set; }

        #endregion

        #region Overrides

        protected override void ProcessSession(Stm32Session session)
        {
            var connection = session.Connection;
            if (ParameterSetName == ReadOutSet)
            {
                ProtectStm32FlashCommand.RequireReadProtectionCheck(session);
                var bytes = connection.FlashSizeFromChip ?? connection.Flash.Length;
                var size = bytes == 0 ? "size not in the catalog" : Stm32DeviceInfo.Size(bytes);
                var state = connection.KnownReadProtection switch
                {
                    true => "read-protected",
                    false => "NOT read-protected (the erase happens all the same)",
                    null => "of unknown read protection (the catalog maps no flash for it)",
                };
                if (!ShouldProcess($"{session}: Readout Unprotect. This ERASES THE WHOLE FLASH ({size}) and clears RAM, then lifts read protection. The chip is {state}.",
                    $"Lift read protection of {session}? This ERASES THE WHOLE FLASH ({size}): the firmware on the chip is gone. The chip is {state}.",
                    "Unprotect-Stm32Flash -ReadOut"))
                    return;
                var expected = ProtectionOperations.EstimatedMassErase(connection.Device, bytes);
                var record = new ProgressRecord(ActivityId, $"Lifting read protection of {session}", "Sending Readout Unprotect");
                var progress = new SyncProgress(p =>
                {
                    record.PercentComplete = p.Percent;
                    record.StatusDescription = p.Detail ?? "mass erase";
                    WriteProgress(record);
                });
                try
                {
                    WriteVerbose(string.Format(CultureInfo.InvariantCulture,
                        "{0}: Readout Unprotect; the chip mass-erases {1} (about {2:0.#} s), then resets.", session, size, expected.TotalSeconds));
                    connection.RemoveReadoutProtection(progress, CancelToken);
                }
                finally
                {
                    record.RecordType = ProgressRecordType.Completed;
                    try
                    {
                        if (!IsStopping) WriteProgress(record);
                    }
                    catch (PipelineStoppedException)
                    {
                    }
                }
                WriteVerbose($"{session}: read protection lifted and flash erased; the session resynchronised and is usable.");
                try
                {
                    var pages = connection.GetWriteProtectedPages(CancelToken);
                    session.NoteWriteProtectedPages(pages);
                    if (pages != null && pages.Count > 0)
                        WriteWarning($"{session}: write protection stays on {OptionByteSet.Counted(connection.Device.Layout?.UnitName ?? "page", pages)}; Unprotect-Stm32Flash -Write removes it.");
                }
                catch (OptionBytesNotSupportedException)
                {
                }
            }
            else
            {
                if (!ShouldProcess($"{session}: Write Unprotect: remove all write protection (the flash contents stay). The chip resets.",
                    $"Remove all write protection of {session}? The flash contents stay; the chip resets.", "Unprotect-Stm32Flash -Write"))
                    return;
                var before = connection.RemoveWriteProtection(CancelToken);
                session.NoteWriteProtectedPages(before == null ? null : new int[0]);
                WriteVerbose(before == null
                    ? $"{session}: Write Unprotect sent; the chip reset and the session resynchronised."
                    : $"{session}: write protection removed (was: {(before.Count == 0 ? "none" : OptionByteSet.Counted(connection.Device.Layout?.UnitName ?? "page", before))}).");
            }
            if (PassThru) WriteObject(Stm32DeviceInfo.Read(session, CancelToken, WriteWarning));
        }

        #endregion
    }
}
