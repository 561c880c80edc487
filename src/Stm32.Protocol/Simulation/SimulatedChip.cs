using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using Stm32.Protocol.Bootloader;
using Stm32.Protocol.Devices;
using Stm32.Protocol.Programming;
using Stm32.Protocol.Transport;

namespace Stm32.Protocol.Simulation
{
    /// <summary>
    /// A simulated STM32 running its USART system-memory bootloader (AN3155), served as bytes over
    /// an <see cref="IByteLink"/>: what tests talk to, what users without a board use, and what
    /// stm32flash can program over a pseudo-terminal. Spec references are to
    /// /work/shared/spec/bootloader-protocol.md; section 15 is the checklist.
    /// <para><b>Modelled behaviour</b></para>
    /// <list type="bullet">
    /// <item>States: WaitingForSync (only 0x7F is answered, with 0x79; optional 0x00 before it and
    /// an optional extra ACK after it), CommandLoop (after sync a 0x7F is an ordinary first byte of
    /// a pair), RunningApplication (after Go, or reset with BOOT0 low: every byte ignored), Halted
    /// (RDP level 2: never answers), Hung (Extended Erase over the configured page limit),
    /// HeldInReset (RESET held through the wired modem lines).</item>
    /// <item>Pairs: code,~code; a bad complement or a code the version does not offer gets one
    /// NACK. There is no inter-byte timeout: a half-sent command waits forever (spec 3).</item>
    /// <item>Get lists, per version: 2.2 <c>00 01 02 11 21 31 43 63 73 82 92</c>; 3.0/3.1 the same
    /// with 44 for 43; 3.3 adds A1; 4.0 is given the 3.3 list (the real list varies per product).
    /// Get answers <c>79 N ver codes 79</c> with N = number of codes, as stm32flash reads it
    /// (N+1 bytes follow). Get Version <c>79 ver 00 00 79</c>; Get ID <c>79 01 PIDhi PIDlo 79</c>.</item>
    /// <item>Memory: flash (0xFF when erased, programming ANDs), RAM from 0x20000000 with the
    /// bootloader's reserved start (Read/Write/Go there are NACKed), system memory (0xFF with the
    /// bootloader ID byte), option area, flash-size register and 96-bit UID. A Read must lie
    /// wholly inside one region: the address is checked when it arrives, the end when N arrives.</item>
    /// <item>Write Memory: (N+1)%4 must be 0 (configurable), XOR checked; write-protected flash is
    /// ACKed but not written; the option area may only be written at its base: all option bytes
    /// are erased, the block written, ACK, then the chip resets and loads them (RDP and WRP take
    /// effect). RAM writes work. The option bytes follow the host's family layouts
    /// (<see cref="Devices.OptionLayout"/>): one model for both ends.</item>
    /// <item>Erase 0x43 (2.x): <c>FF 00</c> mass erase, <c>FF xx</c> ACK without erasing, page lists.
    /// Extended Erase 0x44 (3.x): FFFF mass, FFFE/FFFD bank (NACK on single-bank rows), FFF0-FFFC
    /// NACK, page lists with N below the page count; on F2/F4/F7 a page is a sector. Protected
    /// pages are skipped silently; NoMassErase rows (and <see cref="SimulatorOptions.RefuseMassErase"/>) NACK a mass erase.</item>
    /// <item>Write Protect / Write Unprotect / Readout Protect / Readout Unprotect: two ACKs, then a
    /// reset. They change the option bytes and the option bytes are the truth (loaded at reset).
    /// Readout Unprotect erases all flash (WRP ignored), zeroes all RAM and sets level 0; WRP stays.
    /// Under RDP level 1 only 00/01/02/92 are accepted (optionally two NACKs for 11/21/31).</item>
    /// <item>Go: flash or usable RAM only; ACK, then RunningApplication until a reset.</item>
    /// <item>Get Checksum (0xA1, versions 0x33 and 0x40): the AN3155r18 flow of spec 4.13. Polynomial
    /// and initial value are honoured (the STM32 CRC shape: LE words, MSB first, no reflection).
    /// Real V3.3 behaviour is UNCONFIRMED; <see cref="GetChecksumFlow.Stm32flash"/> speaks the flow
    /// stm32flash's -C uses instead (length in bytes, no polynomial/initial value).</item>
    /// <item>Reset keeps RAM (SRAM survives a system reset) and re-samples BOOT0; the bootloader then
    /// waits for a new sync. <see cref="WireModemLines"/> drives RESET/BOOT0 from DTR/RTS.</item>
    /// <item>Realistic timing: 11 bit times per byte at the link's baud rate each way, kept on a
    /// running Stopwatch deadline (no drift), plus the flash durations of <see cref="FlashTimings"/>:
    /// F0/F1/F3 page 20 ms, mass 40 ms, 256 B 6.7 ms; F2/F4/F7 sector 150 ms + 6.6 ms/KiB (128K ~1 s),
    /// mass 8 s/MiB, 256 B 1 ms; L0/L1 page 3.2 ms, 256 B 12.8/6.4 ms; L4/G0/G4/WB/WL page 22 ms,
    /// 256 B 2.6 ms; H7 128K sector 1 s; option writes 6-500 ms.</item>
    /// <item>Not modelled: the empty-check boot of F_OBLL/F_PEMPTY parts, baud changes after sync,
    /// Special/Extended Special, per-family programming granularity, dual-bank page numbering.</item>
    /// </list>
    /// The serving thread owns the protocol state; Peek/Poke/SetReadProtection lock. No statics hold
    /// mutable state, so chips in different runspaces never meet.
    /// </summary>
    public sealed class SimulatedChip : IDisposable
    {
        private static readonly byte[] AllowedUnderRdp = { An3155.Get, An3155.GetVersion, An3155.GetId, An3155.ReadoutUnprotect };

