using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Globalization;
using System.Linq;
using System.Text;
using Stm32.Protocol.Devices;
using Stm32.Protocol.Firmware;
using Stm32.Protocol.Programming;

namespace Stm32.PowerShell
{
    /// <summary>
    /// Page or sector numbers: a list to scripts ($r.PagesErased[0], -contains, .Count) whose text is
    /// ranges ("0-63", "0-3, 8, 10-12"), so Export-Csv and string expansion show that instead of a type name.
    /// </summary>
    public sealed class Stm32PageList : ReadOnlyCollection<int>
    {
        internal Stm32PageList(IEnumerable<int> pages) : base(pages.ToList())
        {
        }

        /// <summary>"0-63", "0-3, 8, 10-12", or "" for none.</summary>
        public override string ToString() => OptionByteSet.Ranges(this);
    }

    /// <summary>Lines of text (ranges, warnings): a list to scripts, joined with "; " as text (Export-Csv).</summary>
    public sealed class Stm32TextList : ReadOnlyCollection<string>
    {
        internal Stm32TextList(IEnumerable<string> items) : base(items.ToList())
        {
        }

        public override string ToString() => string.Join("; ", this);
    }

    /// <summary>Collateral ranges: a list to scripts, joined with "; " as text (Export-Csv).</summary>
    public sealed class Stm32CollateralList : ReadOnlyCollection<CollateralRange>
    {
        internal Stm32CollateralList(IEnumerable<CollateralRange> items) : base(items.ToList())
        {
        }

        public override string ToString() => string.Join("; ", this);
    }

    /// <summary>What Write-Stm32Firmware did: for the console and for production logs. Carries its Session.</summary>
    public sealed class Stm32WriteResult
    {
        internal Stm32WriteResult(Stm32Session session, FirmwareImage image, WriteOutcome outcome, string eraseUnit, bool started)
        {
            Session = session;
            Plan = outcome.Plan!;
            Path = image.SourcePath;
            Sha256 = image.Sha256;
            DataBytes = image.DataBytes;
            LowestAddress = image.LowestAddress;
            HighestAddress = image.IsEmpty ? 0 : image.HighestAddress - 1;
            BytesWritten = outcome.BytesWritten;
            BlocksWritten = outcome.BlocksWritten;
            BlocksSkipped = outcome.BlocksSkipped;
            BytesSent = outcome.BytesSent;
            PagesErased = new Stm32PageList(outcome.PagesErased);
            EraseUnit = eraseUnit;
            MassErased = outcome.MassErased;
            CollateralErased = new Stm32TextList(outcome.CollateralErased.Select(r => r.ToString()));
            Collateral = new Stm32CollateralList(outcome.Collateral);
            Verified = outcome.Verified;
            VerifyMethod = outcome.VerifyMethod;
            BlankChecked = outcome.BlankChecked;
            Duration = outcome.Duration;
            BytesPerSecond = outcome.Duration.TotalSeconds > 0 ? Math.Round(outcome.BytesWritten / outcome.Duration.TotalSeconds) : 0;
            Started = started;
            // What it took to get there on a noisy line: retried blocks, resyncs,
            // pages erased and rewritten after a bad read-back, chip resets survived.
            Retries = outcome.Retries;
            Resyncs = outcome.Resyncs;
            Rewrites = outcome.Rewrites;
            Resets = outcome.Resets;
            Time = DateTime.Now;
        }

        public Stm32Session Session { get; }

        /// <summary>The write plan that was carried out; its Describe() is the text -WhatIf shows for the same image and chip.</summary>
        public WritePlan Plan { get; }

        /// <summary>The file the image came from (null for an image built in memory).</summary>
        public string? Path { get; }

        /// <summary>SHA-256 of the image content (addresses included), as Import-Stm32Firmware shows it.</summary>
        public string Sha256 { get; }

        /// <summary>Bytes of data in the image.</summary>
        public long DataBytes { get; }

        public uint LowestAddress { get; }

        /// <summary>The last address the image holds (inclusive).</summary>
        public uint HighestAddress { get; }

