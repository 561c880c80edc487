using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using Stm32.PowerShell.Infrastructure;
using Stm32.Protocol.Bootloader;
using Stm32.Protocol.Devices;
using Stm32.Protocol.Firmware;
using Stm32.Protocol.Programming;

namespace Stm32.PowerShell.Commands
{
    /// <summary>
    /// Writes a firmware image to the chip: reads and checks the whole image first, erases the
    /// pages it touches (or all with -EraseAll, none with -NoErase), writes 256-byte blocks,
    /// verifies with -Verify and starts it with -Go. ConfirmImpact Medium: writing firmware is what
    /// the user asked for and erases only what the image needs; -WhatIf and -Confirm work.
    /// </summary>
    [Cmdlet(VerbsCommunications.Write, "Stm32Firmware", DefaultParameterSetName = PathSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(Stm32WriteResult))]
    public sealed class WriteStm32FirmwareCommand : ImageCmdletBase
    {
        #region Parameters

        [Parameter]
        public SwitchParameter EraseAll { get; set; }

        [Parameter]
        public SwitchParameter NoErase { get; set; }

        [Parameter]
        public SwitchParameter Verify { get; set; }

        [Parameter]
        public SwitchParameter Go { get; set; }

        #endregion

        protected override bool ChangesFlash => true;

        protected override void BeginProcessing()
        {
            if (EraseAll && NoErase)
                ThrowTerminatingError(Error("-EraseAll and -NoErase contradict each other; give one of them.",
                    ErrorIds.InvalidArgument, ErrorCategory.InvalidArgument, null));
        }

        protected override void ProcessFlash(Stm32Session session)
        {
            var layout = LayoutOf(session);
            var flash = session.Connection.Flash;

            // 1. The whole image, read and checked, before the chip is touched.
            var image = ReadImage();
            if (image.IsEmpty)
                throw new ModuleException(ErrorIds.EmptyImage, ErrorCategory.InvalidData,
                    $"The image{(image.SourcePath != null ? " " + image.SourcePath : "")} holds no data; nothing to write.");
            FlashProgrammer.CheckFits(session.Connection, image);

            // 2. What will be erased, said before it happens (also under -WhatIf).
            var mode = EraseAll ? EraseMode.All : NoErase ? EraseMode.None : EraseMode.Touched;
            var inFlash = image.Segments.Where(s => flash.Overlaps(s.Address, (uint)s.Length))
                .Select(s => new MemoryRange(Math.Max(s.Address, flash.Start), Math.Min(s.End, flash.End))).ToList();
            var pages = layout.PagesTouching(inFlash);
            string eraseText;
            if (mode == EraseMode.All) eraseText = "erasing the whole flash first";
            else if (mode == EraseMode.None) eraseText = "without erasing";
            else
            {
                eraseText = "erasing " + DescribePages(pages.Select(p => p.Index).ToList(), layout.UnitName);
                WarnCollateral(pages, image, layout.UnitName);
            }
            var source = image.SourcePath != null ? System.IO.Path.GetFileName(image.SourcePath) : "the image";
            var action = string.Format(CultureInfo.InvariantCulture, "Write {0} ({1} bytes at {2}-{3}), {4}{5}{6}",
                source, image.DataBytes, Hex(image.LowestAddress), Hex(image.HighestAddress - 1), eraseText,
                Verify ? ", then verify" : "", Go ? ", then start it" : "");
            if (!ShouldProcess($"{session.DeviceName} (session {session.Id}, {session.Port})", action)) return;

            // 3. Erase, write, verify.
            WriteOutcome outcome;
            using (var progress = StartProgress("Writing"))
            {
                try
                {
                    outcome = FlashProgrammer.Write(session.Connection, image, new WriteOptions { Erase = mode, Verify = Verify }, progress.Progress, CancelToken);
                }
                catch (Stm32VerifyException e)
                {
                    // A write-protected page ACKs but does not program (spec 4.6): name it.
                    throw session.Connection.ExplainVerifyFailure(e, CancelToken);
                }
            }
            WriteVerbose(string.Format(CultureInfo.InvariantCulture,
                "Wrote {0} bytes in {1} blocks ({2} all-0xFF blocks skipped), erased {3}{4}, in {5:0.00} s; {6} bytes sent.",
                outcome.BytesWritten, outcome.BlocksWritten, outcome.BlocksSkipped, DescribePages(outcome.PagesErased, layout.UnitName),
                outcome.MassErased ? " by mass erase" : "", outcome.Duration.TotalSeconds, outcome.BytesSent));
            if (outcome.Verified) WriteVerbose($"Verified by {outcome.VerifyMethod}{(outcome.BlankChecked ? "; what was erased and not written reads blank" : "")}.");

            // 4. Start it.
            bool started = false;
            if (Go)
            {
                session.Connection.Go(flash.Start, CancelToken);
                started = true;
                WriteVerbose($"Started the program at {Hex(flash.Start)}; the bootloader no longer listens.");
            }
            WriteObject(new Stm32WriteResult(session, image, outcome, layout.UnitName, started));
        }

        /// <summary>
        /// Warns about the parts of the pages to erase that the image does not cover (data there is
        /// lost). The unused tail of the page holding the image's last byte is erased by every
        /// flashing tool and only goes to the verbose stream.
        /// </summary>
        private void WarnCollateral(IReadOnlyList<FlashPage> pages, FirmwareImage image, string unit)
        {
            var gaps = new List<MemoryRange>();
            foreach (var p in pages)
            {
                uint a = p.Start;
                foreach (var s in image.Segments)
                {
                    if (s.End <= a || s.Address >= p.End) continue;
                    if (s.Address > a) gaps.Add(new MemoryRange(a, s.Address));
                    a = Math.Max(a, Math.Min(s.End, p.End));
                }
                if (a < p.End) gaps.Add(new MemoryRange(a, p.End));
            }
            var end = image.HighestAddress;
            var tail = gaps.Where(g => g.Start == end).ToList();
            var others = gaps.Where(g => g.Start != end).ToList();
            if (tail.Count > 0)
                WriteVerbose($"Erasing also clears {DescribeRanges(tail)} after the image's last byte, in the same {unit}.");
            if (others.Count > 0)
                WriteWarning($"The {unit}s to erase hold more than the image: {DescribeRanges(others)} will be erased too and not rewritten. "
                    + "Back that data up first (Read-Stm32Memory -OutFile) if it matters.");
        }
    }
}
