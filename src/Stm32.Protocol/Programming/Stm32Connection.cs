using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Stm32.Protocol.Bootloader;
using Stm32.Protocol.Devices;
using Stm32.Protocol.Transport;

namespace Stm32.Protocol.Programming
{
    /// <summary>How the whole flash was erased.</summary>
    public enum WholeFlashErase
    {
        /// <summary>One mass erase (0x44 FFFF, or 0x43 FF 00 on bootloaders before 3.0).</summary>
        MassErase,
        /// <summary>Bank 1 and bank 2 erased one after the other (a dual-bank part that refused the mass erase).</summary>
        BankErase,
        /// <summary>Page by page: the part has no mass erase, or the bootloader refused it.</summary>
        PageByPage,
        /// <summary>The bootloader refused every special erase code (only ever seen inside <see cref="Stm32Connection.MassErase"/>).</summary>
        Refused,
    }

    /// <summary>
    /// A synchronised, identified bootloader conversation over one link: the device, its
    /// capabilities (from the Get list, spec 15a.2) and the chunked memory operations built on
    /// the one-command-per-method <see cref="BootloaderClient"/>. Resynchronises by itself after
    /// the commands that reset the chip (spec 4.12a). Not thread-safe: one operation at a time.
    /// </summary>
    public sealed partial class Stm32Connection : IDisposable
    {
        /// <summary>
        /// The most pages put in one Extended Erase: the protocol allows 0xFFF0, but an F103 XL
        /// hangs above 154 (spec 4.8) and STM32CubeProgrammer sends 100.
        /// </summary>
        public const int MaxPagesPerExtendedErase = 100;

        private readonly List<string> _warnings = new List<string>();

        private Stm32Connection(IByteLink link, BootloaderOptions options)
        {
            Link = link;
            Client = new BootloaderClient(link, options);
            Client.StrayInput = (command, bytes, count) => Say(string.Format(CultureInfo.InvariantCulture,
                "Dropped {0} byte(s) that were waiting before {1} ({2}): the chip sent them where no answer was due.",
                count, command, Stm32Exception.Hex(bytes)));
        }

        public IByteLink Link { get; }

        public BootloaderClient Client { get; }

        public SyncOutcome LastSync { get; private set; }

        /// <summary>Bootloader (protocol) version, BCD-like: 0x22 = 2.2.</summary>
        public byte BootloaderVersion { get; private set; }

        public string BootloaderVersionText => FormatVersion(BootloaderVersion);

        /// <summary>The command codes the chip listed in its Get answer.</summary>
        public IReadOnlyList<byte> SupportedCommands { get; private set; } = Array.Empty<byte>();

        public ushort ProductId { get; private set; }

        /// <summary>The catalog row (or a generic one for an unknown PID).</summary>
        public DeviceInfo Device { get; private set; } = DeviceCatalog.Generic(0);

        /// <summary>Flash size in bytes read from the chip's flash-size register, where readable (known once probed).</summary>
        public uint? FlashSizeFromChip { get; private set; }

        /// <summary>The real flash: the chip's register where readable, else the catalog's range.</summary>
        public MemoryRange Flash => FlashSizeFromChip.HasValue && !Device.Flash.IsEmpty && FlashSizeFromChip.Value <= Device.Flash.Length
            ? MemoryRange.FromLength(Device.Flash.Start, FlashSizeFromChip.Value)
            : Device.Flash;

        /// <summary>The 96-bit unique ID where readable; null until <see cref="ReadDetails"/>.</summary>
        public byte[]? UniqueId { get; private set; }

        /// <summary>The bootloader ID byte from system memory, where readable; null until <see cref="ReadDetails"/>.</summary>
        public byte? BootloaderId { get; private set; }

        /// <summary>
        /// True when Reads are NACKed: RDP level 1 (spec 15a.3). Known once <see cref="IsProbed"/>:
        /// every memory and protection operation probes first (<see cref="EnsureProbed"/>).
        /// </summary>
        public bool IsReadProtected { get; private set; }

