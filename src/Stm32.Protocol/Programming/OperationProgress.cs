using System;

namespace Stm32.Protocol.Programming
{
    /// <summary>One progress report of a long operation (erase, write, verify, read).</summary>
    public readonly struct OperationProgress
    {
        public OperationProgress(string activity, long done, long total, string? detail = null)
        {
            Activity = activity;
            Done = done;
            Total = total;
            Detail = detail;
        }

        /// <summary>"Erasing", "Writing", "Verifying", "Reading".</summary>
        public string Activity { get; }

        /// <summary>Bytes (or pages, for erase) done so far.</summary>
        public long Done { get; }

        public long Total { get; }

        /// <summary>E.g. the address being worked on.</summary>
        public string? Detail { get; }

        public int Percent => Total <= 0 ? 0 : (int)Math.Min(100, Done * 100 / Total);
    }

    /// <summary>
    /// A progress callback invoked synchronously on the caller's thread (never
    /// System.Progress&lt;T&gt;, which posts to another thread: PowerShell's WriteProgress
    /// must run on the pipeline thread).
    /// </summary>
    public sealed class SyncProgress : IProgress<OperationProgress>
    {
        private readonly Action<OperationProgress> _handler;

        public SyncProgress(Action<OperationProgress> handler) => _handler = handler;

        public void Report(OperationProgress value) => _handler(value);
    }
}
