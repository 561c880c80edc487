using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Threading;
using Stm32.Protocol.Transport;

namespace Stm32.Protocol.Bootloader
{
    /// <summary>How the sync handshake ended (spec 2 and 2.1).</summary>
    public enum SyncOutcome
    {
        /// <summary>The chip answered our 0x7F with ACK: a fresh autobaud.</summary>
        Fresh,
        /// <summary>The chip was already in its command loop (it NACKed a 0x7F pair).</summary>
        AlreadySynchronized,
    }

    /// <summary>The answer to Get (spec 4.1).</summary>
    public sealed class GetResult
    {
        public GetResult(byte version, IReadOnlyList<byte> commands)
        {
            Version = version;
            Commands = commands;
        }

        /// <summary>BCD-like: 0x22 = 2.2, 0x31 = 3.1.</summary>
        public byte Version { get; }

        public IReadOnlyList<byte> Commands { get; }
    }

    /// <summary>
    /// One method per USART bootloader command (AN3155; spec section 4), each reading like the
    /// spec's byte diagram. Synchronous; every wait takes a CancellationToken so Ctrl+C works.
    /// Failures throw <see cref="Stm32Exception"/> subclasses naming the step, what was sent and
    /// what came back. Not thread-safe: one conversation at a time.
    /// </summary>
    public sealed class BootloaderClient
    {
        private readonly IByteLink _link;
        private readonly byte[] _one = new byte[1];

        public BootloaderClient(IByteLink link, BootloaderOptions? options = null)
        {
            _link = link ?? throw new ArgumentNullException(nameof(link));
            Options = options ?? new BootloaderOptions();
        }

        public IByteLink Link => _link;

        public BootloaderOptions Options { get; }

        /// <summary>How often a long wait calls its tick (<see cref="ReadoutUnprotect(TimeSpan?, Action{TimeSpan}?, CancellationToken)"/>).</summary>
        public static readonly TimeSpan TickInterval = TimeSpan.FromMilliseconds(250);

        /// <summary>Bytes written to the link since this client was made (for throughput figures).</summary>
        public long BytesSent { get; private set; }

        /// <summary>Bytes read from the link since this client was made.</summary>
        public long BytesReceived { get; private set; }

        private bool _idle;
        private Deadline? _busyUntil;
        private readonly byte[] _scratch = new byte[An3155.MaxBlock + 64];

        /// <summary>
        /// The operation's total time, where one is running (<see cref="OperationDeadline"/>):
        /// every wait is cut short at it, and a step cut short throws <see cref="Stm32DeadlineException"/>.
        /// The connection sets it; null: each step has only its own timeout.
        /// </summary>
        internal OperationDeadline? Deadline { get; set; }

        /// <summary>The code of the last command pair sent (null before the first): what the chip may still hold half of.</summary>
        public byte? LastCommand { get; private set; }

        /// <summary>
        /// Bytes that were waiting when a command was about to go out, dropped unread: leftovers of
        /// an answer longer than the protocol allows, or a chip talking out of turn (spec 3).
        /// Counted where the link can tell (a serial port drops them unseen).
        /// </summary>
        public long StrayBytesDropped { get; private set; }

        /// <summary>Hears of stray bytes dropped before a command (the command, up to 16 of the bytes, how many).</summary>
        public Action<string, byte[], int>? StrayInput { get; set; }

        /// <summary>
        /// How long the chip may still be busy with a long command (an erase) that was cancelled while
        /// it waited for the answer: the time left of that wait. Zero when no such wait was cut off.
        /// A resync after Ctrl+C lets the chip finish first.
        /// </summary>
        public TimeSpan ChipMayBeBusyFor => _busyUntil?.Remaining ?? TimeSpan.Zero;

        /// <summary>Forgets a cancelled long wait (the chip answered since, or was reset).</summary>
        internal void ClearBusy() => _busyUntil = null;

        /// <summary>
        /// True when the last command (or sync) ran to its end: the chip waits for a new command
        /// and holds nothing of ours. False after a failure, a cancellation or filler, and before
        /// the first sync. A session that ends while this is true leaves the chip synchronised,
        /// which the next sync can use (<see cref="Synchronize(bool, CancellationToken)"/>).
        /// </summary>
        public bool IsIdle => _idle;

        // ---------------------------------------------------------------- synchronisation

        /// <summary>
        /// Spec 15a.1: flush, send 0x7F, accept ACK (fresh) or NACK (already synchronised);
        /// when nothing comes back soon, complete the pair with a second 0x7F and accept NACK;
        /// tolerate a 0x00 before the ACK. Throws <see cref="Stm32NoResponseException"/>.
        /// </summary>
        public SyncOutcome Synchronize(CancellationToken ct = default) => Synchronize(false, ct);

