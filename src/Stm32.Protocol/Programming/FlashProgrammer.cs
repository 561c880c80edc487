using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Threading;
using Stm32.Protocol.Bootloader;
using Stm32.Protocol.Devices;
using Stm32.Protocol.Firmware;

namespace Stm32.Protocol.Programming
{
    /// <summary>
    /// Writes an image the way spec 15a.4-15a.6 recommends: check everything first, erase only
    /// the pages the image touches, write 256-byte blocks aligned to 256 and padded with 0xFF
    /// (never one write per HEX line), skip blocks that are all 0xFF after an erase, and verify
    /// the whole image after writing (by Get Checksum where listed, else by read-back).
    /// <para>Faults: every block and command is retried through the connection's
    /// recovery (<see cref="Stm32Connection.Recovery"/>); a block that reads back wrong is written
    /// again, or its page erased and every image block in it rewritten; a chunk that reads back
    /// different is read again before it is believed. A write ends verified, or with an exception
    /// naming the step and address; without Verify, blocks whose write failed after the data went
    /// out are still read back, and a chip reset during the write forces a full verify.</para>
    /// </summary>
    public static class FlashProgrammer
    {
        public const int BlockSize = FlashBlock.Size;

        /// <summary>
        /// Checks, before anything is sent, that every byte of the image lies in the flash (the
        /// chip's real size) or the host-usable RAM of the connected device (ImageValidator), and
        /// that none is in the option area: option bytes go through Set-Stm32OptionByte, which
        /// writes them as one validated block (spec 15a.4). Uses the chip's flash size once the
        /// connection is probed (<see cref="Stm32Connection.EnsureProbed"/>), else the catalog's.
        /// </summary>
        public static void CheckFits(Stm32Connection connection, FirmwareImage image)
        {
            if (!connection.Device.CanProgram)
                throw new ImageOutOfRangeException(image.LowestAddress, connection.Device.Name,
                    $"The catalog has no memory map for {connection.Device}; add a catalog row before writing.");
            ImageValidator.Check(image, connection.Device, connection.FlashSizeFromChip);
            var options = connection.Device.OptionBytes;
            foreach (var s in image.Segments)
            {
                if (options.Overlaps(s.Address, (uint)s.Length))
                {
                    var at = Math.Max(s.Address, options.Start);
                    throw new ImageOutOfRangeException(at, connection.Device.Name, string.Format(CultureInfo.InvariantCulture,
                        "The image has data at 0x{0:X8}, in the option area of {1}: write option bytes with Set-Stm32OptionByte, which checks them first.",
                        at, connection.Device));
                }
            }
        }

        /// <summary>
        /// Without a believable Get Checksum, how many bytes of collateral a
        /// <see cref="CollateralCheck.Cheap"/> plan reads at most: 16 Read Memory commands, about
        /// 0.4 s at 115200 baud.
        /// </summary>
        public const int CollateralReadBudget = 4096;

