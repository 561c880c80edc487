using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Stm32.Protocol.Bootloader;
using Stm32.Protocol.Devices;

namespace Stm32.Protocol.Programming
{
    /// <summary>
    /// How long things may take on this chip and link: erase timeouts from the part's flash times
    /// (spec 6.3, Devices/FlashTimings.cs), and total deadlines for whole operations
    /// (<see cref="OperationDeadline"/>) from what a working chip needs for them.
    /// </summary>
    public sealed partial class Stm32Connection
    {
        /// <summary>How many times the part's typical erase time a page or mass erase may take before the chip is deemed stuck.</summary>
        private const int EraseTimeFactor = 4;

        /// <summary>The least turnaround allowed per exchange in a deadline (a USB adapter's latency timer is up to 16 ms).</summary>
        private static readonly TimeSpan MinTurnaround = TimeSpan.FromMilliseconds(20);

        /// <summary>The least a mass erase is given: clones of a part may be slower than the datasheet (UNCONFIRMED).</summary>
        private static readonly TimeSpan MassEraseFloor = TimeSpan.FromSeconds(5);

        /// <summary>An erase command is sized so the chip needs about this long for it: it answers often, and a dead chip shows soon.</summary>
        private static readonly TimeSpan EraseCommandTarget = TimeSpan.FromSeconds(2.5);

        /// <summary>
        /// What one exchange costs beyond its bytes' wire time on this link: twice what identifying
        /// the chip took per exchange, at least 20 ms. A Bluetooth or network serial link with 100 ms
        /// turnarounds gets deadlines to match.
        /// </summary>
        public TimeSpan Turnaround { get; private set; } = MinTurnaround;

        /// <summary>The operation deadline now in force, if any.</summary>
        public OperationDeadline? Deadline => Client.Deadline;

        private FlashTimings Timings => FlashTimings.For(Device.Family);

        /// <summary>Measures <see cref="Turnaround"/> from an identification of <paramref name="exchanges"/> exchanges that took <paramref name="elapsed"/>.</summary>
        private void NoteTurnaround(TimeSpan elapsed, int exchanges)
        {
            var each = TimeSpan.FromTicks(elapsed.Ticks / Math.Max(1, exchanges));
            var twice = each + each;
            Turnaround = twice > MinTurnaround ? twice : MinTurnaround;
        }

        /// <summary>What a working chip needs: the bytes' wire time both ways, a turnaround per exchange, and the flash's own time.</summary>
        internal TimeSpan Needs(long exchanges, long bytes, TimeSpan flash)
            => TimeSpan.FromTicks(Client.WireTime(1).Ticks * bytes + Turnaround.Ticks * exchanges + flash.Ticks);

        /// <summary>
        /// Runs what follows under a total deadline of <see cref="BootloaderOptions.DeadlineFloor"/>
        /// plus <see cref="BootloaderOptions.DeadlineFactor"/> times <paramref name="needs"/> (dispose
        /// to end it). Inside an operation with a deadline that comes sooner, that one stays.
        /// </summary>
        public IDisposable WithinDeadline(string operation, TimeSpan needs)
        {
            var options = Client.Options;
            var budget = options.DeadlineFloor + TimeSpan.FromTicks((long)Math.Min(TimeSpan.MaxValue.Ticks / 2.0, needs.Ticks * Math.Max(1, options.DeadlineFactor)));
            return WithinDeadline(operation, needs, budget);
        }

        /// <summary>As <see cref="WithinDeadline(string, TimeSpan)"/> with the total time given.</summary>
        internal IDisposable WithinDeadline(string operation, TimeSpan needs, TimeSpan budget)
        {
            var outer = Client.Deadline;
            if (outer != null && outer.Remaining <= budget) return new Restore(null, null);
            Client.Deadline = new OperationDeadline(operation, needs, budget);
            return new Restore(Client, outer);
        }

        private sealed class Restore : IDisposable
        {
            private BootloaderClient? _client;
            private readonly OperationDeadline? _outer;

            public Restore(BootloaderClient? client, OperationDeadline? outer)
            {
                _client = client;
                _outer = outer;
            }

            public void Dispose()
            {
                if (_client != null) _client.Deadline = _outer;
                _client = null;
            }
        }

        /// <summary>Waits <paramref name="time"/> (cut short at the deadline), ending early on cancellation.</summary>
        private void Wait(TimeSpan time, CancellationToken ct)
        {
            var limit = Client.Deadline;
            if (limit != null) time = limit.Cap(time);
            if (time > TimeSpan.Zero && ct.WaitHandle.WaitOne(time)) ct.ThrowIfCancellationRequested();
        }

        /// <summary>Throws <see cref="Stm32DeadlineException"/> when the deadline in force has passed.</summary>
        internal void ThrowIfPastDeadline(string step, uint? address = null)
        {
            var limit = Client.Deadline;
            if (limit != null && limit.HasPassed) throw new Stm32DeadlineException(limit, step, null, null, address);
        }

