using System;
using System.Diagnostics;

namespace Stm32.Protocol.Transport
{
    /// <summary>
    /// A point in time on the monotonic clock (<see cref="Stopwatch.GetTimestamp"/>), for
    /// timeouts: unlike DateTime.UtcNow it does not jump when the wall clock is set (NTP, a
    /// user, a suspended VM), so a step neither stretches nor cuts a wait.
    /// </summary>
    internal readonly struct Deadline
    {
        // Beyond this the remaining time is reported as TimeSpan.MaxValue (about 28,000 years).
        private const double MaxSeconds = 9e11;

        private readonly long _at;

        private Deadline(long at) => _at = at;

        /// <summary><paramref name="timeout"/> from now; zero or negative: already passed.</summary>
        public static Deadline After(TimeSpan timeout)
        {
            var now = Stopwatch.GetTimestamp();
            if (timeout <= TimeSpan.Zero) return new Deadline(now);
            var ticks = timeout.TotalSeconds * Stopwatch.Frequency;
            return new Deadline(ticks >= long.MaxValue - now ? long.MaxValue : now + (long)ticks);
        }

        /// <summary>The time left, never negative.</summary>
        public TimeSpan Remaining
        {
            get
            {
                var left = _at - Stopwatch.GetTimestamp();
                if (left <= 0) return TimeSpan.Zero;
                var seconds = (double)left / Stopwatch.Frequency;
                return seconds >= MaxSeconds ? TimeSpan.MaxValue : TimeSpan.FromTicks((long)(seconds * TimeSpan.TicksPerSecond));
            }
        }

        public bool HasPassed => Stopwatch.GetTimestamp() >= _at;
    }
}
