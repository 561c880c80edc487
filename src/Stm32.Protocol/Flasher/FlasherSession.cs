using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using Stm32.Protocol.Transport;

namespace Stm32.Protocol.Flasher
{
    /// <summary>
    /// A link whose line rate can change mid-session (the baud switch of the on-chip flasher).
    /// Serial ports implement it by setting the port's rate; an adapter that cannot do a rate
    /// answers false (or the port throws, which counts as false).
    /// </summary>
    public interface IBaudSwitchable
    {
        /// <summary>Sets the line rate; false when the port or adapter refuses it (the rate stays).</summary>
        bool TrySetBaudRate(int baudRate);
    }

    /// <summary>What the flasher says about itself (READY and HELLO).</summary>
    public sealed class FlasherHello
    {
        internal FlasherHello(byte[] p)
        {
            if (p.Length < 48) throw new FlasherException($"The flasher's HELLO is {p.Length} bytes long; 48 were expected.");
            ProtocolVersion = p[1];
            Variant = (FlasherVariant)p[2];
            Version = p[3];
            SystemClock = BitConverter.ToUInt32(p, 4);
            Hclk = BitConverter.ToUInt32(p, 8);
            UsartClock = BitConverter.ToUInt32(p, 12);
            Brr = BitConverter.ToUInt32(p, 16);
            BaudAtStart = (int)BitConverter.ToUInt32(p, 20);
            MaxBlock = BitConverter.ToUInt16(p, 24);
            Window = p[26];
            UsartKept = (p[27] & 1) != 0;
            ClockKnown = (p[27] & 2) == 0 && UsartClock != 0;
            RingSize = BitConverter.ToUInt32(p, 28);
            ImageBase = BitConverter.ToUInt32(p, 32);
            ImageSize = BitConverter.ToUInt32(p, 36);
            StackTop = BitConverter.ToUInt32(p, 40);
            LineErrors = BitConverter.ToUInt32(p, 44);
        }

        public int ProtocolVersion { get; }

        public FlasherVariant Variant { get; }

        public int Version { get; }

        /// <summary>SYSCLK as the flasher read it from RCC (0: unknown).</summary>
        public uint SystemClock { get; }

        public uint Hclk { get; }

        /// <summary>The USART's kernel clock from RCC (0: unknown, so no baud change is offered).</summary>
        public uint UsartClock { get; }

        /// <summary>The USART divider in use now.</summary>
        public uint Brr { get; }

        public int BaudAtStart { get; }

        /// <summary>The largest block (raw bytes) one WRITE may carry.</summary>
        public int MaxBlock { get; }

        /// <summary>How many frames may be in flight.</summary>
        public int Window { get; }

        /// <summary>True when the bootloader's USART setup (its autobaud divider) was still running and kept.</summary>
        public bool UsartKept { get; }

        public bool ClockKnown { get; }

        public uint RingSize { get; }

        public uint ImageBase { get; }

        public uint ImageSize { get; }

        public uint StackTop { get; }

        /// <summary>Bytes lost to a full ring plus USART errors seen so far.</summary>
        public uint LineErrors { get; }

        /// <summary>The rate the divider gives with the RCC clock (0 when unknown).</summary>
        public int RateFromClock => Brr == 0 || UsartClock == 0 ? 0 : (int)Math.Round((double)UsartClock / Brr);
    }

    /// <summary>The flash map CONFIG gives the flasher; it refuses everything outside it.</summary>
    public sealed class FlasherFlashMap
    {
        public FlasherFlashMap(uint start, uint end, IReadOnlyList<(uint Count, uint Size)> runs)
        {
            Start = start;
            End = end;
            Runs = runs ?? throw new ArgumentNullException(nameof(runs));
        }

        public uint Start { get; }

        public uint End { get; }

        public IReadOnlyList<(uint Count, uint Size)> Runs { get; }

        /// <summary>Ranges the flasher must never write or erase (e.g. write-protected pages, a bootloader of one's own).</summary>
        public IList<(uint Start, uint End)> Forbidden { get; } = new List<(uint, uint)>();