        /// <summary>
        /// As <see cref="Synchronize(CancellationToken)"/>. With <paramref name="expectCommandLoop"/>
        /// the caller knows a session of its own left this chip synchronised and idle (its last
        /// command ran to the end and nothing reset the chip since, as far as it knows): then
        /// 0x7F 0x7F go out together and the NACK for that invalid pair answers at once, with no
        /// probe wait (spec 2.1; stm32flash pays a 0.5 s timeout there). If the chip was reset
        /// after all, it ACKs the first 0x7F and the second is handled as in the fresh case.
        /// </summary>
        public SyncOutcome Synchronize(bool expectCommandLoop, CancellationToken ct)
        {
            var received = new List<byte>();
            if (expectCommandLoop)
            {
                var resumed = SyncExpectingCommandLoop(received, ct);
                if (resumed.HasValue) return Synced(resumed.Value);
            }
            for (int attempt = 1; attempt <= Math.Max(1, Options.SyncAttempts); attempt++)
            {
                ThrowIfPastDeadline("sync", new[] { An3155.Sync }, received.ToArray());
                _link.DiscardInput();
                Send(new[] { An3155.Sync }, ct);
                var first = ReadSyncReply(ProbeTimeout(), received, ct);
                if (first == An3155.Ack) return Synced(SyncOutcome.Fresh);
                if (first == An3155.Nack) return Synced(SyncOutcome.AlreadySynchronized);

                // Nothing yet: either a slow fresh chip or a synchronised one holding our 0x7F as
                // half a pair. A second 0x7F completes that pair (7F 7F fails the complement
                // check) and draws a NACK (spec 2.1).
                Send(new[] { An3155.Sync }, ct);
                var second = ReadSyncReply(Options.ReplyTimeout, received, ct);
                if (second == An3155.Nack) return Synced(SyncOutcome.AlreadySynchronized);
                if (second == An3155.Ack)
                {
                    ClearPendingSyncByte(received, ct);
                    return Synced(SyncOutcome.Fresh);
                }
            }
            ThrowIfPastDeadline("sync", new[] { An3155.Sync }, received.ToArray());
            throw new Stm32NoResponseException(
                "No response from the target: the bootloader did not answer the sync byte 0x7F." + EchoHint(received),
                new[] { An3155.Sync }, received.ToArray());
        }

        /// <summary>
        /// The replies to our 0x7F held nothing but 0x7F: the line hands our own bytes back (a
        /// single-wire or RS-485 adapter, spec 1), which the protocol cannot work through.
        /// </summary>
        private static string EchoHint(List<byte> received)
            => received.Count > 0 && received.TrueForAll(b => b == An3155.Sync)
                ? " Every byte that came back was our own 0x7F: the line echoes what is sent (a single-wire or RS-485 adapter, or TX looped to RX); the bootloader needs a full-duplex line."
                : "";

        private SyncOutcome Synced(SyncOutcome outcome)
        {
            _idle = true;
            return outcome;
        }

        /// <summary>
        /// 0x7F 0x7F together: a chip in its command loop NACKs the pair; a chip that was reset
        /// meanwhile ACKs the first as its autobaud byte. Null when nothing answers (the caller
        /// falls back to the ordinary handshake).
        /// </summary>
        private SyncOutcome? SyncExpectingCommandLoop(List<byte> received, CancellationToken ct)
        {
            _link.DiscardInput();
            Send(new[] { An3155.Sync, An3155.Sync }, ct);
            var reply = ReadSyncReply(Options.ReplyTimeout, received, ct);
            if (reply == An3155.Nack) return SyncOutcome.AlreadySynchronized;
            if (reply != An3155.Ack) return null;
            // Reset since our last session. The second 0x7F came right behind the autobaud byte:
            // the simulated chip holds it as half a pair; whether a real chip's USART is ready
            // for it that soon is UNCONFIRMED (spec 2.1), so both cases are handled: the byte is
            // held (the next 0x7F draws a NACK) or was lost (one more 0x7F clears ours).
            ClearPendingSyncByte(received, ct);
            return SyncOutcome.Fresh;
        }

        /// <summary>
        /// A fresh chip ACKed one of our 0x7F bytes, and another may now be half a pair. One more
        /// 0x7F tells: NACK = there was one (now cleared); silence = there was none, and this one
        /// is, so a last 0x7F clears it. Waits a full reply time: a late NACK taken for silence
        /// would leave a byte pending. ACKs before the answer are a quirky chip's second sync ACK.
        /// </summary>
        private void ClearPendingSyncByte(List<byte> received, CancellationToken ct)
        {
            Send(new[] { An3155.Sync }, ct);
            int third;
            // An L412-style extra ACK after the sync ACK (spec 2.3) may still be on its way: skip ACKs.
            do third = ReadSyncReply(Options.ReplyTimeout, received, ct);
            while (third == An3155.Ack);
            if (third != An3155.Nack)
            {
                Send(new[] { An3155.Sync }, ct);
                ReadSyncReply(Options.ReplyTimeout, received, ct);
            }
        }

        private TimeSpan ProbeTimeout()
        {
            // At least 20 byte times at the line rate (a slow baud still gets its answer in time).
            var baud = Math.Max(1200, _link.BaudRate);
            var byteTimes = TimeSpan.FromMilliseconds(20 * 11 * 1000.0 / baud);
            return byteTimes > Options.SyncProbeTimeout ? byteTimes : Options.SyncProbeTimeout;
        }


