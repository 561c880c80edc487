using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Stm32.Protocol.Bootloader;
using Stm32.Protocol.Devices;
using Stm32.Protocol.Programming;

namespace Stm32.Protocol.Programming
{
    /// <summary>
    /// What the chip says about its own flash is checked before it is relied on: which pages are
    /// write-protected (the bootloader acknowledges erases and writes of them without doing them,
    /// spec 4.6-4.8), and whether its Get Checksum answers are true.
    /// </summary>
    public sealed partial class Stm32Connection
    {
        private sealed class Known<T>
        {
            public Known(T value) => Value = value;

            public T Value { get; }
        }

        // Read once per identification (IdentifyOnce forgets them: a reset may have changed them).
        private Known<IReadOnlyList<int>?>? _writeProtection;
        private bool? _checksumBelieved;

        /// <summary>
        /// The write-protected pages (sectors on F2/F4/F7) from the option bytes, read once per
        /// identification; null where they cannot be read (a read-protected chip, H7/L5/U5/H5,
        /// L4-style WRP areas, a chip that refuses the read). Erases and writes of these pages are
        /// refused before anything is sent (<see cref="FlashProgrammer"/>).
        /// </summary>
        public IReadOnlyList<int>? WriteProtectedPages(CancellationToken ct = default)
        {
            if (_writeProtection == null)
            {
                IReadOnlyList<int>? pages = null;
                try
                {
                    pages = this.GetWriteProtectedPages(ct);
                }
                catch (Stm32Exception e) when (!(e is Stm32DeadlineException) && (IsRecoverable(e) || e is Stm32RecoveryFailedException))
                {
                    Say("The option bytes could not be read, so write protection is not known: " + e.Message);
                }
                _writeProtection = new Known<IReadOnlyList<int>?>(pages);
            }
            return _writeProtection.Value;
        }

        /// <summary>
        /// Whether the chip's Get Checksum answers are believed: it lists 0xA1, and its checksum of
        /// 64 bytes it can also read (host-usable RAM, else system memory: memory that is not all
        /// 0xFF, whose CRC is not a value a lazy answer would hit) equals the CRC of the bytes read.
        /// Asked once per identification, before a checksum is first relied on. A chip that answers
        /// wrongly (zero, a constant, another CRC) or refuses the command it lists gets a
        /// <see cref="Warning"/>, and what would have been checked by checksum is read back instead.
        /// </summary>
        public bool ChecksumIsBelieved(CancellationToken ct = default)
        {
            if (!HasChecksum) return false;
            if (_checksumBelieved is bool known) return known;
            EnsureReady(ct);
            var believed = ChallengeChecksum(ct);
            _checksumBelieved = believed;
            return believed;
        }

        private bool ChallengeChecksum(CancellationToken ct)
        {
            // Small: it costs a read and a checksum once per identification, and proves as much.
            const int SampleBytes = 64;
            foreach (var area in new[] { Device.Ram, Device.SystemMemory })
            {
                if (area.IsEmpty || area.Length < SampleBytes) continue;
                var at = area.Start;
                uint? expected = SampleCrc(at, SampleBytes, ct);
                if (expected == null) continue;
                uint answer = 0;
                for (int attempt = 0; attempt < 2; attempt++)
                {
                    try
                    {
                        // The raw command: a refusal here is an answer, not something to retry.
                        answer = Client.GetChecksum(at, SampleBytes, ct: ct);
                    }
                    catch (Stm32NackException e) when (e.Step == "Get Checksum")
                    {
                        Warn("The chip lists Get Checksum (0xA1) but refuses it (NACK): verifying by reading back instead.");
                        return false;
                    }
                    catch (Stm32NackException)
                    {
                        break; // this address or size refused: try the next area
                    }
                    catch (Stm32Exception e) when (IsRecoverable(e))
                    {
                        Say("Get Checksum of the sample at " + Hex(at) + ": " + e.Message + " Resynchronising.");
                        Recover(ct);
                        continue;
                    }
                    if (answer == expected) return true;
                    // The sample's read may have been the garbled one: read it again before judging.
                    expected = SampleCrc(at, SampleBytes, ct);
                    if (expected == null || answer == expected) return expected != null;
                }
                if (answer != expected)
                {
                    Warn(string.Format(CultureInfo.InvariantCulture,
                        "The chip's Get Checksum (0xA1) answered 0x{0:X8} for the {1} bytes at {2}, whose CRC is 0x{3:X8}: its checksums are not believed, and verifying reads back instead.",
                        answer, SampleBytes, Hex(at), expected));
                    return false;
                }
            }
            Say("No memory to check the chip's Get Checksum against; verifying by reading back.");
            return false;
        }

        /// <summary>The CRC of <paramref name="length"/> bytes read at <paramref name="address"/>; null when they cannot be read or are all 0xFF.</summary>
        private uint? SampleCrc(uint address, int length, CancellationToken ct)
        {
            byte[] sample;
            try
            {
                sample = Read(address, length, null, ct);
            }
            catch (Stm32Exception e) when (!(e is Stm32DeadlineException) && (IsRecoverable(e) || e is Stm32RecoveryFailedException || e is Stm32ReadProtectedException))
            {
                return null;
            }
            if (sample.All(b => b == 0xFF)) return null;
            return An3155.Crc32(sample);
        }
    }
}
