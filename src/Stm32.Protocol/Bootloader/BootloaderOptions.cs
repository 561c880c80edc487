using System;

namespace Stm32.Protocol.Bootloader
{
    /// <summary>How long to wait for each kind of answer (spec section 6; generous where the chip works).</summary>
    public sealed class BootloaderOptions
    {
        /// <summary>An ACK or reply to a short command (Get, addresses, Read).</summary>
        public TimeSpan ReplyTimeout { get; set; } = TimeSpan.FromMilliseconds(500);

        /// <summary>The ACK after a Write Memory block (the chip programs before answering).</summary>
        public TimeSpan WriteTimeout { get; set; } = TimeSpan.FromSeconds(1);

        /// <summary>
        /// The most one page or sector of a page erase may take (SF: 5 s per page; F4 128 KiB sectors
        /// take up to 4 s). A connection that knows the part waits less: 4 times the part's typical
        /// time per page (Devices/FlashTimings.cs) plus 4 reply timeouts per command, when that is shorter.
        /// </summary>
        public TimeSpan EraseTimeoutPerPage { get; set; } = TimeSpan.FromSeconds(5);

        /// <summary>
        /// The most a mass erase, or a Readout Unprotect (which mass-erases), may take: up to 30 s on
        /// 1-2 MiB F4/F7. A connection that knows the part waits less for a mass erase: 4 times the
        /// part's typical time (at least 5 s) plus 4 reply timeouts, when that is shorter.
        /// </summary>
        public TimeSpan MassEraseTimeout { get; set; } = TimeSpan.FromSeconds(60);

        /// <summary>The second ACK of Write Protect, Write Unprotect and Readout Protect.</summary>
        public TimeSpan ProtectionTimeout { get; set; } = TimeSpan.FromSeconds(2);

        /// <summary>How long the chip takes to come back after a reset before we send 0x7F (SL: 0.1 s).</summary>
        public TimeSpan ResetSettleTime { get; set; } = TimeSpan.FromMilliseconds(100);

        /// <summary>
        /// The short first wait after 0x7F. A fresh chip answers within a few byte times; a chip that
        /// is already synchronised says nothing (it holds our 0x7F as half a command), so we stop
        /// waiting early and complete the pair with a second 0x7F instead of paying a full timeout.
        /// Too short costs only bytes: a late ACK (a USB adapter's 16 ms latency timer) is still
        /// taken, and a third 0x7F then clears the pair the second one left open.
        /// </summary>
        public TimeSpan SyncProbeTimeout { get; set; } = TimeSpan.FromMilliseconds(20);

        /// <summary>After a NACK, how long to wait for more bytes (a second NACK, or answers to our frame's leftovers).</summary>
        public TimeSpan NackSettleTime { get; set; } = TimeSpan.FromMilliseconds(5);

        /// <summary>How many times the whole sync handshake is tried before giving up.</summary>
        public int SyncAttempts { get; set; } = 2;

        /// <summary>
        /// The chip is believed to be in its command loop, idle: a session of ours left it so
        /// (<see cref="BootloaderClient.IsIdle"/> when it ended) and nothing reset it since, as far
        /// as we know. Connecting then starts with 0x7F 0x7F and takes the NACK at once instead of
        /// waiting out <see cref="SyncProbeTimeout"/>; a wrong guess costs a few bytes, not a failure.
        /// Used by <see cref="Programming.Stm32Connection.Open(Transport.IByteLink, BootloaderOptions?, System.Threading.CancellationToken)"/>'s first sync only.
        /// </summary>
        public bool ExpectSynchronized { get; set; }

        /// <summary>
        /// Every operation (connect, write, read, erase, resync) gets a total deadline of this much
        /// plus <see cref="DeadlineFactor"/> times what a working chip needs for it (wire time at the
        /// baud, the part's flash times, one turnaround per exchange): see <see cref="OperationDeadline"/>.
        /// </summary>
        public TimeSpan DeadlineFloor { get; set; } = TimeSpan.FromSeconds(30);

        /// <summary>How many times what a working chip needs an operation may take on top of <see cref="DeadlineFloor"/>.</summary>
        public double DeadlineFactor { get; set; } = 4;

        public BootloaderOptions Clone() => (BootloaderOptions)MemberwiseClone();
    }
}