        /// <summary>Reads the reply to a 0x7F, skipping a leading 0x00 glitch. Returns -1 on timeout.</summary>
        private int ReadSyncReply(TimeSpan timeout, List<byte> received, CancellationToken ct)
        {
            var deadline = Transport.Deadline.After(timeout);
            while (true)
            {
                if (deadline.HasPassed) return -1;
                var b = TryReadByte(deadline.Remaining, ct);
                if (b < 0) return -1;
                received.Add((byte)b);
                if (b == An3155.Ack || b == An3155.Nack) return b;
                // 0x00 before the ACK (spec 2.3) or line noise: keep reading until the deadline.
            }
        }

        // ---------------------------------------------------------------- commands

        /// <summary>Get (0x00): version and the supported command codes.</summary>
        public GetResult Get(CancellationToken ct = default)
        {
            SendCommand(An3155.Get, ct);
            var sent = Pair(An3155.Get);
            int n = ReadByte("Get", sent, ct);
            if (n == An3155.Ack)
            {
                // L412-style extra ACK after sync: no Get list has 0x79 codes, so this ACK is the stray one.
                n = ReadByte("Get", sent, ct);
            }
            var version = ReadByte("Get", sent, ct);
            var codes = new byte[n];
            ReadExactly(codes, "Get", sent, ct);
            ExpectAck("Get (end)", sent, Options.ReplyTimeout, ct, final: true);
            _idle = true;
            return new GetResult((byte)version, codes);
        }

        /// <summary>Get Version (0x01): version and the two option bytes (0x00 on current parts).</summary>
        public (byte Version, byte Option1, byte Option2) GetVersion(CancellationToken ct = default)
        {
            SendCommand(An3155.GetVersion, ct);
            var sent = Pair(An3155.GetVersion);
            var reply = new byte[3];
            ReadExactly(reply, "Get Version", sent, ct);
            ExpectAck("Get Version (end)", sent, Options.ReplyTimeout, ct, final: true);
            _idle = true;
            return (reply[0], reply[1], reply[2]);
        }

        /// <summary>Get ID (0x02): the product ID (e.g. 0x410). Reads the length byte generically.</summary>
        public ushort GetId(CancellationToken ct = default)
        {
            SendCommand(An3155.GetId, ct);
            var sent = Pair(An3155.GetId);
            int n = ReadByte("Get ID", sent, ct);
            var id = new byte[n + 1];
            ReadExactly(id, "Get ID", sent, ct);
            ExpectAck("Get ID (end)", sent, Options.ReplyTimeout, ct, final: true);
            _idle = true;
            // STM32: N = 1, two bytes, PID big-endian. Longer answers (BlueNRG) carry it in the last two.
            return id.Length >= 2 ? (ushort)(id[id.Length - 2] << 8 | id[id.Length - 1]) : id[0];
        }

        /// <summary>Read Memory (0x11): 1 to 256 bytes.</summary>
        public byte[] ReadMemory(uint address, int length, CancellationToken ct = default)
        {
            if (length < 1 || length > An3155.MaxBlock) throw new ArgumentOutOfRangeException(nameof(length), "1 to 256 bytes per Read Memory.");
            SendCommand(An3155.ReadMemory, ct, address);
            SendAddress("Read Memory", address, ct);
            var count = new[] { (byte)(length - 1), (byte)~(length - 1) };
            Send(count, ct);
            ExpectAck("Read Memory length", count, Options.ReplyTimeout, ct, address);
            var data = new byte[length];
            // Nothing may follow the data: a longer answer is not believed (it may be shifted).
            ReadExactly(data, "Read Memory data", count, ct, address, final: true);
            _idle = true;
            return data;
        }

        /// <summary>Go (0x21): the chip loads MSP from [address] and jumps to [address+4].</summary>
        public void Go(uint address, CancellationToken ct = default)
        {
            SendCommand(An3155.Go, ct, address);
            SendAddress("Go", address, ct);
        }

        /// <summary>
        /// Write Memory (0x31): 1 to 256 bytes; the tail is padded with 0xFF to a multiple of 4
        /// (spec 4.6). The address should be 4-byte aligned.
        /// </summary>
        public void WriteMemory(uint address, byte[] data, int offset, int count, CancellationToken ct = default)
            => WriteMemory(address, data, offset, count, null, ct);

        /// <summary>
        /// As <see cref="WriteMemory(uint, byte[], int, int, CancellationToken)"/>, waiting up to
        /// <paramref name="timeout"/> (null: <see cref="BootloaderOptions.WriteTimeout"/>) for the
        /// ACK after the data: an option-byte write, where the chip erases and reprograms the
        /// option area first, takes longer than a flash block.
        /// </summary>
        public void WriteMemory(uint address, byte[] data, int offset, int count, TimeSpan? timeout, CancellationToken ct = default)
        {
            if (count < 1 || count > An3155.MaxBlock) throw new ArgumentOutOfRangeException(nameof(count), "1 to 256 bytes per Write Memory.");
            var padded = (count + 3) & ~3;
            var frame = new byte[padded + 2];
            frame[0] = (byte)(padded - 1);
            Buffer.BlockCopy(data, offset, frame, 1, count);
            for (int i = count; i < padded; i++) frame[1 + i] = 0xFF;
            frame[frame.Length - 1] = An3155.Xor(frame, 0, frame.Length - 1);
            SendCommand(An3155.WriteMemory, ct, address);
            SendAddress("Write Memory", address, ct);
            Send(frame, ct);
            ExpectAck("Write Memory data", frame, timeout ?? Options.WriteTimeout, ct, address);
            _idle = true;
        }

