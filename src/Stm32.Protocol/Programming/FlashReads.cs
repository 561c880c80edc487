using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Stm32.Protocol.Bootloader;
using Stm32.Protocol.Devices;

namespace Stm32.Protocol.Programming
{
    /// <summary>Reads of flash that are believed only when they are stable, and the blank check built on them.</summary>
    internal static class FlashReads
    {
        /// <summary>
        /// A blank check: every byte of <paramref name="ranges"/> must read 0xFF. By Get Checksum
        /// (one per range, compared with the CRC of that many 0xFF bytes) where the chip's checksum
        /// is believed; a range whose checksum differs, or every range without one, is read back,
        /// and a chunk that is not blank is read again before it is believed. Throws
        /// <see cref="Stm32NotErasedException"/> naming the first byte that is not 0xFF.
        /// </summary>
        public static void CheckBlank(Stm32Connection connection, IReadOnlyList<MemoryRange> ranges, bool byChecksum,
            IProgress<OperationProgress>? progress, CancellationToken ct)
        {
            long total = ranges.Sum(r => (long)r.Length), done = 0;
            foreach (var range in ranges)
            {
                if (byChecksum && range.Length % 4 == 0 && range.Start % 4 == 0
                    && connection.Checksum(range.Start, range.Length, null, ct) == BlankCrc(range.Length))
                {
                    done += range.Length;
                    progress?.Report(new OperationProgress("Checking the erase", done, total, Stm32Connection.Hex(range.Start)));
                    continue;
                }
                for (uint off = 0; off < range.Length; off += FlashBlock.Size)
                {
                    var at = range.Start + off;
                    var n = (int)Math.Min(FlashBlock.Size, range.Length - off);
                    var got = StableRead(connection, at, Blank(n), null, ct);
                    for (int i = 0; i < n; i++)
                    {
                        if (got[i] == 0xFF) continue;
                        var address = at + (uint)i;
                        throw new Stm32NotErasedException(connection.Device, address, got[i], got.Skip(i).Count(b => b != 0xFF));
                    }
                    done += n;
                    progress?.Report(new OperationProgress("Checking the erase", done, total, Stm32Connection.Hex(at)));
                }
            }
        }

        /// <summary><paramref name="length"/> bytes of erased flash (0xFF).</summary>
        public static byte[] Blank(int length)
        {
            var b = new byte[length];
            for (int i = 0; i < b.Length; i++) b[i] = 0xFF;
            return b;
        }

        /// <summary>The CRC (spec 10.4) of <paramref name="length"/> bytes of 0xFF.</summary>
        public static uint BlankCrc(uint length)
        {
            var ff = Blank(4096);
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
        /// Reads a chunk; when it differs from <paramref name="want"/> (where <paramref name="covered"/>
        /// says the image has data), reads it again, at most <see cref="RecoveryOptions.VerifyReads"/>
        /// reads in all: a read that matches ends it, and so do two reads that agree (two garbled
        /// reads never do). When no two agree, each byte is taken by majority: a byte garbled on
        /// the way back must not pass for a wrong chip, nor a wrong chip for a garbled read.
        /// </summary>
        public static byte[] StableRead(Stm32Connection connection, uint address, byte[] want, bool[]? covered, CancellationToken ct)
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

        public static bool Matches(byte[] got, byte[] want, bool[]? covered)
        {
            for (int i = 0; i < want.Length; i++)
                if (got[i] != want[i] && (covered == null || covered[i])) return false;
            return true;
        }
    }
}
