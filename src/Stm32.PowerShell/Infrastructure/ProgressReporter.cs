using System;
using System.Diagnostics;
using System.Globalization;
using System.Management.Automation;
using Stm32.Protocol.Programming;

namespace Stm32.PowerShell.Infrastructure
{
    /// <summary>
    /// Progress for one long operation, on the pipeline thread: a SyncProgress (never
    /// System.Progress, whose callback runs elsewhere) that writes at most every ~200 ms, with
    /// bytes and rate, and always a Completed record at the end. $ProgressPreference and
    /// -ProgressAction are PowerShell's to apply.
    /// </summary>
    internal sealed class ProgressReporter : IDisposable
    {
        private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);
        private readonly Cmdlet _cmdlet;
        private readonly ProgressRecord _record;
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private TimeSpan _lastWrite = TimeSpan.MinValue;
        private bool _written;
        private bool _completed;

        public ProgressReporter(Cmdlet cmdlet, int activityId, string activity, int parentActivityId = -1)
        {
            _cmdlet = cmdlet;
            _record = new ProgressRecord(activityId, activity, "Starting") { ParentActivityId = parentActivityId };
            Progress = new SyncProgress(Report);
        }

        /// <summary>Pass this to the protocol's operations.</summary>
        public IProgress<OperationProgress> Progress { get; }

        public void Report(OperationProgress p)
        {
            var now = _clock.Elapsed;
            bool last = p.Total > 0 && p.Done >= p.Total;
            if (_written && !last && now - _lastWrite < Interval) return;
            _lastWrite = now;
            _record.Activity = p.Activity;
            _record.PercentComplete = p.Percent;
            var rate = now.TotalSeconds > 0.05 ? p.Done / now.TotalSeconds : 0;
            _record.StatusDescription = p.Activity == "Erasing"
                ? p.Detail ?? string.Format(CultureInfo.InvariantCulture, "{0} of {1}", p.Done, p.Total)
                : string.Format(CultureInfo.InvariantCulture, "{0:N0} of {1:N0} bytes, {2:N0} bytes/s", p.Done, p.Total, rate);
            _record.CurrentOperation = p.Activity == "Erasing" ? null : p.Detail;
            if (p.Total > 0 && p.Done > 0 && p.Done < p.Total && rate > 0)
                _record.SecondsRemaining = (int)Math.Ceiling((p.Total - p.Done) / rate);
            _written = true;
            _cmdlet.WriteProgress(Snapshot());
        }

        /// <summary>Removes the bar. Safe to call twice; quiet when the pipeline is stopping.</summary>
        public void Complete()
        {
            if (_completed) return;
            _completed = true;
            _record.RecordType = ProgressRecordType.Completed;
            _record.PercentComplete = 100;
            _record.SecondsRemaining = -1;
            try
            {
                _cmdlet.WriteProgress(Snapshot());
            }
            catch (PipelineStoppedException)
            {
            }
        }

        public void Dispose() => Complete();

        /// <summary>A copy per write: hosts that keep records (PowerShell.Streams.Progress, remoting) must not see later changes.</summary>
        private ProgressRecord Snapshot() => new ProgressRecord(_record.ActivityId, _record.Activity, _record.StatusDescription)
        {
            ParentActivityId = _record.ParentActivityId,
            PercentComplete = _record.PercentComplete,
            SecondsRemaining = _record.SecondsRemaining,
            CurrentOperation = _record.CurrentOperation,
            RecordType = _record.RecordType,
        };
    }
}