        public void WriteMemory(uint address, byte[] data, CancellationToken ct = default)
            => WriteMemory(address, data, 0, data.Length, ct);

        /// <summary>Erase (0x43, bootloaders before 3.0): global erase.</summary>
        public void LegacyMassErase(CancellationToken ct = default) => LegacyMassErase(null, ct);

        /// <summary>As <see cref="LegacyMassErase(CancellationToken)"/>; <paramref name="tick"/> hears the time waited for the final ACK (see <see cref="TickInterval"/>).</summary>
        public void LegacyMassErase(Action<TimeSpan>? tick, CancellationToken ct) => LegacyMassErase(tick, null, ct);

        /// <summary>As <see cref="LegacyMassErase(Action{TimeSpan}?, CancellationToken)"/>, waiting up to <paramref name="timeout"/> (null: <see cref="BootloaderOptions.MassEraseTimeout"/>).</summary>
        public void LegacyMassErase(Action<TimeSpan>? tick, TimeSpan? timeout, CancellationToken ct)
        {
            SendCommand(An3155.Erase, ct);
            var frame = new byte[] { 0xFF, 0x00 };
            Send(frame, ct);
            ExpectLongAck("Erase (global)", frame, timeout ?? Options.MassEraseTimeout, ct, tick);
            _idle = true;
        }

        /// <summary>Erase (0x43): up to 255 pages (numbers 0 to 255).</summary>
        public void LegacyErase(IReadOnlyList<int> pages, CancellationToken ct = default) => LegacyErase(pages, null, ct);

        /// <summary>As <see cref="LegacyErase(IReadOnlyList{int}, CancellationToken)"/>, waiting up to <paramref name="timeout"/> (null: <see cref="BootloaderOptions.EraseTimeoutPerPage"/> per page).</summary>
        public void LegacyErase(IReadOnlyList<int> pages, TimeSpan? timeout, CancellationToken ct = default)
        {
            if (pages.Count < 1 || pages.Count > 255) throw new ArgumentOutOfRangeException(nameof(pages), "1 to 255 pages per Erase.");
            var frame = new byte[pages.Count + 2];
            frame[0] = (byte)(pages.Count - 1);
            for (int i = 0; i < pages.Count; i++)
            {
                if (pages[i] < 0 || pages[i] > 255) throw new ArgumentOutOfRangeException(nameof(pages), "Erase (0x43) numbers pages 0 to 255.");
                frame[1 + i] = (byte)pages[i];
            }
            frame[frame.Length - 1] = An3155.Xor(frame, 0, frame.Length - 1);
            SendCommand(An3155.Erase, ct);
            Send(frame, ct);
            ExpectLongAck("Erase (pages)", frame, timeout ?? Scale(Options.EraseTimeoutPerPage, pages.Count), ct, null);
            _idle = true;
        }

        /// <summary>Extended Erase (0x44): a list of 16-bit page (or sector) numbers.</summary>
        public void ExtendedErase(IReadOnlyList<int> pages, CancellationToken ct = default) => ExtendedErase(pages, null, ct);

        /// <summary>As <see cref="ExtendedErase(IReadOnlyList{int}, CancellationToken)"/>, waiting up to <paramref name="timeout"/> (null: <see cref="BootloaderOptions.EraseTimeoutPerPage"/> per page).</summary>
        public void ExtendedErase(IReadOnlyList<int> pages, TimeSpan? timeout, CancellationToken ct = default)
        {
            if (pages.Count < 1 || pages.Count > 0xFFF0) throw new ArgumentOutOfRangeException(nameof(pages));
            var frame = new byte[2 + 2 * pages.Count + 1];
            frame[0] = (byte)((pages.Count - 1) >> 8);
            frame[1] = (byte)(pages.Count - 1);
            for (int i = 0; i < pages.Count; i++)
            {
                // 0xFFF0-0xFFFF are the special codes (mass, bank erase): never a page number.
                if (pages[i] < 0 || pages[i] > 0xFFEF) throw new ArgumentOutOfRangeException(nameof(pages), "Extended Erase numbers pages 0 to 0xFFEF.");
                frame[2 + 2 * i] = (byte)(pages[i] >> 8);
                frame[3 + 2 * i] = (byte)pages[i];
            }
            frame[frame.Length - 1] = An3155.Xor(frame, 0, frame.Length - 1);
            SendCommand(An3155.ExtendedErase, ct);
            Send(frame, ct);
            ExpectLongAck("Extended Erase (pages)", frame, timeout ?? Scale(Options.EraseTimeoutPerPage, pages.Count), ct, null);
            _idle = true;
        }

