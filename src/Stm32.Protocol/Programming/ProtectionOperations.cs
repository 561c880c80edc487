using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Stm32.Protocol.Bootloader;
using Stm32.Protocol.Devices;

namespace Stm32.Protocol.Programming
{
    /// <summary>
    /// Read and write protection and option bytes on an identified connection: each method is
    /// what one cmdlet calls (Get-/Set-Stm32OptionByte, Protect-/Unprotect-Stm32Flash). Every
    /// command that resets the chip is followed by a resynchronisation (spec 4.12a), so the
    /// connection is usable afterwards (unless level 2 was written on purpose).
    /// <para>Cmdlet to call:</para>
    /// <list type="bullet">
    /// <item>Get-Stm32Info: <see cref="GetProtectionState"/>.</item>
    /// <item>Get-Stm32OptionByte: <see cref="ReadOptionBytes"/> (<see cref="OptionByteSet.Describe"/> for the view).</item>
    /// <item>Set-Stm32OptionByte: <see cref="PlanOptionBytes"/> (its Describe() for ShouldProcess/-WhatIf, SetsLevel2 for
    /// the second confirmation), then <see cref="WriteOptionBytes(Stm32Connection, OptionByteWritePlan, CancellationToken)"/>.</item>
    /// <item>Protect-Stm32Flash -ReadOut: <see cref="ApplyReadoutProtection"/>; -Page/-Sector/-Address: a
    /// PlanWriteProtection* call (Describe() names the extra pages) then <see cref="ApplyWriteProtection"/>.</item>
    /// <item>Unprotect-Stm32Flash -ReadOut: <see cref="RemoveReadoutProtection"/> (erases all flash; progress);
    /// -Write: <see cref="RemoveWriteProtection"/>.</item>
    /// <item>Write cmdlet, on a verify failure: <see cref="ExplainVerifyFailure"/> names a write-protected page.</item>
    /// </list>
    /// </summary>
    public static class ProtectionOperations
    {
        /// <summary>How long we wait for an option write's ACK before assuming the chip reset first.</summary>
        public static readonly TimeSpan OptionWriteAckTimeout = TimeSpan.FromSeconds(2);

        // ================================================================== state

        /// <summary>
        /// Read protection (from the connection: a NACKed Read of flash) and, where the option
        /// bytes are readable, the decoded option bytes with the write-protected pages. For Get-Stm32Info.
        /// </summary>
        public static ProtectionState GetProtectionState(this Stm32Connection connection, CancellationToken ct = default)
        {
            if (connection == null) throw new ArgumentNullException(nameof(connection));
            connection.EnsureProbed(ct);
            OptionByteSet? options = null;
            string? why = null;
            if (connection.IsReadProtected) why = "the chip is read-protected (RDP level 1): option bytes cannot be read";
            else if (!OptionLayout.IsSupported(connection.Device)) why = new OptionBytesNotSupportedException(connection.Device).Message;
            else options = connection.ReadOptionBytes(ct);
            return new ProtectionState(connection.Device, connection.KnownReadProtection, options, why);
        }

        // ================================================================== option bytes

        /// <summary>Reads the option block (<see cref="OptionLayout.BlockFor"/>) and decodes it (Get-Stm32OptionByte).</summary>
        /// <exception cref="OptionBytesNotSupportedException">H7, L5, U5, H5, or no option range.</exception>
        /// <exception cref="Stm32ReadProtectedException">The chip is at RDP level 1.</exception>
        public static OptionByteSet ReadOptionBytes(this Stm32Connection connection, CancellationToken ct = default)
        {
            if (connection == null) throw new ArgumentNullException(nameof(connection));
            connection.EnsureProbed(ct);
            var layout = OptionLayout.For(connection.Device);
            var block = OptionLayout.BlockFor(connection.Device);
            if (connection.IsReadProtected) throw ReadProtected("read the option bytes", block.Start);
            var raw = connection.Read(block.Start, (int)block.Length, null, ct);
            return layout.Decode(raw, block.Start, connection.Device, connection.FlashSizeFromChip);
        }