        /// <summary>F1 XL-density: where bank 2 (its own registers) starts; 0 for one bank.</summary>
        public uint Bank2Start { get; set; }

        /// <summary>F4 program size: 0 x8, 1 x16, 2 x32 (default; needs 2.7-3.6 V, UNCONFIRMED per board).</summary>
        public byte ProgramSize { get; set; } = 2;

        /// <summary>F4 parts with 2 MiB: bank-2 sectors are numbered from SNB 0x10.</summary>
        public bool DualBankSectorNumbering { get; set; }

        /// <summary>Allow ERASE's mass-erase form (refused anyway when something is forbidden).</summary>
        public bool AllowMassErase { get; set; }

        /// <summary>The erase units as (start, size), in order.</summary>
        public IEnumerable<(uint Start, uint Size)> Units()
        {
            uint at = Start;
            foreach (var (count, size) in Runs)
                for (uint i = 0; i < count; i++, at += size)
                    yield return (at, size);
        }

        internal byte[] Encode()
        {
            if (Runs.Count == 0 || Runs.Count > 6) throw new ArgumentException("CONFIG carries 1 to 6 runs of erase units.");
            if (Forbidden.Count > 4) throw new ArgumentException("CONFIG carries at most 4 forbidden ranges.");
            var p = new List<byte>();
            Add(p, Start);
            Add(p, End);
            Add(p, Bank2Start);
            p.Add(ProgramSize);
            p.Add((byte)((DualBankSectorNumbering ? 1 : 0) | (AllowMassErase ? 2 : 0)));
            p.Add((byte)Runs.Count);
            p.Add((byte)Forbidden.Count);
            foreach (var (count, size) in Runs)
            {
                Add(p, count);
                Add(p, size);
            }
            foreach (var (s, e) in Forbidden)
            {
                Add(p, s);
                Add(p, e);
            }
            return p.ToArray();
        }

        internal static void Add(List<byte> p, uint v)
        {
            p.Add((byte)v);
            p.Add((byte)(v >> 8));
            p.Add((byte)(v >> 16));
            p.Add((byte)(v >> 24));
        }
    }

    public enum FlasherExitMode : byte
    {
        /// <summary>System reset through AIRCR: the boot pins decide (BOOT0 still high: the ROM bootloader).</summary>
        Reset = 0,

        /// <summary>Jump to the ROM bootloader's entry in system memory (its own vector table).</summary>
        Bootloader = 1,
    }

    /// <summary>The outcome of a baud negotiation.</summary>
    public sealed class FlasherBaudResult
    {
        internal FlasherBaudResult(int initial, int reached, IReadOnlyList<string> attempts)
        {
            InitialRate = initial;
            Rate = reached;
            Attempts = attempts;
        }

        public int InitialRate { get; }

        /// <summary>The rate both ends use now.</summary>
        public int Rate { get; }

        public bool Changed => Rate != InitialRate;

        /// <summary>One line per rate tried (what happened), in order.</summary>
        public IReadOnlyList<string> Attempts { get; }
    }

    public sealed class FlasherSessionOptions
    {
        /// <summary>How long to wait for READY after Go before sending HELLO.</summary>
        public TimeSpan ReadyTimeout { get; set; } = TimeSpan.FromMilliseconds(500);

        /// <summary>Resends of one frame before the session is given up.</summary>
        public int MaxRetries { get; set; } = 8;

        /// <summary>Added to every answer's expected time (adapter latency, host scheduling).</summary>
        public TimeSpan Margin { get; set; } = TimeSpan.FromMilliseconds(150);

        /// <summary>How long the flasher listens at a new rate before going back (SET_BAUD's timeout).</summary>
        public TimeSpan BaudConfirmTimeout { get; set; } = TimeSpan.FromMilliseconds(400);

        /// <summary>
        /// Frames in flight at most. The flasher's ring bounds the bytes in flight, and its
        /// history of 16 answers bounds the count (15), whatever is set here.
        /// </summary>
        public int MaxWindow { get; set; } = 15;

