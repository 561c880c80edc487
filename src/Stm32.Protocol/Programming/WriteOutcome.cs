using System;
using System.Collections.Generic;
using Stm32.Protocol.Devices;

namespace Stm32.Protocol.Programming
{
    /// <summary>What a write did, for the result object and production logs.</summary>
    public sealed class WriteOutcome
    {
        /// <summary>The plan that was carried out.</summary>
        public WritePlan? Plan { get; internal set; }

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
        /// <summary>The parts of erased pages that the image does not cover (what they held is lost).</summary>
        public IReadOnlyList<MemoryRange> CollateralErased { get; internal set; } = Array.Empty<MemoryRange>();

        /// <summary>The same ranges with what the plan found in them before the erase.</summary>
        public IReadOnlyList<CollateralRange> Collateral { get; internal set; } = Array.Empty<CollateralRange>();

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
}
