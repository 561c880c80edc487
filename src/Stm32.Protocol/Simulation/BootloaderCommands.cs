using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Stm32.Protocol.Bootloader;
using Stm32.Protocol.Devices;

namespace Stm32.Protocol.Simulation
{
    /// <summary>What the command handlers may do to the chip as a whole (<see cref="SimulatedChip"/> does it).</summary>
    internal interface IChipControl
    {
        /// <summary>Moves to another state; unwinds when the chip was reset meanwhile.</summary>
        void Enter(ChipState state);

        /// <summary>The chip resets itself (after an option change): never returns, the command stops here.</summary>
        void ResetFromChip();

        /// <summary>Go: hands the chip to the program at <paramref name="address"/>.</summary>
        void StartProgram(uint address);
    }

    /// <summary>
    /// The bootloader's side of AN3155: the sync, then one method per command, each reading like
    /// the spec's diagrams (spec sections 2 to 4.13). Runs on the serving thread; bytes come and
    /// go through the <see cref="ChipWire"/>, memory changes hold the chip's gate, and the flash and
    /// option-byte rules are the <see cref="FlashModel"/>'s and the <see cref="OptionArea"/>'s.
    /// </summary>
    internal sealed class BootloaderCommands
    {
        /// <summary>What a bootloader answers under read protection (spec 3); the rest is NACKed.</summary>
        private static readonly byte[] AllowedUnderRdp = { An3155.Get, An3155.GetVersion, An3155.GetId, An3155.ReadoutUnprotect };

        private readonly DeviceInfo _device;
        private readonly byte _version;
        private readonly SimulatorOptions _options;
        private readonly SimulatorFaults _faults;
        private readonly ChipWire _wire;
        private readonly ChipMemory _memory;
        private readonly FlashModel _flash;
        private readonly OptionArea _optionBytes;
        private readonly object _gate;
        private readonly IChipControl _chip;
        private readonly byte[] _supported;
        private readonly bool _preV31Bug;
        private readonly Random _rngNack;
        private int _commandCount;

        public BootloaderCommands(DeviceInfo device, byte version, SimulatorOptions options, SimulatorFaults faults, ChipWire wire,
            ChipMemory memory, FlashModel flash, OptionArea optionBytes, object gate, IChipControl chip)
        {
            _device = device;
            _version = version;
            _options = options;
            _faults = faults;
            _wire = wire;
            _memory = memory;
            _flash = flash;
            _optionBytes = optionBytes;
            _gate = gate;
            _chip = chip;
            _supported = SupportedBy(version);
            _preV31Bug = options.PreV31AddressBug ?? version < 0x31;
            _rngNack = new Random(unchecked(faults.Seed + 2));
        }

        /// <summary>The codes Get lists, in order.</summary>
        public IReadOnlyList<byte> Supported => _supported;

        /// <summary>Command pairs read so far: the numbering of the command fault knobs.</summary>
        public int CommandCount => Volatile.Read(ref _commandCount);

        /// <summary>
        /// The command set a bootloader version offers (spec 5): 2.2 the 2.x list with Erase, 3.x
        /// Extended Erase instead, 3.3 adds Get Checksum; 4.0 lists vary per product, so it gets
        /// the 3.3 list. Per-family command sets belong here.
        /// </summary>
        public static byte[] SupportedBy(byte version)
        {
            var list = new List<byte>
            {
                An3155.Get, An3155.GetVersion, An3155.GetId, An3155.ReadMemory, An3155.Go, An3155.WriteMemory,
                version >= 0x30 ? An3155.ExtendedErase : An3155.Erase,
                An3155.WriteProtect, An3155.WriteUnprotect, An3155.ReadoutProtect, An3155.ReadoutUnprotect,
            };
            if (version >= 0x33) list.Add(An3155.GetChecksum);
            return list.ToArray();
        }

        /// <summary>Spec 2: autobaud sees only 0x7F; the answer is ACK (with the configured quirks around it).</summary>
        public void Synchronise()
        {
            if (_wire.ReadByte() != An3155.Sync) return;
            var reply = new List<byte>();
            if (_options.LeadingZeroBeforeSyncAck) reply.Add(0x00);
            reply.Add(An3155.Ack);
            if (_options.ExtraAckAfterSync) reply.Add(An3155.Ack);
            _wire.Send(reply.ToArray());
            _chip.Enter(ChipState.CommandLoop);
        }