        /// <summary><see cref="LowestAddress"/> as "0x08000000" (for logs and Export-Csv).</summary>
        public string LowestAddressHex => Hex(LowestAddress);

        /// <summary><see cref="HighestAddress"/> as "0x0800010F".</summary>
        public string HighestAddressHex => Hex(HighestAddress);

        /// <summary>Bytes sent in Write Memory blocks (256-byte blocks padded with 0xFF; all-0xFF blocks after an erase are skipped).</summary>
        public long BytesWritten { get; }

        public int BlocksWritten { get; }

        public int BlocksSkipped { get; }

        /// <summary>Every byte that went over the wire (commands, addresses, checksums, data, verify).</summary>
        public long BytesSent { get; }

        /// <summary>The numbers of the pages or sectors erased; as text, ranges such as "0-63".</summary>
        public Stm32PageList PagesErased { get; }

        /// <summary>"page" or "sector".</summary>
        public string EraseUnit { get; }

        /// <summary>
        /// True when the whole flash went in one mass erase (or bank by bank); false when pages were
        /// erased by number (only the touched ones, or every one on a part without mass erase or a
        /// bootloader that refused it).
        /// </summary>
        public bool MassErased { get; }

        /// <summary>Parts of erased pages that the image does not cover ("0x08000110-0x080003FF"): what they held is gone.</summary>
        public Stm32TextList CollateralErased { get; }

        /// <summary>
        /// The same ranges with what the plan found in them before the erase: State (Blank,
        /// HoldsData, Unknown), CheckedBy (Checksum, ReadBack, None), DataBytes where read. As
        /// text, "0x08000110-0x08003FFF: holds data; ...".
        /// </summary>
        public Stm32CollateralList Collateral { get; }

        public bool Verified { get; }

        /// <summary>None, Checksum (the chip's Get Checksum) or ReadBack.</summary>
        public VerifyMethod VerifyMethod { get; }

        /// <summary>
        /// True when -Verify also found blank everything erased and not written (the rest of the
        /// touched pages; with -EraseAll the rest of the flash): the chip acknowledges erases it did not do.
        /// </summary>
        public bool BlankChecked { get; }

        public TimeSpan Duration { get; }

        /// <summary>Data bytes written per second, erase and verify included.</summary>
        public double BytesPerSecond { get; }

        /// <summary>True when -Go started the program afterwards.</summary>
        public bool Started { get; }

        public int Retries { get; }

        public int Resyncs { get; }

        public int Rewrites { get; }

        public int Resets { get; }

        /// <summary>When the write finished (local time).</summary>
        public DateTime Time { get; }

        public override string ToString()
            => string.Format(CultureInfo.InvariantCulture, "{0} bytes written to {1}{2}", DataBytes, Session.DeviceName, Verified ? ", verified" : "");

        internal static string Hex(uint value) => "0x" + value.ToString("X8", CultureInfo.InvariantCulture);
    }

    /// <summary>Memory read by Read-Stm32Memory: address, bytes and a hex dump. Carries its Session.</summary>
    public sealed class Stm32MemoryBlock
    {
        private FirmwareImage? _image;

        internal Stm32MemoryBlock(Stm32Session session, uint address, byte[] bytes)
        {
            Session = session;
            Address = address;
            Bytes = bytes;
        }

        public Stm32Session Session { get; }

        public uint Address { get; }

        /// <summary><see cref="Address"/> as "0x08000000".</summary>
        public string AddressHex => Stm32WriteResult.Hex(Address);

        public int Length => Bytes.Length;

        /// <summary>The first address past the block.</summary>
        public uint End => Address + (uint)Bytes.Length;

        public byte[] Bytes { get; }

        /// <summary>The bytes as a firmware image, so the block pipes to Export-Stm32Firmware and Write-Stm32Firmware by property name.</summary>
        public FirmwareImage Image => _image ??= FirmwareImage.FromBytes(Address, Bytes);

