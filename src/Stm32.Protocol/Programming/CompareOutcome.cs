namespace Stm32.Protocol.Programming
{
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
}