        /// <summary>
        /// True once the chip was probed since it was last identified: identity confirmed, read
        /// protection and flash size known. Connecting does not probe (it sends only what spec
        /// 15a.2 asks: sync, Get, Get Version, Get ID); the first operation that needs it does.
        /// </summary>
        public bool IsProbed { get; private set; }

        /// <summary>
        /// Read protection where known: null before the probe, and for a chip whose memory map the
        /// catalog lacks (there is no flash to try a Read on) until some other Read answers (RDP
        /// level 1 refuses every Read, spec 3: Get-Stm32Info's read of the option bytes, say) or
        /// the chip refuses one as read-protected.
        /// </summary>
        public bool? KnownReadProtection => IsProbed && (!Device.Flash.IsEmpty || _readAnswered || IsReadProtected) ? IsReadProtected : (bool?)null;

        // A Read Memory answered since the chip was identified (see KnownReadProtection).
        private bool _readAnswered;

        /// <summary>False once Go has started the application: the bootloader no longer listens.</summary>
        public bool InBootloader { get; private set; }

        /// <summary>Things the user should know (unknown PID, unreadable registers).</summary>
        public IReadOnlyList<string> Warnings => _warnings;

        public bool Supports(byte command) => SupportedCommands.Contains(command);

        public bool HasExtendedErase => Supports(An3155.ExtendedErase);

        public bool HasChecksum => Supports(An3155.GetChecksum);

        /// <summary>
        /// Synchronises and identifies the chip: Get, Get Version, Get ID (spec 15a.2), nothing
        /// more. With <see cref="BootloaderOptions.ExpectSynchronized"/> the sync starts with
        /// 0x7F 0x7F (a chip a session of ours left synchronised answers at once).
        /// </summary>
        public static Stm32Connection Open(IByteLink link, BootloaderOptions? options = null, CancellationToken ct = default)
            => Open(link, options, null, null, ct);

        /// <summary>As <see cref="Open(IByteLink, BootloaderOptions?, CancellationToken)"/>, with recovery settings and a verbose sink.</summary>
        public static Stm32Connection Open(IByteLink link, BootloaderOptions? options, RecoveryOptions? recovery,
            Action<string>? verbose = null, CancellationToken ct = default)
        {
            var c = new Stm32Connection(link, options ?? new BootloaderOptions());
            if (recovery != null) c.Recovery = recovery;
            c.Verbose = verbose;
            // Sync and three short answers, with the resyncs a garbled one costs: the floor covers it.
            using (c.WithinDeadline("Connecting", c.Needs(8, 64, TimeSpan.Zero)))
                c.Identify(ct, c.Client.Options.ExpectSynchronized);
            return c;
        }

        /// <summary>Sync, then identify; a garbled answer resynchronises and identifies again (bounded).</summary>
        private void Identify(CancellationToken ct, bool resume = false)
        {
            LastSync = Client.Synchronize(resume, ct);
            for (int attempt = 0; ; attempt++)
            {
                try
                {
                    var clock = System.Diagnostics.Stopwatch.StartNew();
                    IdentifyOnce(ct);
                    NoteTurnaround(clock.Elapsed, 3);
                    return;
                }
                catch (Stm32Exception e) when (IsRecoverable(e) && attempt < Recovery.Retries)
                {
                    Counters.Retries++;
                    Say("Identifying the chip: " + e.Message + " Resynchronising and asking again.");
                    Pause(attempt, ct);
                    var sync = ResyncOnce(false, ct);
                    if (sync == SyncOutcome.Fresh) LastSync = sync;
                }
            }
        }