        /// <summary>Compress blocks with LZ4 (sent raw when that would not be smaller).</summary>
        public bool Compress { get; set; } = true;

        /// <summary>Typical time to program n bytes / erase one unit of the family (timeouts are twice that, plus the margin).</summary>
        /// <remarks>null: the family's figures (<see cref="FlasherSession.UseFamilyTimings"/>), or F1's when the family is not known.</remarks>
        public Func<int, TimeSpan>? ProgramTime { get; set; }

        public Func<uint, TimeSpan>? EraseTime { get; set; }
    }

    /// <summary>Wire counters of a session.</summary>
    public sealed class FlasherWireStats
    {
        public long BytesToDevice { get; internal set; }

        public long BytesFromDevice { get; internal set; }

        /// <summary>Frames sent again (after a NAK or a timeout).</summary>
        public int Retransmits { get; internal set; }

        public int NaksReceived { get; internal set; }

        public int Timeouts { get; internal set; }

        /// <summary>Received bytes that were not part of a good frame.</summary>
        public long DiscardedBytes { get; internal set; }
    }

    /// <summary>
    /// The host side of the on-chip flasher's protocol over a byte link (flasher/PROTOCOL.md):
    /// handshake, CONFIG, baud negotiation with fallback, a window of sequenced frames with
    /// go-back-N retransmission (NAK or timeout), and EXIT. Everything the flasher answers is
    /// checked: a status other than OK throws <see cref="FlasherCommandException"/>, silence
    /// beyond the retries throws <see cref="FlasherException"/>; nothing is taken on trust.
    /// </summary>
    public sealed partial class FlasherSession
    {
        private readonly IByteLink _link;
        private readonly FlasherSessionOptions _options;
        private readonly FlasherFrameParser _parser = new FlasherFrameParser();
        private readonly byte[] _rx = new byte[4096];
        private readonly CancellationToken _ct;
        private byte _nextSeq;
        private byte _nextPing;
        private long _lastAnswer;
        private double _secondsPerAnswer;

        public FlasherSession(IByteLink link, FlasherSessionOptions? options = null, CancellationToken cancellationToken = default)
        {
            _link = link ?? throw new ArgumentNullException(nameof(link));
            _options = options ?? new FlasherSessionOptions();
            _ct = cancellationToken;
        }

        public FlasherWireStats Stats { get; } = new FlasherWireStats();

        /// <summary>From <see cref="Connect"/> (null before).</summary>
        public FlasherHello? Hello { get; private set; }

        /// <summary>Frames in flight at most: below the flasher's answer history (16).</summary>
        private int Window => Math.Max(1, Math.Min(Math.Min(_options.MaxWindow, 15), Hello == null ? 1 : 15));

        /// <summary>Bytes in flight at most: what the flasher's ring holds, less a little for stray bytes.</summary>
        private long WindowBytes => Hello == null ? long.MaxValue : Math.Max(Hello.RingSize - 64, 1);

        /// <summary>Waits for the flasher's READY after Go (or asks with HELLO) and returns what it says.</summary>
        public FlasherHello Connect()
        {
            var frame = WaitFor(f => f.Type == FlasherProtocol.Ready, _options.ReadyTimeout);
            if (frame == null)
            {
                for (int i = 0; i <= _options.MaxRetries && frame == null; i++)
                {
                    Send(FlasherProtocol.Hello, _nextPing++, Array.Empty<byte>());
                    frame = WaitFor(f => f.Type == (FlasherProtocol.Hello | FlasherProtocol.ResponseBit) || f.Type == FlasherProtocol.Ready, WireTime(64) + _options.Margin);
                }
            }
            if (frame == null) throw new FlasherException("The on-chip flasher did not answer after Go (no READY, no HELLO answer).");
            if (frame.Value.Status != 0)
                throw new FlasherException("The on-chip flasher started but has too little RAM for its buffers (READY status "
                    + frame.Value.Status + ").");
            Hello = new FlasherHello(frame.Value.Payload);
            if (Hello.ProtocolVersion != 1) throw new FlasherException($"The flasher speaks protocol {Hello.ProtocolVersion}; this host speaks 1.");
            return Hello;
        }

