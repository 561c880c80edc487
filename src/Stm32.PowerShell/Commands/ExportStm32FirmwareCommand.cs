using System.Management.Automation;
using Stm32.PowerShell.Infrastructure;
using Stm32.Protocol.Firmware;

namespace Stm32.PowerShell.Commands
{
    /// <summary>
    /// Writes a FirmwareImage to an Intel HEX, S-record or raw binary file. Follows Out-File: an
    /// existing file is replaced (ShouldProcess asks first under -Confirm), -NoClobber refuses to,
    /// -Force also replaces a read-only file; the file is checked before the first image arrives.
    /// </summary>
    [Cmdlet(VerbsData.Export, "Stm32Firmware", DefaultParameterSetName = PathSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(System.IO.FileInfo))]
    public sealed class ExportStm32FirmwareCommand : Stm32CmdletBase
    {
        private const string PathSet = "Path";
        private const string LiteralPathSet = "LiteralPath";

        #region Parameters

        [Parameter(Mandatory = true, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true,
            HelpMessage = "The image to write (from Import-Stm32Firmware or Read-Stm32Memory).")]
        [Alias("InputObject")]
        [ValidateNotNull]
        public FirmwareImage? Image { get; set; }

        [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet, HelpMessage = "The file to write (.hex, .srec, .s19, .bin).")]
        [ValidateNotNullOrEmpty]
        public string Path { get; set; } = "";

        [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, HelpMessage = "The file to write, taken literally.")]
        [Alias("PSPath", "LP")]
        [ValidateNotNullOrEmpty]
        public string LiteralPath { get; set; } = "";

        /// <summary>IntelHex, SRecord or Binary; default from the extension.</summary>
        [Parameter]
        [ValidateSet("Auto", "IntelHex", "SRecord", "Binary")]
        public FirmwareFormat Format { get; set; } = FirmwareFormat.Auto;

        [Parameter]
        public SwitchParameter Force { get; set; }

        [Parameter]
        [Alias("NoOverwrite")]
        public SwitchParameter NoClobber { get; set; }

        [Parameter]
        public SwitchParameter PassThru { get; set; }

        #endregion

        private string? _file;

        /// <summary>The file is checked before the first image arrives: in Read-Stm32Memory | Export-Stm32Firmware
        /// a file that cannot be written stops the pipeline before the chip is read.</summary>
        protected override void BeginProcessing()
        {
            _file = CheckOutputFile(ParameterSetName == LiteralPathSet ? LiteralPath : Path, Format, Force, NoClobber);
        }

        protected override void ProcessRecord()
        {
            var path = ParameterSetName == LiteralPathSet ? LiteralPath : Path;
            TryRun(() =>
            {
                // The output path may not exist yet: resolved without requiring it (wildcards are not expanded).
                var file = _file!;
                if (!ShouldProcess(file, $"Write {Image} as {(Format == FirmwareFormat.Auto ? "the extension's format" : Format.ToString())}")) return;
                var info = FirmwareFiles.Write(Image!, file, Format, Force, NoClobber);
                WriteVerbose($"Wrote {info.FullName} ({info.Length} bytes).");
                if (PassThru) WriteObject(FirmwareFiles.ProviderItem(this, info));
            }, path);
        }
    }
}
