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
    public sealed class TestStm32FirmwareCommand : FlashCmdletBase
    {
        private const string PathSet = "Path";
        private const string LiteralPathSet = "LiteralPath";
        private const string ImageSet = "Image";

        #region Parameters

        [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet, HelpMessage = "The firmware file to compare the chip with.")]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        public string Path { get; set; } = "";

        [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, HelpMessage = "The firmware file, taken literally.")]
        [Alias("PSPath", "LP")]
        [ValidateNotNullOrEmpty]
        public string LiteralPath { get; set; } = "";

        [Parameter(Mandatory = true, ParameterSetName = ImageSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true,
            HelpMessage = "A firmware image from Import-Stm32Firmware.")]
        [ValidateNotNull]
        public FirmwareImage? Image { get; set; }

        [Parameter(ParameterSetName = PathSet)]
        [Parameter(ParameterSetName = LiteralPathSet)]
        public FirmwareFormat Format { get; set; } = FirmwareFormat.Auto;

        [Parameter(ParameterSetName = PathSet)]
        [Parameter(ParameterSetName = LiteralPathSet)]
        [Alias("BaseAddress")]
        public uint? Address { get; set; }

        [Parameter]
        public SwitchParameter Quiet { get; set; }

        #endregion

        protected override void ProcessFlash(Stm32Session session)
        {
            FirmwareImage image;
            if (ParameterSetName == ImageSet) image = Image!;
            else
            {
                var file = FirmwareFiles.ResolveOne(this, ParameterSetName == PathSet ? Path : LiteralPath, ParameterSetName == LiteralPathSet);
                image = FirmwareFiles.Read(file, Format, Address ?? session.Connection.Flash.Start);
            }
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