        /// <summary>Asks HELLO again (e.g. for <see cref="FlasherHello.LineErrors"/> after a transfer).</summary>
        public FlasherHello QueryHello()
        {
            for (int i = 0; i <= _options.MaxRetries; i++)
            {
                byte seq = _nextPing++;
                Send(FlasherProtocol.Hello, seq, Array.Empty<byte>());
                var f = WaitFor(x => x.Type == (FlasherProtocol.Hello | FlasherProtocol.ResponseBit) && x.Seq == seq, WireTime(64) + _options.Margin);
                if (f != null) return Hello = new FlasherHello(f.Value.Payload);
            }
            throw new FlasherException("The flasher did not answer HELLO.");
        }

        /// <summary>Gives the flasher the flash map it must enforce.</summary>
        public void Configure(FlasherFlashMap map)
        {
            if (map == null) throw new ArgumentNullException(nameof(map));
            Run(new[] { new Request(FlasherProtocol.Config, map.Encode(), TimeSpan.Zero) });
        }

        /// <summary>Erases <paramref name="count"/> units from <paramref name="address"/> (a unit start); returns (erased, skipped as blank).</summary>
        public (int Erased, int Skipped) Erase(uint address, int count, bool skipBlank, TimeSpan unitTime)
        {
            var r = new Request(FlasherProtocol.Erase, ErasePayload(address, count, skipBlank, mass: false), TimeSpan.FromTicks(unitTime.Ticks * count));
            Run(new[] { r });
            return ((int)(r.Answer & 0xFFFF), (int)(r.Answer >> 16));
        }

        /// <summary>Erases the whole configured flash (only when CONFIG allowed it and nothing is forbidden).</summary>
        public void MassErase(TimeSpan time) => Run(new[] { new Request(FlasherProtocol.Erase, ErasePayload(0, 0, false, mass: true), time) });

        /// <summary>The CRC-32 (zlib) of a flash range, computed by the flasher.</summary>
        public uint Crc(uint address, uint length)
        {
            var r = new Request(FlasherProtocol.Crc, CrcPayload(address, length), TimeSpan.FromMilliseconds(length / 1000.0));
            Run(new[] { r });
            return r.Answer;
        }

        /// <summary>
        /// Ends the flasher: it answers, then resets (or jumps to the ROM bootloader). True when
        /// the answer came; false when it did not (the host resynchronises the bootloader anyway).
        /// </summary>
        public bool Exit(FlasherExitMode mode, uint systemMemory)
        {
            var p = new byte[8];
            p[0] = (byte)mode;
            BitConverter.GetBytes(systemMemory).CopyTo(p, 4);
            byte seq = _nextSeq++;
            Send(FlasherProtocol.Exit, seq, p);
            var f = WaitFor(x => x.Type == (FlasherProtocol.Exit | FlasherProtocol.ResponseBit) && x.Seq == seq, WireTime(32) + _options.Margin);
            return f != null && f.Value.Status == 0;
        }

        internal static byte[] ErasePayload(uint address, int count, bool skipBlank, bool mass)
        {
            var p = new byte[8];
            BitConverter.GetBytes(address).CopyTo(p, 0);
            p[4] = (byte)count;
            p[5] = (byte)(count >> 8);
            p[6] = (byte)((skipBlank ? 1 : 0) | (mass ? 2 : 0));
            return p;
        }

        internal static byte[] CrcPayload(uint address, uint length)
        {
            var p = new byte[8];
            BitConverter.GetBytes(address).CopyTo(p, 0);
            BitConverter.GetBytes(length).CopyTo(p, 4);
            return p;
        }

        /// <summary>Sends a raw frame as is (tests: a frame the host-side checks would have stopped).</summary>
        public (FlasherStatus Status, uint Value) SendRaw(byte type, byte[] payload, TimeSpan processing)
        {
            var r = new Request(type, payload, processing) { AcceptAnyStatus = true };
            Run(new[] { r });
            return ((FlasherStatus)r.Status, r.Answer);
        }

