using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Threading;
using Stm32.Protocol.Bootloader;
using Stm32.Protocol.Devices;
using Stm32.Protocol.Firmware;
using Stm32.Protocol.Programming;

namespace Stm32.Protocol.Programming
{
    /// <summary>What to erase before writing.</summary>
    public enum EraseMode
    {
        /// <summary>Only the pages or sectors the image touches (spec 15a.5).</summary>
        Touched,
        /// <summary>The whole flash first (mass erase, per bank or page by page as the part needs).</summary>
        All,
        /// <summary>Nothing: the flash must already be erased where the image goes.</summary>
        None,
    }

    /// <summary>How a write was verified.</summary>
    public enum VerifyMethod
    {
        None,
        /// <summary>The chip's Get Checksum (0xA1) over every written range, compared with a CRC computed here.</summary>
        Checksum,
        /// <summary>Every image byte read back and compared.</summary>
        ReadBack,
    }

    public sealed class WriteOptions
    {
        public EraseMode Erase { get; set; } = EraseMode.Touched;

        /// <summary>Verify the whole image after writing, mending wrong blocks (see <see cref="RecoveryOptions.PageRewrites"/>).</summary>
        public bool Verify { get; set; }
        /// <summary>Read back even where the chip offers Get Checksum.</summary>
        public bool ForceReadBack { get; set; }
    }

    /// <summary>What a write did, for the result object and production logs.</summary>
    public sealed class WriteOutcome
    {
        public long DataBytes { get; internal set; }
        public long BytesWritten { get; internal set; }
        public int BlocksWritten { get; internal set; }
        public int BlocksSkipped { get; internal set; }
        public IReadOnlyList<int> PagesErased { get; internal set; } = Array.Empty<int>();
        /// <summary>True when the whole flash went in one mass erase (or bank by bank), not page by page.</summary>
        public bool MassErased { get; internal set; }
        /// <summary>How the whole flash was erased, where it was (-EraseAll, or an image covering every page); null otherwise.</summary>
        public WholeFlashErase? WholeFlashErase { get; internal set; }
        public bool Verified { get; internal set; }
        /// <summary>Verify also found blank what was erased and not written (the rest of the erased pages; with EraseMode.All the rest of the flash).</summary>
        public bool BlankChecked { get; internal set; }
        public VerifyMethod VerifyMethod { get; internal set; }
        public long BytesSent { get; internal set; }
        public long BytesReceived { get; internal set; }
        public TimeSpan Duration { get; internal set; }
        /// <summary>Data in erased pages that the image does not cover (lost by the erase).</summary>
        public IReadOnlyList<MemoryRange> CollateralErased { get; internal set; } = Array.Empty<MemoryRange>();

        /// <summary>The recovery work this write took: retries, resyncs, rewrites, resets.</summary>
        public RecoveryCounters Recovery { get; internal set; } = new RecoveryCounters();

        /// <summary>Blocks and commands sent again after a failure.</summary>
        public int Retries => Recovery.Retries;

        /// <summary>Resync handshakes run to get back in step with the chip (spec 2.1).</summary>
        public int Resyncs => Recovery.Resyncs;

        /// <summary>Blocks written again because they read back wrong.</summary>
        public int Rewrites => Recovery.Rewrites;

        /// <summary>Pages or sectors erased again so a wrong block could be rewritten.</summary>
        public int PagesReerased => Recovery.PagesReerased;

        /// <summary>Chip resets noticed during the write (each followed by a resync and re-identification).</summary>
        public int Resets => Recovery.Resets;

        /// <summary>Chunks read again because a read disagreed with the image.</summary>
        public int Rereads => Recovery.Rereads;

        /// <summary>Blocks whose write failed after the data went out (they may have been programmed wrongly); always read back.</summary>
        public int SuspectBlocks { get; internal set; }
    }

    /// <summary>What to check after an erase.</summary>
    public sealed class EraseOptions
    {
        /// <summary>Check that every erased byte reads 0xFF (a blank check).</summary>
        public bool Verify { get; set; }

        /// <summary>Read back even where the chip offers a believable Get Checksum.</summary>
        public bool ForceReadBack { get; set; }
    }