        /// <summary>Extended Erase special codes: 0xFFFF mass, 0xFFFE bank 1, 0xFFFD bank 2 (spec 4.8).</summary>
        public void ExtendedEraseSpecial(ushort code, CancellationToken ct = default) => ExtendedEraseSpecial(code, null, ct);

        /// <summary>As <see cref="ExtendedEraseSpecial(ushort, CancellationToken)"/>; <paramref name="tick"/> hears the time waited for the final ACK.</summary>
        public void ExtendedEraseSpecial(ushort code, Action<TimeSpan>? tick, CancellationToken ct) => ExtendedEraseSpecial(code, tick, null, ct);

        /// <summary>As <see cref="ExtendedEraseSpecial(ushort, Action{TimeSpan}?, CancellationToken)"/>, waiting up to <paramref name="timeout"/> (null: <see cref="BootloaderOptions.MassEraseTimeout"/>).</summary>
        public void ExtendedEraseSpecial(ushort code, Action<TimeSpan>? tick, TimeSpan? timeout, CancellationToken ct)
        {
            var frame = new byte[] { (byte)(code >> 8), (byte)code, (byte)((code >> 8) ^ (code & 0xFF)) };
            SendCommand(An3155.ExtendedErase, ct);
            Send(frame, ct);
            ExpectLongAck(SpecialEraseStep(code), frame, timeout ?? Options.MassEraseTimeout, ct, tick);
            _idle = true;
        }

        /// <summary>The step name of an Extended Erase special code's answer: "Extended Erase (mass)".</summary>
        public static string SpecialEraseStep(ushort code)
            => "Extended Erase (" + (code == An3155.MassEraseCode ? "mass" : code == An3155.Bank1EraseCode ? "bank 1" : "bank 2") + ")";

        /// <summary>Write Protect (0x63): protects the listed sectors and resets the chip.</summary>
        public void WriteProtect(IReadOnlyList<int> sectors, CancellationToken ct = default)
        {
            if (sectors.Count < 1 || sectors.Count > 256) throw new ArgumentOutOfRangeException(nameof(sectors));
            var frame = new byte[sectors.Count + 2];
            frame[0] = (byte)(sectors.Count - 1);
            for (int i = 0; i < sectors.Count; i++)
            {
                if (sectors[i] < 0 || sectors[i] > 255) throw new ArgumentOutOfRangeException(nameof(sectors), "Write Protect numbers sectors 0 to 255.");
                frame[1 + i] = (byte)sectors[i];
            }
            frame[frame.Length - 1] = An3155.Xor(frame, 0, frame.Length - 1);
            SendCommand(An3155.WriteProtect, ct);
            Send(frame, ct);
            ExpectAck("Write Protect (sectors)", frame, Options.ProtectionTimeout, ct);
            _idle = true;
        }

        /// <summary>Write Unprotect (0x73): two ACKs, then the chip resets.</summary>
        public void WriteUnprotect(CancellationToken ct = default)
        {
            SendCommand(An3155.WriteUnprotect, ct);
            ExpectAck("Write Unprotect (done)", Pair(An3155.WriteUnprotect), Options.ProtectionTimeout, ct);
            _idle = true;
        }

        /// <summary>Readout Protect (0x82): two ACKs, then the chip resets at RDP level 1.</summary>
        public void ReadoutProtect(CancellationToken ct = default)
        {
            SendCommand(An3155.ReadoutProtect, ct);
            ExpectAck("Readout Protect (done)", Pair(An3155.ReadoutProtect), Options.ProtectionTimeout, ct);
            _idle = true;
        }

        /// <summary>Readout Unprotect (0x92): mass erase, RAM cleared, then two ACKs and a reset.</summary>
        public void ReadoutUnprotect(CancellationToken ct = default) => ReadoutUnprotect(null, null, ct);

        /// <summary>
        /// Readout Unprotect, waiting up to <paramref name="timeout"/> (null:
        /// <see cref="BootloaderOptions.MassEraseTimeout"/>) for the ACK after the mass erase.
        /// <paramref name="tick"/>, when given, hears the time waited so far for that ACK: once
        /// when the wait starts, then about every <see cref="TickInterval"/>, on the calling
        /// thread (a cmdlet can write progress from it). Cancellation ends the wait at once.
        /// </summary>
        public void ReadoutUnprotect(TimeSpan? timeout, Action<TimeSpan>? tick, CancellationToken ct = default)
        {
            SendCommand(An3155.ReadoutUnprotect, ct);
            ExpectLongAck("Readout Unprotect (done)", Pair(An3155.ReadoutUnprotect), timeout ?? Options.MassEraseTimeout, ct, tick);
            _idle = true;
        }

