using System;
using System.Collections.Generic;
using Stm32.Protocol.Devices;

namespace Stm32.Protocol.Simulation
{
    /// <summary>
    /// The simulated chip's option bytes: the stored block (what Read Memory shows, and what Write
    /// Memory to the option area, Write Protect, Write Unprotect, Readout Protect and Readout
    /// Unprotect change) and the copy loaded at the last reset, which is what read and write
    /// protection act on. The bytes follow the host's family layouts (<see cref="OptionLayout"/>):
    /// one model for both ends. Families whose option bytes are flash-controller registers rather
    /// than memory the bootloader writes would be modelled here. Callers hold the chip's gate.
    /// </summary>
    internal sealed class OptionArea
    {
        private readonly ChipMemory _memory;
        private byte[] _loaded;

        public OptionArea(OptionLayout layout, ChipMemory memory)
        {
            Layout = layout;
            _memory = memory;
            _loaded = (byte[])memory.OptionStore.Clone();
            ReadLevel = layout.ReadLevel(_loaded, memory.OptionPrimary);
        }

        public OptionLayout Layout { get; }

        /// <summary>The RDP level loaded at the last reset (0, 1, 2).</summary>
        public int ReadLevel { get; private set; }

        /// <summary>At reset: the stored bytes become the ones in force.</summary>
        public void Load()
        {
            _loaded = (byte[])_memory.OptionStore.Clone();
            ReadLevel = Layout.ReadLevel(_loaded, _memory.OptionPrimary);
        }

        /// <summary>True when the loaded option bytes write-protect the sector (the WRP bit's unit).</summary>
        public bool IsSectorProtected(int sector) => Layout.IsSectorProtected(_loaded, _memory.OptionPrimary, sector);

        /// <summary>Sets the stored RDP level (in force from the next reset).</summary>
        public void StoreReadLevel(int level) => Layout.SetLevel(_memory.OptionStore, _memory.OptionPrimary, level);

        /// <summary>Sets the RDP level stored and in force at once (the back door; no reset).</summary>
        public void ForceReadLevel(int level)
        {
            StoreReadLevel(level);
            Layout.SetLevel(_loaded, _memory.OptionPrimary, level);
            ReadLevel = level;
        }

        /// <summary>Stores a new write-protection set (Write Protect replaces the old one, spec 4.9).</summary>
        public void StoreProtection(IReadOnlyCollection<int> sectors) => Layout.SetProtection(_memory.OptionStore, _memory.OptionPrimary, sectors);

        public void StoreNoProtection() => Layout.ClearProtection(_memory.OptionStore, _memory.OptionPrimary);

        /// <summary>Write Memory to the option area: the whole block is erased, then the data written from its base.</summary>
        public void StoreBlock(MemoryRegion region, uint address, byte[] data)
        {
            for (int i = 0; i < region.Range.Length; i++) region.Data[region.Offset + i] = 0xFF;
            Array.Copy(data, 0, region.Data, region.IndexOf(address), data.Length);
        }
    }
}
