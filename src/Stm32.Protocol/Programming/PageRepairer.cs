using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Stm32.Protocol.Bootloader;
using Stm32.Protocol.Devices;

namespace Stm32.Protocol.Programming
{
    /// <summary>
    /// Verifies blocks and mends the wrong ones: a block whose wrong bits can still go 1 to 0 is
    /// written again; otherwise its page or sector is erased and every planned block in it
    /// written again (bounded per page). Ends only when a whole pass finds nothing wrong, or
    /// throws <see cref="Stm32VerifyException"/> naming the first wrong address.
    /// </summary>
    internal sealed class PageRepairer
    {
        private readonly Stm32Connection _c;
        private readonly FlashLayout _layout;
        private readonly IReadOnlyList<FlashBlock> _planned;
        private readonly MemoryRange _flash;
        private readonly bool _mayErase;
        private readonly IProgress<OperationProgress>? _progress;
        private readonly CancellationToken _ct;
        private readonly Dictionary<int, int> _pageErases = new Dictionary<int, int>();
        private readonly Dictionary<uint, int> _directWrites = new Dictionary<uint, int>();

        public PageRepairer(Stm32Connection c, FlashLayout layout, IReadOnlyList<FlashBlock> planned, MemoryRange flash, bool mayErase,
            IProgress<OperationProgress>? progress, CancellationToken ct)
        {
            _c = c;
            _layout = layout;
            _planned = planned;
            _flash = flash;
            _mayErase = mayErase;
            _progress = progress;
            _ct = ct;
        }

        public void VerifyAndRepair(IReadOnlyList<FlashBlock> blocks, bool byChecksum)
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

        private Stm32VerifyException VerifyFailed(List<(FlashBlock Block, byte[] Got)> bad, string after)
        {
            var (block, got) = bad[0];
            int differing = bad.Sum(x => Differences(x.Block, x.Got));
            var at = FirstDifference(block, got);
            return new Stm32VerifyException(string.Format(CultureInfo.InvariantCulture,
                "Verify failed: the chip differs from the image at 0x{0:X8} ({1} bytes differ in {2} block(s)){3}.{4}",
                at, differing, bad.Count, after,
                _mayErase ? "" : " Writing without erasing cannot turn 0 bits back into 1: erase first."), at, Math.Max(1, differing));
        }

        private static int Differences(FlashBlock b, byte[] got)
        {
            int n = 0;
            for (int i = 0; i < b.Data.Length; i++) if (b.Covered[i] && got[i] != b.Data[i]) n++;
            return n;
        }

        private static uint FirstDifference(FlashBlock b, byte[] got)
        {
            for (int i = 0; i < b.Data.Length; i++) if (b.Covered[i] && got[i] != b.Data[i]) return b.Address + (uint)i;
            return b.Address;
        }

        /// <summary>The blocks that are wrong on the chip, each with what the chip holds.</summary>
        private List<(FlashBlock Block, byte[] Got)> FindBad(List<FlashBlock> blocks, bool byChecksum, out uint? inconclusive)
        {
            inconclusive = null;
            var bad = new List<(FlashBlock, byte[])>();
            long total = blocks.Sum(b => (long)b.Data.Length), done = 0;
            var toRead = new List<FlashBlock>();
            if (byChecksum)
            {
                // Flash after an erase must hold exactly the block buffers (skipped blocks are
                // 0xFF): one Get Checksum per run, narrowed per page when a run differs.
                foreach (var run in FlashBlock.Runs(blocks.Where(b => _flash.Contains(b.Address)).ToList()))
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
                var got = FlashReads.StableRead(_c, b.Address, b.Data, b.Covered, _ct);
                if (!FlashReads.Matches(got, b.Data, b.Covered)) bad.Add((b, got));
                if (!byChecksum) { done += b.Data.Length; Report(done, total, b.Address); }
            }
            // A run's checksum differed but every block reads back right: believe neither (a
            // garbled CRC that passes its XOR check is rare, but possible).
            var flashRead = toRead.Where(b => _flash.Contains(b.Address)).ToList();
            if (byChecksum && flashRead.Count > 0 && bad.Count == 0) inconclusive = flashRead[0].Address;
            return bad;
        }

        private bool ChecksumMatches(List<FlashBlock> run)
        {
            var data = run.SelectMany(b => b.Data).ToArray();
            var expected = An3155.Crc32(data);
            var actual = _c.Checksum(run[0].Address, (uint)data.Length, null, _ct);
            return actual == expected;
        }

        private void Report(long done, long total, uint address)
            => _progress?.Report(new OperationProgress("Verifying", done, total, Stm32Connection.Hex(address)));

        /// <summary>Rewrites the bad blocks; returns every block written again.</summary>
        private List<FlashBlock> Repair(List<(FlashBlock Block, byte[] Got)> bad)
        {
            var rewritten = new List<FlashBlock>();
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
                    throw VerifyFailed(new List<(FlashBlock, byte[])> { (b, got) }, "");
                pagesToErase[page.Index] = page;
            }
            foreach (var page in pagesToErase.Values)
            {
                _pageErases.TryGetValue(page.Index, out var times);
                if (times >= _c.Recovery.PageRewrites)
                {
                    var (b, got) = bad.First(x => _layout.PageAt(x.Block.Address)?.Index == page.Index);
                    throw VerifyFailed(new List<(FlashBlock, byte[])> { (b, got) },
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

        private void WriteAgain(FlashBlock b, List<FlashBlock> rewritten)
        {
            _c.WriteBlock(b.Address, b.Data, 0, b.Data.Length, _ct);
            _c.Counters.Rewrites++;
            if (!rewritten.Contains(b)) rewritten.Add(b);
        }

        private static bool Programmable(FlashBlock b, byte[] got)
        {
            for (int i = 0; i < b.Data.Length; i++)
                if (b.Covered[i] && (got[i] & b.Data[i]) != b.Data[i]) return false;
            return true;
        }
    }
}