        /// <summary>
        /// Reads the option bytes and works out the write without sending it (-WhatIf shows
        /// <see cref="OptionByteWritePlan.Describe"/>). Refuses RDP level 2 unless <paramref name="allowLevel2"/>.
        /// </summary>
        /// <exception cref="ReadProtectionLevel2RefusedException">0xCC on a family where that is level 2.</exception>
        /// <exception cref="ArgumentException">A field the family lacks, a value that does not fit, raw bytes of the wrong length or with wrong complements.</exception>
        public static OptionByteWritePlan PlanOptionBytes(this Stm32Connection connection, OptionByteChange change, bool allowLevel2 = false, CancellationToken ct = default)
        {
            if (change == null) throw new ArgumentNullException(nameof(change));
            var before = connection.ReadOptionBytes(ct);
            var layout = before.Layout;
            var raw = layout.Apply(before.Raw, change);
            var plan = new OptionByteWritePlan(before, layout.Decode(raw, before.Address, connection.Device, connection.FlashSizeFromChip), allowLevel2);
            if (plan.SetsLevel2 && !allowLevel2) throw new ReadProtectionLevel2RefusedException(layout.Family);
            return plan;
        }

        /// <summary>Plans and writes in one call (Set-Stm32OptionByte without -WhatIf).</summary>
        public static OptionByteWriteResult WriteOptionBytes(this Stm32Connection connection, OptionByteChange change, bool allowLevel2 = false, CancellationToken ct = default)
            => connection.WriteOptionBytes(connection.PlanOptionBytes(change, allowLevel2, ct), ct);

        /// <summary>
        /// Writes a planned block with one Write Memory at the option base (spec 4.6: the chip
        /// erases the option area, programs it and resets; the ACK may not come first), then
        /// resynchronises, reads back and checks every changed field.
        /// </summary>
        /// <exception cref="OptionByteVerifyException">A field reads back differently; names the field.</exception>
        /// <exception cref="ReadProtectionLevel2RefusedException">The plan sets level 2 and was made without allowing it.</exception>
        public static OptionByteWriteResult WriteOptionBytes(this Stm32Connection connection, OptionByteWritePlan plan, CancellationToken ct = default)
        {
            if (connection == null) throw new ArgumentNullException(nameof(connection));
            if (plan == null) throw new ArgumentNullException(nameof(plan));
            if (plan.SetsLevel2 && !plan.AllowLevel2) throw new ReadProtectionLevel2RefusedException(plan.Before.Family);
            var warnings = new List<string>();
            if (plan.IsNoChange) return new OptionByteWriteResult(plan, plan.Before, false, false, warnings);
            // The block must still be what the plan was made from (no other writer in between).
            var now = connection.ReadOptionBytes(ct);
            if (!now.Raw.SequenceEqual(plan.Before.Raw))
                throw new InvalidOperationException("The option bytes changed since the write was planned; plan it again.");

            var raw = plan.After.Raw;
            var address = plan.Before.Address;
            var writeTimeout = connection.Client.Options.WriteTimeout;
            try
            {
                // The raw command, never the retrying WriteBlock: an option write resets the chip,
                // so a missing ACK is expected (spec 4.12a) and must not be "retried".
                connection.Client.WriteMemory(address, raw, 0, raw.Length,
                    writeTimeout < OptionWriteAckTimeout ? OptionWriteAckTimeout : writeTimeout, ct);
            }
            catch (Stm32TimeoutException e) when (e.Step == "Write Memory data")
            {
                // Spec 4.12a: some parts reset before (or instead of) the ACK.
                warnings.Add("The chip reset without acknowledging the option write (expected on some parts).");
            }
            catch (Stm32NackException e) when (e.Step == "Write Memory data")
            {
                throw new Stm32NackException(string.Format(CultureInfo.InvariantCulture,
                    "The chip refused the option bytes at 0x{0:X8} (NACK after the data): nothing was written.", address),
                    e.Step, e.Sent, e.Received, address);
            }

            try
            {
                connection.Resynchronize(null, ct);
            }
            catch (Stm32NoResponseException) when (plan.SetsLevel2)
            {
                // Level 2 written on purpose: the bootloader is gone for good.
                return new OptionByteWriteResult(plan, null, true, true, warnings);
            }

            var expected = plan.After;
            if (expected.ReadProtection != ReadProtectionLevel.Level0)
            {
                if (!connection.IsReadProtected)
                    throw new OptionByteVerifyException(expected.Family, address, OptionField.ReadProtection.ToString(),
                        expected.ReadProtection.ToString(), "Level0 (flash still readable)");
                warnings.Add("The chip is read-protected now: the other option bytes cannot be read back to check them.");
                return new OptionByteWriteResult(plan, null, true, false, warnings);
            }
            var after = connection.ReadOptionBytes(ct);
            Verify(expected, after);
            var rawAfter = after.Raw;
            var odd = Enumerable.Range(0, raw.Length).Where(i => raw[i] != rawAfter[i]).ToList();
            if (odd.Count > 0)
                warnings.Add(string.Format(CultureInfo.InvariantCulture,
                    "The named fields took, but raw byte(s) at offset {0} read back differently (reserved bits the chip keeps its own way?).",
                    string.Join(", ", odd.Select(o => "+0x" + o.ToString("X2", CultureInfo.InvariantCulture)))));
            return new OptionByteWriteResult(plan, after, true, false, warnings);
        }

