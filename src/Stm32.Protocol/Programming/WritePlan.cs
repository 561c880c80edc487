using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using Stm32.Protocol.Devices;
using Stm32.Protocol.Firmware;

namespace Stm32.Protocol.Programming
{
    /// <summary>
    /// What a write will do, worked out once before anything on the chip changes
    /// (<see cref="FlashProgrammer.Plan"/>): the pages or sectors to erase and whether by one
    /// whole-flash erase, what that erase clears beyond the image (<see cref="Collateral"/>), the
    /// blocks to write and how the result is verified. <see cref="Describe"/> is what -WhatIf shows;
    /// <see cref="FlashProgrammer.Write(WritePlan, IProgress{OperationProgress}, System.Threading.CancellationToken)"/>
    /// carries out exactly this plan.
    /// </summary>
    public sealed class WritePlan
    {
        internal WritePlan(Stm32Connection connection, FirmwareImage image, WriteOptions options, FlashLayout layout, MemoryRange flash,
            IReadOnlyList<FlashPage> pages, bool wholeFlash, IReadOnlyList<FlashBlock> flashBlocks, IReadOnlyList<FlashBlock> ramBlocks,
            IReadOnlyList<MemoryRange> blankCheck, VerifyMethod verifyMethod, IReadOnlyList<CollateralRange> collateral)
        {
            Connection = connection;
            Image = image;
            Options = options;
            Device = connection.Device;
            Layout = layout;
            Flash = flash;
            PagesToErase = pages;
            WholeFlash = wholeFlash;
            FlashBlocks = flashBlocks;
            RamBlocks = ramBlocks;
            ToWrite = flashBlocks.Where(b => !b.AllErased).Concat(ramBlocks).ToList();
            BlankCheck = blankCheck;
            VerifyMethod = verifyMethod;
            Collateral = collateral;
        }

        internal Stm32Connection Connection { get; }

        internal FlashLayout Layout { get; }

        internal IReadOnlyList<FlashBlock> FlashBlocks { get; }

        internal IReadOnlyList<FlashBlock> RamBlocks { get; }

        /// <summary>The blocks sent: flash blocks that are not all 0xFF, and the RAM blocks.</summary>
        internal IReadOnlyList<FlashBlock> ToWrite { get; }

        /// <summary>What is erased and not written: with Verify, it must read blank afterwards.</summary>
        internal IReadOnlyList<MemoryRange> BlankCheck { get; }

        public FirmwareImage Image { get; }

        /// <summary>The options the plan was made with (a copy).</summary>
        public WriteOptions Options { get; }

        public DeviceInfo Device { get; }

        /// <summary>The flash as the chip reports it (its real size where it says).</summary>
        public MemoryRange Flash { get; }

        public EraseMode Erase => Options.Erase;

        /// <summary>"page" or "sector".</summary>
        public string UnitName => Layout.UnitName;

        /// <summary>The pages (sectors) the write erases, in order; every page for a whole-flash erase.</summary>
        public IReadOnlyList<FlashPage> PagesToErase { get; }

        /// <summary>
        /// True when the whole flash goes in one erase: -EraseAll, or an image that touches every
        /// page. It is a mass erase where the part has one (bank by bank where the chip wants
        /// that); page by page where the part has none, or (decided while running) where the
        /// bootloader refuses the mass-erase code.
        /// </summary>
        public bool WholeFlash { get; }

        /// <summary>True for a whole-flash erase on a part that has no mass erase (L0/L1): page by page from the start.</summary>
        public bool PageByPage => WholeFlash && (Device.Flags & DeviceFlags.NoMassErase) != 0;

        /// <summary>What the erase clears that the image does not cover, in address order, each with what it holds.</summary>
        public IReadOnlyList<CollateralRange> Collateral { get; }

        /// <summary>Collateral that holds data, or may (not checked): the erase loses what is there.</summary>
        public IReadOnlyList<CollateralRange> CollateralAtRisk => Collateral.Where(c => c.State != CollateralState.Blank).ToList();

        /// <summary>Write Memory commands to send (256-byte blocks, padded with 0xFF).</summary>
        public int BlocksToWrite => ToWrite.Count;

        public long BytesToWrite => ToWrite.Sum(b => (long)b.Data.Length);

        /// <summary>Flash blocks that are all 0xFF and are not sent (programming 0xFF changes no bit).</summary>
        public int BlocksSkipped => FlashBlocks.Count(b => b.AllErased);

        /// <summary>How the write is verified (None without Verify; a chip reset during the write forces a read-back verify).</summary>
        public VerifyMethod VerifyMethod { get; }

        /// <summary>Verify also checks that what is erased and not written reads blank.</summary>
        public bool ChecksBlank => BlankCheck.Count > 0;

        /// <summary>
        /// The plan in one paragraph: the image, the erase (and whole-flash choice), the blocks, the
        /// verify, and what the erase clears beyond the image with what it holds. -WhatIf shows this
        /// text and -Verbose repeats it before the write.
        /// </summary>
        public string Describe()
        {
            var sb = new StringBuilder();
            var source = Image.SourcePath != null ? System.IO.Path.GetFileName(Image.SourcePath) : "the image";
            sb.AppendFormat(CultureInfo.InvariantCulture, "Write {0} ({1} bytes at {2}): ", source, Image.DataBytes,
                new MemoryRange(Image.LowestAddress, Image.HighestAddress));
            sb.Append(DescribeErase());
            sb.AppendFormat(CultureInfo.InvariantCulture, "; write {0} {1} of 256 bytes", BlocksToWrite, BlocksToWrite == 1 ? "block" : "blocks");
            if (BlocksSkipped > 0)
                sb.AppendFormat(CultureInfo.InvariantCulture, " ({0} all-0xFF {1} skipped)", BlocksSkipped, BlocksSkipped == 1 ? "block" : "blocks");
            sb.Append(VerifyMethod == VerifyMethod.Checksum ? "; verify by Get Checksum"
                : VerifyMethod == VerifyMethod.ReadBack ? "; verify by reading back" : "; no verify");
            if (ChecksBlank) sb.Append(", and check that what is erased and not written reads blank");
            sb.Append('.');
            if (Collateral.Count > 0)
            {
                sb.Append(" Beyond the image the erase clears ");
                sb.Append(string.Join("; ", Collateral.Select(c => c.Describe())));
                sb.Append('.');
            }
            return sb.ToString();
        }

        private string DescribeErase()
        {
            var unit = UnitName;
            if (Erase == EraseMode.None) return "no erase (the flash must already be erased where the image goes)";
            if (PagesToErase.Count == 0) return "nothing to erase (no data in flash)";
            if (!WholeFlash)
                return string.Format(CultureInfo.InvariantCulture, "erase {0} ({1})",
                    OptionByteSet.Counted(unit, PagesToErase.Select(p => p.Index)),
                    string.Join(", ", AddressRanges.Merge(PagesToErase)));
            var why = Erase == EraseMode.All
                ? string.Format(CultureInfo.InvariantCulture, "{0} {1}s", PagesToErase.Count, unit)
                : string.Format(CultureInfo.InvariantCulture, "the image touches all {0} {1}s", PagesToErase.Count, unit);
            return "erase the whole flash (" + why + ")" + ErasePlan.HowWhole(Device, unit);
        }

        public override string ToString() => Describe();
    }
}
