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
        public bool MassErased { get; internal set; }
        public bool Verified { get; internal set; }
        public VerifyMethod VerifyMethod { get; internal set; }
        public long BytesSent { get; internal set; }
        public long BytesReceived { get; internal set; }
        public TimeSpan Duration { get; internal set; }
        /// <summary>Data in erased pages that the image does not cover (lost by the erase).</summary>
        public IReadOnlyList<MemoryRange> CollateralErased { get; internal set; } = Array.Empty<MemoryRange>();
    }

    /// <summary>The result of comparing the chip with an image.</summary>
    public sealed class CompareOutcome
    {
        public bool Matches => DifferingBytes == 0;
        public uint? FirstDifference { get; internal set; }
        public long DifferingBytes { get; internal set; }
        public long ComparedBytes { get; internal set; }
    }

    /// <summary>
    /// Writes an image the way spec 15a.4-15a.6 recommends: check everything first, erase only
    /// the pages the image touches, write 256-byte blocks aligned to 256 and padded with 0xFF
    /// (never one write per HEX line), skip blocks that are all 0xFF after an erase, and verify
    /// the whole image after writing (by Get Checksum where listed, else by read-back).
    /// </summary>
    public static class FlashProgrammer
    {
        public const int BlockSize = Commands.MaxBlock;

        /// <summary>
        /// Checks, before anything is sent, that every byte of the image lies in the flash (the
        /// chip's real size) or the host-usable RAM of the connected device (ImageValidator), and
        /// that none is in the option area: option bytes go through Set-Stm32OptionByte, which
        /// writes them as one validated block (spec 15a.4).
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

        public static WriteOutcome Write(Stm32Connection connection, FirmwareImage image, WriteOptions options,
            IProgress<OperationProgress>? progress = null, CancellationToken ct = default)
        {
            CheckFits(connection, image);
            var segments = image.Segments;
            var sw = Stopwatch.StartNew();
            var sent0 = connection.Client.BytesSent;
            var recv0 = connection.Client.BytesReceived;
            var outcome = new WriteOutcome { DataBytes = image.DataBytes };
            var flash = connection.Flash;
            var layout = connection.Device.Layout!;

            var flashBlocks = BuildBlocks(segments, flash, flash.Start);
            var ramBlocks = BuildBlocks(segments, connection.Device.Ram, connection.Device.Ram.Start);

            // Erase.
            if (options.Erase == EraseMode.All)
            {
                connection.MassErase(progress, ct);
                outcome.MassErased = true;
                outcome.PagesErased = layout.PagesTouching(flash.Start, flash.Length).Select(p => p.Index).ToList();
            }
            else if (options.Erase == EraseMode.Touched && flashBlocks.Count > 0)
            {
                var ranges = segments.Where(s => flash.Contains(s.Address)).Select(s => new MemoryRange(s.Address, Math.Min(s.End, flash.End)));
                var pages = layout.PagesTouching(ranges).Where(p => flash.Contains(p.Start)).ToList();
                outcome.CollateralErased = Collateral(pages, segments);
                var all = layout.PagesTouching(flash.Start, flash.Length);
                if (pages.Count == all.Count && (connection.Device.Flags & DeviceFlags.NoMassErase) == 0)
                {
                    connection.MassErase(progress, ct);
                    outcome.MassErased = true;
                }
                else
                {
                    connection.ErasePages(pages.Select(p => p.Index).ToList(), progress, ct);
                }
                outcome.PagesErased = pages.Select(p => p.Index).ToList();
            }
            bool erased = options.Erase != EraseMode.None;

            // Write: all-0xFF blocks are skipped (programming 0xFF changes no bit of flash).
            var toWrite = flashBlocks.Where(b => !b.AllErased).Concat(ramBlocks).ToList();
            outcome.BlocksSkipped = flashBlocks.Count(b => b.AllErased);
            long total = toWrite.Sum(b => (long)b.Data.Length), done = 0;
            var report = Throttle(progress);
            foreach (var b in toWrite)
            {
                connection.WriteBlock(b.Address, b.Data, 0, b.Data.Length, ct);
                done += b.Data.Length;
                outcome.BlocksWritten++;
                outcome.BytesWritten += b.Data.Length;
                report(new OperationProgress("Writing", done, total, Stm32Connection.Hex(b.Address)), false);
            }
            report(new OperationProgress("Writing", total, total, null), true);

            // Verify the whole image after the whole write (spec 4.6: H7 read-back caveat).
            if (options.Verify)
            {
                if (connection.HasChecksum && erased && !options.ForceReadBack)
                {
                    outcome.VerifyMethod = VerifyMethod.Checksum;
                    VerifyByChecksum(connection, flashBlocks, image, progress, ct);
                    if (ramBlocks.Count > 0) VerifyByReadBack(connection, Within(image, connection.Device.Ram), progress, ct);
                }
                else
                {
                    outcome.VerifyMethod = VerifyMethod.ReadBack;
                    VerifyByReadBack(connection, image, progress, ct);
                }
                outcome.Verified = true;
            }
            outcome.Duration = sw.Elapsed;
            outcome.BytesSent = connection.Client.BytesSent - sent0;
            outcome.BytesReceived = connection.Client.BytesReceived - recv0;
            return outcome;
        }

        /// <summary>Compares the chip with the image by reading it back; never writes.</summary>
        public static CompareOutcome Compare(Stm32Connection connection, FirmwareImage image,
            IProgress<OperationProgress>? progress = null, CancellationToken ct = default)
        {
            var outcome = new CompareOutcome();
            long total = image.DataBytes, done = 0;
            var report = Throttle(progress);
            foreach (var s in image.Segments)
            {
                for (int off = 0; off < s.Length; off += BlockSize)
                {
                    var n = Math.Min(BlockSize, s.Length - off);
                    var got = connection.Read((uint)(s.Address + off), n, null, ct);
                    for (int i = 0; i < n; i++)
                    {
                        if (got[i] != s[off + i])
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
            return outcome;
        }

        private static void VerifyByReadBack(Stm32Connection connection, FirmwareImage image, IProgress<OperationProgress>? progress, CancellationToken ct)
        {
            var cmp = Compare(connection, image, Rename(progress, "Verifying"), ct);
            if (!cmp.Matches)
                throw new Stm32VerifyException(string.Format(CultureInfo.InvariantCulture,
                    "Verify failed: the chip differs from the image at 0x{0:X8} ({1} bytes differ).", cmp.FirstDifference, cmp.DifferingBytes),
                    cmp.FirstDifference!.Value, (int)Math.Min(int.MaxValue, cmp.DifferingBytes));
        }

        private static void VerifyByChecksum(Stm32Connection connection, IReadOnlyList<Block> blocks, FirmwareImage image,
            IProgress<OperationProgress>? progress, CancellationToken ct)
        {
            // Contiguous runs of planned blocks (written or skipped as 0xFF): after the erase the
            // chip must hold exactly the block buffers there.
            long total = blocks.Sum(b => (long)b.Data.Length), done = 0;
            foreach (var run in Runs(blocks))
            {
                var start = run[0].Address;
                var data = run.SelectMany(b => b.Data).ToArray();
                var expected = Crc32Stm32.Compute(data);
                var actual = connection.Client.GetChecksum(start, (uint)data.Length, ct: ct);
                done += data.Length;
                progress?.Report(new OperationProgress("Verifying", done, total, Stm32Connection.Hex(start)));
                if (actual != expected)
                {
                    // Find the first differing byte for the error message.
                    var inRun = image.Slice(start, (uint)data.Length);
                    var cmp = Compare(connection, inRun, null, ct);
                    var at = cmp.FirstDifference ?? start;
                    throw new Stm32VerifyException(string.Format(CultureInfo.InvariantCulture,
                        "Verify failed: the chip's checksum of 0x{0:X8}-0x{1:X8} is 0x{2:X8}, the image's 0x{3:X8}; first difference at 0x{4:X8}.",
                        start, start + data.Length - 1, actual, expected, at), at, (int)Math.Max(1, cmp.DifferingBytes));
                }
            }
            progress?.Report(new OperationProgress("Verifying", total, total));
        }

        private sealed class Block
        {
            public Block(uint address, byte[] data)
            {
                Address = address;
                Data = data;
            }

            public uint Address { get; }
            public byte[] Data { get; }
            public bool AllErased => Data.All(b => b == 0xFF);
        }

        /// <summary>256-byte blocks aligned to 256 from <paramref name="alignBase"/>, padded with 0xFF, for data inside <paramref name="region"/>.</summary>
        private static List<Block> BuildBlocks(IReadOnlyList<ImageSegment> segments, MemoryRange region, uint alignBase)
        {
            var blocks = new SortedDictionary<uint, byte[]>();
            foreach (var s in segments)
            {
                for (uint a = Math.Max(s.Address, region.Start); a < Math.Min(s.End, region.End);)
                {
                    var blockStart = alignBase + (a - alignBase) / BlockSize * BlockSize;
                    var blockEnd = Math.Min(blockStart + BlockSize, region.End);
                    if (!blocks.TryGetValue(blockStart, out var buf))
                    {
                        buf = Enumerable.Repeat((byte)0xFF, (int)(blockEnd - blockStart)).ToArray();
                        blocks[blockStart] = buf;
                    }
                    var end = Math.Min(Math.Min(s.End, region.End), blockEnd);
                    s.CopyTo((int)(a - s.Address), buf, (int)(a - blockStart), (int)(end - a));
                    a = end;
                }
            }
            return blocks.Select(kv => new Block(kv.Key, kv.Value)).ToList();
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

        private static FirmwareImage Within(FirmwareImage image, MemoryRange range) => image.Slice(range.Start, range.Length);

        /// <summary>The parts of erased pages that the image does not cover.</summary>
        private static IReadOnlyList<MemoryRange> Collateral(IReadOnlyList<FlashPage> pages, IReadOnlyList<ImageSegment> segments)
        {
            var result = new List<MemoryRange>();
            var covered = segments.Where(s => s.Length > 0).ToList();
            foreach (var p in pages)
            {
                uint a = p.Start;
                foreach (var s in covered)
                {
                    if (s.End <= a || s.Address >= p.End) continue;
                    if (s.Address > a) result.Add(new MemoryRange(a, s.Address));
                    a = Math.Max(a, Math.Min(s.End, p.End));
                }
                if (a < p.End) result.Add(new MemoryRange(a, p.End));
            }
            // Merge neighbours.
            var merged = new List<MemoryRange>();
            foreach (var r in result)
            {
                if (merged.Count > 0 && merged[merged.Count - 1].End == r.Start)
                    merged[merged.Count - 1] = new MemoryRange(merged[merged.Count - 1].Start, r.End);
                else merged.Add(r);
            }
            return merged;
        }

        private static IProgress<OperationProgress>? Rename(IProgress<OperationProgress>? inner, string activity)
            => inner == null ? null : new SyncProgress(p => inner.Report(new OperationProgress(activity, p.Done, p.Total, p.Detail)));

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