        private readonly object _gate = new object();
        private readonly object _traceGate = new object();
        private readonly SimulatorOptions _options;
        private readonly SimulatorFaults _faults;
        private readonly ChipMemory _memory;
        private readonly OptionLayout _layout;
        private readonly FlashTimings _timings;
        private readonly bool _preV31Bug;
        private readonly byte[] _supported;
        private readonly Queue<TraceEntry> _trace = new Queue<TraceEntry>();

        // Guarded by _gate.
        private ChipState _state = ChipState.WaitingForSync;
        private byte[] _loadedOptions;
        private int _readLevel;
        private int _epoch;
        private int _resetCount;
        private bool _boot0 = true;
        private bool _heldInReset;

        // Serving.
        private Thread? _thread;
        private CancellationTokenSource? _cts;
        private IByteLink? _link;
        private ModemLineState? _lines;
        private ModemWiring? _wiring;

        // Owned by the serving thread.
        private readonly byte[] _rx = new byte[512];
        private int _rxPos, _rxLen;
        private bool _keepRxOnReset;
        private int _servingEpoch;
        private long _rxDeadline, _txDeadline;

        /// <summary>When the bytes now in _rx became readable (Stopwatch ticks): the host wrote them then.</summary>
        private long _rxChunkTicks;
        private int _commandCount;
        private readonly Random _rngToDevice, _rngToHost, _rngNack;
        private CancellationToken _ct;

        public SimulatedChip(DeviceInfo device, SimulatorOptions? options = null)
        {
            Device = device ?? throw new ArgumentNullException(nameof(device));
            _options = options ?? new SimulatorOptions();
            _faults = _options.Faults ?? new SimulatorFaults();
            var version = _options.BootloaderVersion ?? device.DefaultBootloaderVersion;
            if (version != 0x22 && version != 0x31 && version != 0x33 && version != 0x40)
                throw new ArgumentException($"Bootloader version 0x{version:X2} is not simulated (0x22, 0x31, 0x33, 0x40).", nameof(options));
            BootloaderVersion = version;
            _preV31Bug = _options.PreV31AddressBug ?? version < 0x31;
            _supported = CommandsFor(version);
            SupportedCommands = Array.AsReadOnly(_supported);
            _layout = OptionLayout.ForFamily(device.Family);
            _memory = new ChipMemory(device, _layout);
            _timings = FlashTimings.For(device.Family);
            _loadedOptions = (byte[])_memory.OptionStore.Clone();
            _readLevel = _layout.ReadLevel(_loadedOptions, _memory.OptionPrimary);
            _rngToDevice = new Random(_faults.Seed);
            _rngToHost = new Random(unchecked(_faults.Seed + 1));
            _rngNack = new Random(unchecked(_faults.Seed + 2));
        }

        public DeviceInfo Device { get; }

        public byte BootloaderVersion { get; }

        /// <summary>The codes Get lists, in order (spec 5).</summary>
        public IReadOnlyList<byte> SupportedCommands { get; }

        public ChipState State
        {
            get { lock (_gate) return _state; }
        }

        /// <summary>The RDP level loaded from the option bytes at the last reset (0, 1, 2).</summary>
        public int ReadProtectionLevel
        {
            get { lock (_gate) return _readLevel; }
        }

        /// <summary>Flash bytes (= Device.Flash.Length); the flash-size register reports it in KiB.</summary>
        public uint FlashSize => Device.Flash.Length;

        /// <summary>The BOOT0 pin, sampled at reset: true boots the bootloader, false the "user program" (ignores all bytes).</summary>
        public bool Boot0
        {
            get { lock (_gate) return _boot0; }
            set { lock (_gate) _boot0 = value; }
        }

        public int ResetCount
        {
            get { lock (_gate) return _resetCount; }
        }

        /// <summary>Command pairs read since the chip was built: the numbering of the fault knobs (the next pair is CommandCount + 1).</summary>
        public int CommandCount => Volatile.Read(ref _commandCount);

        /// <summary>Raised after every state change and after every reset, on the thread that caused it.</summary>
        public event Action<ChipState>? StateChanged;

        /// <summary>A snapshot of every byte each way (oldest first).</summary>
        public IReadOnlyList<TraceEntry> Trace
        {
            get { lock (_traceGate) return _trace.ToArray(); }
        }

        public void ClearTrace()
        {
            lock (_traceGate) _trace.Clear();
        }

        /// <summary>True when the page or sector (erase index) is write-protected by the loaded option bytes.</summary>
        public bool IsPageWriteProtected(int pageIndex)
        {
            lock (_gate) return IsProtectedLocked(pageIndex);
        }

        #region Back door (not the protocol)

        /// <summary>Reads memory directly (reserved RAM included). The range must lie inside one region.</summary>
        public byte[] Peek(uint address, int length)
        {
            lock (_gate)
            {
                var r = BackdoorRegion(address, length);
                var result = new byte[length];
                Array.Copy(r.Data, r.IndexOf(address), result, 0, length);
                return result;
            }
        }

