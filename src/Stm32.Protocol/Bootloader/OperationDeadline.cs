using System;
using System.Globalization;
using Stm32.Protocol.Transport;

namespace Stm32.Protocol.Bootloader
{
    /// <summary>
    /// The total time one operation (a connect, a write, a read, an erase) may take: a fixed floor
    /// plus a multiple of what a working chip needs for it (wire time at the baud, the part's
    /// flash times from spec 6.3, one turnaround per exchange). Every wait of the
    /// <see cref="BootloaderClient"/> inside it is cut short at the deadline, and a step cut short
    /// ends the operation with a <see cref="Stm32DeadlineException"/> naming the step: retries and
    /// resyncs, each bounded on its own, cannot add up to a wait without end.
    /// </summary>
    public sealed class OperationDeadline
    {
        private readonly Deadline _at;

        internal OperationDeadline(string operation, TimeSpan expected, TimeSpan budget)
        {
            Operation = operation;
            Expected = expected;
            Budget = budget;
            _at = Deadline.After(budget);
        }

        /// <summary>What is being done: "Writing 65536 bytes", "Erasing 64 pages".</summary>
        public string Operation { get; }

        /// <summary>What a working chip needs for it.</summary>
        public TimeSpan Expected { get; }

        /// <summary>The total time allowed.</summary>
        public TimeSpan Budget { get; }

        public TimeSpan Remaining => _at.Remaining;

        public bool HasPassed => _at.HasPassed;

        /// <summary>The shorter of <paramref name="wait"/> and the time left.</summary>
        internal TimeSpan Cap(TimeSpan wait)
        {
            var left = _at.Remaining;
            return left < wait ? left : wait;
        }

        internal string Describe()
            => string.Format(CultureInfo.InvariantCulture, "{0} did not finish within its deadline of {1:0.#} s (a working chip needs about {2:0.#} s for it)",
                Operation, Budget.TotalSeconds, Expected.TotalSeconds);
    }
}