        private static void Verify(OptionByteSet expected, OptionByteSet actual)
        {
            foreach (var kv in expected.Values)
            {
                var got = actual[kv.Key];
                if (got != kv.Value)
                    throw new OptionByteVerifyException(expected.Family, expected.Address, kv.Key.ToString(),
                        expected.FormatValue(kv.Key, kv.Value), got.HasValue ? actual.FormatValue(kv.Key, got.Value) : "nothing");
            }
            if (expected.WriteProtectedSectors != null && actual.WriteProtectedSectors != null
                && !expected.WriteProtectedSectors.SequenceEqual(actual.WriteProtectedSectors))
                throw new OptionByteVerifyException(expected.Family, expected.Address, OptionField.WriteProtection.ToString(),
                    expected.DescribeWrp(), actual.DescribeWrp());
        }

        // ================================================================== write protection

        /// <summary>Plans write protection of pages (sectors on F2/F4/F7) on this chip's real flash.</summary>
        public static WriteProtectionPlan PlanWriteProtection(this Stm32Connection connection, IEnumerable<int> pages)
            => WriteProtectionPlan.ForPages(connection.Device, pages, connection.FlashSizeFromChip);

        /// <summary>Plans write protection of WRP sectors by number.</summary>
        public static WriteProtectionPlan PlanWriteProtectionOfSectors(this Stm32Connection connection, IEnumerable<int> sectors)
            => WriteProtectionPlan.ForSectors(connection.Device, sectors, connection.FlashSizeFromChip);

        /// <summary>Plans write protection of every page an address range touches.</summary>
        public static WriteProtectionPlan PlanWriteProtection(this Stm32Connection connection, uint address, uint length)
            => WriteProtectionPlan.ForRange(connection.Device, address, length, connection.FlashSizeFromChip);

        /// <summary>
        /// The write-protected pages (sectors on F2/F4/F7) from the option bytes; null where
        /// they cannot be read (read-protected, WRP outside the readable block, H7/L5/U5/H5).
        /// </summary>
        public static IReadOnlyList<int>? GetWriteProtectedPages(this Stm32Connection connection, CancellationToken ct = default)
        {
            connection.EnsureProbed(ct);
            if (connection.IsReadProtected || !OptionLayout.IsSupported(connection.Device)) return null;
            return connection.ReadOptionBytes(ct).WriteProtectedPages;
        }

