using System;
using System.Globalization;
using System.Threading;
using Stm32.Protocol.Bootloader;

namespace Stm32.Protocol.Programming
{
    /// <summary>
    /// Recovery: a lost or garbled answer, a NACK or a timeout inside a command gets the
    /// connection back in step with the chip (spec 2.1) and the command tried again, a bounded
    /// number of times; a chip that reset is re-identified; a chip that came back protected or as
    /// another device stops the run.
    /// </summary>
    public sealed partial class Stm32Connection
    {
        // The longest frame a chip can wait for: an Extended Erase list whose count was garbled
        // (N+1 pages of 2 bytes, then the checksum; spec 4.8).
        private const int LargestFrame = 2 * 0xFFF0 + 3;

        // The longest filler sent to finish such a frame, in wire time: at low baud rates a whole
        // LargestFrame would take minutes; a frame longer than this leaves recovery to fail clearly.
        private static readonly TimeSpan LongestFiller = TimeSpan.FromSeconds(15);

        private RecoveryOptions _recovery = new RecoveryOptions();

        /// <summary>Retry limits, back-off and resync settings. Never null.</summary>
        public RecoveryOptions Recovery
        {
            get => _recovery;
            set => _recovery = value ?? throw new ArgumentNullException(nameof(value));
        }

        /// <summary>
        /// Where recovery narrates what it does ("Write Memory at 0x08001200: no answer; resynchronising").
        /// Called on the caller's thread; a cmdlet routes it to WriteVerbose.
        /// </summary>
        public Action<string>? Verbose { get; set; }

        /// <summary>
        /// Where things the user must see go ("the bootloader refused the mass erase; erasing page by
        /// page"). Called on the caller's thread; a cmdlet routes it to WriteWarning. Unset: to <see cref="Verbose"/>.
        /// </summary>
        public Action<string>? Warning { get; set; }

        internal void Warn(string message)
        {
            if (Warning != null) Warning(message);
            else Say(message);
        }

        /// <summary>Retries, resyncs, rewrites and resets since the connection was opened.</summary>
        public RecoveryCounters Counters { get; } = new RecoveryCounters();

        internal void Say(string message) => Verbose?.Invoke(message);

        /// <summary>
        /// Failures a retry can cure: timeouts, NACKs, unexpected bytes. Not: the chip's protection,
        /// a changed device, a missing command, a verify failure, or a recovery that already gave up.
        /// </summary>
        internal static bool IsRecoverable(Stm32Exception e)
            => (e is Stm32TimeoutException || e is Stm32NackException || e is Stm32ProtocolException)
               && !(e is Stm32ReadProtectedException) && !(e is Stm32DeadlineException);

