using System;
using System.Globalization;
using System.IO;
using System.Management.Automation;
using Stm32.PowerShell.Infrastructure;
using Stm32.Protocol.Firmware;

namespace Stm32.PowerShell.Commands
{
    /// <summary>
    /// Reads memory: -Address and -Length, or the whole flash when neither is given. Returns one
    /// Stm32MemoryBlock, or with -OutFile writes a .hex/.srec/.bin file (by extension) and returns
    /// its FileInfo with Session, Address and BytesRead added, so the pipeline goes on. Reading
    /// changes nothing on the chip; writing the file follows Out-File (-NoClobber, -Force).
    /// </summary>
    [Cmdlet(VerbsCommunications.Read, "Stm32Memory", DefaultParameterSetName = FlashSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(Stm32MemoryBlock))]
    [OutputType(typeof(FileInfo))]
    public sealed class ReadStm32MemoryCommand : FlashCmdletBase
    {
        private const string FlashSet = "Flash";
        private const string RangeSet = "Range";

        #region Parameters

        [Parameter(Mandatory = true, Position = 0, ParameterSetName = RangeSet, HelpMessage = "The first address to read, e.g. 0x08000000.")]
        public uint Address { get; set; }

        [Parameter(Mandatory = true, Position = 1, ParameterSetName = RangeSet, HelpMessage = "How many bytes to read.")]
        [ValidateRange(1, int.MaxValue)]
        [Alias("Count")]
        public int Length { get; set; }

        /// <summary>Write the bytes to a file instead: .hex, .srec/.s19 or .bin by extension.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? OutFile { get; set; }

        /// <summary>The file format for -OutFile; default from its extension.</summary>
        [Parameter]
        [ValidateSet("Auto", "IntelHex", "SRecord", "Binary")]
        public FirmwareFormat Format { get; set; } = FirmwareFormat.Auto;

        [Parameter]
        public SwitchParameter Force { get; set; }

        [Parameter]
        [Alias("NoOverwrite")]
        public SwitchParameter NoClobber { get; set; }

        #endregion

        private string? _file;

        /// <summary>-OutFile is checked before any session is touched (a terminating error stops the pipeline).</summary>
        protected override void BeginProcessing()
        {
            if (OutFile != null) _file = CheckOutputFile(OutFile, Format, Force, NoClobber);
        }

        protected override void ProcessFlash(Stm32Session session)
        {
            uint address;
            int length;
            if (ParameterSetName == RangeSet)
            {
                address = Address;
                length = Length;
                if ((ulong)address + (ulong)length > 0x1_0000_0000UL)
                    throw new ModuleException(ErrorIds.AddressOutOfRange, ErrorCategory.InvalidArgument,
                        $"{length} bytes from {Hex(address)} run past 0xFFFFFFFF.");
                CheckReadRange(session, address, length);
            }
            else
            {
                var flash = session.Connection.Flash;
                if (flash.IsEmpty)
                    throw new ModuleException(ErrorIds.DeviceLayoutUnknown, ErrorCategory.InvalidOperation,
                        $"The catalog does not know where the flash of {session.Device} is; give -Address and -Length.");
                address = flash.Start;
                length = checked((int)flash.Length);
            }

            var file = _file;
            if (file != null)
            {
                if (!ShouldProcess(file, string.Format(CultureInfo.InvariantCulture, "Write {0} bytes read from {1} of {2}", length, Hex(address), session.DeviceName))) return;
                // Again before each read: an earlier record of this pipeline may have written the file.
                FirmwareFiles.CheckWritable(file, Format, Force, NoClobber);
            }

            byte[] bytes;
            using (var progress = StartProgress("Reading"))
            {
                bytes = session.Connection.Read(address, length, progress.Progress, CancelToken);
            }
            var block = new Stm32MemoryBlock(session, address, bytes);
            if (file == null)
            {
                WriteObject(block);
                return;
            }
            var info = FirmwareFiles.Write(block.Image, file, Format, Force, NoClobber);
            WriteVerbose($"Wrote {length} bytes from {Hex(address)} to {info.FullName}.");
            var result = FirmwareFiles.ProviderItem(this, info);
            result.Properties.Add(new PSNoteProperty("Session", session));
            result.Properties.Add(new PSNoteProperty("Address", address));
            result.Properties.Add(new PSNoteProperty("BytesRead", length));
            WriteObject(result);
        }

        /// <summary>More than any STM32 memory: a read this long outside the known regions is a mistake.</summary>
        private const int MaxUnknownRead = 16 * 1024 * 1024;

        /// <summary>
        /// Bad input refused before anything is read or allocated (issue 8): nothing the bootloader
        /// reads lies at 0x40000000 or above; a read that starts in the flash, RAM, system memory or
        /// option bytes must end inside it. Elsewhere (OTP, IDs, EEPROM, reserved RAM) the chip decides.
        /// </summary>
        private static void CheckReadRange(Stm32Session session, uint address, int length)
        {
            ulong end = (ulong)address + (ulong)length;
            if (address >= 0x4000_0000)
                throw new ModuleException(ErrorIds.AddressOutOfRange, ErrorCategory.InvalidArgument, string.Format(CultureInfo.InvariantCulture,
                    "{0} is not memory the bootloader reads: flash, RAM, system memory and option bytes lie below 0x40000000 (peripherals and external memory cannot be read).{1}",
                    Hex(address), MapOf(session)));
            var device = session.Connection.Device;
            var regions = new[]
            {
                (Range: session.Connection.Flash, Name: "flash"), (Range: device.Ram, Name: "RAM"),
                (Range: device.SystemMemory, Name: "system memory"), (Range: device.OptionBytes, Name: "option bytes"),
            };
            foreach (var (range, name) in regions)
            {
                if (!range.Contains(address)) continue;
                if (end > range.End)
                    throw new ModuleException(ErrorIds.AddressOutOfRange, ErrorCategory.InvalidArgument, string.Format(CultureInfo.InvariantCulture,
                        "{0} bytes from {1} run past the end of the {2} ({3}) of {4}; at most {5} bytes can be read from there.",
                        length, Hex(address), name, range, session.DeviceName, range.End - address));
                return;
            }
            if (length > MaxUnknownRead)
                throw new ModuleException(ErrorIds.AddressOutOfRange, ErrorCategory.InvalidArgument, string.Format(CultureInfo.InvariantCulture,
                    "{0} bytes from {1}: no STM32 memory is that long.{2}", length, Hex(address), MapOf(session)));
        }

        private static string MapOf(Stm32Session session)
        {
            var d = session.Connection.Device;
            return d.IsGeneric || session.Connection.Flash.IsEmpty ? ""
                : string.Format(CultureInfo.InvariantCulture, " {0}: flash {1}, RAM {2}, system memory {3}.", session.DeviceName, session.Connection.Flash, d.Ram, d.SystemMemory);
        }
    }
}
