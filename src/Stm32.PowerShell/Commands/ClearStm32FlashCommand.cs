using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using Stm32.PowerShell.Infrastructure;
using Stm32.Protocol.Devices;
using Stm32.Protocol.Programming;

namespace Stm32.PowerShell.Commands
{
    /// <summary>
    /// Erases flash: all of it (-All: mass erase, per bank or page by page as the part needs), pages
    /// (-Page) or sectors (-Sector) by number, or the pages an address range touches (-Address
    /// -Length, rounded out to whole pages with a warning). One erase plan
    /// (<see cref="FlashProgrammer.PlanErase"/>) is shown by -WhatIf and carried out by the run.
    /// Destroys data: ConfirmImpact High.
    /// </summary>
    [Cmdlet(VerbsCommon.Clear, "Stm32Flash", DefaultParameterSetName = PageSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
    [OutputType(typeof(Stm32EraseResult))]
    public sealed class ClearStm32FlashCommand : FlashCmdletBase
    {
        protected override bool ChangesFlash => true;

        private const string AllSet = "All";
        private const string PageSet = "Page";
        private const string SectorSet = "Sector";
        private const string RangeSet = "Range";

        #region Parameters

        [Parameter(Mandatory = true, ParameterSetName = AllSet)]
        public SwitchParameter All { get; set; }

        [Parameter(Mandatory = true, Position = 0, ParameterSetName = PageSet, HelpMessage = "Page numbers (0 is the first page of flash).")]
        [ValidateNotNullOrEmpty]
        [ValidateRange(0, 65535)]
        public int[]? Page { get; set; }

        [Parameter(Mandatory = true, ParameterSetName = SectorSet, HelpMessage = "Sector numbers (0 is the first sector of flash).")]
        [ValidateNotNullOrEmpty]
        [ValidateRange(0, 65535)]
        public int[]? Sector { get; set; }

        [Parameter(Mandatory = true, ParameterSetName = RangeSet, HelpMessage = "The first address to erase, e.g. 0x08004000.")]
        public uint Address { get; set; }

        [Parameter(Mandatory = true, ParameterSetName = RangeSet, HelpMessage = "How many bytes from -Address to erase.")]
        [ValidateRange(1u, uint.MaxValue)]
        [Alias("Count")]
        public uint Length { get; set; }

        /// <summary>
        /// After the erase, check that every erased byte reads 0xFF: by the chip's Get Checksum
        /// where it has one that agrees with a read sample, otherwise by reading the pages back.
        /// The bootloader acknowledges an erase whatever the flash did.
        /// </summary>
        [Parameter]
        public SwitchParameter Verify { get; set; }

        [Parameter]
        public SwitchParameter PassThru { get; set; }

        #endregion

        protected override void ProcessFlash(Stm32Session session)
        {
            var layout = LayoutOf(session);
            var flash = session.Connection.Flash;
            var real = layout.PagesTouching(flash.Start, flash.Length);
            IReadOnlyList<FlashPage>? pages = ParameterSetName switch
            {
                AllSet => null,
                PageSet => ByNumber(session, layout, real, Page!, "page"),
                SectorSet => ByNumber(session, layout, real, Sector!, "sector"),
                _ => ByRange(session, layout, flash),
            };

            // One plan (it only reads: write protection, the checksum trust check): -WhatIf shows
            // it, the run carries it out. Write-protected pages are refused here, before anything is sent.
            var plan = FlashProgrammer.PlanErase(session.Connection, pages?.Select(p => p.Index).ToList(), new EraseOptions { Verify = Verify }, CancelToken);
            var text = plan.Describe();
            // ShouldProcess writes the text as verbose itself, except under -WhatIf (host only).
            if (MyInvocation.BoundParameters.ContainsKey("WhatIf")) WriteVerbose(text);
            if (!ShouldProcess($"{session.DeviceName} (session {session.Id}, {session.Port})", text)) return;

            EraseOutcome outcome;
            using (var progress = StartProgress("Erasing"))
                outcome = FlashProgrammer.Erase(plan, progress.Progress, CancelToken);
            WriteVerbose(string.Format(CultureInfo.InvariantCulture, "Erased {0}{1}{2} in {3:0.00} s.",
                plan.WholeFlash ? "the whole flash" : DescribePages(outcome.PagesErased, plan.UnitName),
                outcome.How == WholeFlashErase.PageByPage ? " page by page" : outcome.How == WholeFlashErase.BankErase ? " bank by bank" : "",
                outcome.Verified ? ", checked blank by " + (outcome.VerifyMethod == VerifyMethod.Checksum ? "Get Checksum" : "reading it back") : "",
                outcome.Duration.TotalSeconds));
            if (PassThru) WriteObject(new Stm32EraseResult(session, plan, outcome));
        }

        private static IReadOnlyList<FlashPage> ByNumber(Stm32Session session, FlashLayout layout, IReadOnlyList<FlashPage> real, int[] numbers, string word)
        {
            if (word != layout.UnitName)
                throw new ModuleException(ErrorIds.EraseUnitMismatch, ErrorCategory.InvalidArgument, string.Format(CultureInfo.InvariantCulture,
                    "{0} erases its flash by {1}s, not {2}s: use -{3} (Get-Stm32Info shows the layout: {4}).",
                    session.DeviceName, layout.UnitName, word, layout.UnitName == "page" ? "Page" : "Sector", layout));
            var bad = numbers.Where(n => n >= real.Count).Distinct().OrderBy(n => n).ToList();
            if (bad.Count > 0)
                throw new ModuleException(ErrorIds.PageOutOfRange, ErrorCategory.InvalidArgument, string.Format(CultureInfo.InvariantCulture,
                    "{0} has {1}s 0 to {2}; {3}.", session.DeviceName, word, real.Count - 1, Stm32.Protocol.Programming.WriteProtectionPlan.NoSuch(word, bad)));
            return numbers.Distinct().OrderBy(n => n).Select(n => real[n]).ToList();
        }

        private IReadOnlyList<FlashPage> ByRange(Stm32Session session, FlashLayout layout, MemoryRange flash)
        {
            if (!flash.Contains(Address, Length))
                throw new ModuleException(ErrorIds.AddressOutOfRange, ErrorCategory.InvalidArgument, string.Format(CultureInfo.InvariantCulture,
                    "{0}-{1} is not inside the flash of {2} ({3}).", Hex(Address), Hex((uint)Math.Min(uint.MaxValue, (ulong)Address + Length - 1)), session.DeviceName, flash));
            var pages = layout.PagesTouching(Address, Length);
            var first = pages[0];
            var last = pages[pages.Count - 1];
            var extra = new List<MemoryRange>();
            if (first.Start < Address) extra.Add(new MemoryRange(first.Start, Address));
            if (last.End > Address + Length) extra.Add(new MemoryRange(Address + Length, last.End));
            if (extra.Count > 0)
                WriteWarning(string.Format(CultureInfo.InvariantCulture,
                    "Flash is erased in whole {0}s: erasing {1}-{2} erases {3} ({4}-{5}), which also erases {6}.",
                    layout.UnitName, Hex(Address), Hex(Address + Length - 1), DescribePages(pages.Select(p => p.Index).ToList(), layout.UnitName),
                    Hex(first.Start), Hex(last.End - 1), DescribeRanges(extra)));
            return pages;
        }
    }
}