        /// <summary>
        /// Write Protect (0x63) with the plan's sectors, then resync. The command replaces the
        /// protected set (spec 4.9), so with <paramref name="keepExisting"/> the sectors already
        /// protected (where readable) are sent too. Checks afterwards where WRP is readable.
        /// </summary>
        public static WriteProtectionResult ApplyWriteProtection(this Stm32Connection connection, WriteProtectionPlan plan, bool keepExisting = true, CancellationToken ct = default)
        {
            if (connection == null) throw new ArgumentNullException(nameof(connection));
            if (plan == null) throw new ArgumentNullException(nameof(plan));
            connection.EnsureProbed(ct);
            if (connection.IsReadProtected) throw ReadProtected("write-protect pages", null);
            var warnings = new List<string>();
            var before = connection.GetWriteProtectedPages(ct);
            var sectors = plan.Sectors.ToList();
            if (keepExisting)
            {
                if (before != null)
                {
                    var layout = OptionLayout.ForFamily(connection.Device.Family);
                    sectors = sectors.Union(before.Select(p => layout.SectorCode(p / connection.Device.PagesPerSector))).Distinct().OrderBy(s => s).ToList();
                }
                else warnings.Add("The current write protection cannot be read on this part: Write Protect replaces it with the pages given.");
            }
            try
            {
                connection.WriteProtect(sectors, ct);
            }
            catch (Stm32NackException e) when (e.Step.StartsWith("Write Protect", StringComparison.Ordinal))
            {
                throw new Stm32NackException("The chip refused Write Protect (NACK): " + e.Message, e.Step, e.Sent, e.Received);
            }
            var after = connection.GetWriteProtectedPages(ct);
            if (after != null)
            {
                var missing = plan.RequestedPages.Except(after).ToList();
                if (missing.Count > 0)
                    throw new OptionByteVerifyException(connection.Device.Family, OptionLayout.BlockFor(connection.Device).Start,
                        OptionField.WriteProtection.ToString(), plan.UnitName + "s " + OptionByteSet.Ranges(plan.RequestedPages) + " protected",
                        missing.Count == plan.RequestedPages.Count ? "none of them protected" : plan.UnitName + "s " + OptionByteSet.Ranges(missing) + " not protected");
            }
            return new WriteProtectionResult(plan, before, after, warnings);
        }

        /// <summary>Write Unprotect (0x73): removes all write protection, then resync. Returns the pages protected before, where readable.</summary>
        public static IReadOnlyList<int>? RemoveWriteProtection(this Stm32Connection connection, CancellationToken ct = default)
        {
            if (connection == null) throw new ArgumentNullException(nameof(connection));
            connection.EnsureProbed(ct);
            if (connection.IsReadProtected) throw ReadProtected("remove write protection", null);
            var before = connection.GetWriteProtectedPages(ct);
            connection.WriteUnprotect(ct);
            var after = connection.GetWriteProtectedPages(ct);
            if (after != null && after.Count > 0)
                throw new OptionByteVerifyException(connection.Device.Family, OptionLayout.BlockFor(connection.Device).Start,
                    OptionField.WriteProtection.ToString(), "none", OptionByteSet.Ranges(after));
            return before;
        }

        /// <summary>
        /// For the write cmdlet: the chip ACKs writes to write-protected pages without programming
        /// them (spec 4.6), so a verify failure is the only sign. Turns a verify failure inside a
        /// protected page into a <see cref="Stm32WriteProtectedException"/> naming the address and
        /// page; returns <paramref name="failure"/> unchanged otherwise (or when WRP is unreadable).
        /// </summary>
        public static Stm32VerifyException ExplainVerifyFailure(this Stm32Connection connection, Stm32VerifyException failure, CancellationToken ct = default)
        {
            if (connection == null) throw new ArgumentNullException(nameof(connection));
            if (failure == null) throw new ArgumentNullException(nameof(failure));
            if (failure is Stm32WriteProtectedException || !failure.Address.HasValue) return failure;
            IReadOnlyList<int>? protectedPages;
            try
            {
                protectedPages = connection.GetWriteProtectedPages(ct);
            }
            catch (Stm32Exception)
            {
                return failure;
            }
            var page = connection.Device.Layout?.PageAt(failure.Address.Value);
            if (protectedPages == null || page == null || !protectedPages.Contains(page.Index)) return failure;
            return new Stm32WriteProtectedException(connection.Device, failure.Address.Value, page, failure);
        }

