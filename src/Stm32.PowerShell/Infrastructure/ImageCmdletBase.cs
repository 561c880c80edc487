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

        /// <summary>Where a raw binary goes; default the device's flash start. Refused for files with addresses of their own.</summary>
        [Parameter(ParameterSetName = PathSet)]
        [Parameter(ParameterSetName = LiteralPathSet)]
        [Alias("BaseAddress")]
        public uint? Address { get; set; }

        #endregion

        private FirmwareImage? _image;

        /// <summary>
        /// The file is read whole and checked (FileNotFound, FileInvalid with the line,
        /// AddressNotApplicable) before anything is sent to the chip: a raw binary's default base is
        /// the catalog's flash start, which needs no answer from the chip.
        /// </summary>
        protected override void CheckBeforeContact(Stm32Session session)
        {
            _image = null;
            if (ParameterSetName != ImageSet)
            {
                var file = FirmwareFiles.ResolveOne(this, ParameterSetName == PathSet ? Path : LiteralPath, ParameterSetName == LiteralPathSet);
                _image = FirmwareFiles.Read(file, Format, Address, session.Device.Flash.Start);
            }
            base.CheckBeforeContact(session);
        }

        /// <summary>The image of this record: the pipeline's, or the file read before the chip was contacted.</summary>
        protected FirmwareImage ReadImage() => ParameterSetName == ImageSet ? Image! : _image!;
    }
}