        /// <summary>
        /// Sets memory directly (no AND, no protection), e.g. to start with flash content. Option
        /// bytes poked here take effect at the next reset, as on hardware.
        /// </summary>
        public void Poke(uint address, byte[] data)
        {
            if (data == null) throw new ArgumentNullException(nameof(data));
            lock (_gate)
            {
                var r = BackdoorRegion(address, data.Length);
                Array.Copy(data, 0, r.Data, r.IndexOf(address), data.Length);
            }
        }

        /// <summary>
        /// Sets the RDP level in the option bytes and applies it at once (for tests). Level 2 halts
        /// the bootloader; leaving level 2 (impossible on hardware) resets the chip.
        /// </summary>
        public void SetReadProtection(int level)
        {
            if (level < 0 || level > 2) throw new ArgumentOutOfRangeException(nameof(level));
            if (level == 2 && !_layout.HasLevel2) throw new NotSupportedException($"{Device.Family} parts have no RDP level 2.");
            bool changed;
            lock (_gate)
            {
                _layout.SetLevel(_memory.OptionStore, _memory.OptionPrimary, level);
                _layout.SetLevel(_loadedOptions, _memory.OptionPrimary, level);
                var was = _readLevel;
                _readLevel = level;
                changed = false;
                if (level == 2 && (_state == ChipState.WaitingForSync || _state == ChipState.CommandLoop))
                {
                    _epoch++;
                    _state = ChipState.Halted;
                    changed = true;
                }
                else if (was == 2 && level < 2 && _state == ChipState.Halted)
                {
                    ApplyResetLocked();
                    changed = true;
                }
            }
            if (changed) RaiseStateChanged();
        }

        private MemoryRegion BackdoorRegion(uint address, int length)
        {
            if (length < 0) throw new ArgumentOutOfRangeException(nameof(length));
            var r = _memory.Find(address);
            if (r == null || !r.Range.Contains(address, (uint)length))
                throw new ArgumentOutOfRangeException(nameof(address),
                    $"0x{address:X8}+{length} does not lie inside one memory region of {Device.Name}.");
            return r;
        }

        #endregion

        #region Serving, reset and modem lines

        /// <summary>True while a link is attached and served (false again once the link closes).</summary>
        public bool IsServing
        {
            get { lock (_gate) return _thread != null; }
        }

        /// <summary>Serves the protocol on a background thread until Detach/Dispose or the link closes.</summary>
        public void Attach(IByteLink deviceEnd)
        {
            if (deviceEnd == null) throw new ArgumentNullException(nameof(deviceEnd));
            lock (_gate)
            {
                if (_thread != null) throw new InvalidOperationException("The chip is already attached to a link.");
                _link = deviceEnd;
                _cts = new CancellationTokenSource();
                _ct = _cts.Token;
                _rxPos = _rxLen = 0;
                _rxDeadline = _txDeadline = 0;
                _thread = new Thread(Serve) { IsBackground = true, Name = "SimulatedChip " + Device.ProductIdHex };
                _thread.Start();
            }
        }

        /// <summary>Serves the device end of the pair and wires its host modem lines (default wiring when null).</summary>
        public void Attach(InMemoryLinkPair pair, ModemWiring? wiring = null)
        {
            if (pair == null) throw new ArgumentNullException(nameof(pair));
            WireModemLines(pair.HostLines, wiring ?? new ModemWiring());
            Attach(pair.Device);
        }

        public void Detach()
        {
            Thread? thread;
            CancellationTokenSource? cts;
            lock (_gate)
            {
                thread = _thread;
                cts = _cts;
                _thread = null;
                _cts = null;
            }
            if (thread == null) return;
            cts!.Cancel();
            if (thread != Thread.CurrentThread) thread.Join(TimeSpan.FromSeconds(5));
            cts.Dispose();
            lock (_gate) _link = null;
        }

        /// <summary>
        /// Hardware reset: RAM keeps its content, option bytes are loaded (RDP, WRP), BOOT0 is
        /// sampled: WaitingForSync when high (Halted at RDP level 2), RunningApplication when low.
        /// Input not yet processed is dropped (it arrived before the reset).
        /// </summary>
        public void Reset()
        {
            lock (_gate) ApplyResetLocked();
            DiscardLinkInput();
            RaiseStateChanged();
        }

        /// <summary>
        /// Lets host modem lines drive RESET and BOOT0 (e.g. <see cref="InMemoryLinkPair.HostLines"/>).
        /// When RESET is released the chip resets and samples BOOT0.
        /// </summary>
        public void WireModemLines(ModemLineState lines, ModemWiring? wiring = null)
        {
            if (lines == null) throw new ArgumentNullException(nameof(lines));
            UnwireModemLines();
            var w = wiring ?? new ModemWiring();
            lock (_gate)
            {
                _lines = lines;
                _wiring = w;
            }
            lines.Changed += OnModemLineChanged;
            if (w.Boot0Line is ModemLine b) Boot0 = w.Boot0High(lines.IsAsserted(b));
            if (w.ResetActive(lines.IsAsserted(w.ResetLine))) OnModemLineChanged(w.ResetLine, lines.IsAsserted(w.ResetLine));
        }

        public void UnwireModemLines()
        {
            ModemLineState? lines;
            lock (_gate)
            {
                lines = _lines;
                _lines = null;
                _wiring = null;
            }
            if (lines != null) lines.Changed -= OnModemLineChanged;
        }