        private void IdentifyOnce(CancellationToken ct)
        {
            _warnings.Clear();
            var get = Client.Get(ct);
            foreach (var required in new[] { An3155.Get, An3155.GetVersion, An3155.GetId })
                if (!get.Commands.Contains(required))
                    throw new Stm32ProtocolException(
                        $"The bootloader does not list {An3155.Name(required)} (0x{required:X2}); this is not an AN3155 USART bootloader.",
                        "Get", null, get.Commands.ToArray());
            var gv = Client.GetVersion(ct);
            var pid = Client.GetId(ct);
            // Get and Get Version carry the same version byte: two answers that disagree are garbled.
            if (gv.Version != get.Version)
                throw new Stm32ProtocolException(string.Format(CultureInfo.InvariantCulture,
                    "Get said bootloader 0x{0:X2} and Get Version 0x{1:X2}.", get.Version, gv.Version), "identify");
            if (Recovery.Retries > 0 && DeviceCatalog.Find(pid) == null && Client.GetId(ct) != pid)
                throw new Stm32ProtocolException(string.Format(CultureInfo.InvariantCulture,
                    "Two Get ID answers disagree (0x{0:X3} is not in the catalog).", pid), "identify");
            SupportedCommands = get.Commands;
            BootloaderVersion = gv.Version;
            ProductId = pid;
            var row = DeviceCatalog.Find(ProductId);
            if (row == null || !row.CanProgram)
            {
                _warnings.Add(row == null
                    ? string.Format(CultureInfo.InvariantCulture,
                        "Product ID 0x{0:X3} is not in the device catalog: identification works, but erasing and writing need a catalog row (Get-Help about_Stm32, 'Adding a device').",
                        ProductId)
                    : string.Format(CultureInfo.InvariantCulture,
                        "The catalog knows {0} (0x{1:X3}) only by name: its memory map is missing, so erasing and writing need a catalog row of your own.",
                        row.Name, ProductId));
            }
            Device = row ?? DeviceCatalog.Generic(ProductId);
            InBootloader = true;
            IsProbed = false;
            // What a reset may have changed is read again when next needed.
            _writeProtection = null;
            _checksumBelieved = null;
            Client.ClearBusy();
            IsReadProtected = false;
            _readAnswered = false;
            FlashSizeFromChip = null;
            UniqueId = null;
            BootloaderId = null;
        }

        /// <summary>
        /// Before the first operation that reads, writes or checks against the memory map
        /// (idempotent until the chip is identified again): with retries on, a second Get ID
        /// confirms the identity (a garbled one would give the wrong memory map; a disagreement
        /// re-identifies and asks again); then the flash-size register is read, which doubles
        /// as the read-protection probe of spec 15a.3 (at RDP level 1 every Read is NACKed).
        /// Does nothing once the application runs.
        /// </summary>
        public void EnsureProbed(CancellationToken ct = default)
        {
            if (IsProbed || !InBootloader) return;
            using (WithinDeadline("Checking the chip", Needs(8, 64, TimeSpan.Zero)))
            {
                Reidentifying("Checking the chip", () =>
                {
                    ProbeOnce(ct);
                    IsProbed = true;
                }, ct);
            }
        }

        /// <summary>
        /// Runs <paramref name="op"/>; a garbled answer resynchronises, identifies the chip again
        /// (the first identity may have been the garbled one) and runs it again, bounded by the retries.
        /// </summary>
        private void Reidentifying(string what, Action op, CancellationToken ct)
        {
            bool again = false;
            for (int attempt = 0; ; attempt++)
            {
                try
                {
                    if (again)
                    {
                        // A new identity here needs a second agreeing Get ID: the probe asks for it.
                        if (ResyncOnce(false, ct) == SyncOutcome.Fresh)
                        {
                            Counters.Resets++;
                            LastSync = SyncOutcome.Fresh;
                        }
                        IdentifyOnce(ct);
                    }
                    op();
                    return;
                }
                catch (Stm32Exception e) when (IsRecoverable(e) && attempt < Recovery.Retries)
                {
                    Counters.Retries++;
                    Say(what + ": " + e.Message + " Resynchronising and identifying it again.");
                    Pause(attempt, ct);
                    again = true;
                }
            }
        }

