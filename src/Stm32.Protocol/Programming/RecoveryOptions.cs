using System;

namespace Stm32.Protocol.Programming
{
    /// <summary>
    /// How hard a connection tries to get through a noisy line, a NACK, a stall or a chip that
    /// reset (issue 8; spec 2.1 for the resync). Every limit is per block or per command, so a
    /// long image on a bad line still ends: with the exact image verified, or with an error that
    /// names the address and what happened.
    /// </summary>
    public sealed class RecoveryOptions
    {
        /// <summary>Retries of one block or command after its first failure (0: fail at once, as stm32flash does).</summary>
        public int Retries { get; set; } = 5;

        /// <summary>Resync handshakes tried in one recovery before the line is declared lost.</summary>
        public int ResyncAttempts { get; set; } = 4;

        /// <summary>
        /// How many times one page or sector may be erased and rewritten because a block in it
        /// read back wrong (flash bits only go 1 to 0, so a wrong block needs an erase).
        /// </summary>
        public int PageRewrites { get; set; } = 3;

        /// <summary>Reads of one chunk that disagrees with the image before the difference is believed (the read itself may be garbled).</summary>
        public int VerifyReads { get; set; } = 5;

        /// <summary>The first pause before a retry; it doubles per retry up to <see cref="MaxBackOff"/>.</summary>
        public TimeSpan BackOff { get; set; } = TimeSpan.FromMilliseconds(10);

        public TimeSpan MaxBackOff { get; set; } = TimeSpan.FromMilliseconds(200);

        /// <summary>
        /// During a resync, input must have been quiet this long (after the filler's wire time)
        /// before the 0x7F goes out, so late answers are not taken for the sync reply.
        /// </summary>
        public TimeSpan QuietTime { get; set; } = TimeSpan.FromMilliseconds(30);

        /// <summary>
        /// 0xFF bytes sent before the 0x7F of a resync, enough to complete the longest frame the
        /// chip may be holding half of (Write Memory: N, 256 data, checksum). The last resync
        /// attempt sends enough for the longest Extended Erase list instead.
        /// </summary>
        public int FillerBytes { get; set; } = 260;

        /// <summary>No retries, no resyncs, no rewrites: the first failure ends the operation.</summary>
        public static RecoveryOptions None => new RecoveryOptions { Retries = 0, ResyncAttempts = 0, PageRewrites = 0, VerifyReads = 1 };

        public RecoveryOptions Clone() => (RecoveryOptions)MemberwiseClone();
    }

    /// <summary>Recovery work done on a connection, cumulative since it was opened.</summary>
    public sealed class RecoveryCounters
    {
        /// <summary>Blocks or commands sent again after a failure.</summary>
        public int Retries { get; internal set; }

        /// <summary>Resync handshakes (filler, drain, 0x7F) run to get back in step with the chip.</summary>
        public int Resyncs { get; internal set; }

        /// <summary>Blocks written again because they read back wrong (directly, or after erasing their page).</summary>
        public int Rewrites { get; internal set; }

        /// <summary>Pages or sectors erased again to rewrite a block that read back wrong.</summary>
        public int PagesReerased { get; internal set; }

        /// <summary>Chip resets noticed (it answered a fresh 0x7F with ACK while we thought it synchronised).</summary>
        public int Resets { get; internal set; }

        /// <summary>Chunks read again because a read disagreed with the image.</summary>
        public int Rereads { get; internal set; }

        public RecoveryCounters Snapshot() => (RecoveryCounters)MemberwiseClone();

        /// <summary>The work done since <paramref name="before"/> (a snapshot of the same counters).</summary>
        public RecoveryCounters Since(RecoveryCounters before) => new RecoveryCounters
        {
            Retries = Retries - before.Retries,
            Resyncs = Resyncs - before.Resyncs,
            Rewrites = Rewrites - before.Rewrites,
            PagesReerased = PagesReerased - before.PagesReerased,
            Resets = Resets - before.Resets,
            Rereads = Rereads - before.Rereads,
        };
    }
}