        private void OnModemLineChanged(ModemLine line, bool asserted)
        {
            ModemWiring? w;
            lock (_gate) w = _wiring;
            if (w == null) return;
            if (w.Boot0Line == line) Boot0 = w.Boot0High(asserted);
            if (w.ResetLine != line) return;
            bool changed = false;
            lock (_gate)
            {
                if (w.ResetActive(asserted) && !_heldInReset)
                {
                    _heldInReset = true;
                    _epoch++;
                    _state = ChipState.HeldInReset;
                    changed = true;
                }
                else if (!w.ResetActive(asserted) && _heldInReset)
                {
                    _heldInReset = false;
                    ApplyResetLocked();
                    changed = true;
                }
            }
            if (!changed) return;
            DiscardLinkInput();
            RaiseStateChanged();
        }

        public void Dispose()
        {
            UnwireModemLines();
            Detach();
        }

        private void DiscardLinkInput()
        {
            IByteLink? link;
            lock (_gate) link = _link;
            try
            {
                link?.DiscardInput();
            }
            catch (ObjectDisposedException)
            {
            }
        }

        private void ApplyResetLocked()
        {
            _epoch++;
            _resetCount++;
            _loadedOptions = (byte[])_memory.OptionStore.Clone();
            _readLevel = _layout.ReadLevel(_loadedOptions, _memory.OptionPrimary);
            if (_heldInReset) _state = ChipState.HeldInReset;
            else if (!_boot0) _state = ChipState.RunningApplication;
            else if (_readLevel == 2) _state = ChipState.Halted;
            else _state = ChipState.WaitingForSync;
        }

        private void RaiseStateChanged()
        {
            var handler = StateChanged;
            if (handler == null) return;
            ChipState s;
            lock (_gate) s = _state;
            handler(s);
        }

        /// <summary>A reset the chip itself performs (after WP/WUP/RP/RUP, option write, fault): unwinds the command.</summary>
        private void ResetFromChip()
        {
            lock (_gate) ApplyResetLocked();
            RaiseStateChanged();
            throw new ChipResetException();
        }

        private void SetState(ChipState state)
        {
            lock (_gate)
            {
                if (_epoch != _servingEpoch) throw new ChipResetException();
                if (_state == state) return;
                _state = state;
            }
            RaiseStateChanged();
        }

        private sealed class ChipResetException : Exception
        {
        }