        // ================================================================== readout protection

        /// <summary>
        /// Where a Read shows whether read protection is on (RDP level 1 refuses every Read, spec 3):
        /// flash where the catalog maps it (the probe reads it), else the system memory, else RAM;
        /// null for a chip the catalog knows nothing of, where the result of Readout Protect or
        /// Unprotect could not be checked (so neither is sent).
        /// </summary>
        public static uint? ReadProtectionCheckAddress(DeviceInfo device)
        {
            if (device == null) throw new ArgumentNullException(nameof(device));
            return !device.Flash.IsEmpty ? device.Flash.Start
                : !device.SystemMemory.IsEmpty ? device.SystemMemory.Start
                : !device.Ram.IsEmpty ? device.Ram.Start
                : (uint?)null;
        }

        private static uint CheckAddressOrRefuse(Stm32Connection connection, string what)
            => ReadProtectionCheckAddress(connection.Device) ?? throw new InvalidOperationException(string.Format(CultureInfo.InvariantCulture,
                "The catalog has no memory map for {0}, so whether {1} took could not be checked; nothing was sent. Add a catalog row for it (Import-Stm32Device).",
                connection.Device, what));

        /// <summary>Whether the chip refuses reads now: the probe's Read of flash, or one Read of <paramref name="address"/> where flash is not mapped.</summary>
        private static bool RefusesReads(Stm32Connection connection, uint address, CancellationToken ct)
        {
            connection.EnsureProbed(ct);
            if (!connection.Device.Flash.IsEmpty || connection.IsReadProtected) return connection.IsReadProtected;
            try
            {
                connection.Read(address, 1, null, ct);
                return false;
            }
            catch (Stm32ReadProtectedException)
            {
                return true;
            }
        }

        /// <summary>Readout Protect (0x82): RDP level 1, then resync. False when the chip was already protected.</summary>
        public static bool ApplyReadoutProtection(this Stm32Connection connection, CancellationToken ct = default)
        {
            if (connection == null) throw new ArgumentNullException(nameof(connection));
            connection.EnsureProbed(ct);
            var check = CheckAddressOrRefuse(connection, "read protection");
            if (RefusesReads(connection, check, ct)) return false;
            connection.ReadoutProtect(ct);
            if (!RefusesReads(connection, check, ct))
                throw new Stm32VerifyException(string.Format(CultureInfo.InvariantCulture,
                    "Readout Protect was acknowledged, but after the reset the chip still answers a Read at 0x{0:X8}: the protection did not take.", check),
                    check, 0);
            return true;
        }