        private void ProbeOnce(CancellationToken ct)
        {
            if (Recovery.Retries > 0)
            {
                var pid = Client.GetId(ct);
                if (pid != ProductId)
                    throw new Stm32ProtocolException(string.Format(CultureInfo.InvariantCulture,
                        "Get ID answered 0x{0:X3}, and 0x{1:X3} when connecting.", pid, ProductId), "identify");
            }
            IsReadProtected = false;
            FlashSizeFromChip = null;
            if (Device.Flash.IsEmpty) return;
            byte[]? size = null;
            if (Device.FlashSizeAddress is uint fs) size = ReadFlashSize(fs, ct);
            // Spec 15a.3: a NACKed Read of flash means read protection (only 00/01/02/92 allowed);
            // three in a row, so a NACK from line noise is not taken for it.
            if (size == null && ReadIsRefused(Device.Flash.Start, ct))
            {
                IsReadProtected = true;
                return;
            }
            // The flash reads, so the refusal was line noise or a register this part does not map:
            // ask once more before falling back on the catalog's size.
            if (size == null && Device.FlashSizeAddress is uint refused && (size = ReadFlashSize(refused, ct)) == null)
                _warnings.Add(string.Format(CultureInfo.InvariantCulture, "The chip refused to read 0x{0:X8}; the catalog's values are used instead.", refused));
            if (size != null) FlashSizeFromChip = SizeFromRegister(size);
        }

        /// <summary>The flash-size register's two bytes; null when the chip refuses the Read.</summary>
        private byte[]? ReadFlashSize(uint address, CancellationToken ct)
        {
            try
            {
                var size = Client.ReadMemory(address, 2, ct);
                // A size below the catalog's narrows the memory map, so a garbled one would refuse
                // good images or leave pages unerased: it is believed when a second read agrees.
                // The catalog's own size (or a value that cannot be a size) changes nothing.
                if (Recovery.Retries > 0 && SizeFromRegister(size) is uint narrower && narrower < Device.Flash.Length)
                {
                    var again = Client.ReadMemory(address, 2, ct);
                    if (!again.SequenceEqual(size))
                        throw new Stm32ProtocolException(string.Format(CultureInfo.InvariantCulture, "Two reads of 0x{0:X8} disagree.", address), "identify", null, again, address);
                }
                return size;
            }
            catch (Stm32NackException e) when (e.Received.Length == 1 || e.Received[1] == An3155.Nack)
            {
                return null;   // refused: read protection, noise, or a register this part does not map
            }
        }

        /// <summary>The flash-size register (KiB, little-endian) in bytes; null for 0 or 0xFFFF (not programmed).</summary>
        private static uint? SizeFromRegister(byte[] value)
        {
            var kib = (uint)(value[0] | value[1] << 8);
            return kib != 0 && kib != 0xFFFF ? kib * 1024u : (uint?)null;
        }

        /// <summary>
        /// For Get-Stm32Info: the unique ID and the bootloader ID byte (not needed to program, so
        /// not read when connecting). Probes first; nothing is read from a read-protected chip.
        /// </summary>
        public void ReadDetails(CancellationToken ct = default)
        {
            EnsureProbed(ct);
            if (!InBootloader || IsReadProtected) return;
            Reidentifying("Reading the unique ID", () =>
            {
                EnsureProbed(ct);
                if (IsReadProtected) return;
                if (UniqueId == null && Device.UniqueIdAddress is uint uid) UniqueId = TryRead(uid, 12, ct);
                if (BootloaderId == null && Device.BootloaderIdAddress is uint bid)
                {
                    var b = TryRead(bid, 1, ct);
                    if (b != null) BootloaderId = b[0];
                }
            }, ct);
        }