        /// <summary>
        /// Spec 3: a code and its complement, then ACK and the command, or one NACK for a bad pair,
        /// a code this version does not offer, or one read protection forbids. There is no
        /// inter-byte timeout: a half-sent command waits for ever.
        /// </summary>
        public void RunCommand()
        {
            bool paired = _wire.ReadComplemented(out var code);
            int number = Interlocked.Increment(ref _commandCount);
            if (!paired)
            {
                _wire.Nack();
                return;
            }
            if (_faults.StallAfterCommand is TimeSpan stall && (_faults.StallCommandNumber == null || _faults.StallCommandNumber == number))
                _wire.Stall(stall);
            if (_faults.NackCommandNumber == number || (_faults.RandomNackRate > 0 && _rngNack.NextDouble() < _faults.RandomNackRate))
            {
                _wire.Nack();
                return;
            }
            if (Array.IndexOf(_supported, code) < 0)
            {
                _wire.Nack();
                return;
            }
            int level;
            lock (_gate) level = _optionBytes.ReadLevel;
            if (level >= 1 && Array.IndexOf(AllowedUnderRdp, code) < 0)
            {
                bool twice = _options.DoubleNackWhenProtected
                    && (code == An3155.ReadMemory || code == An3155.Go || code == An3155.WriteMemory);
                if (twice) _wire.Send(An3155.Nack, An3155.Nack);
                else _wire.Nack();
                return;
            }
            _wire.Ack();
            if (_faults.ResetDuringCommandNumber == number) _chip.ResetFromChip();

            switch (code)
            {
                case An3155.Get: Get(); break;
                case An3155.GetVersion: GetVersion(); break;
                case An3155.GetId: GetId(); break;
                case An3155.ReadMemory: ReadMemory(); break;
                case An3155.Go: Go(); break;
                case An3155.WriteMemory: WriteMemory(); break;
                case An3155.Erase: Erase(); break;
                case An3155.ExtendedErase: ExtendedErase(); break;
                case An3155.WriteProtect: WriteProtect(); break;
                case An3155.WriteUnprotect: WriteUnprotect(); break;
                case An3155.ReadoutProtect: ReadoutProtect(); break;
                case An3155.ReadoutUnprotect: ReadoutUnprotect(); break;
                case An3155.GetChecksum: GetChecksum(); break;
            }
        }

        // Spec 4.1: N = the number of codes (N+1 bytes follow, as stm32flash reads it), version, codes, ACK.
        private void Get()
        {
            var reply = new List<byte> { (byte)_supported.Length, _version };
            reply.AddRange(_supported);
            reply.Add(An3155.Ack);
            _wire.Send(reply.ToArray());
        }

        // Spec 4.2: version, two option bytes (0), ACK.
        private void GetVersion() => _wire.Send(_version, 0x00, 0x00, An3155.Ack);

        // Spec 4.3: N = 1, the product ID MSB first, ACK.
        private void GetId() => _wire.Send(0x01, (byte)(_device.ProductId >> 8), (byte)_device.ProductId, An3155.Ack);

        /// <summary>The pre-V3.1 bug: a bad address with a good checksum is dropped without a NACK (spec 3).</summary>
        private void RejectAddress()
        {
            if (!_preV31Bug) _wire.Nack();
        }

        // Spec 4.4: address + XOR, ACK, N + ~N, ACK, N+1 bytes. The range lies wholly inside one region.
        private void ReadMemory()
        {
            if (!_wire.ReadWord(out var address))
            {
                _wire.Nack();
                return;
            }
            var region = _memory.FindReadable(address);
            if (region == null)
            {
                RejectAddress();
                return;
            }
            _wire.Ack();
            // The end of the range can only be checked once N is known; whether the real
            // bootloader checks it at all is UNCONFIRMED. NACK is the safe answer.
            if (!_wire.ReadComplemented(out var n) || !region.Range.Contains(address, (uint)n + 1))
            {
                _wire.Nack();
                return;
            }
            var reply = new byte[n + 2];
            reply[0] = An3155.Ack;
            lock (_gate) Array.Copy(region.Data, region.IndexOf(address), reply, 1, n + 1);
            _wire.Send(reply);
        }

        // Spec 4.5: address + XOR, ACK, then the program runs. Flash or usable RAM only (V2.1+
        // refuses option bytes and system memory).
        private void Go()
        {
            if (!_wire.ReadWord(out var address))
            {
                _wire.Nack();
                return;
            }
            var region = _memory.FindReadable(address);
            if (region == null || (region.Kind != RegionKind.Flash && region.Kind != RegionKind.Ram))
            {
                _wire.Nack();
                return;
            }
            _wire.Ack();
            _chip.StartProgram(address);
        }