        /// <summary>
        /// Get Checksum (0xA1, V3.3; AN3155r18 flow, spec 4.13): CRC of <paramref name="length"/>
        /// bytes (a multiple of 4) from <paramref name="address"/>.
        /// </summary>
        public uint GetChecksum(uint address, uint length, uint polynomial = An3155.CrcPolynomial, uint initial = An3155.CrcInitial, CancellationToken ct = default)
        {
            if (length == 0 || length % 4 != 0) throw new ArgumentOutOfRangeException(nameof(length), "A positive multiple of 4 bytes.");
            SendCommand(An3155.GetChecksum, ct, address);
            SendAddress("Get Checksum address", address, ct);
            var words = An3155.AddressFrame(length / 4);
            Send(words, ct);
            ExpectAck("Get Checksum size", words, Options.ReplyTimeout, ct, address);
            var poly = An3155.AddressFrame(polynomial);
            Send(poly, ct);
            ExpectAck("Get Checksum polynomial", poly, Options.ReplyTimeout, ct, address);
            var init = An3155.AddressFrame(initial);
            Send(init, ct);
            ExpectAck("Get Checksum initial value", init, Options.ReplyTimeout, ct, address);
            // Then the chip computes and answers ACK + CRC + XOR: allow about 1 s per MiB on top.
            var computeTime = Options.ReplyTimeout + TimeSpan.FromMilliseconds(length / 1024.0);
            ExpectAck("Get Checksum result", init, computeTime, ct, address);
            var crc = new byte[5];
            ReadExactly(crc, "Get Checksum result", init, ct, address, final: true);
            if ((byte)(crc[0] ^ crc[1] ^ crc[2] ^ crc[3]) != crc[4])
                throw new Stm32ProtocolException("The checksum reply fails its own XOR check.", "Get Checksum result", init, crc, address);
            _idle = true;
            return (uint)(crc[0] << 24 | crc[1] << 16 | crc[2] << 8 | crc[3]);
        }

        // ---------------------------------------------------------------- framing helpers

        private static byte[] Pair(byte code) => new[] { code, (byte)~code };

        private void SendCommand(byte code, CancellationToken ct, uint? address = null)
        {
            var pair = Pair(code);
            ThrowIfPastDeadline(An3155.Name(code), pair, null, address);
            DropStrayInput(An3155.Name(code), ct);
            LastCommand = code;
            Send(pair, ct);
            ExpectAck(An3155.Name(code), pair, Options.ReplyTimeout, ct, address);
        }

        /// <summary>
        /// Before a command nothing may be waiting: whatever is (the tail of an answer longer than
        /// the protocol allows, a chip talking out of turn) is dropped unread, never taken for the
        /// answer to what we send next. Counted where the link shows it (see <see cref="StrayBytesDropped"/>).
        /// </summary>
        private void DropStrayInput(string command, CancellationToken ct)
        {
            int dropped = 0;
            byte[]? first = null;
            int n;
            while (dropped < 1 << 20 && (n = _link.Read(_scratch, 0, _scratch.Length, TimeSpan.Zero, ct)) > 0)
            {
                if (first == null)
                {
                    first = new byte[Math.Min(16, n)];
                    Buffer.BlockCopy(_scratch, 0, first, 0, first.Length);
                }
                dropped += n;
                BytesReceived += n;
            }
            _link.DiscardInput();
            if (dropped == 0) return;
            StrayBytesDropped += dropped;
            StrayInput?.Invoke(command, first!, dropped);
        }

        /// <summary>Throws <see cref="Stm32DeadlineException"/> when the operation's deadline has passed.</summary>
        private void ThrowIfPastDeadline(string step, byte[]? sent, byte[]? received, uint? address = null)
        {
            var limit = Deadline;
            if (limit != null && limit.HasPassed) throw new Stm32DeadlineException(limit, step, sent, received, address);
        }

        /// <summary>A step got no (complete) answer: a timeout, or the operation's deadline when that cut the wait short.</summary>
        private Stm32TimeoutException NoAnswer(string message, string step, byte[] sent, byte[]? received, uint? address)
        {
            var limit = Deadline;
            return limit != null && limit.HasPassed
                ? new Stm32DeadlineException(limit, step, sent, received, address)
                : new Stm32TimeoutException(message, step, sent, received, address);
        }

        /// <summary>
        /// The final ACK of a long command (an erase): while it is awaited the chip is busy; a wait
        /// cancelled half way leaves <see cref="ChipMayBeBusyFor"/> set, so a resync lets it finish.
        /// </summary>
        private void ExpectLongAck(string step, byte[] sent, TimeSpan timeout, CancellationToken ct, Action<TimeSpan>? tick)
        {
            _busyUntil = Transport.Deadline.After(timeout);
            try
            {
                ExpectAck(step, sent, timeout, ct, tick: tick);
                _busyUntil = null;
            }
            catch (Stm32Exception e) when (!(e is Stm32DeadlineException))
            {
                // It answered (NACK, a wrong byte) or the whole wait passed: not busy any more.
                // (Cut short by the operation's deadline, it may still be: the mark stays.)
                _busyUntil = null;
                throw;
            }
        }

        private void SendAddress(string command, uint address, CancellationToken ct)
        {
            var frame = An3155.AddressFrame(address);
            Send(frame, ct);
            ExpectAck(command + " address", frame, Options.ReplyTimeout, ct, address);
        }

        private void Send(byte[] bytes, CancellationToken ct)
        {
            _idle = false;
            ct.ThrowIfCancellationRequested();
            _link.Write(bytes, 0, bytes.Length);
            BytesSent += bytes.Length;
        }