        /// <summary>
        /// After a reset and re-identification: a product ID other than the one we knew is believed
        /// only when a second Get ID agrees, so one garbled answer (0x410 is a bit from 0x412 and
        /// 0x430) does not stop a run as "another device"; a disagreement is a retryable garble.
        /// </summary>
        internal void ConfirmIdentityChange(ushort knownPid, CancellationToken ct)
        {
            if (Recovery.Retries == 0 || knownPid == 0 || ProductId == knownPid) return;
            var again = Client.GetId(ct);
            if (again != ProductId)
                throw new Stm32ProtocolException(string.Format(CultureInfo.InvariantCulture,
                    "Get ID answered 0x{0:X3}, then 0x{1:X3}.", ProductId, again), "identify");
        }

        /// <summary>Registers are believed when two reads agree (a garbled flash size would change the memory map).</summary>
        private byte[] ReadTwice(uint address, int length, CancellationToken ct)
        {
            var first = Client.ReadMemory(address, length, ct);
            if (Recovery.Retries == 0) return first;
            var second = Client.ReadMemory(address, length, ct);
            if (!first.SequenceEqual(second))
                throw new Stm32ProtocolException(string.Format(CultureInfo.InvariantCulture, "Two reads of 0x{0:X8} disagree.", address), "identify", null, second, address);
            return first;
        }

        private byte[]? TryRead(uint address, int length, CancellationToken ct)
        {
            try
            {
                return ReadTwice(address, length, ct);
            }
            catch (Stm32NackException e) when (e.Received.Length == 1 || e.Received[1] == An3155.Nack)
            {
                _warnings.Add(string.Format(CultureInfo.InvariantCulture, "The chip refused to read 0x{0:X8}; the catalog's values are used instead.", address));
                return null;
            }
        }

        /// <summary>
        /// After a command that resets the chip (spec 4.12a): wait for it to restart, sync again
        /// (BOOT0 must still select the bootloader) and re-identify. Refuses a changed identity.
        /// </summary>
        public void Resynchronize(TimeSpan? settle = null, CancellationToken ct = default)
        {
            var before = ProductId;
            var version = BootloaderVersion;
            var wait = settle ?? Client.Options.ResetSettleTime;
            if (wait > TimeSpan.Zero)
            {
                if (ct.WaitHandle.WaitOne(wait)) ct.ThrowIfCancellationRequested();
            }
            for (int attempt = 0; ; attempt++)
            {
                Identify(ct);
                try
                {
                    ConfirmIdentityChange(before, ct);
                    break;
                }
                catch (Stm32ProtocolException) when (attempt < Recovery.Retries)
                {
                    Counters.Retries++;
                }
            }
            EnsureSameDevice(before, version, "after the command");
            // The callers check what the reset did to the protection.
            EnsureProbed(ct);
        }

        // ---------------------------------------------------------------- memory

        /// <summary>Reads any length in 256-byte chunks (spec 4.4).</summary>
        public byte[] Read(uint address, int length, IProgress<OperationProgress>? progress = null, CancellationToken ct = default)
        {
            EnsureReady(ct);
            var result = new byte[length];
            int done = 0;
            using (WithinDeadline(string.Format(CultureInfo.InvariantCulture, "Reading {0} bytes at {1}", length, Hex(address)), NeedsToRead(length)))
            {
                while (done < length)
                {
                    var n = Math.Min(An3155.MaxBlock, length - done);
                    var chunk = ReadChecked((uint)(address + done), n, ct);
                    Buffer.BlockCopy(chunk, 0, result, done, n);
                    done += n;
                    progress?.Report(new OperationProgress("Reading", done, length, Hex(address + (uint)done)));
                    _readAnswered = true;
                }
            }
            return result;
        }

