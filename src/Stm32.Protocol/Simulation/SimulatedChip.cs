using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using Stm32.Protocol.Devices;
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
    public sealed class SimulatedChip : IDisposable, IChipControl
    {
        private readonly object _gate = new object();
        private readonly ChipMemory _memory;
        private readonly OptionArea _optionBytes;
        private readonly FlashModel _flash;
        private readonly ChipWire _wire;
        private readonly BootloaderCommands _commands;
        private readonly ResetEpoch _epoch = new ResetEpoch();

        // Guarded by _gate.
        private ChipState _state = ChipState.WaitingForSync;
        private int _resetCount;
        private bool _boot0 = true;
        private bool _heldInReset;
        private Thread? _thread;
        private CancellationTokenSource? _cts;
        private CancellationTokenSource? _programStop;
        private ModemLineState? _lines;
        private ModemWiring? _wiring;

        // Owned by the serving thread.
        private CancellationToken _ct;

        public SimulatedChip(DeviceInfo device, SimulatorOptions? options = null)
        {
            Device = device ?? throw new ArgumentNullException(nameof(device));
            Options = options ??= new SimulatorOptions();
            var faults = options.Faults ?? new SimulatorFaults();
            var version = options.BootloaderVersion ?? device.DefaultBootloaderVersion;
            if (version != 0x22 && version != 0x31 && version != 0x33 && version != 0x40)
                throw new ArgumentException($"Bootloader version 0x{version:X2} is not simulated (0x22, 0x31, 0x33, 0x40).", nameof(options));
            BootloaderVersion = version;
            var layout = OptionLayout.ForFamily(device.Family);
            _memory = new ChipMemory(device, layout);
            _optionBytes = new OptionArea(layout, _memory);
            _flash = FlashModel.For(device, _memory, _optionBytes);
            _wire = new ChipWire(options, faults, _epoch);
            _commands = new BootloaderCommands(device, version, options, faults, _wire, _memory, _flash, _optionBytes, _gate, this);
            SupportedCommands = _commands.Supported;
        }

        public DeviceInfo Device { get; }

        public byte BootloaderVersion { get; }

        /// <summary>The chip's switches: timing, quirks, fault rates and trace take effect from the next byte when changed.</summary>
        public SimulatorOptions Options { get; }

        /// <summary>The codes Get lists, in order (spec 5).</summary>
        public IReadOnlyList<byte> SupportedCommands { get; }

        public ChipState State
        {
            get { lock (_gate) return _state; }
        }

        /// <summary>The RDP level loaded from the option bytes at the last reset (0, 1, 2).</summary>
        public int ReadProtectionLevel
        {
            get { lock (_gate) return _optionBytes.ReadLevel; }
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
        public int CommandCount => _commands.CommandCount;

        /// <summary>Raised after every state change and after every reset, on the thread that caused it.</summary>
        public event Action<ChipState>? StateChanged;

        /// <summary>A snapshot of every byte each way (oldest first).</summary>
        public IReadOnlyList<TraceEntry> Trace => _wire.Trace;

        public void ClearTrace() => _wire.ClearTrace();

        /// <summary>True when the page or sector (erase index) is write-protected by the loaded option bytes.</summary>
        public bool IsPageWriteProtected(int pageIndex)
        {
            lock (_gate) return _flash.IsPageProtected(pageIndex);
        }

        /// <summary>What runs after Go (null: nothing; the chip ignores the line until a reset). Read at each Go.</summary>
        internal IProgramRunner? ProgramRunner { get; set; }

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
            if (level == 2 && !_optionBytes.Layout.HasLevel2) throw new NotSupportedException($"{Device.Family} parts have no RDP level 2.");
            bool changed;
            lock (_gate)
            {
                var was = _optionBytes.ReadLevel;
                _optionBytes.ForceReadLevel(level);
                changed = false;
                if (level == 2 && (_state == ChipState.WaitingForSync || _state == ChipState.CommandLoop))
                {
                    _epoch.Advance();
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
                _cts = new CancellationTokenSource();
                _ct = _cts.Token;
                _wire.Connect(deviceEnd, _ct);
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
            lock (_gate) _wire.Disconnect();
        }

        /// <summary>
        /// Hardware reset: RAM keeps its content, option bytes are loaded (RDP, WRP), BOOT0 is
        /// sampled: WaitingForSync when high (Halted at RDP level 2), RunningApplication when low.
        /// Input not yet processed is dropped (it arrived before the reset).
        /// </summary>
        public void Reset()
        {
            lock (_gate) ApplyResetLocked();
            _wire.DiscardInput();
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
                    _epoch.Advance();
                    _programStop?.Cancel();
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
            _wire.DiscardInput();
            RaiseStateChanged();
        }

        public void Dispose()
        {
            UnwireModemLines();
            Detach();
        }

        private void ApplyResetLocked()
        {
            _epoch.Advance();
            _programStop?.Cancel();
            _resetCount++;
            _optionBytes.Load();
            if (_heldInReset) _state = ChipState.HeldInReset;
            else if (!_boot0) _state = ChipState.RunningApplication;
            else if (_optionBytes.ReadLevel == 2) _state = ChipState.Halted;
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

        void IChipControl.ResetFromChip() => ResetFromChip();

        void IChipControl.Enter(ChipState state) => Enter(state);

        private void Enter(ChipState state)
        {
            lock (_gate)
            {
                _epoch.Check();
                if (_state == state) return;
                _state = state;
            }
            RaiseStateChanged();
        }

        /// <summary>
        /// Go: the chip runs the program (<see cref="ProgramRunner"/>) on the serving thread until
        /// it gives the chip back or a reset stops it; without a runner it ignores the line.
        /// </summary>
        void IChipControl.StartProgram(uint address)
        {
            Enter(ChipState.RunningApplication);
            var runner = ProgramRunner;
            var link = _wire.Link;
            if (runner == null || link == null) return;
            ProgramExit exit;
            using (var stop = CancellationTokenSource.CreateLinkedTokenSource(_ct))
            {
                lock (_gate)
                {
                    _epoch.Check();
                    _programStop = stop;
                }
                try
                {
                    exit = runner.Run(new ProgramStart(address, Device, link, _memory, _flash, _gate, stop.Token));
                }
                catch (OperationCanceledException) when (_epoch.HasMoved)
                {
                    throw new ChipResetException();
                }
                finally
                {
                    lock (_gate) _programStop = null;
                }
            }
            _epoch.Check(); // a reset stopped the program: the state is the reset's
            if (exit == ProgramExit.ResetRequested) ResetFromChip();
            else if (exit == ProgramExit.EnteredBootloader) Enter(ChipState.WaitingForSync);
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
                        _epoch.BeginStep();
                        state = _state;
                    }
                    try
                    {
                        switch (state)
                        {
                            case ChipState.WaitingForSync:
                                _commands.Synchronise();
                                break;
                            case ChipState.CommandLoop:
                                _commands.RunCommand();
                                break;
                            default:
                                _wire.ReadByte(); // running the application, halted, hung or in reset: ignored
                                break;
                        }
                    }
                    catch (ChipResetException)
                    {
                        _wire.AfterReset();
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
                        _wire.Disconnect();
                    }
                }
            }
        }

        #endregion
    }
}