    /// <summary>What an erase did.</summary>
    public sealed class EraseOutcome
    {
        /// <summary>The pages (sectors) erased, by number.</summary>
        public IReadOnlyList<int> PagesErased { get; internal set; } = Array.Empty<int>();

        /// <summary>The whole flash was asked for.</summary>
        public bool WholeFlash { get; internal set; }

        /// <summary>How the whole flash was erased (null for pages by number).</summary>
        public WholeFlashErase? How { get; internal set; }

        /// <summary>The blank check passed.</summary>
        public bool Verified { get; internal set; }

        public VerifyMethod VerifyMethod { get; internal set; }

        public TimeSpan Duration { get; internal set; }

        public RecoveryCounters Recovery { get; internal set; } = new RecoveryCounters();
    }

    /// <summary>
    /// A write stopped half way (Ctrl+C): the message says what the flash holds now, and
    /// <see cref="FirstAddressNotWritten"/> where the image stopped being written.
    /// </summary>
    public sealed class Stm32WriteStoppedException : OperationCanceledException
    {
        public Stm32WriteStoppedException(string message, uint? firstAddressNotWritten, CancellationToken ct)
            : base(message, ct)
        {
            FirstAddressNotWritten = firstAddressNotWritten;
        }

        /// <summary>The first image address not written (null when the write had finished and only its verify was stopped).</summary>
        public uint? FirstAddressNotWritten { get; }
    }

    /// <summary>After an erase the chip acknowledged, a byte still does not read 0xFF.</summary>
    public sealed class Stm32NotErasedException : Stm32VerifyException
    {
        public Stm32NotErasedException(DeviceInfo device, uint address, byte value, int differing)
            : base(string.Format(CultureInfo.InvariantCulture,
                "The erase did not take: 0x{0:X8}{1} reads 0x{2:X2}, not 0xFF, although the chip acknowledged the erase. A write-protected {3} does that (Get-Stm32OptionByte shows the protection; Unprotect-Stm32Flash -Write removes it); otherwise the bootloader does not erase what it says it does.",
                address, device.Layout?.PageAt(address) is FlashPage p ? string.Format(CultureInfo.InvariantCulture, " ({0} {1})", device.Layout.UnitName, p.Index) : "",
                value, device.Layout?.UnitName ?? "page"), address, Math.Max(1, differing))
        {
            Page = device.Layout?.PageAt(address)?.Index;
            Value = value;
        }

        /// <summary>The page (sector) holding the address, where the layout knows it.</summary>
        public int? Page { get; }

        /// <summary>What the byte reads.</summary>
        public byte Value { get; }
    }

    /// <summary>The result of comparing the chip with an image.</summary>
    public sealed class CompareOutcome
    {
        public bool Matches => DifferingBytes == 0;
        public uint? FirstDifference { get; internal set; }
        public long DifferingBytes { get; internal set; }
        public long ComparedBytes { get; internal set; }
        public RecoveryCounters Recovery { get; internal set; } = new RecoveryCounters();
        public int Retries => Recovery.Retries;
        public int Resyncs => Recovery.Resyncs;
        public int Resets => Recovery.Resets;
        public int Rereads => Recovery.Rereads;
    }

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
        public const int BlockSize = An3155.MaxBlock;

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

