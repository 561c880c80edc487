using System;
using System.Collections.Generic;
using System.Globalization;

namespace Stm32.Protocol.Devices
{
    [Flags]
    public enum DeviceFlags
    {
        None = 0,
        /// <summary>F_NO_ME: no mass erase; erase page by page (L0/L1).</summary>
        NoMassErase = 1,
        /// <summary>F_OBLL: leave the bootloader through OBL_LAUNCH (empty-check boot).</summary>
        OblLaunch = 2,
        /// <summary>F_PEMPTY: clear PEMPTY before reset (L45x/46x).</summary>
        PEmpty = 4,
        /// <summary>A commented-out entry in stm32flash: memory map partly unknown.</summary>
        Placeholder = 8,
        /// <summary>Only the name is known (AN2606 list); no memory map.</summary>
        NameOnly = 16,
        /// <summary>BlueNRG-lineage parts: not the AN3155 protocol.</summary>
        NonAn3155BlueNrg = 32,
        /// <summary>Not an ST part.</summary>
        NonSt = 64,
        /// <summary>Not in the catalog: a generic device built from what the chip reported.</summary>
        Generic = 128,
    }

    /// <summary>One row of the device catalog (spec section 9): the memory map of a product ID.</summary>
    public sealed class DeviceInfo
    {
        public DeviceInfo(
            ushort productId, string name, string family,
            MemoryRange ram, MemoryRange flash, string? flashLayout,
            MemoryRange optionBytes, MemoryRange systemMemory,
            DeviceFlags flags, int pagesPerSector,
            IReadOnlyList<byte> bootloaderIds, uint? bootloaderIdAddress, string? notes = null)
        {
            ProductId = productId;
            Name = name;
            Family = family;
            Ram = ram;
            Flash = flash;
            FlashLayoutText = flashLayout;
            OptionBytes = optionBytes;
            SystemMemory = systemMemory;
            Flags = flags;
            PagesPerSector = pagesPerSector <= 0 ? 1 : pagesPerSector;
            BootloaderIds = bootloaderIds;
            BootloaderIdAddress = bootloaderIdAddress;
            Notes = notes;
            if (!flash.IsEmpty && !string.IsNullOrWhiteSpace(flashLayout))
                Layout = FlashLayout.Parse(flash, flashLayout!);
            FlashSizeAddress = FamilyFacts.FlashSizeRegister(family);
            UniqueIdAddress = FamilyFacts.UniqueIdAddress(family);
            DefaultBootloaderVersion = FamilyFacts.DefaultBootloaderVersion(family);
            BankCount = FamilyFacts.BankCount(productId);
        }

        /// <summary>The 12-bit DEV_ID the Get ID command returns (e.g. 0x410).</summary>
        public ushort ProductId { get; }

        public string Name { get; }

        /// <summary>F0, F1, F2, F3, F4, F7, G0, G4, H7, L0, L1, L4, L5, WB, WL, U5, H5, C0, ... or "" when unknown.</summary>
        public string Family { get; }

        /// <summary>The RAM the host may use: the bootloader reserves 0x20000000 up to Start (spec 9).</summary>
        public MemoryRange Ram { get; }

        /// <summary>The family's largest flash; the chip's flash-size register gives the real size.</summary>
        public MemoryRange Flash { get; }

        public string? FlashLayoutText { get; }

        /// <summary>Pages or sectors; null when the catalog does not know the layout.</summary>
        public FlashLayout? Layout { get; }

        /// <summary>The option area (the catalog's end is inclusive; this range is exclusive).</summary>
        public MemoryRange OptionBytes { get; }

        public MemoryRange SystemMemory { get; }

        public DeviceFlags Flags { get; }

        /// <summary>Pages covered by one write-protection bit (spec section 8).</summary>
        public int PagesPerSector { get; }

        public IReadOnlyList<byte> BootloaderIds { get; }

        public uint? BootloaderIdAddress { get; }

        public string? Notes { get; }

        /// <summary>Address of the 16-bit flash-size register (KiB), where known for the family.</summary>
        public uint? FlashSizeAddress { get; }

        /// <summary>Address of the 96-bit unique ID, where known for the family.</summary>
        public uint? UniqueIdAddress { get; }

