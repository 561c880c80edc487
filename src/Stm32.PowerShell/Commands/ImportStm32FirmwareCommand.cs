using System.Management.Automation;
using Stm32.PowerShell.Infrastructure;
using Stm32.Protocol.Firmware;

namespace Stm32.PowerShell.Commands
{
    /// <summary>
    /// Reads firmware files (Intel HEX, S-record, ELF, raw binary) into FirmwareImage objects.
    /// Touches no chip, so it needs no session.
    /// </summary>
    [Cmdlet(VerbsData.Import, "Stm32Firmware", DefaultParameterSetName = PathSet)]
    [OutputType(typeof(FirmwareImage))]
    public sealed class ImportStm32FirmwareCommand : Stm32CmdletBase
    {
        private const string PathSet = "Path";
        private const string LiteralPathSet = "LiteralPath";

        /// <summary>The flash start of nearly every STM32: the base of a raw binary when -Address is not given.</summary>
        public const uint DefaultBinaryAddress = 0x08000000;

        #region Parameters

        [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet, ValueFromPipeline = true,
            HelpMessage = "The firmware file (.hex, .srec, .s19, .elf, .bin); wildcards allowed.")]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        public string[] Path { get; set; } = System.Array.Empty<string>();

        [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true,
            HelpMessage = "The firmware file, taken literally (no wildcards).")]
        [Alias("PSPath", "LP")]
        [ValidateNotNullOrEmpty]
        public string[] LiteralPath { get; set; } = System.Array.Empty<string>();

        [Parameter]
        public FirmwareFormat Format { get; set; } = FirmwareFormat.Auto;

        /// <summary>Where a raw binary starts; default 0x08000000. Refused for files with addresses of their own.</summary>
        [Parameter]
        [Alias("BaseAddress")]
        public uint? Address { get; set; }

        #endregion

        protected override void ProcessRecord()
        {
            bool literal = ParameterSetName == LiteralPathSet;
            foreach (var path in literal ? LiteralPath : Path)
            {
                TryRun(() =>
                {
                    foreach (var file in FirmwareFiles.Resolve(this, path, literal))
                    {
                        var image = FirmwareFiles.Read(file, Format, Address, DefaultBinaryAddress);
                        WriteVerbose($"{file}: {image}");
                        WriteObject(image);
                    }
                }, path);
            }
        }
    }
}