            var flashBlocks = BuildBlocks(segments, flash, flash.Start);
            var ramBlocks = BuildBlocks(segments, connection.Device.Ram, connection.Device.Ram.Start);
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
                outcome.CollateralErased = Collateral(pages, segments);
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
                    var suspect = new List<Block>();
                    long total = toWrite.Sum(b => (long)b.Data.Length), done = 0;
                    var report = Throttle(progress);
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
                        report(new OperationProgress("Writing", done, total, Stm32Connection.Hex(b.Address)), false);
                    }
                    firstNotWritten = null;
                    report(new OperationProgress("Writing", total, total, null), true);
                    outcome.SuspectBlocks = suspect.Count;

                    // Verify the whole image after the whole write (spec 4.6: H7 read-back caveat).
                    phase = WritePhase.Verifying;
                    var planned = flashBlocks.Concat(ramBlocks).ToList();
                    bool resetDuringRun = connection.Counters.Resets > counters0.Resets;
                    var repair = new Repairer(connection, layout, planned, flash, erased, outcome, progress, ct);
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
                            CheckBlank(connection, blank, byChecksum, progress, ct);
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
            var ranges = Merge(targets);
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
                        CheckBlank(connection, ranges, byChecksum, progress, ct);
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
        private static List<MemoryRange> ErasedNotWritten(IReadOnlyList<FlashPage> pages, IReadOnlyList<Block> blocks)
            => Uncovered(Merge(pages), blocks.Select(b => new MemoryRange(b.Address, b.Address + (uint)b.Data.Length)));

        /// <summary>Neighbouring pages as one range each.</summary>
        private static List<MemoryRange> Merge(IEnumerable<FlashPage> pages)
        {
            var result = new List<MemoryRange>();
            foreach (var p in pages.OrderBy(p => p.Start)) Add(result, new MemoryRange(p.Start, p.End));
            return result;
        }

        /// <summary>
        /// A blank check: every byte of <paramref name="ranges"/> must read 0xFF. By Get Checksum
        /// (one per range, compared with the CRC of that many 0xFF bytes) where the chip's checksum
        /// is believed; a range whose checksum differs, or every range without one, is read back,
        /// and a chunk that is not blank is read again before it is believed. Throws
        /// <see cref="Stm32NotErasedException"/> naming the first byte that is not 0xFF.
        /// </summary>
        private static void CheckBlank(Stm32Connection connection, IReadOnlyList<MemoryRange> ranges, bool byChecksum,
            IProgress<OperationProgress>? progress, CancellationToken ct)
        {
            long total = ranges.Sum(r => (long)r.Length), done = 0;
            var report = Throttle(progress);
            foreach (var range in ranges)
            {
                if (byChecksum && range.Length % 4 == 0 && range.Start % 4 == 0
                    && connection.Checksum(range.Start, range.Length, null, ct) == BlankCrc(range.Length))
                {
                    done += range.Length;
                    report(new OperationProgress("Checking the erase", done, total, Stm32Connection.Hex(range.Start)), false);
                    continue;
                }
                for (uint off = 0; off < range.Length; off += BlockSize)
                {
                    var at = range.Start + off;
                    var n = (int)Math.Min(BlockSize, range.Length - off);
                    var want = new byte[n];
                    for (int i = 0; i < n; i++) want[i] = 0xFF;
                    var got = StableRead(connection, at, want, null, ct);
                    for (int i = 0; i < n; i++)
                    {
                        if (got[i] == 0xFF) continue;
                        var address = at + (uint)i;
                        throw new Stm32NotErasedException(connection.Device, address, got[i], got.Skip(i).Count(b => b != 0xFF));
                    }
                    done += n;
                    report(new OperationProgress("Checking the erase", done, total, Stm32Connection.Hex(at)), false);
                }
            }
            report(new OperationProgress("Checking the erase", total, total), true);
        }

        /// <summary>The CRC (spec 10.4) of <paramref name="length"/> bytes of 0xFF.</summary>
        private static uint BlankCrc(uint length)
        {
            var ff = new byte[4096];
            for (int i = 0; i < ff.Length; i++) ff[i] = 0xFF;
            uint crc = An3155.CrcInitial;
            for (uint done = 0; done < length;)
            {
                var n = (int)Math.Min((uint)ff.Length, length - done);
                crc = An3155.Crc32(ff, 0, n, crc);
                done += (uint)n;
            }
            return crc;
        }

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
            var report = Throttle(progress);
            try
            {
                foreach (var s in image.Segments)
                {
                    for (int off = 0; off < s.Length; off += BlockSize)
                    {
                        var n = Math.Min(BlockSize, s.Length - off);
                        var want = new byte[n];
                        s.CopyTo(off, want, 0, n);
                        var got = StableRead(connection, (uint)(s.Address + off), want, null, ct);
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
                        report(new OperationProgress("Comparing", done, total, Stm32Connection.Hex((uint)(s.Address + off))), false);
                    }
                }
                report(new OperationProgress("Comparing", total, total), true);
            }
            finally
            {
                outcome.Recovery = connection.Counters.Since(counters0);
            }
            return outcome;
        }

        /// <summary>
        /// Reads a chunk; when it differs from <paramref name="want"/> (where <paramref name="covered"/>
        /// says the image has data), reads it again, at most <see cref="RecoveryOptions.VerifyReads"/>
        /// reads in all: a read that matches ends it, and so do two reads that agree (two garbled
        /// reads never do). When no two agree, each byte is taken by majority: a byte garbled on
        /// the way back must not pass for a wrong chip, nor a wrong chip for a garbled read.
        /// </summary>
        private static byte[] StableRead(Stm32Connection connection, uint address, byte[] want, bool[]? covered, CancellationToken ct)
        {
            var got = connection.Read(address, want.Length, null, ct);
            if (Matches(got, want, covered)) return got;
            var reads = new List<byte[]> { got };
            int limit = Math.Max(1, connection.Recovery.VerifyReads);
            while (reads.Count < limit)
            {
                connection.Counters.Rereads++;
                var again = connection.Read(address, want.Length, null, ct);
                if (Matches(again, want, covered)) return again;
                if (reads.Any(r => r.SequenceEqual(again))) return again;
                reads.Add(again);
            }
            if (reads.Count == 1) return got;
            var majority = new byte[want.Length];
            var votes = new int[256];
            for (int i = 0; i < majority.Length; i++)
            {
                Array.Clear(votes, 0, votes.Length);
                foreach (var r in reads) votes[r[i]]++;
                int best = reads[0][i];
                foreach (var r in reads) if (votes[r[i]] > votes[best]) best = r[i];
                majority[i] = (byte)best;
            }
            return majority;
        }

        private static bool Matches(byte[] got, byte[] want, bool[]? covered)
        {
            for (int i = 0; i < want.Length; i++)
                if (got[i] != want[i] && (covered == null || covered[i])) return false;
            return true;
        }

        /// <summary>
        /// Verifies blocks and mends the wrong ones: a block whose wrong bits can still go 1 to 0 is
        /// written again; otherwise its page or sector is erased and every planned block in it
        /// written again (bounded per page). Ends only when a whole pass finds nothing wrong, or
        /// throws <see cref="Stm32VerifyException"/> naming the first wrong address.
        /// </summary>
        private sealed class Repairer
        {
            private readonly Stm32Connection _c;
            private readonly FlashLayout _layout;
            private readonly IReadOnlyList<Block> _planned;
            private readonly MemoryRange _flash;
            private readonly bool _mayErase;
            private readonly WriteOutcome _outcome;
            private readonly IProgress<OperationProgress>? _progress;
            private readonly CancellationToken _ct;
            private readonly Dictionary<int, int> _pageErases = new Dictionary<int, int>();
            private readonly Dictionary<uint, int> _directWrites = new Dictionary<uint, int>();

            public Repairer(Stm32Connection c, FlashLayout layout, IReadOnlyList<Block> planned, MemoryRange flash, bool mayErase,
                WriteOutcome outcome, IProgress<OperationProgress>? progress, CancellationToken ct)
            {
                _c = c;
                _layout = layout;
                _planned = planned;
                _flash = flash;
                _mayErase = mayErase;
                _outcome = outcome;
                _progress = progress;
                _ct = ct;
            }

            public void VerifyAndRepair(IReadOnlyList<Block> blocks, bool byChecksum)
            {
                var check = blocks.ToList();
                int passes = Math.Max(1, _c.Recovery.PageRewrites + 1);
                for (int pass = 0; ; pass++)
                {
                    var bad = FindBad(check, byChecksum, out var inconclusive);
                    if (bad.Count == 0 && inconclusive == null) return;
                    if (bad.Count == 0 && inconclusive is uint from)
                    {
                        // A checksum differed but every block of it read back right: check again.
                        if (pass + 1 >= passes)
                            throw new Stm32VerifyException(string.Format(CultureInfo.InvariantCulture,
                                "Verify failed: the chip's checksum from 0x{0:X8} keeps differing from the image's although the bytes read back right.", from),
                                from, 1);
                        _c.Say(string.Format(CultureInfo.InvariantCulture, "The checksum from 0x{0:X8} differed but the bytes read back right; verifying again.", from));
                        continue;
                    }
                    var first = bad[0];
                    var firstAt = FirstDifference(first.Block, first.Got);
                    if (pass + 1 >= passes || _c.Recovery.PageRewrites <= 0)
                        throw VerifyFailed(bad, pass > 0 ? " after rewriting it " + pass.ToString(CultureInfo.InvariantCulture) + " time(s)" : "");
                    var rewritten = Repair(bad);
                    // The next pass checks what was checked plus everything an erase touched.
                    foreach (var b in rewritten)
                        if (!check.Contains(b)) check.Add(b);
                    check.Sort((x, y) => x.Address.CompareTo(y.Address));
                    var firstIndex = (int)(firstAt - first.Block.Address);
                    _c.Say(string.Format(CultureInfo.InvariantCulture,
                        "Verify found {0} wrong block(s), the first at 0x{1:X8} ({2} byte(s) differ there; chip 0x{3:X2}, image 0x{4:X2}); rewrote {5} block(s). Verifying again.",
                        bad.Count, firstAt, Differences(first.Block, first.Got), first.Got[firstIndex], first.Block.Data[firstIndex], rewritten.Count));
                }
            }

            private Stm32VerifyException VerifyFailed(List<(Block Block, byte[] Got)> bad, string after)
            {
                var (block, got) = bad[0];
                int differing = bad.Sum(x => Differences(x.Block, x.Got));
                var at = FirstDifference(block, got);
                return new Stm32VerifyException(string.Format(CultureInfo.InvariantCulture,
                    "Verify failed: the chip differs from the image at 0x{0:X8} ({1} bytes differ in {2} block(s)){3}.{4}",
                    at, differing, bad.Count, after,
                    _mayErase ? "" : " Writing without erasing cannot turn 0 bits back into 1: erase first."), at, Math.Max(1, differing));
            }

            private static int Differences(Block b, byte[] got)
            {
                int n = 0;
                for (int i = 0; i < b.Data.Length; i++) if (b.Covered[i] && got[i] != b.Data[i]) n++;
                return n;
            }

            private static uint FirstDifference(Block b, byte[] got)
            {
                for (int i = 0; i < b.Data.Length; i++) if (b.Covered[i] && got[i] != b.Data[i]) return b.Address + (uint)i;
                return b.Address;
            }

            /// <summary>The blocks that are wrong on the chip, each with what the chip holds.</summary>
            private List<(Block Block, byte[] Got)> FindBad(List<Block> blocks, bool byChecksum, out uint? inconclusive)
            {
                inconclusive = null;
                var bad = new List<(Block, byte[])>();
                long total = blocks.Sum(b => (long)b.Data.Length), done = 0;
                var toRead = new List<Block>();
                if (byChecksum)
                {
                    // Flash after an erase must hold exactly the block buffers (skipped blocks are
                    // 0xFF): one Get Checksum per run, narrowed per page when a run differs.
                    foreach (var run in Runs(blocks.Where(b => _flash.Contains(b.Address)).ToList()))
                    {
                        if (ChecksumMatches(run)) { done += run.Sum(b => (long)b.Data.Length); Report(done, total, run[0].Address); continue; }
                        foreach (var inPage in run.GroupBy(b => _layout.PageAt(b.Address)?.Index ?? -1).Select(g => g.ToList()))
                            if (!ChecksumMatches(inPage)) toRead.AddRange(inPage);
                        done += run.Sum(b => (long)b.Data.Length);
                        Report(done, total, run[0].Address);
                    }
                    toRead.AddRange(blocks.Where(b => !_flash.Contains(b.Address)));
                }
                else toRead.AddRange(blocks);
                foreach (var b in toRead)
                {
                    var got = StableRead(_c, b.Address, b.Data, b.Covered, _ct);
                    if (!Matches(got, b.Data, b.Covered)) bad.Add((b, got));
                    if (!byChecksum) { done += b.Data.Length; Report(done, total, b.Address); }
                }
                // A run's checksum differed but every block reads back right: believe neither (a
                // garbled CRC that passes its XOR check is rare, but possible).
                var flashRead = toRead.Where(b => _flash.Contains(b.Address)).ToList();
                if (byChecksum && flashRead.Count > 0 && bad.Count == 0) inconclusive = flashRead[0].Address;
                return bad;
            }

            private bool ChecksumMatches(List<Block> run)
            {
                var data = run.SelectMany(b => b.Data).ToArray();
                var expected = An3155.Crc32(data);
                var actual = _c.Checksum(run[0].Address, (uint)data.Length, null, _ct);
                return actual == expected;
            }

            private void Report(long done, long total, uint address)
                => _progress?.Report(new OperationProgress("Verifying", done, total, Stm32Connection.Hex(address)));

            /// <summary>Rewrites the bad blocks; returns every block written again.</summary>
            private List<Block> Repair(List<(Block Block, byte[] Got)> bad)
            {
                var rewritten = new List<Block>();
                var pagesToErase = new SortedDictionary<int, FlashPage>();
                foreach (var (b, got) in bad)
                {
                    bool inFlash = _flash.Contains(b.Address);
                    _directWrites.TryGetValue(b.Address, out var direct);
                    // Bits that are still 1 where the image wants 0 can be programmed; a 0 where the
                    // image wants 1 needs an erase. RAM is simply written again.
                    bool programmable = !inFlash || (direct == 0 && Programmable(b, got));
                    if (programmable)
                    {
                        _directWrites[b.Address] = direct + 1;
                        WriteAgain(b, rewritten);
                        continue;
                    }
                    var page = _layout.PageAt(b.Address);
                    if (!_mayErase || page == null)
                        throw VerifyFailed(new List<(Block, byte[])> { (b, got) }, "");
                    pagesToErase[page.Index] = page;
                }
                foreach (var page in pagesToErase.Values)
                {
                    _pageErases.TryGetValue(page.Index, out var times);
                    if (times >= _c.Recovery.PageRewrites)
                    {
                        var (b, got) = bad.First(x => _layout.PageAt(x.Block.Address)?.Index == page.Index);
                        throw VerifyFailed(new List<(Block, byte[])> { (b, got) },
                            " after erasing and rewriting its " + _layout.UnitName + " " + times.ToString(CultureInfo.InvariantCulture) + " time(s)");
                    }
                    _pageErases[page.Index] = times + 1;
                    _c.Say(string.Format(CultureInfo.InvariantCulture, "A block in {0} {1} (0x{2:X8}) reads back wrong: erasing and rewriting the {0}.",
                        _layout.UnitName, page.Index, page.Start));
                    _c.ErasePages(new[] { page.Index }, null, _ct);
                    _c.Counters.PagesReerased++;
                    foreach (var b in _planned.Where(x => x.Address >= page.Start && x.Address < page.End))
                    {
                        _directWrites.Remove(b.Address);
                        if (b.AllErased) { if (!rewritten.Contains(b)) rewritten.Add(b); continue; }
                        WriteAgain(b, rewritten);
                    }
                }
                return rewritten;
            }

            private void WriteAgain(Block b, List<Block> rewritten)
            {
                _c.WriteBlock(b.Address, b.Data, 0, b.Data.Length, _ct);
                _c.Counters.Rewrites++;
                if (!rewritten.Contains(b)) rewritten.Add(b);
            }

            private static bool Programmable(Block b, byte[] got)
            {
                for (int i = 0; i < b.Data.Length; i++)
                    if (b.Covered[i] && (got[i] & b.Data[i]) != b.Data[i]) return false;
                return true;
            }
        }

        private sealed class Block
        {
            public Block(uint address, byte[] data, bool[] covered)
            {
                Address = address;
                Data = data;
                Covered = covered;
            }

            public uint Address { get; }

            /// <summary>The bytes to program: the image's, 0xFF where it has none.</summary>
            public byte[] Data { get; }

            /// <summary>Which bytes the image has (padding is not compared on read-back: without an erase it may hold anything).</summary>
            public bool[] Covered { get; }

            private bool? _allErased;

            /// <summary>Every byte 0xFF: nothing to program after an erase (a .bin of a sparse image is mostly such blocks).</summary>
            public bool AllErased => _allErased ??= IsAllFF(Data);

            private static bool IsAllFF(byte[] data)
            {
                for (int i = 0; i < data.Length; i++)
                    if (data[i] != 0xFF) return false;
                return true;
            }
        }

        /// <summary>256-byte blocks aligned to 256 from <paramref name="alignBase"/>, padded with 0xFF, for data inside <paramref name="region"/>.</summary>
        private static List<Block> BuildBlocks(IReadOnlyList<ImageSegment> segments, MemoryRange region, uint alignBase)
        {
            var blocks = new SortedDictionary<uint, byte[]>();
            var covered = new Dictionary<uint, bool[]>();
            foreach (var s in segments)
            {
                for (uint a = Math.Max(s.Address, region.Start); a < Math.Min(s.End, region.End);)
                {
                    var blockStart = alignBase + (a - alignBase) / BlockSize * BlockSize;
                    var blockEnd = Math.Min(blockStart + BlockSize, region.End);
                    if (!blocks.TryGetValue(blockStart, out var buf))
                    {
                        buf = new byte[blockEnd - blockStart];
                        for (int i = 0; i < buf.Length; i++) buf[i] = 0xFF;
                        blocks[blockStart] = buf;
                        covered[blockStart] = new bool[buf.Length];
                    }
                    var end = Math.Min(Math.Min(s.End, region.End), blockEnd);
                    s.CopyTo((int)(a - s.Address), buf, (int)(a - blockStart), (int)(end - a));
                    var mask = covered[blockStart];
                    for (var i = a - blockStart; i < end - blockStart; i++) mask[i] = true;
                    a = end;
                }
            }
            return blocks.Select(kv => new Block(kv.Key, kv.Value, covered[kv.Key])).ToList();
        }

        private static IEnumerable<List<Block>> Runs(IReadOnlyList<Block> blocks)
        {
            var run = new List<Block>();
            foreach (var b in blocks)
            {
                if (run.Count > 0 && run[run.Count - 1].Address + (uint)run[run.Count - 1].Data.Length != b.Address)
                {
                    yield return run;
                    run = new List<Block>();
                }
                run.Add(b);
            }
            if (run.Count > 0) yield return run;
        }

        /// <summary>The parts of erased pages that the image does not cover.</summary>
        private static IReadOnlyList<MemoryRange> Collateral(IReadOnlyList<FlashPage> pages, IReadOnlyList<ImageSegment> segments)
            => Uncovered(Merge(pages), segments.Where(s => s.Length > 0).Select(s => new MemoryRange(s.Address, s.End)));

        /// <summary>The parts of <paramref name="areas"/> that none of <paramref name="covered"/> overlaps, neighbours merged.</summary>
        private static List<MemoryRange> Uncovered(IEnumerable<MemoryRange> areas, IEnumerable<MemoryRange> covered)
        {
            var cover = covered.OrderBy(r => r.Start).ToList();
            var result = new List<MemoryRange>();
            foreach (var area in areas)
            {
                uint a = area.Start;
                foreach (var c in cover)
                {
                    if (c.End <= a || c.Start >= area.End) continue;
                    if (c.Start > a) Add(result, new MemoryRange(a, c.Start));
                    a = Math.Max(a, Math.Min(c.End, area.End));
                }
                if (a < area.End) Add(result, new MemoryRange(a, area.End));
            }
            return result;
        }

        private static void Add(List<MemoryRange> ranges, MemoryRange r)
        {
            if (ranges.Count > 0 && ranges[ranges.Count - 1].End == r.Start)
                ranges[ranges.Count - 1] = new MemoryRange(ranges[ranges.Count - 1].Start, r.End);
            else ranges.Add(r);
        }

        /// <summary>Reports at most every 100 ms (plus the final report): the host throttles too.</summary>
        private static Action<OperationProgress, bool> Throttle(IProgress<OperationProgress>? progress)
        {
            if (progress == null) return (_, __) => { };
            var sw = Stopwatch.StartNew();
            long last = -1000;
            return (p, force) =>
            {
                if (!force && sw.ElapsedMilliseconds - last < 100) return;
                last = sw.ElapsedMilliseconds;
                progress.Report(p);
            };
        }
    }
}