        // ------------------------------------------------------------ erase times

        private TimeSpan TypicalErase(int page)
        {
            var p = Device.Layout?.Pages.ElementAtOrDefault(page);
            return Timings.PageErase(p?.Size ?? 1024);
        }

        private TimeSpan TypicalMassErase() => Timings.MassErase(FlashSizeFromChip ?? Flash.Length);

        /// <summary>
        /// How long one page-erase command may wait for its ACK: 4 reply timeouts, plus per page 4
        /// times the part's typical erase time (at most <see cref="BootloaderOptions.EraseTimeoutPerPage"/>).
        /// </summary>
        internal TimeSpan PageEraseTimeout(IReadOnlyList<int> pages)
        {
            var o = Client.Options;
            long ticks = 4 * o.ReplyTimeout.Ticks;
            foreach (var p in pages) ticks += Math.Min(o.EraseTimeoutPerPage.Ticks, EraseTimeFactor * TypicalErase(p).Ticks);
            return TimeSpan.FromTicks(ticks);
        }

        /// <summary>How long a mass erase may wait for its ACK: 4 reply timeouts plus 4 times the typical time (at least 5 s), at most <see cref="BootloaderOptions.MassEraseTimeout"/>.</summary>
        internal TimeSpan MassEraseTimeout()
        {
            var o = Client.Options;
            var typical = TimeSpan.FromTicks(EraseTimeFactor * TypicalMassErase().Ticks);
            var t = TimeSpan.FromTicks(4 * o.ReplyTimeout.Ticks) + (typical > MassEraseFloor ? typical : MassEraseFloor);
            return t < o.MassEraseTimeout ? t : o.MassEraseTimeout;
        }

        /// <summary>
        /// Splits pages into erase commands of at most <paramref name="limit"/> pages that the chip
        /// needs at most about 2.5 s for each (two 128 KiB sectors of an F4, 100 pages of an F1): each ACK
        /// shows the chip alive, and a chip that stopped answering is found within one short wait.
        /// </summary>
        internal IEnumerable<List<int>> EraseCommands(IReadOnlyList<int> pages, int limit)
        {
            var chunk = new List<int>();
            long ticks = 0;
            foreach (var p in pages)
            {
                var t = TypicalErase(p).Ticks;
                if (chunk.Count > 0 && (chunk.Count >= limit || ticks + t > EraseCommandTarget.Ticks))
                {
                    yield return chunk;
                    chunk = new List<int>();
                    ticks = 0;
                }
                chunk.Add(p);
                ticks += t;
            }
            if (chunk.Count > 0) yield return chunk;
        }

        // ------------------------------------------------------------ what operations need

        /// <summary>Reading <paramref name="bytes"/>: per 256-byte chunk three exchanges, 9 bytes out, 3 ACKs and the data back.</summary>
        public TimeSpan NeedsToRead(long bytes)
        {
            long chunks = (bytes + An3155.MaxBlock - 1) / An3155.MaxBlock;
            return Needs(3 * chunks, 12 * chunks + bytes, TimeSpan.Zero);
        }

        /// <summary>Writing <paramref name="bytes"/> in 256-byte blocks: three exchanges, 10 bytes of frame and 3 ACKs each, and the programming time.</summary>
        public TimeSpan NeedsToWrite(long bytes)
        {
            long blocks = (bytes + An3155.MaxBlock - 1) / An3155.MaxBlock;
            return Needs(3 * blocks, 13 * blocks + bytes, TimeSpan.FromTicks(Timings.Program(An3155.MaxBlock).Ticks * blocks));
        }

        /// <summary>Erasing pages by number: their typical erase time and two exchanges per command.</summary>
        public TimeSpan NeedsToErase(IReadOnlyList<int> pages)
        {
            long flash = pages.Sum(p => TypicalErase(p).Ticks);
            long commands = EraseCommands(pages, Stm32Connection.MaxPagesPerExtendedErase).Count();
            return Needs(2 * commands, commands * 4 + 2L * pages.Count, TimeSpan.FromTicks(flash));
        }

        /// <summary>Erasing the whole flash: a mass erase, or every page where the part has none or refuses it.</summary>
        public TimeSpan NeedsToEraseAll()
        {
            var pages = AllPages();
            var byPages = pages.Count > 0 ? NeedsToErase(pages) : TimeSpan.Zero;
            var mass = Needs(2, 7, TypicalMassErase());
            return mass > byPages ? mass : byPages;
        }

        /// <summary>Every page (sector) of the chip's real flash, by number.</summary>
        internal List<int> AllPages()
            => Device.Layout?.PagesTouching(Flash.Start, Flash.Length).Select(p => p.Index).ToList() ?? new List<int>();

    }
}