        /// <summary>
        /// Works out a write before anything on the chip changes: checks that the image fits
        /// (<see cref="CheckFits"/>), decides the pages (sectors) to erase and whether the whole
        /// flash goes in one erase (the image touches every page), refuses pages the option bytes
        /// say are write-protected (<see cref="Stm32WriteProtectedException"/>), builds the blocks,
        /// picks the verify method (Get Checksum where the chip has a believable one), and finds out
        /// per <see cref="WriteOptions.CheckCollateral"/> whether what the erase clears beyond the
        /// image holds data. It only reads from the chip (the option bytes, the checksum trust
        /// check, the collateral), so it is what -WhatIf shows.
        /// </summary>
        public static WritePlan Plan(Stm32Connection connection, FirmwareImage image, WriteOptions options,
            IProgress<OperationProgress>? progress = null, CancellationToken ct = default)
        {
            if (options == null) throw new ArgumentNullException(nameof(options));
            options = options.Clone();
            // The chip's real flash size (and whether it is read-protected) before the check.
            connection.EnsureProbed(ct);
            CheckFits(connection, image);
            var segments = image.Segments;
            var flash = connection.Flash;
            var layout = connection.Device.Layout!;
            var flashBlocks = FlashBlock.Build(segments, flash, flash.Start);
            var ramBlocks = FlashBlock.Build(segments, connection.Device.Ram, connection.Device.Ram.Start);

            IReadOnlyList<FlashPage> pages = Array.Empty<FlashPage>();
            var all = layout.PagesTouching(flash.Start, flash.Length);
            bool whole = false;
            if (options.Erase == EraseMode.All)
            {
                pages = all;
                whole = true;
            }
            else if (options.Erase == EraseMode.Touched && flashBlocks.Count > 0)
            {
                var ranges = segments.Where(s => flash.Contains(s.Address)).Select(s => new MemoryRange(s.Address, Math.Min(s.End, flash.End)));
                pages = layout.PagesTouching(ranges).Where(p => flash.Contains(p.Start)).ToList();
                whole = pages.Count == all.Count;
            }
            var written = layout.PagesTouching(flashBlocks.Select(b => new MemoryRange(b.Address, b.End)));
            RefuseWriteProtected(connection, pages.Union(written).OrderBy(p => p.Index).ToList(),
                options.Erase == EraseMode.All ? "erase the whole flash of" : options.Erase == EraseMode.Touched ? "erase and write" : "write", ct, segments);

            bool erases = options.Erase != EraseMode.None;
            var blank = options.Verify && erases ? ErasedNotWritten(pages, flashBlocks) : new List<MemoryRange>();
            var verify = !options.Verify ? VerifyMethod.None
                : erases && !options.ForceReadBack && connection.ChecksumIsBelieved(ct) ? VerifyMethod.Checksum : VerifyMethod.ReadBack;
            var collateral = erases
                ? CollateralChecker.Check(connection, AddressRanges.Uncovered(AddressRanges.Merge(pages), AddressRanges.Of(segments)),
                    options.CheckCollateral, options.Erase == EraseMode.All ? 0 : CollateralReadBudget,
                    options.Erase == EraseMode.All ? "the whole flash is erased on purpose, so only a believable Get Checksum would be asked" : null, progress, ct)
                : new List<CollateralRange>();
            return new WritePlan(connection, image, options, layout, flash, pages, whole, flashBlocks, ramBlocks, blank, verify, collateral);
        }

        /// <summary>
        /// Plans the write (<see cref="Plan"/>) and carries it out
        /// (<see cref="Write(WritePlan, IProgress{OperationProgress}, CancellationToken)"/>).
        /// </summary>
        public static WriteOutcome Write(Stm32Connection connection, FirmwareImage image, WriteOptions options,
            IProgress<OperationProgress>? progress = null, CancellationToken ct = default)
            => Write(Plan(connection, image, options, progress, ct), progress, ct);