        // Spec 4.6: address + XOR, ACK, N, N+1 bytes, XOR of N and the bytes, ACK once written.
        private void WriteMemory()
        {
            if (!_wire.ReadWord(out var address))
            {
                _wire.Nack();
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
            _wire.Ack();
            byte n = _wire.ReadByte();
            var data = _wire.ReadBytes(n + 1);
            byte checksum = _wire.ReadByte();
            if ((byte)(n ^ An3155.Xor(data, 0, data.Length)) != checksum
                || (_options.NackUnalignedWriteLength && data.Length % 4 != 0)
                || !region!.Range.Contains(address, (uint)data.Length))
            {
                _wire.Nack();
                return;
            }
            _wire.Arrived();
            switch (region.Kind)
            {
                case RegionKind.Flash:
                    lock (_gate) _flash.Program(address, data);
                    _wire.Busy(_flash.ProgramTime(data.Length));
                    _wire.Ack();
                    break;
                case RegionKind.Ram:
                    lock (_gate) Array.Copy(data, 0, region.Data, region.IndexOf(address), data.Length);
                    _wire.Ack();
                    break;
                default:
                    // Option bytes: erase the block, program it, ACK, reset (r18: F0/F2/F4/F7/L4;
                    // UNCONFIRMED elsewhere, but a reset is the safe thing for a host to expect).
                    lock (_gate) _optionBytes.StoreBlock(region, address, data);
                    _wire.Busy(_flash.Timings.OptionWrite);
                    _wire.Ack();
                    _chip.ResetFromChip();
                    break;
            }
        }

        // Spec 4.7 (bootloader 2.x): FF 00 mass erase, FF xx ACK without erasing, else N, N+1 page
        // numbers, XOR.
        private void Erase()
        {
            byte first = _wire.ReadByte();
            if (first == 0xFF)
            {
                byte second = _wire.ReadByte();
                if (second != 0x00)
                {
                    _wire.Ack(); // FF xx: AN3155 says no erase happens, but the device ACKs.
                    return;
                }
                MassErase();
                return;
            }
            // The whole frame is read before answering so host and chip stay in step; a bad page
            // number NACKs the command without erasing anything (UNCONFIRMED; the safe choice).
            var pages = _wire.ReadBytes(first + 1);
            byte checksum = _wire.ReadByte();
            if ((byte)(first ^ An3155.Xor(pages, 0, pages.Length)) != checksum || pages.Any(p => p >= _flash.PageCount))
            {
                _wire.Nack();
                return;
            }
            ErasePages(pages.Select(p => (int)p));
            _wire.Ack();
        }

        // Spec 4.8 (bootloader 3.x): N as 16 bits, then FFFF mass, FFFE/FFFD a bank, FFF0-FFFC
        // reserved, each with the XOR of N; else N+1 16-bit page numbers and the XOR of all.
        private void ExtendedErase()
        {
            byte nh = _wire.ReadByte();
            byte nl = _wire.ReadByte();
            int n = nh << 8 | nl;
            if (n >= 0xFFF0)
            {
                byte check = _wire.ReadByte();
                if ((byte)(nh ^ nl) != check)
                {
                    _wire.Nack();
                    return;
                }
                switch ((ushort)n)
                {
                    case An3155.MassEraseCode:
                        MassErase();
                        return;
                    case An3155.Bank1EraseCode:
                    case An3155.Bank2EraseCode:
                        if (!_flash.HasBanks)
                        {
                            _wire.Nack();
                            return;
                        }
                        ErasePages(_flash.BankPages(n == An3155.Bank1EraseCode), _flash.BankEraseTime);
                        _wire.Ack();
                        return;
                    default:
                        _wire.Nack(); // 0xFFF0-0xFFFC are reserved
                        return;
                }
            }
            // As for 0x43: read the whole frame, then decide (the checks' order on a real chip is UNCONFIRMED).
            int count = n + 1;
            var raw = _wire.ReadBytes(2 * count);
            byte checksum = _wire.ReadByte();
            if ((byte)(nh ^ nl ^ An3155.Xor(raw, 0, raw.Length)) != checksum || n >= _flash.PageCount)
            {
                _wire.Nack();
                return;
            }
            if (_options.ExtendedErasePageLimit is int limit && count > limit)
            {
                _wire.Arrived();
                _chip.Enter(ChipState.Hung); // F103XL: more than 154 pages hang the bootloader (spec 4.8)
                return;
            }
            var pages = new int[count];
            for (int i = 0; i < count; i++) pages[i] = raw[2 * i] << 8 | raw[2 * i + 1];
            if (pages.Any(p => p >= _flash.PageCount))
            {
                _wire.Nack();
                return;
            }
            ErasePages(pages);
            _wire.Ack();
        }

        /// <summary>
        /// Mass erase, then ACK: every unprotected page (all flash when the layout is unknown). Real
        /// flash controllers may refuse a mass erase when any page is protected; the bootloader's
        /// answer then is UNCONFIRMED, and "ACK, protected pages kept" matches spec 4.7/4.8's "no
        /// error". NACK on parts (or bootloader builds) without mass erase.
        /// </summary>
        private void MassErase()
        {
            if (!_flash.CanMassErase || _options.RefuseMassErase)
            {
                _wire.Nack();
                return;
            }
            if (_flash.AllPages is IEnumerable<int> all) ErasePages(all, _flash.MassEraseTime);
            else
            {
                _wire.Arrived();
                lock (_gate) _flash.EraseAll();
                _wire.Busy(_flash.MassEraseTime);
            }
            _wire.Ack();
        }

        /// <summary>
        /// Erases pages or sectors; write-protected ones are skipped without an error. Each costs its
        /// own time, unless <paramref name="total"/> gives the whole operation's.
        /// </summary>
        private void ErasePages(IEnumerable<int> pages, TimeSpan? total = null)
        {
            _wire.Arrived();
            foreach (var index in pages)
            {
                bool erased;
                lock (_gate) erased = _flash.ErasePage(index);
                if (erased && total == null) _wire.Busy(_flash.PageEraseTime(index));
            }
            if (total != null) _wire.Busy(total.Value);
        }

        // Spec 4.9: N, N+1 sector codes, XOR; ACK, reset. Codes are not validated; the new set
        // replaces the old one.
        private void WriteProtect()
        {
            byte n = _wire.ReadByte();
            var sectors = _wire.ReadBytes(n + 1);
            byte checksum = _wire.ReadByte();
            if ((byte)(n ^ An3155.Xor(sectors, 0, sectors.Length)) != checksum)
            {
                _wire.Nack();
                return;
            }
            ChangeOptionBytes(() => _optionBytes.StoreProtection(sectors.Select(s => (int)s).ToArray()), _flash.Timings.OptionWrite);
        }

        // Spec 4.10: every sector unprotected; ACK, reset.
        private void WriteUnprotect() => ChangeOptionBytes(_optionBytes.StoreNoProtection, _flash.Timings.OptionWrite);

        // Spec 4.11: RDP level 1; ACK, reset.
        private void ReadoutProtect() => ChangeOptionBytes(() => _optionBytes.StoreReadLevel(1), _flash.Timings.OptionWrite);

        // Spec 4.12: mass erase (WRP does not stop it), all RAM to 0, level 0, ACK, reset. WRP
        // stays as it was (UNCONFIRMED; it is why users run -k then -u, spec 4.12).
        private void ReadoutUnprotect() => ChangeOptionBytes(() =>
        {
            _flash.EraseAll();
            for (int i = 0; i < _memory.RamData.Length; i++) _memory.RamData[i] = 0x00;
            _optionBytes.StoreReadLevel(0);
        }, _flash.MassEraseTime + _flash.Timings.OptionWrite);

        /// <summary>Once the frame has arrived: the change, the time it takes, the second ACK, then the chip's reset.</summary>
        private void ChangeOptionBytes(Action change, TimeSpan duration)
        {
            _wire.Arrived();
            lock (_gate) change();
            _wire.Busy(duration);
            _wire.Ack();
            _chip.ResetFromChip();
        }

        // Spec 4.13 (AN3155r18 flow): address, size in words, polynomial, initial value (each a
        // word + XOR, each ACKed), then ACK, CRC, XOR. stm32flash's flow sends the size in bytes
        // and no CRC parameters.
        private void GetChecksum()
        {
            if (!_wire.ReadWord(out var address))
            {
                _wire.Nack();
                return;
            }
            var region = _memory.FindReadable(address);
            if (region == null)
            {
                _wire.Nack();
                return;
            }
            _wire.Ack();
            bool stm32flash = _options.ChecksumFlow == GetChecksumFlow.Stm32flash;
            if (!_wire.ReadWord(out var size))
            {
                _wire.Nack();
                return;
            }
            ulong bytes = stm32flash ? size : (ulong)size * 4;
            if (bytes == 0 || bytes % 4 != 0 || bytes > uint.MaxValue || !region.Range.Contains(address, (uint)bytes))
            {
                _wire.Nack();
                return;
            }
            _wire.Ack();
            uint polynomial = An3155.CrcPolynomial, initial = An3155.CrcInitial;
            if (!stm32flash)
            {
                if (!_wire.ReadWord(out polynomial))
                {
                    _wire.Nack();
                    return;
                }
                _wire.Ack();
                if (!_wire.ReadWord(out initial))
                {
                    _wire.Nack();
                    return;
                }
                _wire.Ack();
            }
            var data = new byte[bytes];
            lock (_gate) Array.Copy(region.Data, region.IndexOf(address), data, 0, data.Length);
            uint crc = An3155.Crc32(data, 0, data.Length, initial, polynomial);
            var reply = new byte[6];
            reply[0] = An3155.Ack;
            An3155.AddressFrame(crc).CopyTo(reply, 1);
            _wire.Send(reply);
        }
    }
}