        /// <summary>
        /// Readout Unprotect (0x92): the chip mass-erases the flash, clears RAM, lifts RDP and
        /// resets; write protection stays (spec 4.12: unprotect then Write Unprotect, then program).
        /// Also works on an unprotected chip, and erases it just the same. Waits as long as the part needs (<see cref="ReadoutUnprotectTimeout"/>),
        /// reporting progress on the calling thread while it waits, then resyncs.
        /// </summary>
        public static void RemoveReadoutProtection(this Stm32Connection connection, IProgress<OperationProgress>? progress = null, CancellationToken ct = default)
        {
            if (connection == null) throw new ArgumentNullException(nameof(connection));
            connection.EnsureProbed(ct);
            if (!connection.InBootloader)
                throw new Stm32NotInBootloaderException();
            var check = CheckAddressOrRefuse(connection, "lifting read protection");
            var flashBytes = connection.FlashSizeFromChip ?? connection.Flash.Length;
            var expected = EstimatedMassErase(connection.Device, flashBytes);
            var timeout = ReadoutUnprotectTimeout(connection.Device, flashBytes);
            if (connection.Client.Options.MassEraseTimeout > timeout) timeout = connection.Client.Options.MassEraseTimeout;

            // Spec 4.12: 92 6D -> ACK ... (mass erase) ... ACK, then the chip resets. The client
            // reports the time waited for the second ACK on this thread, about every 250 ms.
            var wait = progress == null ? null : new WaitProgress(progress, "Unprotecting", expected, timeout);
            try
            {
                connection.Client.ReadoutUnprotect(timeout, WaitProgress.TickOf(wait), ct);
            }
            catch (Stm32NackException e) when (e.Step == "Readout Unprotect")
            {
                throw new Stm32NackException("Readout Unprotect: the bootloader answered NACK; the protection is still on.", e.Step, e.Sent, e.Received);
            }
            catch (Stm32NackException e) when (e.Step == "Readout Unprotect (done)")
            {
                throw new Stm32NackException("Readout Unprotect: the chip answered NACK after the erase: the mass erase failed and read protection is still on.",
                    e.Step, e.Sent, e.Received);
            }
            wait?.Done("flash erased; waiting for the chip to restart");
            connection.Resynchronize(null, ct);
            if (RefusesReads(connection, check, ct))
                throw new Stm32VerifyException(string.Format(CultureInfo.InvariantCulture,
                    "Readout Unprotect was acknowledged, but after the reset the chip still refuses a Read at 0x{0:X8}: it is still read-protected.", check), check, 0);
        }

        /// <summary>
        /// A typical mass-erase time (spec 6.3, datasheet level, UNCONFIRMED per part): F2/F4/F7
        /// about 8 s per MiB, H7 1 s per 128 KiB sector, L0/L1 page by page (3.2 ms each), others
        /// well under a second.
        /// </summary>
        public static TimeSpan EstimatedMassErase(DeviceInfo device, uint flashBytes)
        {
            double mib = flashBytes / (1024.0 * 1024.0);
            switch (device.Family)
            {
                case "F2":
                case "F4":
                case "F7":
                    return TimeSpan.FromSeconds(Math.Max(1, 8 * mib));
                case "H7":
                    return TimeSpan.FromSeconds(Math.Max(1, flashBytes / 131072.0));
                case "L0":
                case "L1":
                    return TimeSpan.FromSeconds(Math.Max(0.5, flashBytes / Math.Max(1u, device.Layout?.PageSize ?? 128u) * 0.0032));
                default:
                    return TimeSpan.FromSeconds(0.5);
            }
        }

        /// <summary>How long to wait for Readout Unprotect's second ACK: four times the typical erase plus 10 s, at least SF's 35 s.</summary>
        public static TimeSpan ReadoutUnprotectTimeout(DeviceInfo device, uint flashBytes)
        {
            var t = TimeSpan.FromTicks(EstimatedMassErase(device, flashBytes).Ticks * 4) + TimeSpan.FromSeconds(10);
            return t < TimeSpan.FromSeconds(35) ? TimeSpan.FromSeconds(35) : t;
        }

        // ================================================================== helpers

        /// <summary>The same message the connection gives for a protected chip, so all cmdlets agree.</summary>
        internal static Stm32ReadProtectedException ReadProtected(string what, uint? address)
            => new Stm32ReadProtectedException(
                string.Format(CultureInfo.InvariantCulture,
                    "The chip refused to {0}{1}: it is read-protected (RDP level 1). Unprotect-Stm32Flash -ReadOut lifts the protection, and that erases the whole flash.",
                    what, address.HasValue ? " at " + Stm32Connection.Hex(address.Value) : ""),
                "read protection", null, null, address);
    }
}