        /// <summary>
        /// Reads the ACK that ends <paramref name="step"/>. With <paramref name="final"/> it ends a
        /// whole answer (Get, Get Version, Get ID), so nothing may follow it: bytes that do are
        /// a protocol error, not the start of the next answer.
        /// </summary>
        private void ExpectAck(string step, byte[] sent, TimeSpan timeout, CancellationToken ct, uint? address = null, Action<TimeSpan>? tick = null, bool final = false)
        {
            int b;
            int more = 0;
            if (final)
            {
                more = ReadLink(_scratch, 0, 64, timeout, ct);
                b = more > 0 ? _scratch[0] : -1;
                more = Math.Max(0, more - 1);
            }
            else b = tick == null ? TryReadByte(timeout, ct) : TryReadByte(timeout, tick, ct);
            if (b == An3155.Ack && more == 0) return;
            if (b == An3155.Ack)
            {
                var extra = new byte[more];
                Buffer.BlockCopy(_scratch, 1, extra, 0, more);
                throw new Stm32ProtocolException(
                    string.Format(CultureInfo.InvariantCulture, "{0}: {1} byte(s) came after the answer's last ACK ({2}); an answer longer than the protocol allows is not believed{3}.",
                        step, more, Stm32Exception.Hex(extra), At(address)),
                    step, sent, extra, address);
            }
            if (b < 0)
                throw NoAnswer(
                    string.Format(CultureInfo.InvariantCulture, "{0}: no answer within {1:0.###} s{2}.", step, timeout.TotalSeconds, At(address)),
                    step, sent, Array.Empty<byte>(), address);
            if (b == An3155.Nack)
            {
                // Received holds the NACK and whatever followed it: a lone NACK means the chip
                // consumed the whole frame and waits for a new command (spec 3); more bytes mean
                // it parsed part of our frame as commands and may now hold half a pair.
                var received = new List<byte> { (byte)b };
                for (int i = 0; i < more; i++) received.Add(_scratch[1 + i]);
                DrainAfterNack(received, ct);
                throw new Stm32NackException(
                    string.Format(CultureInfo.InvariantCulture, "{0}: the bootloader answered NACK{1}.", step, At(address)),
                    step, sent, received.ToArray(), address);
            }
            // Our own first byte back: a line that echoes (single-wire, RS-485, TX looped to RX, spec 1).
            var echo = !final && sent.Length > 0 && b == sent[0]
                ? " That is the byte just sent: the line may echo what is sent (a single-wire or RS-485 adapter, or TX looped to RX); the bootloader needs a full-duplex line."
                : "";
            throw new Stm32ProtocolException(
                string.Format(CultureInfo.InvariantCulture, "{0}: expected ACK (0x79) but got 0x{1:X2}{2}.{3}", step, b, At(address), echo),
                step, sent, new[] { (byte)b }, address);
        }

        /// <summary>Some parts send two NACKs (spec 3): wait a moment and drop what follows.</summary>
        private void DrainAfterNack(List<byte> received, CancellationToken ct)
        {
            var wait = TimeSpan.FromMilliseconds(Math.Max(Options.NackSettleTime.TotalMilliseconds, 3 * 11 * 1000.0 / Math.Max(1200, _link.BaudRate)));
            int b;
            while ((b = TryReadByte(wait, ct)) >= 0)
            {
                if (received.Count < 64) received.Add((byte)b);
            }
        }

        // ---------------------------------------------------------------- recovery primitives (spec 2.1)

        /// <summary>
        /// Sends <paramref name="count"/> bytes of 0xFF. A chip holding half a command takes them as
        /// the rest of it and NACKs (0xFF pairs and 0xFF address words fail their checks), and a
        /// Write Memory completed with 0xFF data programs nothing (flash bits only go 1 to 0).
        /// </summary>
        public void SendFiller(int count, CancellationToken ct = default)
        {
            if (count <= 0) return;
            var filler = new byte[count];
            for (int i = 0; i < count; i++) filler[i] = 0xFF;
            Send(filler, ct);
        }

        /// <summary>
        /// Reads and drops input until none has come for <paramref name="quiet"/> (or
        /// <paramref name="limit"/> has passed). Returns how many bytes were dropped.
        /// </summary>
        public int Drain(TimeSpan quiet, TimeSpan limit, CancellationToken ct = default) => Drain(quiet, limit, ct, false);

        /// <summary>
        /// As <see cref="Drain(TimeSpan, TimeSpan, CancellationToken)"/>; with <paramref name="untilFirst"/>
        /// it first waits up to the whole <paramref name="limit"/> for anything at all (a late answer),
        /// then drops what follows until quiet.
        /// </summary>
        public int Drain(TimeSpan quiet, TimeSpan limit, CancellationToken ct, bool untilFirst)
        {
            var deadline = Transport.Deadline.After(limit);
            var buffer = new byte[256];
            int dropped = 0;
            while (!deadline.HasPassed)
            {
                var n = ReadLink(buffer, 0, buffer.Length, untilFirst && dropped == 0 ? deadline.Remaining : quiet, ct);
                if (n == 0) break;
                dropped += n;
            }
            return dropped;
        }