        #region Baud negotiation

        /// <summary>
        /// Tries the rates above the current one, highest first: the flasher answers SET_BAUD at the
        /// old rate, both switch, the host PINGs at the new rate and commits on the PONG. Any doubt
        /// (no PONG, the port refusing the rate) sends both back to the old rate: the flasher after
        /// its timeout, the host at once, confirmed by a PING at the old rate. A flasher that
        /// answers at neither rate ends the session (FlasherException).
        /// </summary>
        public FlasherBaudResult NegotiateBaud(IBaudSwitchable? port, IEnumerable<int> rates)
        {
            var hello = Hello ?? throw new InvalidOperationException("Connect first.");
            int initial = _link.BaudRate;
            var attempts = new List<string>();
            if (port == null)
            {
                attempts.Add("the link cannot change its rate");
                return new FlasherBaudResult(initial, initial, attempts);
            }
            if (!hello.ClockKnown)
            {
                attempts.Add("the flasher does not know its USART clock");
                return new FlasherBaudResult(initial, initial, attempts);
            }
            // Doubt: the divider in use and the RCC clock must agree with the line rate.
            if (hello.RateFromClock == 0 || Math.Abs(hello.RateFromClock - initial) > initial * 0.03)
            {
                attempts.Add($"the flasher's clock ({hello.UsartClock} Hz, BRR {hello.Brr} = {hello.RateFromClock} baud) disagrees with the line ({initial} baud)");
                return new FlasherBaudResult(initial, initial, attempts);
            }
            foreach (int rate in rates.Where(r => r > initial).Distinct().OrderByDescending(r => r))
            {
                uint brr = (uint)Math.Round((double)hello.UsartClock / rate);
                double actual = brr == 0 ? 0 : (double)hello.UsartClock / brr;
                if (brr < 16 || Math.Abs(actual - rate) > rate * 0.02)
                {
                    attempts.Add($"{rate}: not reachable from a {hello.UsartClock} Hz USART clock");
                    continue;
                }
                if (TrySwitch(port, initial, rate, attempts)) return new FlasherBaudResult(initial, rate, attempts);
            }
            return new FlasherBaudResult(initial, _link.BaudRate, attempts);
        }

        private bool TrySwitch(IBaudSwitchable port, int old, int rate, List<string> attempts)
        {
            var tmo = _options.BaudConfirmTimeout;
            var p = new byte[8];
            BitConverter.GetBytes((uint)rate).CopyTo(p, 0);
            int ms = (int)Math.Min(60000, Math.Max(1, tmo.TotalMilliseconds));
            p[4] = (byte)ms;
            p[5] = (byte)(ms >> 8);
            var r = new Request(FlasherProtocol.SetBaud, p, TimeSpan.Zero) { AcceptAnyStatus = true };
            Run(new[] { r });
            var answered = Stopwatch.StartNew();
            if (r.Status != 0)
            {
                attempts.Add($"{rate}: refused by the flasher ({(FlasherStatus)r.Status}, nearest {r.Answer})");
                return false;
            }
            // The answer's last byte left at the old rate; the flasher switches once it is out.
            bool switched;
            try
            {
                switched = port.TrySetBaudRate(rate);
            }
            catch (Exception e) when (!(e is OperationCanceledException))
            {
                switched = false;
            }
            if (switched)
            {
                _parser.Clear();
                var half = TimeSpan.FromTicks(tmo.Ticks / 2);
                if (Ping(commit: false, within: half) && Ping(commit: true, within: half))
                {
                    attempts.Add($"{rate}: confirmed");
                    return true;
                }
                if (!SetRate(port, old)) throw new FlasherException($"The port could not return to {old} baud after {rate} failed.");
                attempts.Add($"{rate}: no answer at the new rate; back to {old}");
            }
            else attempts.Add($"{rate}: the port refused the rate; back to {old}");

            // The flasher goes back after its timeout without a frame at the new rate.
            var wait = tmo + TimeSpan.FromMilliseconds(50) - answered.Elapsed;
            if (wait > TimeSpan.Zero) Sleep(wait);
            _link.DiscardInput();
            _parser.Clear();
            if (Ping(commit: false, within: tmo)) return false;
            if (switched && SetRate(port, rate) && Ping(commit: true, within: tmo))
            {
                // It did commit after all (a PONG lost on the way): carry on at the new rate.
                attempts.Add($"{rate}: the flasher had committed; using it");
                return true;
            }
            throw new FlasherException($"The flasher answers neither at {old} nor at {rate} baud after a baud change.");
        }

