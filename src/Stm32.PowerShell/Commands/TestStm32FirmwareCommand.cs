using System.Management.Automation;
using Stm32.PowerShell.Infrastructure;
using Stm32.Protocol.Firmware;
using Stm32.Protocol.Programming;

namespace Stm32.PowerShell.Commands
{
    /// <summary>
    /// Compares the chip with a firmware image by reading it back; never writes. Returns a
    /// Stm32CompareResult, or $true/$false with -Quiet.
    /// </summary>
    [Cmdlet(VerbsDiagnostic.Test, "Stm32Firmware", DefaultParameterSetName = PathSet)]
    [OutputType(typeof(Stm32CompareResult))]
    [OutputType(typeof(bool))]
    public sealed class TestStm32FirmwareCommand : ImageCmdletBase
    {
        #region Parameters

        [Parameter]
        public SwitchParameter Quiet { get; set; }

        #endregion

        protected override void ProcessFlash(Stm32Session session)
        {
            var image = ReadImage();
            ImageValidator.Check(image, session.Device, session.Connection.FlashSizeFromChip);
            CompareOutcome outcome;
            using (var progress = StartProgress("Comparing"))
            {
                outcome = FlashProgrammer.Compare(session.Connection, image, progress.Progress, CancelToken);
            }
            var result = new Stm32CompareResult(session, image, outcome);
            WriteVerbose(result.Matches ? $"The chip holds the image ({image.DataBytes} bytes)." : $"The chip {result}.");
            if (Quiet) WriteObject(result.Matches);
            else WriteObject(result);
        }
    }
}
