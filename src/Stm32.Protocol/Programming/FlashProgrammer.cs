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
        /// Writes the image: refuses pages the option bytes say are write-protected (before
        /// anything is sent), erases per <see cref="WriteOptions.Erase"/>, writes, and with
        /// <see cref="WriteOptions.Verify"/> verifies the image and checks that what was erased and
        /// not written reads blank. Runs within a deadline (<see cref="Stm32Connection.WithinDeadline"/>).
        /// Stopped by <paramref name="ct"/> after the flash was touched, it throws
        /// <see cref="Stm32WriteStoppedException"/> saying what the flash holds.
        /// </summary>
        public static WriteOutcome Write(Stm32Connection connection, FirmwareImage image, WriteOptions options,
            IProgress<OperationProgress>? progress = null, CancellationToken ct = default)
        {
            // The chip's real flash size (and whether it is read-protected) before the check.
            connection.EnsureProbed(ct);
            CheckFits(connection, image);
            var segments = image.Segments;
            var sw = Stopwatch.StartNew();
            var sent0 = connection.Client.BytesSent;
            var recv0 = connection.Client.BytesReceived;
            var counters0 = connection.Counters.Snapshot();
            var outcome = new WriteOutcome { DataBytes = image.DataBytes };
            var flash = connection.Flash;
            var layout = connection.Device.Layout!;

            var flashBlocks = FlashBlock.Build(segments, flash, flash.Start);
            var ramBlocks = FlashBlock.Build(segments, connection.Device.Ram, connection.Device.Ram.Start);
            var toWrite = flashBlocks.Where(b => !b.AllErased).Concat(ramBlocks).ToList();

            // What will be erased, decided once, and refused here when write protection covers it.
            IReadOnlyList<FlashPage> pages = Array.Empty<FlashPage>();
            bool whole = false;
            if (options.Erase == EraseMode.All)
            {
                pages = layout.PagesTouching(flash.Start, flash.Length);
                whole = true;
            }
            else if (options.Erase == EraseMode.Touched && flashBlocks.Count > 0)
            {
                var ranges = segments.Where(s => flash.Contains(s.Address)).Select(s => new MemoryRange(s.Address, Math.Min(s.End, flash.End)));
                pages = layout.PagesTouching(ranges).Where(p => flash.Contains(p.Start)).ToList();
                outcome.CollateralErased = AddressRanges.Uncovered(AddressRanges.Merge(pages), AddressRanges.Of(segments));
                whole = pages.Count == layout.PagesTouching(flash.Start, flash.Length).Count;
            }
            var written = layout.PagesTouching(flashBlocks.Select(b => new MemoryRange(b.Address, b.Address + (uint)b.Data.Length)));
            RefuseWriteProtected(connection, pages.Union(written).OrderBy(p => p.Index).ToList(),
                options.Erase == EraseMode.All ? "erase the whole flash of" : options.Erase == EraseMode.Touched ? "erase and write" : "write", ct, segments);
            bool erased = options.Erase != EraseMode.None;
            var blank = options.Verify && erased ? ErasedNotWritten(pages, flashBlocks) : new List<MemoryRange>();

            var needs = (erased ? (whole ? connection.NeedsToEraseAll() : connection.NeedsToErase(pages.Select(p => p.Index).ToList())) : TimeSpan.Zero)
                + connection.NeedsToWrite(toWrite.Sum(b => (long)b.Data.Length))
                + (options.Verify ? connection.NeedsToRead(flashBlocks.Concat(ramBlocks).Sum(b => (long)b.Data.Length) + blank.Sum(r => (long)r.Length)) : TimeSpan.Zero);
            var phase = WritePhase.Erasing;
            uint? firstNotWritten = toWrite.Count > 0 ? toWrite[0].Address : (uint?)null;
            try
            {
                using (connection.WithinDeadline(string.Format(CultureInfo.InvariantCulture, "Writing {0} bytes", image.DataBytes), needs))
                {
                    // Erase.
                    if (whole)
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
                    outcome.BlocksSkipped = flashBlocks.Count(b => b.AllErased);
                    var suspect = new List<FlashBlock>();
                    long total = toWrite.Sum(b => (long)b.Data.Length), done = 0;
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
                    var planned = flashBlocks.Concat(ramBlocks).ToList();
                    bool resetDuringRun = connection.Counters.Resets > counters0.Resets;
                    var repair = new PageRepairer(connection, layout, planned, flash, erased, progress, ct);
                    if (options.Verify || resetDuringRun)
                    {
                        if (!options.Verify)
                            connection.Say("The chip reset during the write: verifying the whole image although Verify is off.");
                        bool byChecksum = erased && !options.ForceReadBack && connection.ChecksumIsBelieved(ct);
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
        /// Erases pages (sectors on F2/F4/F7) by number, or with <paramref name="pages"/> null the
        /// whole flash (a mass erase; page by page where the part has none or the bootloader
        /// refuses it, with a warning). Pages the option bytes say are write-protected are refused
        /// before anything is sent (<see cref="Stm32WriteProtectedException"/>): the bootloader would
        /// acknowledge the erase and leave them as they are. With <see cref="EraseOptions.Verify"/>,
        /// checks afterwards that every erased byte reads 0xFF (Get Checksum where the chip has a
        /// believable one, else read back) and throws <see cref="Stm32NotErasedException"/> naming
        /// the first byte that does not.
        /// </summary>
        public static EraseOutcome Erase(Stm32Connection connection, IReadOnlyList<int>? pages, EraseOptions options,
            IProgress<OperationProgress>? progress = null, CancellationToken ct = default)
        {
            if (options == null) throw new ArgumentNullException(nameof(options));
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

            var sw = Stopwatch.StartNew();
            var counters0 = connection.Counters.Snapshot();
            var outcome = new EraseOutcome { PagesErased = targets.Select(p => p.Index).ToList(), WholeFlash = whole };
            var ranges = AddressRanges.Merge(targets);
            var needs = (whole ? connection.NeedsToEraseAll() : connection.NeedsToErase(outcome.PagesErased))
                + (options.Verify ? connection.NeedsToRead(ranges.Sum(r => (long)r.Length)) : TimeSpan.Zero);
            try
            {
                using (connection.WithinDeadline(whole ? "Erasing the whole flash" : string.Format(CultureInfo.InvariantCulture, "Erasing {0} {1}(s)", targets.Count, layout.UnitName), needs))
                {
                    if (whole) outcome.How = connection.MassErase(progress, ct);
                    else connection.ErasePages(outcome.PagesErased, progress, ct);
                    if (options.Verify)
                    {
                        bool byChecksum = !options.ForceReadBack && connection.ChecksumIsBelieved(ct);
                        FlashReads.CheckBlank(connection, ranges, byChecksum, progress, ct);
                        outcome.Verified = true;
                        outcome.VerifyMethod = byChecksum ? VerifyMethod.Checksum : VerifyMethod.ReadBack;
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