        private static bool SetRate(IBaudSwitchable port, int rate)
        {
            try
            {
                return port.TrySetBaudRate(rate);
            }
            catch (Exception e) when (!(e is OperationCanceledException))
            {
                return false;
            }
        }

        /// <summary>PING until the matching PONG or the time is up.</summary>
        private bool Ping(bool commit, TimeSpan within)
        {
            var sw = Stopwatch.StartNew();
            while (sw.Elapsed < within)
            {
                byte seq = _nextPing++;
                var payload = new byte[] { (byte)(commit ? 1 : 0), seq, 0x5A, 0xA5 };
                Send(FlasherProtocol.Ping, seq, payload);
                var left = within - sw.Elapsed;
                var step = WireTime(32) + TimeSpan.FromMilliseconds(40);
                var f = WaitFor(x => x.Type == (FlasherProtocol.Ping | FlasherProtocol.ResponseBit) && x.Seq == seq && x.Payload.SequenceEqual(payload),
                    left < step ? left : step);
                if (f != null) return true;
            }
            return false;
        }

        private void Sleep(TimeSpan t)
        {
            if (_ct.WaitHandle.WaitOne(t)) _ct.ThrowIfCancellationRequested();
        }

        #endregion

        #region Frames and the window

        /// <summary>A sequenced request and, once answered, its status and value.</summary>
        internal sealed class Request
        {
            public Request(byte type, byte[] payload, TimeSpan processing)
            {
                Type = type;
                Payload = payload;
                Processing = processing;
            }

            public byte Type { get; }

            public byte[] Payload { get; }

            /// <summary>The flasher's expected work on it (programming, erasing).</summary>
            public TimeSpan Processing { get; }

            public bool AcceptAnyStatus { get; set; }

            public byte Seq;
            public byte[]? Frame;
            public bool Done;
            public byte Status;
            public uint Answer;
            public int Sends;

            /// <summary>Called with the answer (in order); may throw to stop.</summary>
            public Action<Request>? OnAnswer;
        }

