using System;
using System.Globalization;

namespace Stm32.Protocol.Programming
{
    /// <summary>
    /// Progress for one long wait for an ACK (a mass erase, a Readout Unprotect): the time waited
    /// against the time the part is expected to take. Its <see cref="Tick"/> is what
    /// BootloaderClient calls about every 250 ms on the waiting thread.
    /// </summary>
    internal sealed class WaitProgress
    {
        private readonly IProgress<OperationProgress> _progress;
        private readonly string _activity;
        private readonly TimeSpan _expected;
        private readonly TimeSpan _timeout;
        private TimeSpan _waited;

        public WaitProgress(IProgress<OperationProgress> progress, string activity, TimeSpan expected, TimeSpan timeout)
        {
            _progress = progress;
            _activity = activity;
            _expected = expected;
            _timeout = timeout;
        }

        /// <summary>The bar's length in ms: the expected time, stretched while the chip takes longer.</summary>
        private long Total => Math.Max((long)_expected.TotalMilliseconds, (long)_waited.TotalMilliseconds + 1000);

        public void Tick(TimeSpan waited)
        {
            _waited = waited;
            _progress.Report(new OperationProgress(_activity, (long)waited.TotalMilliseconds, Total,
                string.Format(CultureInfo.InvariantCulture, "mass erase: {0:0} s of about {1:0} s (gives up after {2:0} s)",
                    waited.TotalSeconds, _expected.TotalSeconds, _timeout.TotalSeconds)));
        }

        public void Done(string detail) => _progress.Report(new OperationProgress(_activity, Total, Total, detail));

        /// <summary>The tick to hand to the client, or null without a progress sink.</summary>
        public static Action<TimeSpan>? TickOf(WaitProgress? wait) => wait == null ? null : (Action<TimeSpan>)wait.Tick;
    }
}