        /// <summary>
        /// A hex dump, 16 bytes a line with ASCII; runs of identical lines collapse to one "*" line
        /// (as hexdump does), so an erased flash stays short.
        /// </summary>
        public string HexDump()
        {
            var sb = new StringBuilder();
            string? previous = null;
            bool starred = false;
            for (int off = 0; off < Bytes.Length; off += 16)
            {
                int n = Math.Min(16, Bytes.Length - off);
                var hex = new StringBuilder(16 * 3 + 1);
                var ascii = new StringBuilder(16);
                for (int i = 0; i < 16; i++)
                {
                    if (i == 8) hex.Append(' ');
                    if (i < n)
                    {
                        var b = Bytes[off + i];
                        hex.Append(b.ToString("X2", CultureInfo.InvariantCulture)).Append(' ');
                        ascii.Append(b >= 0x20 && b < 0x7F ? (char)b : '.');
                    }
                    else hex.Append("   ");
                }
                var body = hex.ToString() + "|" + ascii + "|";
                bool last = off + 16 >= Bytes.Length;
                if (body == previous && n == 16 && !last)
                {
                    if (!starred) sb.AppendLine("*");
                    starred = true;
                    continue;
                }
                starred = false;
                previous = body;
                sb.Append(((uint)(Address + off)).ToString("X8", CultureInfo.InvariantCulture)).Append("  ").AppendLine(body);
            }
            return sb.ToString().TrimEnd('\r', '\n');
        }

        public override string ToString()
            => string.Format(CultureInfo.InvariantCulture, "{0} bytes at 0x{1:X8}", Length, Address);
    }

    /// <summary>Test-Stm32Firmware's answer: does the chip hold the image? Carries its Session.</summary>
    public sealed class Stm32CompareResult
    {
        internal Stm32CompareResult(Stm32Session session, FirmwareImage image, CompareOutcome outcome)
        {
            Session = session;
            Path = image.SourcePath;
            Sha256 = image.Sha256;
            Matches = outcome.Matches;
            FirstDifference = outcome.FirstDifference;
            DifferingBytes = outcome.DifferingBytes;
            ComparedBytes = outcome.ComparedBytes;
        }

        public Stm32Session Session { get; }

        public string? Path { get; }

        public string Sha256 { get; }

        public bool Matches { get; }

        /// <summary>The lowest address where the chip differs from the image; null when it matches.</summary>
        public uint? FirstDifference { get; }

        /// <summary><see cref="FirstDifference"/> as "0x08000100", or null.</summary>
        public string? FirstDifferenceHex => FirstDifference.HasValue ? Stm32WriteResult.Hex(FirstDifference.Value) : null;

        public long DifferingBytes { get; }

        public long ComparedBytes { get; }

        public override string ToString()
            => Matches ? "matches" : string.Format(CultureInfo.InvariantCulture, "differs at {0} ({1} bytes)", FirstDifferenceHex, DifferingBytes);
    }

    /// <summary>What Clear-Stm32Flash -PassThru reports. Carries its Session.</summary>
    public sealed class Stm32EraseResult
    {
        internal Stm32EraseResult(Stm32Session session, ErasePlan plan, EraseOutcome outcome)
        {
            var pages = plan.Pages;
            Session = session;
            Plan = plan;
            EraseUnit = plan.UnitName;
            Pages = new Stm32PageList(pages.Select(p => p.Index));
            All = plan.WholeFlash;
            Duration = outcome.Duration;
            Method = outcome.How switch
            {
                WholeFlashErase.MassErase => "MassErase",
                WholeFlashErase.BankErase => "BankErase",
                _ => "Pages",
            };
            Verified = outcome.Verified;
            VerifyMethod = outcome.VerifyMethod;
            if (pages.Count > 0)
            {
                Address = pages.Min(p => p.Start);
                Length = (uint)(pages.Max(p => p.End) - Address);
            }
        }

        public Stm32Session Session { get; }

        /// <summary>The erase plan that was carried out; its Describe() is the text -WhatIf shows.</summary>
        public ErasePlan Plan { get; }

        /// <summary>True for the whole flash (-All).</summary>
        public bool All { get; }