        /// <summary>
        /// Carries out a plan: erases what it names (a whole-flash erase falls back to page by page
        /// where the bootloader refuses the mass-erase code), writes its blocks, and with Verify
        /// verifies the image the way the plan says and checks that what was erased and not written
        /// reads blank. Runs within a deadline (<see cref="Stm32Connection.WithinDeadline"/>).
        /// Stopped by <paramref name="ct"/> after the flash was touched, it throws
        /// <see cref="Stm32WriteStoppedException"/> saying what the flash holds.
        /// </summary>
        public static WriteOutcome Write(WritePlan plan, IProgress<OperationProgress>? progress = null, CancellationToken ct = default)
        {
            if (plan == null) throw new ArgumentNullException(nameof(plan));
            var connection = plan.Connection;
            var image = plan.Image;
            var options = plan.Options;
            var layout = plan.Layout;
            var pages = plan.PagesToErase;
            var toWrite = plan.ToWrite;
            var blank = plan.BlankCheck;
            var sw = Stopwatch.StartNew();
            var sent0 = connection.Client.BytesSent;
            var recv0 = connection.Client.BytesReceived;
            var counters0 = connection.Counters.Snapshot();
            var outcome = new WriteOutcome
            {
                Plan = plan,
                DataBytes = image.DataBytes,
                Collateral = plan.Collateral,
                CollateralErased = plan.Collateral.Select(c => c.Range).ToList(),
            };
            bool erases = options.Erase != EraseMode.None;

            var needs = (erases ? (plan.WholeFlash ? connection.NeedsToEraseAll() : connection.NeedsToErase(pages.Select(p => p.Index).ToList())) : TimeSpan.Zero)
                + connection.NeedsToWrite(plan.BytesToWrite)
                + (options.Verify ? connection.NeedsToRead(plan.FlashBlocks.Concat(plan.RamBlocks).Sum(b => (long)b.Data.Length) + blank.Sum(r => (long)r.Length)) : TimeSpan.Zero);
            var phase = WritePhase.Erasing;
            uint? firstNotWritten = toWrite.Count > 0 ? toWrite[0].Address : (uint?)null;
            try
            {
                using (connection.WithinDeadline(string.Format(CultureInfo.InvariantCulture, "Writing {0} bytes", image.DataBytes), needs))
                {
                    // Erase.
                    if (plan.WholeFlash)
                    {
                        outcome.WholeFlashErase = connection.MassErase(progress, ct);
                        outcome.MassErased = outcome.WholeFlashErase != WholeFlashErase.PageByPage;
                    }
                    else if (pages.Count > 0) connection.ErasePages(pages.Select(p => p.Index).ToList(), progress, ct);
                    outcome.PagesErased = pages.Select(p => p.Index).ToList();

                    // Write: all-0xFF blocks are skipped (programming 0xFF changes no bit of flash).
                    // A block whose data went out but whose answer was lost or garbled may have been
                    // programmed wrongly (a byte dropped on the way shifts the rest): it is suspect
                    // and is read back later even without Verify.
                    phase = WritePhase.Writing;
                    outcome.BlocksSkipped = plan.BlocksSkipped;
                    var suspect = new List<FlashBlock>();
                    long total = plan.BytesToWrite, done = 0;
                    for (int i = 0; i < toWrite.Count; i++)
                    {
                        var b = toWrite[i];
                        firstNotWritten = b.Address;
                        connection.WriteBlock(b.Address, b.Data, 0, b.Data.Length, ct, e =>
                        {
                            if (MayHaveProgrammed(e) && !suspect.Contains(b)) suspect.Add(b);
                        });
                        done += b.Data.Length;
                        outcome.BlocksWritten++;
                        outcome.BytesWritten += b.Data.Length;
                        progress?.Report(new OperationProgress("Writing", done, total, Stm32Connection.Hex(b.Address)));
                    }
                    firstNotWritten = null;
                    outcome.SuspectBlocks = suspect.Count;

                    // Verify the whole image after the whole write (spec 4.6: H7 read-back caveat).
                    phase = WritePhase.Verifying;
                    var planned = plan.FlashBlocks.Concat(plan.RamBlocks).ToList();
                    bool resetDuringRun = connection.Counters.Resets > counters0.Resets;
                    var repair = new PageRepairer(connection, layout, planned, plan.Flash, erases, progress, ct);
                    if (options.Verify || resetDuringRun)
                    {
                        if (!options.Verify)
                            connection.Say("The chip reset during the write: verifying the whole image although Verify is off.");
                        bool byChecksum = options.Verify ? plan.VerifyMethod == VerifyMethod.Checksum
                            : erases && !options.ForceReadBack && connection.ChecksumIsBelieved(ct);
                        outcome.VerifyMethod = byChecksum ? VerifyMethod.Checksum : VerifyMethod.ReadBack;
                        repair.VerifyAndRepair(planned, byChecksum);
                        // What was erased and not written must read blank (the chip may have ACKed an erase it did not do).
                        if (blank.Count > 0)
                        {
                            FlashReads.CheckBlank(connection, blank, byChecksum, progress, ct);
                            outcome.BlankChecked = true;
                        }
                        outcome.Verified = true;
                    }
                    else if (suspect.Count > 0)
                    {
                        // Verify is off, but a failure left these blocks in doubt: never end silently.
                        connection.Say(string.Format(CultureInfo.InvariantCulture,
                            "{0} block(s) may have been programmed wrongly during a recovery; reading them back although Verify is off.", suspect.Count));
                        repair.VerifyAndRepair(suspect, false);
                    }
                }
            }
            catch (OperationCanceledException e) when (!(e is Stm32WriteStoppedException) && ct.IsCancellationRequested)
            {
                throw Stopped(connection, layout, outcome, phase, firstNotWritten, image, ct);
            }
            finally
            {
                outcome.Recovery = connection.Counters.Since(counters0);
                outcome.Duration = sw.Elapsed;
                outcome.BytesSent = connection.Client.BytesSent - sent0;
                outcome.BytesReceived = connection.Client.BytesReceived - recv0;
            }
            return outcome;
        }

        private enum WritePhase
        {
            Erasing,
            Writing,
            Verifying,
        }