        /// <summary>
        /// Sends the requests with up to <see cref="Window"/> in flight and collects every answer
        /// in order; a NAK or a timeout resends from the oldest unanswered (go-back-N). The flasher
        /// executes each sequence number once and answers resends from its history.
        /// </summary>
        internal void Run(IReadOnlyList<Request> requests)
        {
            foreach (var r in requests)
            {
                r.Seq = _nextSeq++;
                r.Frame = FlasherFrame.Encode(r.Type, r.Seq, r.Payload);
            }
            int first = 0, next = 0;
            int window = Window;
            _lastAnswer = 0;
            long deadline = 0;
            int backoff = 0;          // timeouts in a row without progress: each doubles the wait
            long nakHoldUntil = 0;    // after a rewind, NAKs about the frames still on the way are stale
            int askedAgain = -1;      // the oldest request whose lost answer was asked for again
            while (first < requests.Count)
            {
                _ct.ThrowIfCancellationRequested();
                while (next < requests.Count && next - first < window
                       && (next == first || BytesInFlight(requests, first, next) + requests[next].Frame!.Length <= WindowBytes))
                {
                    var r = requests[next++];
                    if (++r.Sends > _options.MaxRetries + 1)
                        throw new FlasherException($"The flasher did not answer {Name(r.Type)} (seq {r.Seq}) after {_options.MaxRetries} resends.");
                    if (r.Sends > 1) Stats.Retransmits++;
                    Write(r.Frame!);
                    if (deadline == 0) deadline = Deadline(requests, first, next, backoff);
                }
                long now = Stopwatch.GetTimestamp();
                var wait = TimeSpan.FromTicks((deadline - now) * TimeSpan.TicksPerSecond / Stopwatch.Frequency);
                if (wait <= TimeSpan.Zero)
                {
                    Stats.Timeouts++;
                    int upTo = next;
                    next = first; // nothing heard in time: resend from the oldest
                    deadline = 0;
                    _lastAnswer = 0; // a stall is not a sample of the answer rate
                    backoff = Math.Min(backoff + 1, 3);
                    nakHoldUntil = Stopwatch.GetTimestamp() + Ticks(InFlightWire(requests, first, upTo));
                    continue;
                }
                if (!ReadSome(wait < TimeSpan.FromMilliseconds(50) ? wait : TimeSpan.FromMilliseconds(50))) continue;
                while (_parser.TryTake(out var f))
                {
                    if (f.Type == FlasherProtocol.Ready) throw new FlasherException("The flasher restarted (READY in the middle of a session).");
                    if (f.Type == FlasherProtocol.Nak)
                    {
                        Stats.NaksReceived++;
                        int at = IndexOf(requests, first, next, f.Seq);
                        if (at >= 0 && Stopwatch.GetTimestamp() >= nakHoldUntil)
                        {
                            int upTo = next;
                            next = at;
                            deadline = 0;
                            _lastAnswer = 0;
                            nakHoldUntil = Stopwatch.GetTimestamp() + Ticks(InFlightWire(requests, at, upTo));
                        }
                        continue;
                    }
                    if ((f.Type & FlasherProtocol.ResponseBit) == 0) continue;
                    int i = IndexOf(requests, first, next, f.Seq);
                    if (i < 0 || requests[i].Type != (f.Type & 0x7F) || requests[i].Done) continue;
                    var req = requests[i];
                    req.Done = true;
                    req.Status = f.Status;
                    req.Answer = f.Value;
                    if (f.Status != 0 && !req.AcceptAnyStatus) throw new FlasherCommandException(req.Type, (FlasherStatus)f.Status, f.Value);
                    if (i > first && !requests[first].Done && askedAgain != first)
                    {
                        // Answers come in order: a later one means the oldest's answer was lost.
                        // Ask for it again (the flasher answers from its history, never twice).
                        askedAgain = first;
                        var lost = requests[first];
                        if (++lost.Sends > _options.MaxRetries + 1)
                            throw new FlasherException($"The flasher did not answer {Name(lost.Type)} (seq {lost.Seq}) after {_options.MaxRetries} resends.");
                        Stats.Retransmits++;
                        Write(lost.Frame!);
                    }
                    while (first < next && requests[first].Done)
                    {
                        requests[first].OnAnswer?.Invoke(requests[first]);
                        first++;
                        backoff = 0;
                        // How fast answers really come (a slow host or an emulated chip may be slower than the wire).
                        long t = Stopwatch.GetTimestamp();
                        if (_lastAnswer != 0)
                        {
                            double dt = (t - _lastAnswer) / (double)Stopwatch.Frequency;
                            _secondsPerAnswer = _secondsPerAnswer == 0 ? dt : 0.75 * _secondsPerAnswer + 0.25 * dt;
                        }
                        _lastAnswer = t;
                    }
                    deadline = first < next ? Deadline(requests, first, next, backoff) : 0;
                }
            }
        }

        /// <summary>Wire time of requests [from, to) with their answers, plus half the margin: when a resend of the first can have arrived.</summary>
        private TimeSpan InFlightWire(IReadOnlyList<Request> requests, int from, int to)
        {
            var t = TimeSpan.FromTicks(_options.Margin.Ticks / 2);
            for (int i = from; i < to; i++) t += WireTime(requests[i].Frame!.Length + 16);
            return t;
        }

        private static long Ticks(TimeSpan t) => (long)(t.TotalSeconds * Stopwatch.Frequency);

