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
    /// <para>
    /// The rate and the time left are per phase (erase, write, verify each start their own
    /// count), measured from the phase's start, and shown only once the phase has run for
    /// <see cref="RateWindow"/>: a rate taken over a few hundred bytes, or over the time an
    /// earlier phase took, is noise (a verify that starts at "201 bytes/s, 316 s left").
    /// </para>
    /// </summary>
    internal sealed class ProgressReporter : IDisposable
    {
        private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);

        /// <summary>How long a phase runs before its rate and time left are shown.</summary>
        internal static readonly TimeSpan RateWindow = TimeSpan.FromSeconds(1);

        /// <summary>The activities whose Done and Total count bytes; the others count pages or milliseconds.</summary>
        private static readonly string[] ByteActivities = { "Writing", "Verifying", "Reading", "Comparing" };

        private readonly Cmdlet _cmdlet;
        private readonly ProgressRecord _record;
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private TimeSpan _lastWrite = TimeSpan.MinValue;
        private bool _written;
        private bool _completed;

        // The phase the last report belonged to: its activity, when it started and its count then.
        private string? _phase;
        private TimeSpan _phaseStart;
        private long _phaseDone;
        private long _lastDone;

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
            // A new activity, or a count that went back (a pass over the blocks again), starts a new phase.
            if (p.Activity != _phase || p.Done < _lastDone)
            {
                _phase = p.Activity;
                _phaseStart = now;
                _phaseDone = p.Done;
            }
            _lastDone = p.Done;
            bool last = p.Total > 0 && p.Done >= p.Total;
            if (_written && !last && now - _lastWrite < Interval) return;
            _lastWrite = now;
            _record.Activity = p.Activity;
            _record.PercentComplete = p.Percent;
            _record.SecondsRemaining = -1;
            if (Array.IndexOf(ByteActivities, p.Activity) < 0)
            {
                _record.StatusDescription = p.Detail ?? string.Format(CultureInfo.InvariantCulture, "{0} of {1}", p.Done, p.Total);
                _record.CurrentOperation = null;
            }
            else
            {
                var elapsed = now - _phaseStart;
                double rate = elapsed >= RateWindow && p.Done > _phaseDone ? (p.Done - _phaseDone) / elapsed.TotalSeconds : 0;
                _record.StatusDescription = rate > 0
                    ? string.Format(CultureInfo.InvariantCulture, "{0:N0} of {1:N0} bytes, {2:N0} bytes/s", p.Done, p.Total, rate)
                    : string.Format(CultureInfo.InvariantCulture, "{0:N0} of {1:N0} bytes", p.Done, p.Total);
                _record.CurrentOperation = p.Detail;
                if (rate > 0 && p.Done < p.Total)
                    _record.SecondsRemaining = (int)Math.Ceiling((p.Total - p.Done) / rate);
            }
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