        /// <summary>What a write stopped half way left on the chip, said in the exception.</summary>
        private static Stm32WriteStoppedException Stopped(Stm32Connection connection, FlashLayout layout, WriteOutcome outcome, WritePhase phase,
            uint? firstNotWritten, FirmwareImage image, CancellationToken ct)
        {
            string what;
            switch (phase)
            {
                case WritePhase.Erasing:
                    what = "it was erasing: the flash it was erasing may hold old data, new blanks or a mix, and nothing of the image was written";
                    firstNotWritten = image.LowestAddress;
                    break;
                case WritePhase.Writing:
                    what = string.Format(CultureInfo.InvariantCulture,
                        "the flash holds a partial image: {0} of {1} bytes written, and nothing from 0x{2:X8} on (the block there may be partly programmed)",
                        outcome.BytesWritten, image.DataBytes, firstNotWritten ?? image.LowestAddress);
                    break;
                default:
                    what = "the image was written but its verify did not finish, so it is not known to be right";
                    firstNotWritten = null;
                    break;
            }
            return new Stm32WriteStoppedException(string.Format(CultureInfo.InvariantCulture,
                "The write was stopped while {0}: {1}. Write the image again (Test-Stm32Firmware compares the chip with it).",
                phase == WritePhase.Erasing ? "erasing" : phase == WritePhase.Writing ? "writing" : "verifying", what), firstNotWritten, ct);
        }

        // ================================================================== erase

        /// <summary>
        /// Works out an erase of pages (sectors on F2/F4/F7) by number, or with
        /// <paramref name="pages"/> null of the whole flash (a mass erase where the part has one),
        /// before anything is sent. Pages the option bytes say are write-protected are refused here
        /// (<see cref="Stm32WriteProtectedException"/>): the bootloader would acknowledge the erase
        /// and leave them as they are. With <see cref="EraseOptions.Verify"/> it picks the blank
        /// check: Get Checksum where the chip has a believable one, else reading back. Only reads.
        /// </summary>
        public static ErasePlan PlanErase(Stm32Connection connection, IReadOnlyList<int>? pages, EraseOptions options, CancellationToken ct = default)
        {
            if (options == null) throw new ArgumentNullException(nameof(options));
            options = options.Clone();
            connection.EnsureProbed(ct);
            var layout = connection.Device.Layout;
            if (layout == null || !connection.Device.CanProgram)
                throw new InvalidOperationException($"The catalog has no flash layout for {connection.Device}; erasing needs a catalog row with one.");
            var flash = connection.Flash;
            var real = layout.PagesTouching(flash.Start, flash.Length);
            bool whole = pages == null;
            var targets = whole ? real : pages!.Distinct().OrderBy(p => p).Select(p => p >= 0 && p < real.Count
                ? real[p] : throw new ArgumentOutOfRangeException(nameof(pages), string.Format(CultureInfo.InvariantCulture,
                    "{0} has {1}s 0 to {2}; there is no {1} {3}.", connection.Device.Name, layout.UnitName, real.Count - 1, p))).ToList();
            RefuseWriteProtected(connection, targets, whole ? "erase the whole flash of" : "erase", ct);
            var blankCheck = !options.Verify ? VerifyMethod.None
                : !options.ForceReadBack && connection.ChecksumIsBelieved(ct) ? VerifyMethod.Checksum : VerifyMethod.ReadBack;
            return new ErasePlan(connection, layout, flash, targets, whole, options, blankCheck);
        }

        /// <summary>Plans the erase (<see cref="PlanErase"/>) and carries it out (<see cref="Erase(ErasePlan, IProgress{OperationProgress}, CancellationToken)"/>).</summary>
        public static EraseOutcome Erase(Stm32Connection connection, IReadOnlyList<int>? pages, EraseOptions options,
            IProgress<OperationProgress>? progress = null, CancellationToken ct = default)
            => Erase(PlanErase(connection, pages, options, ct), progress, ct);