        private static long BytesInFlight(IReadOnlyList<Request> requests, int first, int next)
        {
            long n = 0;
            for (int i = first; i < next; i++) n += requests[i].Frame!.Length;
            return n;
        }

        private static int IndexOf(IReadOnlyList<Request> requests, int first, int next, byte seq)
        {
            for (int i = first; i < next; i++)
                if (requests[i].Seq == seq) return i;
            return -1;
        }

        /// <summary>When the oldest in-flight request must have been answered: every in-flight frame's wire and work time, doubled, plus the margin; doubled again per timeout in a row.</summary>
        private long Deadline(IReadOnlyList<Request> requests, int first, int next, int backoff)
        {
            var total = TimeSpan.Zero;
            for (int i = first; i < next; i++) total += WireTime(requests[i].Frame!.Length + 16) + requests[i].Processing;
            // At most a second per frame from the observed rate: a slow spell must not stretch recovery for ever.
            var observed = TimeSpan.FromSeconds(Math.Min(_secondsPerAnswer, 1.0) * 4 * (next - first));
            if (observed > total) total = observed;
            var t = TimeSpan.FromTicks((total.Ticks * 2 + _options.Margin.Ticks) << backoff);
            return Stopwatch.GetTimestamp() + Ticks(t);
        }

        private TimeSpan WireTime(int bytes)
        {
            int baud = _link.BaudRate > 0 ? _link.BaudRate : 115200;
            return TimeSpan.FromSeconds(bytes * 11.0 / baud);
        }

        private void Send(byte type, byte seq, byte[] payload) => Write(FlasherFrame.Encode(type, seq, payload));

        private void Write(byte[] frame)
        {
            _link.Write(frame, 0, frame.Length);
            Stats.BytesToDevice += frame.Length;
        }

        private bool ReadSome(TimeSpan timeout)
        {
            int n = _link.Read(_rx, 0, _rx.Length, timeout, _ct);
            if (n <= 0) return false;
            Stats.BytesFromDevice += n;
            _parser.Feed(_rx, 0, n);
            return true;
        }

        /// <summary>Reads frames until one matches (others are dropped) or the time is up.</summary>
        private FlasherFrame? WaitFor(Func<FlasherFrame, bool> match, TimeSpan timeout)
        {
            var sw = Stopwatch.StartNew();
            while (true)
            {
                while (_parser.TryTake(out var f))
                    if (match(f)) return f;
                var left = timeout - sw.Elapsed;
                if (left <= TimeSpan.Zero) return null;
                ReadSome(left < TimeSpan.FromMilliseconds(50) ? left : TimeSpan.FromMilliseconds(50));
                Stats.DiscardedBytes = _parser.Discarded;
            }
        }

        internal static string Name(byte type)
        {
            switch (type)
            {
                case FlasherProtocol.Hello: return "HELLO";
                case FlasherProtocol.Config: return "CONFIG";
                case FlasherProtocol.SetBaud: return "SET_BAUD";
                case FlasherProtocol.Erase: return "ERASE";
                case FlasherProtocol.Write: return "WRITE";
                case FlasherProtocol.Crc: return "CRC";
                case FlasherProtocol.Exit: return "EXIT";
                case FlasherProtocol.Ping: return "PING";
                default: return "0x" + type.ToString("X2", System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        #endregion
    }

    /// <summary>The on-chip flasher session failed (no answer, a restart, a lost baud change): fall back to the ROM path.</summary>
    public class FlasherException : Exception
    {
        public FlasherException(string message)
            : base(message)
        {
        }
    }

    /// <summary>The flasher refused or failed a command (its status and value: an address or a register).</summary>
    public sealed class FlasherCommandException : FlasherException
    {
        public FlasherCommandException(byte command, FlasherStatus status, uint value)
            : base($"The flasher answered {FlasherSession.Name(command)} with {status} (0x{value:X8}).")
        {
            Command = command;
            Status = status;
            Value = value;
        }

        public byte Command { get; }

        public FlasherStatus Status { get; }

        public uint Value { get; }
    }
}