        /// <summary>
        /// Runs one command (or one block) and retries it after a failure: a lone NACK (the chip
        /// consumed our frame and waits for the next command) is retried directly once; anything
        /// else first resynchronises. Throws <see cref="Stm32RecoveryFailedException"/> naming
        /// the step and address when the retries run out, or <see cref="Stm32ReadProtectedException"/>
        /// when every attempt was refused at the command itself and a probe confirms read protection.
        /// </summary>
        /// <param name="what">The operation, for messages ("Write Memory").</param>
        /// <param name="refused">For the protection message: "read", "write", "erase"; null when a refusal means nothing special.</param>
        /// <param name="failed">Told about every failure before it is retried (e.g. to mark a block suspect).</param>
        /// <param name="timeouts">The most attempts in a row that may get no answer at all before giving up
        /// (an erase: each such attempt waited several times what the chip needs; null: as many as the retries).</param>
        internal T Retry<T>(string what, uint? address, Func<T> op, CancellationToken ct, string? refused = null,
            Action<Stm32Exception>? failed = null, int? retries = null, int? timeouts = null)
        {
            int limit = Math.Max(0, retries ?? Recovery.Retries);
            Stm32Exception? last = null;
            bool allRefused = true;
            bool lastWasDirect = false;
            int silent = 0;
            for (int attempt = 0; ; attempt++)
            {
                try
                {
                    return op();
                }
                catch (Stm32Exception e) when (IsRecoverable(e))
                {
                    last = e;
                    failed?.Invoke(e);
                    silent = e is Stm32TimeoutException && e.Received.Length == 0 ? silent + 1 : 0;
                    if (timeouts is int most && silent >= most && attempt < limit)
                        throw new Stm32RecoveryFailedException(string.Format(CultureInfo.InvariantCulture,
                            "{0}{1} got no answer {2} times running; the last time: {3} The chip answers a resync but not this command, so it is not sent again: a bootloader that does not finish it, or a part far slower than its datasheet.",
                            what, At(address), silent, e.Message), e.Step, address ?? e.Address, attempt + 1, e);
                    bool isRefusal = e is Stm32NackException && IsCommandStep(e.Step);
                    allRefused &= isRefusal;
                    if (isRefusal && IsReadProtected && refused != null) throw ProtectedError((Stm32NackException)e, refused, address);
                    if (attempt >= limit) break;
                    Counters.Retries++;
                    bool direct = e is Stm32NackException && e.Received.Length == 1 && !lastWasDirect;
                    Say(string.Format(CultureInfo.InvariantCulture, "{0}{1}: {2} Retry {3} of {4}{5}.",
                        what, At(address), e.Message, attempt + 1, limit, direct ? "" : ", after a resync"));
                    Pause(attempt, ct);
                    if (!direct)
                    {
                        try
                        {
                            Recover(ct);
                        }
                        catch (Stm32RecoveryFailedException r)
                        {
                            throw new Stm32RecoveryFailedException(
                                string.Format(CultureInfo.InvariantCulture, "{0}{1}: {2} {3}", what, At(address), e.Message, r.Message),
                                e.Step, address ?? e.Address, attempt + 1, r);
                        }
                    }
                    lastWasDirect = direct;
                }
            }
            if (allRefused && refused != null && last is Stm32NackException nack && ConfirmReadProtection(address, ct))
                throw ProtectedError(nack, refused, address);
            throw new Stm32RecoveryFailedException(
                string.Format(CultureInfo.InvariantCulture,
                    "{0}{1} failed {2} times; the last time: {3} The line may be too noisy or the chip unpowered: check the cable and ground, or try a lower baud rate.",
                    what, At(address), limit + 1, last!.Message),
                last.Step, address ?? last.Address, limit + 1, last);
        }

        internal void Retry(string what, uint? address, Action op, CancellationToken ct, string? refused = null, Action<Stm32Exception>? failed = null,
            int? timeouts = null)
            => Retry<object?>(what, address, () => { op(); return null; }, ct, refused, failed, timeouts: timeouts);

        /// <summary>
        /// Gets back in step with the chip (spec 2.1): 0xFF filler completes any half-received
        /// command (which the chip then NACKs), the input is drained until quiet, then 0x7F: NACK
        /// (or silence and a second 0x7F, then NACK) means still synchronised, checked with Get ID;
        /// ACK means the chip reset, so it is re-identified and its protection probed.
        /// </summary>
        public void Recover(CancellationToken ct = default)
        {
            int attempts = Math.Max(1, Recovery.ResyncAttempts);
            Stm32Exception? last = null;
            for (int attempt = 0; attempt < attempts; attempt++)
            {
                ThrowIfPastDeadline("resync");
                try
                {
                    var sync = ResyncOnce(attempt > 0 && attempt == attempts - 1, ct);
                    if (sync == SyncOutcome.Fresh)
                    {
                        AfterReset(ct);
                    }
                    else
                    {
                        // Still synchronised: a Get ID proves we are in step (and talking to the same chip).
                        var pid = Client.GetId(ct);
                        if (pid != ProductId)
                            throw new Stm32ProtocolException(string.Format(CultureInfo.InvariantCulture,
                                "Get ID answered 0x{0:X3} during a resync (expected 0x{1:X3}).", pid, ProductId), "resync");
                    }
                    return;
                }
                catch (Stm32Exception e) when (IsRecoverable(e))
                {
                    last = e;
                    Say("Resync " + (attempt + 1).ToString(CultureInfo.InvariantCulture) + " failed: " + e.Message);
                    Pause(attempt, ct);
                }
            }
            throw new Stm32RecoveryFailedException(
                string.Format(CultureInfo.InvariantCulture,
                    "Lost contact with the chip: {0} resyncs failed; the last time: {1} Check that it is powered, still in its bootloader (BOOT0 high) and wired.",
                    attempts, last!.Message),
                "resync", last.Address, attempts, last);
        }