        /// <summary>
        /// One Read Memory, retried with resyncs. On a line bad enough to spoil a 256-byte
        /// answer twice running, the rest of the tries read it in 64-byte pieces, each retried on
        /// its own: a short answer is far more likely to arrive whole.
        /// </summary>
        private byte[] ReadChecked(uint address, int length, CancellationToken ct)
        {
            const int Piece = 64;
            if (length <= Piece || Recovery.Retries < 2)
                return Retry("Read Memory", address, () => Client.ReadMemory(address, length, ct), ct, "read");
            try
            {
                return Retry("Read Memory", address, () => Client.ReadMemory(address, length, ct), ct, "read", retries: 1);
            }
            catch (Stm32RecoveryFailedException e) when (!(e.InnerException is Stm32RecoveryFailedException))
            {
                Say(string.Format(CultureInfo.InvariantCulture, "Read Memory at 0x{0:X8}: reading it in {1}-byte pieces.", address, Piece));
                var result = new byte[length];
                for (int off = 0; off < length; off += Piece)
                {
                    var n = Math.Min(Piece, length - off);
                    var at = (uint)(address + off);
                    var piece = Retry("Read Memory", at, () => Client.ReadMemory(at, n, ct), ct, "read");
                    Buffer.BlockCopy(piece, 0, result, off, n);
                }
                return result;
            }
        }

        /// <summary>
        /// Writes one block of at most 256 bytes, retried with resyncs. <paramref name="failed"/>
        /// hears of every failed attempt: one that failed after the data went out may have
        /// programmed something (the caller checks that block later).
        /// </summary>
        public void WriteBlock(uint address, byte[] data, int offset, int count, CancellationToken ct = default, Action<Stm32Exception>? failed = null)
        {
            EnsureReady(ct);
            Retry("Write Memory", address, () => Client.WriteMemory(address, data, offset, count, ct), ct, "write", failed);
        }

        /// <summary>
        /// Erases pages or sectors by number with 0x43 or 0x44 per the Get list, in commands of at
        /// most 100 pages (spec 4.8) sized so the chip needs at most about 2.5 s for each; each waits 4
        /// times the part's typical erase time (see <see cref="PageEraseTimeout"/>). Sends what it is
        /// told: whether a page may be erased (write protection) is the caller's decision
        /// (<see cref="FlashProgrammer.Erase"/>).
        /// </summary>
        public void ErasePages(IReadOnlyList<int> pages, IProgress<OperationProgress>? progress = null, CancellationToken ct = default)
        {
            EnsureReady(ct);
            if (!HasExtendedErase && !Supports(An3155.Erase)) throw new Stm32UnsupportedCommandException(An3155.ExtendedErase);
            int done = 0;
            var unit = Device.Layout?.UnitName ?? "page";
            using (WithinDeadline(string.Format(CultureInfo.InvariantCulture, "Erasing {0} {1}(s)", pages.Count, unit), NeedsToErase(pages)))
            {
                foreach (var chunk in EraseCommands(pages, HasExtendedErase ? Stm32Connection.MaxPagesPerExtendedErase : 255))
                {
                    var timeout = PageEraseTimeout(chunk);
                    // Erasing a page twice is harmless, so a failed erase is simply sent again.
                    Retry(HasExtendedErase ? "Extended Erase" : "Erase", Device.Layout?.Pages.ElementAtOrDefault(chunk[0])?.Start, () =>
                    {
                        if (HasExtendedErase) Client.ExtendedErase(chunk, timeout, ct);
                        else Client.LegacyErase(chunk, timeout, ct);
                    }, ct, "erase", timeouts: 2);
                    done += chunk.Count;
                    progress?.Report(new OperationProgress("Erasing", done, pages.Count, $"{done} of {pages.Count} {unit}s"));
                }
            }
        }

