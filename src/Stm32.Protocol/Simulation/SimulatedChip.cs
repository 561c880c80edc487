using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using Stm32.Protocol.Devices;
using Stm32.Protocol.Transport;

namespace Stm32.Protocol.Simulation
{
    /// <summary>
    /// A simulated STM32 in its USART system-memory bootloader (AN3155), served as bytes over an
    /// <see cref="IByteLink"/>: what sim:// ports, Start-Stm32Simulator and the tests talk to.
    /// What it models, its knobs and what it leaves out: docs/SIMULATOR.md.
    /// <para>This class holds the chip's state (reset, BOOT0, the modem-line wiring), its serving
    /// thread and the back door (Peek, Poke, SetReadProtection). The line is
    /// <see cref="ChipWire"/>'s, the commands are <see cref="BootloaderCommands"/>', the flash
    /// rules <see cref="FlashModel"/>'s and the option bytes <see cref="OptionArea"/>'s; Go hands
    /// the chip to <see cref="ProgramRunner"/>. No statics hold mutable state, so chips in
    /// different runspaces never meet.</para>
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