        /// <summary>"page" or "sector".</summary>
        public string EraseUnit { get; }

        /// <summary>The numbers of the pages or sectors erased; as text, ranges such as "0-63".</summary>
        public Stm32PageList Pages { get; }

        /// <summary>The lowest erased address.</summary>
        public uint Address { get; }

        /// <summary><see cref="Address"/> as "0x08000000".</summary>
        public string AddressHex => Stm32WriteResult.Hex(Address);

        /// <summary>From <see cref="Address"/> to the end of the last erased page (gaps included when pages are not contiguous).</summary>
        public uint Length { get; }

        public TimeSpan Duration { get; }

        /// <summary>
        /// How the chip was told: "MassErase" (one command), "BankErase" (bank by bank) or "Pages"
        /// (page or sector numbers: -Page/-Sector/-Address, a part without mass erase, or a
        /// bootloader that refused the mass-erase code).
        /// </summary>
        public string Method { get; }

        /// <summary>True when -Verify found every erased byte reading 0xFF (false: not checked).</summary>
        public bool Verified { get; }

        /// <summary>How -Verify checked: Checksum (the chip's Get Checksum) or ReadBack; None without -Verify.</summary>
        public VerifyMethod VerifyMethod { get; }

        public override string ToString()
            => (All ? "whole flash erased" : Infrastructure.FlashCmdletBase.DescribePages(Pages, EraseUnit) + " erased") + (Verified ? ", checked blank" : "");
    }

    /// <summary>
    /// What Set-Stm32OptionByte -PassThru reports: the option-byte write (plan, before, after,
    /// warnings) with the Session it went through, so it pipes on to the session cmdlets.
    /// </summary>
    public sealed class Stm32OptionByteWriteResult
    {
        private readonly OptionByteWriteResult _result;

        internal Stm32OptionByteWriteResult(Stm32Session session, OptionByteWriteResult result)
        {
            Session = session;
            _result = result;
        }

        /// <summary>The session the bytes were written through (closed when the chip went silent: level 2).</summary>
        public Stm32Session Session { get; }

        /// <summary>What was to change (Changes, Describe()).</summary>
        public OptionByteWritePlan Plan => _result.Plan;

        public OptionByteSet Before => _result.Before;

        /// <summary>Read back after the reset; null when the chip is now read-protected or silent (level 2).</summary>
        public OptionByteSet? After => _result.After;

        /// <summary>False when nothing changed and no write was sent.</summary>
        public bool Written => _result.Written;

        /// <summary>The bootloader no longer answers (read protection level 2 was written on purpose).</summary>
        public bool ChipSilent => _result.ChipSilent;

        public Stm32TextList Warnings => new Stm32TextList(_result.Warnings);

        /// <summary>The changed fields as they were, "NRstStop: 1" (the whole block's summary when only raw bytes changed).</summary>
        public string BeforeValues => ValuesOf(Before) ?? Before.ToString();

        /// <summary>The changed fields as read back after the reset, "NRstStop: 0"; null when nothing could be read back.</summary>
        public string? AfterValues => After == null ? null : ValuesOf(After) ?? After.ToString();

        public override string ToString() => _result.ToString();

        /// <summary>The planned changes' fields with their values in <paramref name="set"/>; null when no named field changes.</summary>
        private string? ValuesOf(OptionByteSet set)
        {
            var parts = new List<string>();
            foreach (var change in Plan.Changes)
            {
                if (!Enum.TryParse<OptionField>(change.Field, out var field)) continue;
                string value;
                if (field == OptionField.WriteProtection) value = set.DescribeWrp();
                else if (field == OptionField.ReadProtection) value = string.Format(CultureInfo.InvariantCulture, "{0} (0x{1:X2})", set.ReadProtection, set.RdpByte);
                else if (set[field] is uint v) value = set.FormatValue(field, v);
                else continue;
                parts.Add(change.Field + ": " + value);
            }
            return parts.Count == 0 ? null : string.Join("; ", parts);
        }
    }
}