        /// <summary>
        /// Filler, drain, 0x7F. The filler is short (<see cref="RecoveryOptions.FillerBytes"/>,
        /// enough to finish any Write Memory frame) except on the last attempt after an Extended
        /// Erase, the one command whose frame a garbled count can stretch to 128 KiB: then it sends
        /// enough to finish that too (about 12 s at 115200 baud; at most 15 s of wire time).
        /// </summary>
        private SyncOutcome ResyncOnce(bool longFiller, CancellationToken ct)
        {
            Counters.Resyncs++;
            int filler = Math.Max(0, Recovery.FillerBytes);
            if (longFiller && Client.LastCommand == An3155.ExtendedErase)
            {
                var fits = (long)(LongestFiller.Ticks / Math.Max(1, Client.WireTime(1).Ticks));
                filler = (int)Math.Max(filler, Math.Min(LargestFrame, fits));
            }
            Client.SendFiller(filler, ct);
            // The filler takes its wire time to go out and the chip answers as it parses it: wait,
            // then drop everything until the line is quiet.
            var wire = Client.WireTime(filler);
            Wait(wire, ct);
            Client.Drain(Recovery.QuietTime, wire + TimeSpan.FromSeconds(2) + Client.Options.ReplyTimeout, ct);
            return Client.Synchronize(ct);
        }

        /// <summary>
        /// The most <see cref="RecoverAfterInterruption"/> takes: the rest of an interrupted long
        /// wait (an erase the chip may still be busy with), then every resync attempt with its
        /// filler and sync (the last one's long filler after an Extended Erase) and a Get ID.
        /// </summary>
        public TimeSpan MostRecoveryTakes()
        {
            var o = Client.Options;
            int attempts = Math.Max(1, Recovery.ResyncAttempts);
            long fillers = (long)Math.Max(0, Recovery.FillerBytes) * attempts;
            if (Client.LastCommand == An3155.ExtendedErase)
                fillers += Math.Min(LargestFrame, LongestFiller.Ticks / Math.Max(1, Client.WireTime(1).Ticks));
            // Per attempt: the drain's quiet time, two sync rounds (probe and reply timeout each), a Get ID, the back-off.
            var perAttempt = Recovery.QuietTime + TimeSpan.FromTicks(Math.Max(1, o.SyncAttempts) * (o.SyncProbeTimeout.Ticks + o.ReplyTimeout.Ticks))
                + o.ReplyTimeout + Recovery.MaxBackOff;
            return Client.ChipMayBeBusyFor + TimeSpan.FromTicks(perAttempt.Ticks * attempts) + Client.WireTime((int)Math.Min(int.MaxValue, fillers));
        }

        /// <summary>
        /// Gets back in step after an operation that was stopped half way (Ctrl+C): when it was
        /// waiting for a long command (an erase) the chip may still be busy with it, so its answer
        /// is awaited first, at most for the rest of that wait; then <see cref="Recover(CancellationToken)"/>.
        /// Bounded by <see cref="MostRecoveryTakes"/> (plus a little): it ends in step, or with
        /// <see cref="Stm32RecoveryFailedException"/> or <see cref="Stm32DeadlineException"/>.
        /// </summary>
        public void RecoverAfterInterruption(CancellationToken ct = default)
        {
            var busy = Client.ChipMayBeBusyFor;
            var most = MostRecoveryTakes();
            using (WithinDeadline("Getting back in step with the chip", most, most + most + TimeSpan.FromSeconds(1)))
            {
                if (busy > TimeSpan.Zero)
                {
                    Say(string.Format(CultureInfo.InvariantCulture,
                        "The interrupted command may keep the chip busy for up to {0:0.#} s more: waiting for its answer first.", busy.TotalSeconds));
                    // Its late answer (or anything) ends the wait; the resync then drops it.
                    Client.Drain(Recovery.QuietTime, busy, ct, untilFirst: true);
                    Client.ClearBusy();
                }
                Recover(ct);
            }
        }

