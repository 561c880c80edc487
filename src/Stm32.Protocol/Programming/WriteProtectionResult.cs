using System.Collections.Generic;

using Stm32.Protocol.Devices;

namespace Stm32.Protocol.Programming
{
    /// <summary>What Write Protect did: the plan, and the protected pages before and after where readable.</summary>
    public sealed class WriteProtectionResult
    {
        internal WriteProtectionResult(WriteProtectionPlan plan, IReadOnlyList<int>? before, IReadOnlyList<int>? after, IReadOnlyList<string> warnings)
        {
            Plan = plan;
            ProtectedBefore = before;
            ProtectedAfter = after;
            Warnings = warnings;
        }

        public WriteProtectionPlan Plan { get; }

        public IReadOnlyList<int>? ProtectedBefore { get; }

        public IReadOnlyList<int>? ProtectedAfter { get; }

        public IReadOnlyList<string> Warnings { get; }

        public override string ToString() => Plan.Describe();
    }
}
