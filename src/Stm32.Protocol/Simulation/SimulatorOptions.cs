using System;
using Stm32.Protocol.Transport;

namespace Stm32.Protocol.Simulation
{
    /// <summary>Whether the simulated chip charges wire time and flash durations.</summary>
    public enum SimulatorTiming
    {
        /// <summary>No delays at all: what unit tests use.</summary>
        Instant,

        /// <summary>Every byte costs 11 bit times at the link's baud rate; erase and program take the family's typical time.</summary>
        Realistic,
    }

    /// <summary>What the simulated chip is doing.</summary>
    public enum ChipState
    {
        /// <summary>In the bootloader, before autobaud: only 0x7F is answered (spec 2).</summary>
        WaitingForSync,

        /// <summary>Synchronised: reads command pairs (spec 3).</summary>
        CommandLoop,

        /// <summary>After Go, or booted with BOOT0 low: ignores every byte until a reset.</summary>
        RunningApplication,

        /// <summary>RDP level 2: the bootloader never answers.</summary>
        Halted,

        /// <summary>The bootloader hung (e.g. an Extended Erase over the page limit, F103XL): no answer until a reset.</summary>
        Hung,

        /// <summary>RESET is held active through the wired modem lines: the chip does nothing.</summary>
        HeldInReset,
    }

    /// <summary>The Get Checksum dialogue (spec 4.13).</summary>
    public enum GetChecksumFlow
    {
        /// <summary>Address, size in words, polynomial, initial value (each + XOR, each ACKed); then 79, CRC, XOR.</summary>
        An3155R18,

        /// <summary>stm32flash's flow: address, length in BYTES (each + XOR, each ACKed); then 79, CRC, XOR. Default CRC parameters.</summary>
        Stm32flash,
    }

    /// <summary>
    /// How the simulated chip behaves. BootloaderVersion, PreV31AddressBug and the fault seed are
    /// read when the chip is built; the chip keeps this object, so the other switches (timing,
    /// quirks, fault rates, trace) take effect from the next byte when changed later.
    /// </summary>
    public sealed class SimulatorOptions
    {
        public SimulatorTiming Timing { get; set; } = SimulatorTiming.Instant;

        /// <summary>null: the row's default (0x22 on F0/F1, 0x31 later). Allowed: 0x22, 0x31, 0x33, 0x40.</summary>
        public byte? BootloaderVersion { get; set; }

        /// <summary>Answer Read, Go and Write with two NACKs under read protection (spec 3 and 15).</summary>
        public bool DoubleNackWhenProtected { get; set; }

        /// <summary>
        /// null: on for versions below 0x31. A bad address with a good checksum in Read/Write is
        /// silently dropped, so the next bytes are taken as a command pair (spec 3, 5).
        /// </summary>
        public bool? PreV31AddressBug { get; set; }

        /// <summary>NACK a Write Memory whose length (N+1) is not a multiple of 4 (spec 4.6).</summary>
        public bool NackUnalignedWriteLength { get; set; } = true;

        /// <summary>More pages than this in one Extended Erase: the chip hangs (reproduces F103XL, spec 4.8).</summary>
        public int? ExtendedErasePageLimit { get; set; }

        /// <summary>
        /// Answer the mass-erase code (0x44 FFFF, 0x43 FF 00) with NACK after the command's ACK,
        /// as a bootloader built from ST's reference flash code does (it leaves mass erase out).
        /// </summary>
        public bool RefuseMassErase { get; set; }

        /// <summary>Send 0x00 before the sync ACK (spec 2.3).</summary>
        public bool LeadingZeroBeforeSyncAck { get; set; }

        /// <summary>Send a second ACK right after the sync ACK (L412/422 quirk, spec 2.3).</summary>
        public bool ExtraAckAfterSync { get; set; }

        /// <summary>
        /// Which Get Checksum (0xA1) dialogue the chip speaks. Real V3.3 behaviour is UNCONFIRMED
        /// (spec 4.13): the default is the AN3155r18 flow; stm32flash's <c>-C</c> speaks its own.
        /// </summary>
        public GetChecksumFlow ChecksumFlow { get; set; } = GetChecksumFlow.An3155R18;