        /// <summary>The bootloader version a simulated chip of this row reports by default (0x22, 0x31).</summary>
        public byte DefaultBootloaderVersion { get; }

        /// <summary>Flash banks (bank erase codes 0xFFFE/0xFFFD apply only when 2).</summary>
        public int BankCount { get; }

        /// <summary>True when the catalog knows enough (flash, layout) to program this part.</summary>
        public bool CanProgram => !Flash.IsEmpty && Layout != null;

        public bool IsGeneric => (Flags & DeviceFlags.Generic) != 0;

        public string ProductIdHex => "0x" + ProductId.ToString("X3", CultureInfo.InvariantCulture);

        public override string ToString() => $"{Name} ({ProductIdHex})";
    }

    /// <summary>Facts that hold for a whole family (spec sections 5 and 9).</summary>
    internal static class FamilyFacts
    {
        public static uint? FlashSizeRegister(string family)
        {
            switch (family)
            {
                case "F0":
                case "F3": return 0x1FFFF7CC;
                case "F1": return 0x1FFFF7E0;
                case "F4": return 0x1FFF7A22;
                case "F7": return 0x1FF0F442;
                case "H7": return 0x1FF1E880;
                case "L0": return 0x1FF8007C;
                case "L4":
                case "G0":
                case "G4":
                case "WL": return 0x1FFF75E0;
                // F2, L1, WB, ...: not in the digest (UNCONFIRMED), so we do not guess; the
                // catalog's flash size is used instead.
                default: return null;
            }
        }

        public static uint? UniqueIdAddress(string family)
        {
            switch (family)
            {
                case "F1": return 0x1FFFF7E8;
                case "F3": return 0x1FFFF7AC;
                case "F4": return 0x1FFF7A10;
                case "F7": return 0x1FF0F420;
                case "H7": return 0x1FF1E800;
                case "L0": return 0x1FF80050;
                case "L4":
                case "G0":
                case "G4":
                case "WL": return 0x1FFF7590;
                // F0 (probably the F3 address) and others are UNCONFIRMED: not read.
                default: return null;
            }
        }

        /// <summary>Spec section 5: F0/F1 parts ship V2.2 bootloaders; later families V3.1.</summary>
        public static byte DefaultBootloaderVersion(string family)
            => family == "F0" || family == "F1" || family == "" ? (byte)0x22 : (byte)0x31;

        /// <summary>
        /// Parts whose catalog row describes two flash banks (bank-2 option area or DB1M geometry).
        /// Dual-bank handling that depends on option bits (G4 cat 3, L4 DBANK) is UNCONFIRMED and
        /// treated as single bank, which is the safe choice: bank-erase codes are then never sent.
        /// </summary>
        public static int BankCount(ushort pid)
        {
            switch (pid)
            {
                case 0x419: // F42x/43x
                case 0x434: // F469/479
                case 0x415: // L47x/48x
                case 0x461: // L496/4A6
                case 0x470: // L4R/4S
                case 0x450: // H74x/75x
                    return 2;
                default:
                    return 1;
            }
        }

        public static string FromName(string name)
        {
            var n = name.ToUpperInvariant();
            if (n.StartsWith("MEDIUM_DENSITY PL", StringComparison.Ordinal)) return "F1";
            if (n.StartsWith("BLUENRG", StringComparison.Ordinal)) return "BlueNRG";
            if (!n.StartsWith("STM32", StringComparison.Ordinal)) return "";
            n = n.Substring(5);
            if (n.StartsWith("WBA", StringComparison.Ordinal)) return "WBA";
            if (n.StartsWith("WB0", StringComparison.Ordinal)) return "BlueNRG";
            if (n.StartsWith("WL3", StringComparison.Ordinal)) return "BlueNRG";
            if (n.StartsWith("WB", StringComparison.Ordinal)) return "WB";
            if (n.StartsWith("WL", StringComparison.Ordinal)) return "WL";
            if (n.StartsWith("W-", StringComparison.Ordinal)) return "W";
            if (n.Length >= 2 && char.IsLetter(n[0]) && char.IsDigit(n[1])) return n.Substring(0, 2);
            return "";
        }
    }
}