        /// <summary>
        /// Carries out an erase plan: the pages by number, or the whole flash (a mass erase; bank
        /// by bank, or page by page with a warning, where the bootloader refuses the mass-erase
        /// code). With a blank check, checks afterwards that every erased byte reads 0xFF and
        /// throws <see cref="Stm32NotErasedException"/> naming the first byte that does not.
        /// </summary>
        public static EraseOutcome Erase(ErasePlan plan, IProgress<OperationProgress>? progress = null, CancellationToken ct = default)
        {
            if (plan == null) throw new ArgumentNullException(nameof(plan));
            var connection = plan.Connection;
            bool whole = plan.WholeFlash;
            var sw = Stopwatch.StartNew();
            var counters0 = connection.Counters.Snapshot();
            var outcome = new EraseOutcome { Plan = plan, PagesErased = plan.Pages.Select(p => p.Index).ToList(), WholeFlash = whole };
            var needs = (whole ? connection.NeedsToEraseAll() : connection.NeedsToErase(outcome.PagesErased))
                + (plan.BlankCheck != VerifyMethod.None ? connection.NeedsToRead(plan.Ranges.Sum(r => (long)r.Length)) : TimeSpan.Zero);
            try
            {
                using (connection.WithinDeadline(whole ? "Erasing the whole flash" : string.Format(CultureInfo.InvariantCulture, "Erasing {0} {1}(s)", plan.Pages.Count, plan.UnitName), needs))
                {
                    if (whole) outcome.How = connection.MassErase(progress, ct);
                    else connection.ErasePages(outcome.PagesErased, progress, ct);
                    if (plan.BlankCheck != VerifyMethod.None)
                    {
                        FlashReads.CheckBlank(connection, plan.Ranges, plan.BlankCheck == VerifyMethod.Checksum, progress, ct);
                        outcome.Verified = true;
                        outcome.VerifyMethod = plan.BlankCheck;
                    }
                }
            }
            finally
            {
                outcome.Duration = sw.Elapsed;
                outcome.Recovery = connection.Counters.Since(counters0);
            }
            return outcome;
        }

        /// <summary>
        /// Refuses to erase or write pages the option bytes say are write-protected, before anything
        /// is sent: ST's bootloader acknowledges such erases and writes without doing them (spec
        /// 4.6-4.8). Where write protection cannot be read nothing is refused here; a verify
        /// (blank check, image compare) still catches what did not happen.
        /// </summary>
        private static void RefuseWriteProtected(Stm32Connection connection, IReadOnlyList<FlashPage> pages, string operation, CancellationToken ct,
            IReadOnlyList<ImageSegment>? data = null)
        {
            if (pages.Count == 0) return;
            var protectedPages = connection.WriteProtectedPages(ct);
            if (protectedPages == null || protectedPages.Count == 0) return;
            var hit = pages.Where(p => protectedPages.Contains(p.Index)).ToList();
            if (hit.Count == 0) return;
            // For a write, name the image's first byte in a protected page.
            uint? first = data?.SelectMany(s => hit.Where(p => s.Address < p.End && s.End > p.Start).Select(p => Math.Max(s.Address, p.Start)))
                .DefaultIfEmpty(hit[0].Start).Min();
            throw new Stm32WriteProtectedException(connection.Device, operation, hit, first);
        }

        /// <summary>The parts of the erased pages that no block of the image covers: they must read blank after the write.</summary>
        private static List<MemoryRange> ErasedNotWritten(IReadOnlyList<FlashPage> pages, IReadOnlyList<FlashBlock> blocks)
            => AddressRanges.Uncovered(AddressRanges.Merge(pages), blocks.Select(b => new MemoryRange(b.Address, b.End)));

        /// <summary>
        /// A Write Memory that failed after its data frame went out, other than by a lone NACK
        /// (a NACK there means the checksum failed and nothing was programmed): the chip may have
        /// programmed the block, or a shifted copy of it.
        /// </summary>
        private static bool MayHaveProgrammed(Stm32Exception e)
            => e.Step == "Write Memory data" && !(e is Stm32NackException && e.Received.Length == 1);

        /// <summary>Compares the chip with the image by reading it back; never writes. A chunk that differs is read again to rule out a garbled read.</summary>
        public static CompareOutcome Compare(Stm32Connection connection, FirmwareImage image,
            IProgress<OperationProgress>? progress = null, CancellationToken ct = default)
        {
            var counters0 = connection.Counters.Snapshot();
            var outcome = new CompareOutcome();
            long total = image.DataBytes, done = 0;
            try
            {
                foreach (var s in image.Segments)
                {
                    for (int off = 0; off < s.Length; off += BlockSize)
                    {
                        var n = Math.Min(BlockSize, s.Length - off);
                        var want = new byte[n];
                        s.CopyTo(off, want, 0, n);
                        var got = FlashReads.StableRead(connection, (uint)(s.Address + off), want, null, ct);
                        for (int i = 0; i < n; i++)
                        {
                            if (got[i] != want[i])
                            {
                                outcome.DifferingBytes++;
                                outcome.FirstDifference ??= (uint)(s.Address + off + i);
                            }
                        }
                        done += n;
                        outcome.ComparedBytes += n;
                        progress?.Report(new OperationProgress("Comparing", done, total, Stm32Connection.Hex((uint)(s.Address + off))));
                    }
                }
            }
            finally
            {
                outcome.Recovery = connection.Counters.Since(counters0);
            }
            return outcome;
        }
    }
}