        public SimulatorFaults Faults { get; set; } = new SimulatorFaults();

        public bool TraceEnabled { get; set; } = true;

        /// <summary>The most trace entries kept; the oldest are dropped beyond it (a 2 MB flash is ~4.5 M bytes on the wire).</summary>
        public int TraceCapacity { get; set; } = 1_000_000;
    }

    /// <summary>
    /// Faults the chip injects, seeded and deterministic: the same byte sequence and seed give
    /// the same faults. Rates are probabilities per byte (0..1).
    /// </summary>
    public sealed class SimulatorFaults
    {
        public int Seed { get; set; }

        /// <summary>Flip one random bit of a byte the chip sends.</summary>
        public double CorruptRateToHost { get; set; }

        /// <summary>Flip one random bit of a byte the chip receives.</summary>
        public double CorruptRateToDevice { get; set; }

        /// <summary>Lose a byte the chip sends.</summary>
        public double DropRateToHost { get; set; }

        /// <summary>Lose a byte the host sends.</summary>
        public double DropRateToDevice { get; set; }

        /// <summary>NACK the n-th command pair (1-based, counted since the chip was built) once.</summary>
        public int? NackCommandNumber { get; set; }

        /// <summary>NACK any command pair with this probability.</summary>
        public double RandomNackRate { get; set; }

        /// <summary>How long to stall before answering a command pair: the n-th one if <see cref="StallCommandNumber"/> is set, else every one.</summary>
        public TimeSpan? StallAfterCommand { get; set; }

        public int? StallCommandNumber { get; set; }

        /// <summary>The chip resets (back to WaitingForSync) right after ACKing the n-th command pair.</summary>
        public int? ResetDuringCommandNumber { get; set; }
    }

    public enum TraceDirection
    {
        ToDevice,
        ToHost,
    }

    /// <summary>What a fault did to a traced byte.</summary>
    public enum TraceFault
    {
        None,

        /// <summary>The byte was lost; Value is what was sent.</summary>
        Dropped,

        /// <summary>A bit was flipped; Value is what arrived.</summary>
        Corrupted,
    }

    /// <summary>One byte on the wire, as the chip saw it.</summary>
    public readonly struct TraceEntry
    {
        public TraceEntry(TraceDirection direction, byte value, long ticks, TraceFault fault = TraceFault.None)
        {
            Direction = direction;
            Value = value;
            Ticks = ticks;
            Fault = fault;
        }

        public TraceDirection Direction { get; }

        public byte Value { get; }

        /// <summary>System.Diagnostics.Stopwatch timestamp.</summary>
        public long Ticks { get; }

        public TraceFault Fault { get; }

        public override string ToString()
            => (Direction == TraceDirection.ToDevice ? "-> " : "<- ") + Value.ToString("X2", System.Globalization.CultureInfo.InvariantCulture)
               + (Fault == TraceFault.None ? "" : " (" + Fault + ")");
    }

    /// <summary>
    /// Which host modem line drives the chip's RESET and BOOT0 pins, and how. Defaults are the
    /// usual USB-TTL wiring (spec 10.5, 11.1): an asserted line drives its pin low, so DTR
    /// asserted = nRST low = reset active, and RTS asserted = BOOT0 low (released = bootloader).
    /// </summary>
    public sealed class ModemWiring
    {
        public ModemLine ResetLine { get; set; } = ModemLine.Dtr;

        /// <summary>True: the chip is held in reset while the line is asserted.</summary>
        public bool ResetActiveWhenAsserted { get; set; } = true;

        /// <summary>null: BOOT0 is not wired (keeps <see cref="SimulatedChip.Boot0"/>).</summary>
        public ModemLine? Boot0Line { get; set; } = ModemLine.Rts;

        /// <summary>False (default): BOOT0 is low while the line is asserted, high while released.</summary>
        public bool Boot0HighWhenAsserted { get; set; }

        internal bool ResetActive(bool asserted) => asserted == ResetActiveWhenAsserted;

        internal bool Boot0High(bool asserted) => asserted == Boot0HighWhenAsserted;
    }
}