        private void Serve()
        {
            try
            {
                while (!_ct.IsCancellationRequested)
                {
                    ChipState state;
                    lock (_gate)
                    {
                        _servingEpoch = _epoch;
                        state = _state;
                    }
                    try
                    {
                        switch (state)
                        {
                            case ChipState.WaitingForSync:
                                if (ReadByte() != An3155.Sync) break; // autobaud sees nothing else (spec 2)
                                var reply = new List<byte>();
                                if (_options.LeadingZeroBeforeSyncAck) reply.Add(0x00);
                                reply.Add(An3155.Ack);
                                if (_options.ExtraAckAfterSync) reply.Add(An3155.Ack);
                                Send(reply.ToArray());
                                SetState(ChipState.CommandLoop);
                                break;
                            case ChipState.CommandLoop:
                                RunCommand();
                                break;
                            default:
                                ReadByte(); // running the application, halted, hung or in reset: ignored
                                break;
                        }
                    }
                    catch (ChipResetException)
                    {
                        // The reply that was going out stops with the reset; the next starts from now.
                        _txDeadline = 0;
                        if (!_keepRxOnReset) _rxPos = _rxLen = 0;
                        _keepRxOnReset = false;
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
            catch (ObjectDisposedException)
            {
            }
            catch (IOException)
            {
            }
            finally
            {
                lock (_gate)
                {
                    if (_thread == Thread.CurrentThread)
                    {
                        _thread = null;
                        _cts?.Dispose();
                        _cts = null;
                        _link = null;
                    }
                }
            }
        }

        #endregion

        #region Bytes on the wire

        private bool Realistic => _options.Timing == SimulatorTiming.Realistic;

        private void CheckEpoch()
        {
            if (Volatile.Read(ref _epoch) != _servingEpoch) throw new ChipResetException();
        }

        private long ByteTicks()
        {
            var baud = _link?.BaudRate ?? 0;
            return baud <= 0 ? 0 : (long)Math.Round(Stopwatch.Frequency * 11.0 / baud);
        }

        private byte ReadByte()
        {
            while (true)
            {
                if (_rxPos < _rxLen)
                {
                    CheckEpoch();
                    byte b = _rx[_rxPos++];
                    if (Realistic)
                    {
                        // The byte finished arriving one byte time after the line was free (spec 1: 11 bits),
                        // counted from when the host wrote it (its chunk became readable), not from when
                        // this thread got to it: a chip thread descheduled on a busy machine catches up
                        // with the wire instead of adding its delay to every later byte. Nothing waits
                        // here: the chip acts on a frame only once it has arrived (Send and Busy wait
                        // for _rxDeadline), and the trace records the arrival time, so a frame costs
                        // one wait, not a spin per byte (8 served chips on 2 cores, issue 7).
                        _rxDeadline = Math.Max(_rxDeadline, _rxChunkTicks) + ByteTicks();
                    }
                    long arrived = Realistic ? _rxDeadline : Stopwatch.GetTimestamp();
                    if (_faults.DropRateToDevice > 0 && _rngToDevice.NextDouble() < _faults.DropRateToDevice)
                    {
                        AddTrace(TraceDirection.ToDevice, b, TraceFault.Dropped, arrived);
                        continue;
                    }
                    var fault = TraceFault.None;
                    if (_faults.CorruptRateToDevice > 0 && _rngToDevice.NextDouble() < _faults.CorruptRateToDevice)
                    {
                        b ^= (byte)(1 << _rngToDevice.Next(8));
                        fault = TraceFault.Corrupted;
                    }
                    AddTrace(TraceDirection.ToDevice, b, fault, arrived);
                    return b;
                }
                int before = Volatile.Read(ref _epoch);
                if (before != _servingEpoch) throw new ChipResetException();
                var link = _link ?? throw new ObjectDisposedException("link");
                int n = link.Read(_rx, 0, _rx.Length, TimeSpan.FromMilliseconds(50), _ct);
                _rxChunkTicks = Stopwatch.GetTimestamp();
                _rxPos = 0;
                _rxLen = n;
                if (n > 0 && Volatile.Read(ref _epoch) != before)
                {
                    // A reset happened while we waited: the reset dropped the older input, so
                    // these bytes were most likely sent after it (e.g. the 0x7F of a new sync).
                    _keepRxOnReset = true;
                    throw new ChipResetException();
                }
            }
        }

        private byte[] ReadBytes(int count)
        {
            var b = new byte[count];
            for (int i = 0; i < count; i++) b[i] = ReadByte();
            return b;
        }

        /// <summary>4 bytes MSB first plus their XOR (addresses, sizes, CRC parameters); false on a bad XOR.</summary>
        private bool ReadWord(out uint value) => An3155.TryReadAddressFrame(ReadBytes(5), 0, out value);

        private void Send(params byte[] bytes)
        {
            CheckEpoch();
            var link = _link ?? throw new ObjectDisposedException("link");
            var frame = new List<(byte Value, long Due, TraceFault Fault)>(bytes.Length);
            // A reply starts once the frame it answers has arrived, and goes out back to back from
            // then: a byte this thread was late for is sent at once and the next keeps the wire's
            // schedule (a UART's FIFO catching up).
            if (Realistic) _txDeadline = Math.Max(_txDeadline, Math.Max(Stopwatch.GetTimestamp(), _rxDeadline));
            foreach (var value in bytes)
            {
                byte b = value;
                long due = 0;
                if (Realistic)
                {
                    _txDeadline += ByteTicks();
                    due = _txDeadline;
                }
                if (_faults.DropRateToHost > 0 && _rngToHost.NextDouble() < _faults.DropRateToHost)
                {
                    // Lost on the way: it takes its wire time and reaches nobody (traced in order).
                    frame.Add((b, due, TraceFault.Dropped));
                    continue;
                }
                var fault = TraceFault.None;
                if (_faults.CorruptRateToHost > 0 && _rngToHost.NextDouble() < _faults.CorruptRateToHost)
                {
                    b ^= (byte)(1 << _rngToHost.Next(8));
                    fault = TraceFault.Corrupted;
                }
                frame.Add((b, due, fault));
            }
            if (!Realistic)
            {
                foreach (var f in frame) AddTrace(TraceDirection.ToHost, f.Value, f.Fault);
                var sent = frame.Where(f => f.Fault != TraceFault.Dropped).Select(f => f.Value).ToArray();
                if (sent.Length > 0) link.Write(sent, 0, sent.Length);
                return;
            }
            // Each byte leaves at its wire time, never early. Mid-reply the thread sleeps about a
            // millisecond and then writes every byte that has fallen due (at most that late, as a
            // USB adapter's latency would deliver them); the reply's last byte, the one the host
            // waits for, is met by a short spin. A 256-byte answer costs a few spins, not 256.
            int i = 0;
            while (i < frame.Count)
            {
                long now = Stopwatch.GetTimestamp();
                int j = i;
                while (j < frame.Count && frame[j].Due <= now) j++;
                if (j > i)
                {
                    CheckEpoch();
                    var due = new List<byte>(j - i);
                    for (int k = i; k < j; k++)
                    {
                        AddTrace(TraceDirection.ToHost, frame[k].Value, frame[k].Fault);
                        if (frame[k].Fault != TraceFault.Dropped) due.Add(frame[k].Value);
                    }
                    if (due.Count > 0) link.Write(due.ToArray(), 0, due.Count);
                    i = j;
                    continue;
                }
                if (frame[frame.Count - 1].Due - now > Stopwatch.Frequency / 700) SleepAboutAMillisecond();
                else WaitUntil(frame[i].Due);
            }
        }

        /// <summary>
        /// Realistic timing: waits until the frame just parsed has arrived on the wire (bytes are read
        /// ahead of their arrival time), so a change to memory or option bytes happens no earlier
        /// than on a chip, and a reset during the frame's wire time still stops it.
        /// </summary>
        private void Arrived()
        {
            if (Realistic) WaitUntil(_rxDeadline);
        }

        private void SleepAboutAMillisecond()
        {
            CheckEpoch();
            if (_ct.WaitHandle.WaitOne(1)) _ct.ThrowIfCancellationRequested();
        }

        private void AddTrace(TraceDirection direction, byte value, TraceFault fault, long ticks = 0)
        {
            if (!_options.TraceEnabled) return;
            var entry = new TraceEntry(direction, value, ticks != 0 ? ticks : Stopwatch.GetTimestamp(), fault);
            lock (_traceGate)
            {
                _trace.Enqueue(entry);
                while (_trace.Count > Math.Max(1, _options.TraceCapacity)) _trace.Dequeue();
            }
        }

        /// <summary>Waits for a Stopwatch deadline without drift: sleeps while far, yields while near.</summary>
        private void WaitUntil(long deadline)
        {
            while (true)
            {
                long left = deadline - Stopwatch.GetTimestamp();
                if (left <= 0) return;
                CheckEpoch();
                double ms = left * 1000.0 / Stopwatch.Frequency;
                if (ms > 2)
                {
                    if (_ct.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(Math.Min(ms - 1, 50)))) _ct.ThrowIfCancellationRequested();
                }
                else Thread.Yield();
            }
        }

        /// <summary>Flash/option operation time: only with realistic timing.</summary>
        private void Busy(TimeSpan duration)
        {
            if (Realistic && duration > TimeSpan.Zero) Stall(duration);
        }

        /// <summary>The chip is busy for <paramref name="duration"/> from when the frame it works on has arrived.</summary>
        private void Stall(TimeSpan duration)
            => WaitUntil(Math.Max(Stopwatch.GetTimestamp(), _rxDeadline) + (long)(duration.TotalSeconds * Stopwatch.Frequency));

        #endregion

        #region Commands

        private static byte[] CommandsFor(byte version)
        {
            var list = new List<byte>
            {
                An3155.Get, An3155.GetVersion, An3155.GetId, An3155.ReadMemory, An3155.Go, An3155.WriteMemory,
                version >= 0x30 ? An3155.ExtendedErase : An3155.Erase,
                An3155.WriteProtect, An3155.WriteUnprotect, An3155.ReadoutProtect, An3155.ReadoutUnprotect,
            };
            // V3.3 adds Get Checksum; V4.0 lists vary per product, we give it the 3.3 list (spec 5).
            if (version >= 0x33) list.Add(An3155.GetChecksum);
            return list.ToArray();
        }

        private void Nack() => Send(An3155.Nack);

        private void Ack() => Send(An3155.Ack);

        private void RunCommand()
        {
            byte code = ReadByte();
            byte complement = ReadByte();
            int number = Interlocked.Increment(ref _commandCount);
            if ((byte)(code ^ complement) != 0xFF)
            {
                Nack();
                return;
            }
            if (_faults.StallAfterCommand is TimeSpan stall && (_faults.StallCommandNumber == null || _faults.StallCommandNumber == number))
                Stall(stall);
            if (_faults.NackCommandNumber == number || (_faults.RandomNackRate > 0 && _rngNack.NextDouble() < _faults.RandomNackRate))
            {
                Nack();
                return;
            }
            if (Array.IndexOf(_supported, code) < 0)
            {
                Nack();
                return;
            }
            int level;
            lock (_gate) level = _readLevel;
            if (level >= 1 && Array.IndexOf(AllowedUnderRdp, code) < 0)
            {
                bool twice = _options.DoubleNackWhenProtected
                    && (code == An3155.ReadMemory || code == An3155.Go || code == An3155.WriteMemory);
                if (twice) Send(An3155.Nack, An3155.Nack);
                else Nack();
                return;
            }
            Ack();
            if (_faults.ResetDuringCommandNumber == number) ResetFromChip();

            switch (code)
            {
                case An3155.Get:
                    var get = new List<byte> { (byte)_supported.Length, BootloaderVersion };
                    get.AddRange(_supported);
                    get.Add(An3155.Ack);
                    Send(get.ToArray());
                    break;
                case An3155.GetVersion:
                    Send(BootloaderVersion, 0x00, 0x00, An3155.Ack);
                    break;
                case An3155.GetId:
                    Send(0x01, (byte)(Device.ProductId >> 8), (byte)Device.ProductId, An3155.Ack);
                    break;
                case An3155.ReadMemory:
                    ReadMemory();
                    break;
                case An3155.Go:
                    Go();
                    break;
                case An3155.WriteMemory:
                    WriteMemory();
                    break;
                case An3155.Erase:
                    Erase();
                    break;
                case An3155.ExtendedErase:
                    ExtendedErase();
                    break;
                case An3155.WriteProtect:
                    WriteProtect();
                    break;
                case An3155.WriteUnprotect:
                    Arrived();
                    lock (_gate) _layout.ClearProtection(_memory.OptionStore, _memory.OptionPrimary);
                    Busy(_timings.OptionWrite);
                    Ack();
                    ResetFromChip();
                    break;
                case An3155.ReadoutProtect:
                    Arrived();
                    lock (_gate) _layout.SetLevel(_memory.OptionStore, _memory.OptionPrimary, 1);
                    Busy(_timings.OptionWrite);
                    Ack();
                    ResetFromChip();
                    break;
                case An3155.ReadoutUnprotect:
                    ReadoutUnprotect();
                    break;
                case An3155.GetChecksum:
                    GetChecksum();
                    break;
            }
        }

        /// <summary>The pre-V3.1 bug: a bad address with a good checksum is dropped without a NACK (spec 3).</summary>
        private void RejectAddress()
        {
            if (!_preV31Bug) Nack();
        }

        // Spec 4.4.
        private void ReadMemory()
        {
            if (!ReadWord(out var address))
            {
                Nack();
                return;
            }
            var region = _memory.FindReadable(address);
            if (region == null)
            {
                RejectAddress();
                return;
            }
            Ack();
            byte n = ReadByte();
            byte notN = ReadByte();
            // The end of the range can only be checked once N is known; whether the real
            // bootloader checks it at all is UNCONFIRMED. NACK is the safe answer.
            if ((byte)(n ^ notN) != 0xFF || !region.Range.Contains(address, (uint)n + 1))
            {
                Nack();
                return;
            }
            var reply = new byte[n + 2];
            reply[0] = An3155.Ack;
            lock (_gate) Array.Copy(region.Data, region.IndexOf(address), reply, 1, n + 1);
            Send(reply);
        }

        // Spec 4.5: flash or usable RAM only (V2.1+ refuses option bytes and system memory).
        private void Go()
        {
            if (!ReadWord(out var address))
            {
                Nack();
                return;
            }
            var region = _memory.FindReadable(address);
            if (region == null || (region.Kind != RegionKind.Flash && region.Kind != RegionKind.Ram))
            {
                Nack();
                return;
            }
            Ack();
            SetState(ChipState.RunningApplication);
        }

        // Spec 4.6.
        private void WriteMemory()
        {
            if (!ReadWord(out var address))
            {
                Nack();
                return;
            }
            var region = _memory.FindReadable(address);
            bool writable = region != null && (region.Kind == RegionKind.Flash || region.Kind == RegionKind.Ram
                // The option area is written as a whole block from its base (spec 4.6).
                || (region.Kind == RegionKind.OptionBytes && address == region.Range.Start));
            if (!writable)
            {
                RejectAddress();
                return;
            }
            Ack();
            byte n = ReadByte();
            var data = ReadBytes(n + 1);
            byte checksum = ReadByte();
            if ((byte)(n ^ An3155.Xor(data, 0, data.Length)) != checksum
                || (_options.NackUnalignedWriteLength && data.Length % 4 != 0)
                || !region!.Range.Contains(address, (uint)data.Length))
            {
                Nack();
                return;
            }
            Arrived();
            switch (region.Kind)
            {
                case RegionKind.Flash:
                    lock (_gate) ProgramFlashLocked(address, data);
                    Busy(_timings.Program(data.Length));
                    Ack();
                    break;
                case RegionKind.Ram:
                    lock (_gate) Array.Copy(data, 0, region.Data, region.IndexOf(address), data.Length);
                    Ack();
                    break;
                default:
                    // Option bytes: erase the block, program it, ACK, reset (r18: F0/F2/F4/F7/L4;
                    // UNCONFIRMED elsewhere, but a reset is the safe thing for a host to expect).
                    lock (_gate)
                    {
                        for (int i = 0; i < region.Range.Length; i++) region.Data[region.Offset + i] = 0xFF;
                        Array.Copy(data, 0, region.Data, region.IndexOf(address), data.Length);
                    }
                    Busy(_timings.OptionWrite);
                    Ack();
                    ResetFromChip();
                    break;
            }
        }

        /// <summary>AND semantics (bits only go 1 to 0); bytes in write-protected pages are left alone.</summary>
        private void ProgramFlashLocked(uint address, byte[] data)
        {
            var flash = _memory.Flash!;
            var layout = Device.Layout;
            FlashPage? page = null;
            bool isProtected = false;
            for (int i = 0; i < data.Length; i++)
            {
                uint a = address + (uint)i;
                if (layout != null && (page == null || a >= page.End))
                {
                    page = layout.PageAt(a);
                    isProtected = page != null && IsProtectedLocked(page.Index);
                }
                if (isProtected) continue;
                flash.Data[flash.IndexOf(a)] &= data[i];
            }
        }

        private bool IsProtectedLocked(int pageIndex)
            => _layout.IsSectorProtected(_loadedOptions, _memory.OptionPrimary, pageIndex / Device.PagesPerSector);

        private int PageCount => Device.Layout?.PageCount ?? 0;

        // Spec 4.7 (bootloader 2.x).
        private void Erase()
        {
            byte first = ReadByte();
            if (first == 0xFF)
            {
                byte second = ReadByte();
                if (second != 0x00)
                {
                    Ack(); // FF xx: AN3155 says no erase happens, but the device ACKs.
                    return;
                }
                if ((Device.Flags & DeviceFlags.NoMassErase) != 0 || _options.RefuseMassErase)
                {
                    Nack();
                    return;
                }
                MassErase();
                Ack();
                return;
            }
            // The whole frame is read before answering so host and chip stay in step; a bad page
            // number NACKs the command without erasing anything (UNCONFIRMED; the safe choice).
            var pages = ReadBytes(first + 1);
            byte checksum = ReadByte();
            if ((byte)(first ^ An3155.Xor(pages, 0, pages.Length)) != checksum || pages.Any(p => p >= PageCount))
            {
                Nack();
                return;
            }
            ErasePages(pages.Select(p => (int)p));
            Ack();
        }

        // Spec 4.8 (bootloader 3.x).
        private void ExtendedErase()
        {
            byte nh = ReadByte();
            byte nl = ReadByte();
            int n = nh << 8 | nl;
            if (n >= 0xFFF0)
            {
                byte check = ReadByte();
                if ((byte)(nh ^ nl) != check)
                {
                    Nack();
                    return;
                }
                switch ((ushort)n)
                {
                    case An3155.MassEraseCode:
                        if ((Device.Flags & DeviceFlags.NoMassErase) != 0 || _options.RefuseMassErase)
                        {
                            Nack();
                            return;
                        }
                        MassErase();
                        Ack();
                        return;
                    case An3155.Bank1EraseCode:
                    case An3155.Bank2EraseCode:
                        if (Device.BankCount < 2 || Device.Layout == null)
                        {
                            Nack();
                            return;
                        }
                        var middle = Device.Flash.Start + Device.Flash.Length / 2;
                        bool first = n == An3155.Bank1EraseCode;
                        ErasePages(Device.Layout.Pages.Where(p => (p.Start < middle) == first).Select(p => p.Index), _timings.MassErase(FlashSize / 2));
                        Ack();
                        return;
                    default:
                        Nack(); // 0xFFF0-0xFFFC are reserved
                        return;
                }
            }
            // As for 0x43: read the whole frame, then decide (the checks' order on a real chip is UNCONFIRMED).
            int count = n + 1;
            var raw = ReadBytes(2 * count);
            byte checksum = ReadByte();
            if ((byte)(nh ^ nl ^ An3155.Xor(raw, 0, raw.Length)) != checksum || n >= PageCount)
            {
                Nack();
                return;
            }
            if (_options.ExtendedErasePageLimit is int limit && count > limit)
            {
                Arrived();
                SetState(ChipState.Hung); // F103XL: more than 154 pages hang the bootloader (spec 4.8)
                return;
            }
            var pages = new int[count];
            for (int i = 0; i < count; i++) pages[i] = raw[2 * i] << 8 | raw[2 * i + 1];
            if (pages.Any(p => p >= PageCount))
            {
                Nack();
                return;
            }
            ErasePages(pages);
            Ack();
        }

        /// <summary>Erases unprotected pages/sectors; write-protected ones are skipped without an error.</summary>
        private void ErasePages(IEnumerable<int> pages, TimeSpan? total = null)
        {
            var layout = Device.Layout!;
            var flash = _memory.Flash!;
            Arrived();
            foreach (var index in pages)
            {
                var page = layout.Pages[index];
                lock (_gate)
                {
                    if (IsProtectedLocked(index)) continue;
                    for (uint a = page.Start; a < page.End; a++) flash.Data[flash.IndexOf(a)] = 0xFF;
                }
                if (total == null) Busy(_timings.PageErase(page.Size));
            }
            if (total != null) Busy(total.Value);
        }

        /// <summary>
        /// Mass erase: every unprotected page (all flash when the layout is unknown). Real flash
        /// controllers may refuse a mass erase when any page is protected; the bootloader's answer
        /// then is UNCONFIRMED, and "ACK, protected pages kept" matches spec 4.7/4.8's "no error".
        /// </summary>
        private void MassErase()
        {
            if (_memory.Flash == null)
            {
                Busy(_timings.MassErase(0));
                return;
            }
            if (Device.Layout != null) ErasePages(Enumerable.Range(0, PageCount), _timings.MassErase(FlashSize));
            else
            {
                lock (_gate) Fill(_memory.FlashData, 0xFF);
                Busy(_timings.MassErase(FlashSize));
            }
        }

        private static void Fill(byte[] data, byte value)
        {
            for (int i = 0; i < data.Length; i++) data[i] = value;
        }

        // Spec 4.9: codes are not validated; the new set replaces the old one.
        private void WriteProtect()
        {
            byte n = ReadByte();
            var sectors = ReadBytes(n + 1);
            byte checksum = ReadByte();
            if ((byte)(n ^ An3155.Xor(sectors, 0, sectors.Length)) != checksum)
            {
                Nack();
                return;
            }
            Arrived();
            lock (_gate) _layout.SetProtection(_memory.OptionStore, _memory.OptionPrimary, sectors.Select(s => (int)s).ToArray());
            Busy(_timings.OptionWrite);
            Ack();
            ResetFromChip();
        }

        // Spec 4.12: mass erase (WRP does not stop it), all RAM to 0, level 0, ACK, reset. WRP
        // stays as it was (UNCONFIRMED; it is why users run -k then -u, spec 4.12).
        private void ReadoutUnprotect()
        {
            Arrived();
            lock (_gate)
            {
                Fill(_memory.FlashData, 0xFF);
                Fill(_memory.RamData, 0x00);
                _layout.SetLevel(_memory.OptionStore, _memory.OptionPrimary, 0);
            }
            Busy(_timings.MassErase(FlashSize) + _timings.OptionWrite);
            Ack();
            ResetFromChip();
        }

        // Spec 4.13 (AN3155r18 flow).
        private void GetChecksum()
        {
            if (!ReadWord(out var address))
            {
                Nack();
                return;
            }
            var region = _memory.FindReadable(address);
            if (region == null)
            {
                Nack();
                return;
            }
            Ack();
            bool stm32flash = _options.ChecksumFlow == GetChecksumFlow.Stm32flash;
            if (!ReadWord(out var size))
            {
                Nack();
                return;
            }
            ulong bytes = stm32flash ? size : (ulong)size * 4;
            if (bytes == 0 || bytes % 4 != 0 || bytes > uint.MaxValue || !region.Range.Contains(address, (uint)bytes))
            {
                Nack();
                return;
            }
            Ack();
            uint polynomial = An3155.CrcPolynomial, initial = An3155.CrcInitial;
            if (!stm32flash)
            {
                if (!ReadWord(out polynomial))
                {
                    Nack();
                    return;
                }
                Ack();
                if (!ReadWord(out initial))
                {
                    Nack();
                    return;
                }
                Ack();
            }
            var data = new byte[bytes];
            lock (_gate) Array.Copy(region.Data, region.IndexOf(address), data, 0, data.Length);
            uint crc = An3155.Crc32(data, 0, data.Length, initial, polynomial);
            var reply = new byte[6];
            reply[0] = An3155.Ack;
            An3155.AddressFrame(crc).CopyTo(reply, 1);
            Send(reply);
        }

        #endregion
    }
}
