using System.Management.Automation;
using Stm32.Protocol.Firmware;

namespace Stm32.PowerShell.Infrastructure
{
    /// <summary>
    /// A flash cmdlet that takes a firmware image: -Path (wildcards), -LiteralPath, or -Image from
    /// the pipeline, with -Format and -Address (for raw binaries). Write- and Test-Stm32Firmware.
    /// </summary>
    public abstract class ImageCmdletBase : FlashCmdletBase
    {
        protected const string PathSet = "Path";
        protected const string LiteralPathSet = "LiteralPath";
        protected const string ImageSet = "Image";

        #region Parameters

        [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet, HelpMessage = "The firmware file (.hex, .srec, .s19, .elf, .bin).")]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        public string Path { get; set; } = "";

        [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, HelpMessage = "The firmware file, taken literally.")]
        [Alias("PSPath", "LP")]
        [ValidateNotNullOrEmpty]
        public string LiteralPath { get; set; } = "";

        [Parameter(Mandatory = true, ParameterSetName = ImageSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true,
            HelpMessage = "A firmware image from Import-Stm32Firmware (or a memory block from Read-Stm32Memory).")]
        [ValidateNotNull]
        public FirmwareImage? Image { get; set; }

        [Parameter(ParameterSetName = PathSet)]
        [Parameter(ParameterSetName = LiteralPathSet)]
        public FirmwareFormat Format { get; set; } = FirmwareFormat.Auto;

        /// <summary>Where a raw binary goes; default the device's flash start.</summary>
        [Parameter(ParameterSetName = PathSet)]
        [Parameter(ParameterSetName = LiteralPathSet)]
        [Alias("BaseAddress")]
        public uint? Address { get; set; }

        #endregion

        /// <summary>The image of this record: the pipeline's, or the file read whole (FileInvalid names the line).</summary>
        protected FirmwareImage ReadImage(Stm32Session session)
        {
            if (ParameterSetName == ImageSet) return Image!;
            var file = FirmwareFiles.ResolveOne(this, ParameterSetName == PathSet ? Path : LiteralPath, ParameterSetName == LiteralPathSet);
            return FirmwareFiles.Read(file, Format, Address ?? session.Connection.Flash.Start);
        }
    }
}