        /// <summary>After a reset the chip must come back as the same device (product ID and bootloader).</summary>
        private void EnsureSameDevice(ushort pid, byte version, string when)
        {
            if (pid != 0 && (ProductId != pid || BootloaderVersion != version))
                throw new Stm32DeviceChangedException(string.Format(CultureInfo.InvariantCulture,
                    "The chip reset {0} and came back as another device: product ID 0x{1:X3}, bootloader {2} (it was 0x{3:X3}, bootloader {4}). Stopped; check what is connected.",
                    when, ProductId, FormatVersion(BootloaderVersion), pid, FormatVersion(version)));
        }

        /// <summary>
        /// The chip answered a fresh 0x7F: it reset (brown-out, glitch, a garbled byte taken as a
        /// reset command). Re-identify; stop if it is another device or now read-protected.
        /// </summary>
        private void AfterReset(CancellationToken ct)
        {
            var pid = ProductId;
            var version = BootloaderVersion;
            IdentifyOnce(ct);
            ConfirmIdentityChange(pid, ct);
            EnsureSameDevice(pid, version, "during the operation");
            Counters.Resets++;
            LastSync = SyncOutcome.Fresh;
            EnsureProbed(ct);
            if (IsReadProtected)
                throw new Stm32ReadProtectedException(
                    "The chip reset during the operation and came back read-protected (RDP level 1): a glitch or a garbled byte switched the protection on. Unprotect-Stm32Flash -ReadOut lifts it, and that erases the whole flash.",
                    "re-identify");
            Say(string.Format(CultureInfo.InvariantCulture,
                "The chip reset (it answered a fresh 0x7F); resynchronised and re-identified it as 0x{0:X3}, bootloader {1}; continuing.",
                ProductId, BootloaderVersionText));
        }

        /// <summary>
        /// A Read of flash refused three times over means read protection (spec 15a.3); on a chip
        /// the catalog maps no flash for, a Read of the refused address itself (RDP level 1
        /// refuses every Read at the command, an address it does not have only at the address).
        /// </summary>
        private bool ConfirmReadProtection(uint? address, CancellationToken ct)
        {
            uint? probe = Device.Flash.IsEmpty ? address : Device.Flash.Start;
            if (probe == null) return false;
            try
            {
                Recover(ct);
                if (ReadIsRefused(probe.Value, ct))
                {
                    IsReadProtected = true;
                    return true;
                }
            }
            catch (Stm32Exception e) when (IsRecoverable(e) || e is Stm32RecoveryFailedException)
            {
            }
            return false;
        }

        /// <summary>True when three Reads in a row are NACKed at the command (a random NACK rarely repeats).</summary>
        private bool ReadIsRefused(uint address, CancellationToken ct)
        {
            for (int i = 0; i < 3; i++)
            {
                try
                {
                    Client.ReadMemory(address, 4, ct);
                    return false;
                }
                catch (Stm32NackException e) when (IsCommandStep(e.Step) && (e.Received.Length == 1 || e.Received[1] == An3155.Nack))
                {
                    // Refused (one NACK, or the two some parts send under protection, spec 3).
                }
            }
            return true;
        }

        private static bool IsCommandStep(string step)
            => step == "Read Memory" || step == "Write Memory" || step == "Erase" || step == "Extended Erase"
               || step == "Get Checksum" || step == "Go";

        private void Pause(int attempt, CancellationToken ct)
        {
            var first = Recovery.BackOff;
            if (first <= TimeSpan.Zero) return;
            var ticks = Math.Min(Recovery.MaxBackOff.Ticks, first.Ticks << Math.Min(attempt, 16));
            if (ct.WaitHandle.WaitOne(TimeSpan.FromTicks(Math.Max(first.Ticks, ticks)))) ct.ThrowIfCancellationRequested();
        }

        private static string At(uint? address) => address.HasValue ? " at " + Hex(address.Value) : "";
    }
}