        /// <summary>
        /// Erases the whole flash: one mass erase, per bank on dual-bank parts where the chip
        /// refuses a plain mass erase, and page by page where the part has none (L0/L1, spec 4.8)
        /// or the bootloader refuses the mass-erase code (a NACK after the command's clean ACK,
        /// twice: ST's reference flash code leaves it out, and write protection makes a chip refuse
        /// it). That is an answer, not line noise, so it is not retried through resyncs: the pages
        /// are erased one command at a time instead, with a <see cref="Warning"/>.
        /// </summary>
        public WholeFlashErase MassErase(IProgress<OperationProgress>? progress = null, CancellationToken ct = default)
        {
            EnsureReady(ct);
            if ((Device.Flags & DeviceFlags.NoMassErase) != 0)
            {
                if (Device.Layout == null) throw new InvalidOperationException("The catalog has no page layout for this device.");
                ErasePages(AllPages(), progress, ct);
                return WholeFlashErase.PageByPage;
            }
            if (!HasExtendedErase && !Supports(An3155.Erase)) throw new Stm32UnsupportedCommandException(An3155.ExtendedErase);
            // A mass erase is one long wait for an ACK (up to half a minute on 2 MiB parts): the
            // bar moves with the time waited against the part's usual time.
            var timeout = MassEraseTimeout();
            var wait = progress == null ? null : new WaitProgress(progress, "Erasing",
                ProtectionOperations.EstimatedMassErase(Device, FlashSizeFromChip ?? Flash.Length), timeout);
            var tick = WaitProgress.TickOf(wait);
            WholeFlashErase how;
            using (WithinDeadline("Erasing the whole flash", NeedsToEraseAll()))
            {
                how = Retry("Mass erase", null, () =>
                {
                    if (!HasExtendedErase)
                        return SpecialErase(() => Client.LegacyMassErase(tick, timeout, ct), "Erase (global)") ? WholeFlashErase.MassErase : WholeFlashErase.Refused;
                    if (SpecialErase(() => Client.ExtendedEraseSpecial(An3155.MassEraseCode, tick, timeout, ct), BootloaderClient.SpecialEraseStep(An3155.MassEraseCode)))
                        return WholeFlashErase.MassErase;
                    // Some dual-bank parts want each bank erased on its own.
                    if (Device.BankCount == 2 && !IsReadProtected
                        && SpecialErase(() => Client.ExtendedEraseSpecial(An3155.Bank1EraseCode, tick, timeout, ct), BootloaderClient.SpecialEraseStep(An3155.Bank1EraseCode))
                        && SpecialErase(() => Client.ExtendedEraseSpecial(An3155.Bank2EraseCode, tick, timeout, ct), BootloaderClient.SpecialEraseStep(An3155.Bank2EraseCode)))
                        return WholeFlashErase.BankErase;
                    return WholeFlashErase.Refused;
                }, ct, "erase", timeouts: 2);
                if (how == WholeFlashErase.Refused)
                {
                    var pages = AllPages();
                    if (pages.Count == 0) throw new InvalidOperationException("The bootloader refused the mass erase and the catalog has no page layout to erase page by page.");
                    Warn(string.Format(CultureInfo.InvariantCulture,
                        "The bootloader refused the mass-erase code: it acknowledged the {0} command, then answered NACK to {1}, twice. That is its answer, not line noise (ST's reference flash code has no mass erase, and write protection makes a chip refuse it): erasing the {2} {3}s one by one instead, at most {4} a command.",
                        HasExtendedErase ? "Extended Erase (0x44)" : "Erase (0x43)", HasExtendedErase ? "FF FF 00" : "FF 00",
                        pages.Count, Device.Layout!.UnitName, HasExtendedErase ? Stm32Connection.MaxPagesPerExtendedErase : 255));
                    wait?.Done("mass erase refused; erasing page by page");
                    ErasePages(pages, progress, ct);
                    return WholeFlashErase.PageByPage;
                }
            }
            wait?.Done("mass erase done");
            return how;
        }

