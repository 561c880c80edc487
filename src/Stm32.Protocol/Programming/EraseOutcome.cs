using System;
using System.Collections.Generic;

namespace Stm32.Protocol.Programming
{
    /// <summary>What an erase did.</summary>
    public sealed class EraseOutcome
    {
        /// <summary>The plan that was carried out.</summary>
        public ErasePlan? Plan { get; internal set; }

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
}
