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
    /// Writes a firmware image to the chip: reads and checks the whole image first, makes one plan
    /// (<see cref="FlashProgrammer.Plan"/>: the pages it touches, or all with -EraseAll, none with
    /// -NoErase; what that erase clears beyond the image and whether it holds data; the blocks; the
    /// verify), shows it for -WhatIf and -Confirm, warns from it, and carries it out: erases,
    /// writes 256-byte blocks, verifies with -Verify and starts it with -Go. ConfirmImpact Medium:
    /// writing firmware is what the user asked for and erases only what the image needs.
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

        /// <summary>
        /// Reads every byte the erase would clear beyond the image, however many, to say whether it
        /// holds data. Without it the plan checks what is cheap: Get Checksum where the chip has a
        /// believable one, small ranges by reading, and at most 4 KiB read in all.
        /// </summary>
        [Parameter]
        public SwitchParameter CheckCollateral { get; set; }

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

            // 2. The plan, made once (it only reads from the chip): -WhatIf shows it, the warnings
            //    come from it, and the write carries it out.
            var options = new WriteOptions
            {
                Erase = EraseAll ? EraseMode.All : NoErase ? EraseMode.None : EraseMode.Touched,
                Verify = Verify,
                CheckCollateral = CheckCollateral ? CollateralCheck.Read : CollateralCheck.Cheap,
            };
            WritePlan plan;
            if (CheckCollateral)
            {
                using (var progress = StartProgress("Checking what the erase clears"))
                    plan = FlashProgrammer.Plan(session.Connection, image, options, progress.Progress, CancelToken);
            }
            else plan = FlashProgrammer.Plan(session.Connection, image, options, null, CancelToken);
            var text = plan.Describe() + (Go ? " Then start the program." : "");
            // ShouldProcess writes the text as verbose itself, except under -WhatIf (host only).
            if (MyInvocation.BoundParameters.ContainsKey("WhatIf")) WriteVerbose(text);
            WarnCollateral(plan);
            if (!ShouldProcess($"{session.DeviceName} (session {session.Id}, {session.Port})", text)) return;

            // 3. Erase, write, verify.
            WriteOutcome outcome;
            using (var progress = StartProgress("Writing"))
            {
                try
                {
                    outcome = FlashProgrammer.Write(plan, progress.Progress, CancelToken);
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
        /// Warns, before anything happens, when the erase clears flash beyond the image that holds
        /// data or was not checked: the write does not put it back. Blank collateral (the unused
        /// rest of a page, erased flash) is only in the plan (-WhatIf, -Verbose): warning about
        /// it would cry wolf. -EraseAll asks for the whole flash to go, so it does not warn.
        /// </summary>
        private void WarnCollateral(WritePlan plan)
        {
            if (plan.Erase != EraseMode.Touched) return;
            var atRisk = plan.CollateralAtRisk;
            if (atRisk.Count == 0) return;
            var erased = plan.WholeFlash ? "the whole flash" : DescribePages(plan.PagesToErase.Select(p => p.Index).ToList(), plan.UnitName);
            var sb = new System.Text.StringBuilder();
            sb.AppendFormat(CultureInfo.InvariantCulture, "Erasing {0} also clears {1} beyond the image: {2}. The write does not put {3} back; back {3} up first (Read-Stm32Memory -OutFile) if it matters.",
                erased, atRisk.Count == 1 ? "this range" : "these ranges", string.Join("; ", atRisk.Select(c => c.Describe())), atRisk.Count == 1 ? "it" : "them");
            if (atRisk.Any(c => c.State == CollateralState.Unknown))
                sb.Append(" -CheckCollateral reads all of it first to find out.");
            WriteWarning(sb.ToString());
        }
    }
}