        /// <summary>How long <paramref name="bytes"/> take on the wire at the link's baud (11 bits a byte, 8E1).</summary>
        public TimeSpan WireTime(int bytes)
            => TimeSpan.FromMilliseconds(bytes * 11 * 1000.0 / Math.Max(1200, _link.BaudRate));

        private static string At(uint? address)
            => address.HasValue ? string.Format(CultureInfo.InvariantCulture, " at 0x{0:X8}", address.Value) : "";

        private int ReadByte(string step, byte[] sent, CancellationToken ct)
        {
            var b = TryReadByte(Options.ReplyTimeout, ct);
            if (b < 0)
                throw NoAnswer(step + ": the reply stopped short.", step, sent, null, null);
            return b;
        }

        /// <summary>
        /// Reads exactly <paramref name="buffer"/>'s length. The whole answer has one deadline, the
        /// reply timeout plus twice its wire time at the link's baud: a chip that drips its answer a
        /// byte at a time cannot hold a read open for ever. With <paramref name="final"/> the bytes
        /// end the answer, so any that arrive with them are a protocol error (the answer may be
        /// shifted: never taken as data).
        /// </summary>
        private void ReadExactly(byte[] buffer, string step, byte[] sent, CancellationToken ct, uint? address = null, bool final = false)
        {
            var deadline = Transport.Deadline.After(Options.ReplyTimeout + WireTime(buffer.Length) + WireTime(buffer.Length));
            int got = 0;
            while (got < buffer.Length)
            {
                var left = deadline.Remaining;
                int n = 0;
                if (final)
                {
                    // Ask for more than is due: what comes with the answer's last bytes shows.
                    n = ReadLink(_scratch, 0, Math.Min(_scratch.Length, buffer.Length - got + 64), left, ct);
                    Buffer.BlockCopy(_scratch, 0, buffer, got, Math.Min(n, buffer.Length - got));
                }
                else if (left > TimeSpan.Zero) n = ReadLink(buffer, got, buffer.Length - got, left, ct);
                if (n == 0)
                {
                    var partial = new byte[got];
                    Buffer.BlockCopy(buffer, 0, partial, 0, got);
                    var why = deadline.HasPassed && got > 0
                        ? string.Format(CultureInfo.InvariantCulture, "{0}: got {1} of {2} bytes{3}, too slowly: the whole answer is due within {4:0.###} s.",
                            step, got, buffer.Length, At(address), (Options.ReplyTimeout + WireTime(buffer.Length) + WireTime(buffer.Length)).TotalSeconds)
                        : string.Format(CultureInfo.InvariantCulture, "{0}: got {1} of {2} bytes{3}.", step, got, buffer.Length, At(address));
                    throw NoAnswer(why, step, sent, partial, address);
                }
                if (final && got + n > buffer.Length)
                {
                    var extra = new byte[got + n - buffer.Length];
                    Buffer.BlockCopy(_scratch, buffer.Length - got, extra, 0, extra.Length);
                    throw new Stm32ProtocolException(
                        string.Format(CultureInfo.InvariantCulture, "{0}: the chip sent {1} byte(s) more than the {2} asked for ({3}){4}; an answer longer than the protocol allows is not believed.",
                            step, extra.Length, buffer.Length, Stm32Exception.Hex(extra), At(address)),
                        step, sent, extra, address);
                }
                got += n;
            }
        }

        /// <summary>One read from the link, its wait cut short at the operation's deadline; counts what arrived.</summary>
        private int ReadLink(byte[] buffer, int offset, int count, TimeSpan timeout, CancellationToken ct)
        {
            var limit = Deadline;
            if (limit != null) timeout = limit.Cap(timeout);
            if (timeout <= TimeSpan.Zero) return 0;
            var n = _link.Read(buffer, offset, count, timeout, ct);
            BytesReceived += n;
            return n;
        }

        /// <summary>
        /// As <see cref="TryReadByte(TimeSpan, CancellationToken)"/>, in slices of
        /// <see cref="TickInterval"/>: <paramref name="tick"/> hears the time waited when the wait
        /// starts and after every slice that brought nothing.
        /// </summary>
        private int TryReadByte(TimeSpan timeout, Action<TimeSpan> tick, CancellationToken ct)
        {
            var clock = Stopwatch.StartNew();
            tick(TimeSpan.Zero);
            while (true)
            {
                var left = timeout - clock.Elapsed;
                if (left <= TimeSpan.Zero) return -1;
                var b = TryReadByte(left < TickInterval ? left : TickInterval, ct);
                if (b >= 0) return b;
                tick(clock.Elapsed);
            }
        }

        private int TryReadByte(TimeSpan timeout, CancellationToken ct)
        {
            var n = ReadLink(_one, 0, 1, timeout, ct);
            return n == 0 ? -1 : _one[0];
        }

        private static TimeSpan Scale(TimeSpan perItem, int count)
            => TimeSpan.FromTicks(perItem.Ticks * Math.Max(1, count));
    }
}