        /// <summary>
        /// Sends one special erase; false when the chip refuses it: a lone NACK to the code after the
        /// command was ACKed, twice in a row (a first one may be a garbled frame, so it is sent once
        /// more at once). Other failures propagate to the caller's retry.
        /// </summary>
        private bool SpecialErase(Action send, string step)
        {
            for (int attempt = 0; ; attempt++)
            {
                try
                {
                    send();
                    return true;
                }
                catch (Stm32NackException e) when (e.Step == step && e.Received.Length == 1 && !(e is Stm32ReadProtectedException))
                {
                    if (attempt >= 1) return false;
                    Say(step + ": the chip answered NACK; sending it once more (a garbled frame is also NACKed).");
                }
            }
        }

        /// <summary>
        /// The CRC of an area (spec 10.4 flavour): by the chip's Get Checksum where listed,
        /// else by reading it back and computing here.
        /// </summary>
        public uint Checksum(uint address, uint length, IProgress<OperationProgress>? progress = null, CancellationToken ct = default)
        {
            EnsureReady(ct);
            if (ChecksumIsBelieved(ct))
            {
                using (WithinDeadline(string.Format(CultureInfo.InvariantCulture, "Get Checksum of {0} bytes at {1}", length, Hex(address)), Needs(5, 32, TimeSpan.FromMilliseconds(length / 1024.0))))
                    return Retry("Get Checksum", address, () => Client.GetChecksum(address, length, ct: ct), ct, "read");
            }
            var data = Read(address, checked((int)length), progress, ct);
            return An3155.Crc32(data);
        }

        /// <summary>Go (spec 4.5): starts the program whose vector table is at <paramref name="address"/>.</summary>
        public void Go(uint address, CancellationToken ct = default)
        {
            EnsureBootloader();
            try
            {
                Client.Go(address, ct);
            }
            catch (Stm32NackException e) when (e.Step == "Go")
            {
                throw ProtectedError(e, "start the program", address);
            }
            InBootloader = false;
        }

        /// <summary>The chip was reset into its application by other means (an exit sequence on DTR/RTS).</summary>
        internal void MarkLeftBootloader() => InBootloader = false;

        // ---------------------------------------------------------------- protection (each resets the chip)

        public void ReadoutProtect(CancellationToken ct = default)
        {
            EnsureBootloader();
            Client.ReadoutProtect(ct);
            Resynchronize(null, ct);
        }

        public void ReadoutUnprotect(CancellationToken ct = default)
        {
            EnsureBootloader();
            Client.ReadoutUnprotect(ct);
            Resynchronize(null, ct);
        }

        public void WriteProtect(IReadOnlyList<int> sectors, CancellationToken ct = default)
        {
            EnsureBootloader();
            Client.WriteProtect(sectors, ct);
            Resynchronize(null, ct);
        }

        public void WriteUnprotect(CancellationToken ct = default)
        {
            EnsureBootloader();
            Client.WriteUnprotect(ct);
            Resynchronize(null, ct);
        }

        // ---------------------------------------------------------------- helpers

        private void EnsureBootloader()
        {
            if (!InBootloader)
                throw new Stm32NotInBootloaderException();
        }

        private void EnsureReady(CancellationToken ct)
        {
            EnsureBootloader();
            EnsureProbed(ct);
        }

        private Exception ProtectedError(Stm32NackException e, string what, uint? address)
        {
            // A NACK on the command itself (not its address) is what RDP level 1 does (spec 3).
            IsReadProtected = true;
            return new Stm32ReadProtectedException(
                string.Format(CultureInfo.InvariantCulture,
                    "The chip refused to {0}{1}: it is read-protected (RDP level 1). Unprotect-Stm32Flash -ReadOut lifts the protection, and that erases the whole flash.",
                    what, address.HasValue ? " at " + Hex(address.Value) : ""),
                e.Step, e.Sent, e.Received, address ?? e.Address);
        }

        public static string Hex(uint address) => "0x" + address.ToString("X8", CultureInfo.InvariantCulture);

        public static string FormatVersion(byte version)
            => string.Format(CultureInfo.InvariantCulture, "{0}.{1}", version >> 4, version & 0x0F);

        public void Dispose() => Link.Dispose();
    }
}
