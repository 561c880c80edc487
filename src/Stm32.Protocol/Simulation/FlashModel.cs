using System;
using System.Collections.Generic;
using System.Linq;
using Stm32.Protocol.Devices;

namespace Stm32.Protocol.Simulation
{
    /// <summary>
    /// The simulated chip's flash rules in one place: how a write lands (bits only go from 1 to 0;
    /// bytes in write-protected pages stay as they were), what an erase covers (pages or sectors by
    /// their Erase number, a bank, everything; protected pages are kept), which erases the part
    /// refuses, and how long each takes (<see cref="FlashTimings"/>). One model serves every family
    /// today; per-family rules (programming granularity, ECC parts that refuse a second write to a
    /// word, dual-bank page numbering) belong here, chosen in <see cref="For"/>. Methods that touch
    /// memory are called under the chip's gate.
    /// </summary>
    internal sealed class FlashModel
    {
        private readonly DeviceInfo _device;
        private readonly MemoryRegion? _flash;
        private readonly byte[] _data;
        private readonly OptionArea _options;

        private FlashModel(DeviceInfo device, ChipMemory memory, OptionArea options)
        {
            _device = device;
            _flash = memory.Flash;
            _data = memory.FlashData;
            _options = options;
            Timings = FlashTimings.For(device.Family);
        }

        public static FlashModel For(DeviceInfo device, ChipMemory memory, OptionArea options) => new FlashModel(device, memory, options);

        public FlashTimings Timings { get; }

        /// <summary>Flash bytes (= Device.Flash.Length).</summary>
        public uint Size => _device.Flash.Length;

        /// <summary>Pages (or sectors) an Erase may name; 0 when the layout is unknown.</summary>
        public int PageCount => _device.Layout?.PageCount ?? 0;

        /// <summary>False on parts whose bootloader refuses a mass erase (NoMassErase rows).</summary>
        public bool CanMassErase => (_device.Flags & DeviceFlags.NoMassErase) == 0;

        /// <summary>True on dual-bank parts, where Extended Erase may name a bank.</summary>
        public bool HasBanks => _device.BankCount >= 2 && _device.Layout != null;

        /// <summary>The pages of bank 1 (the lower half of flash) or bank 2.</summary>
        public IEnumerable<int> BankPages(bool firstBank)
        {
            var middle = _device.Flash.Start + _device.Flash.Length / 2;
            return _device.Layout!.Pages.Where(p => (p.Start < middle) == firstBank).Select(p => p.Index);
        }

        /// <summary>Every page when the layout is known, else null (a mass erase then clears the whole array).</summary>
        public IEnumerable<int>? AllPages => _device.Layout == null || _flash == null ? null : Enumerable.Range(0, PageCount);

        /// <summary>True when the page or sector (Erase number) is write-protected by the loaded option bytes.</summary>
        public bool IsPageProtected(int pageIndex) => _options.IsSectorProtected(pageIndex / _device.PagesPerSector);

        /// <summary>Programs <paramref name="data"/> at <paramref name="address"/> (inside flash): AND semantics, protected pages untouched.</summary>
        public void Program(uint address, byte[] data)
        {
            var layout = _device.Layout;
            FlashPage? page = null;
            bool isProtected = false;
            for (int i = 0; i < data.Length; i++)
            {
                uint a = address + (uint)i;
                if (layout != null && (page == null || a >= page.End))
                {
                    page = layout.PageAt(a);
                    isProtected = page != null && IsPageProtected(page.Index);
                }
                if (isProtected) continue;
                _data[_flash!.IndexOf(a)] &= data[i];
            }
        }

        /// <summary>Erases one page or sector; false (nothing erased) when it is write-protected.</summary>
        public bool ErasePage(int pageIndex)
        {
            if (IsPageProtected(pageIndex)) return false;
            var page = _device.Layout!.Pages[pageIndex];
            for (uint a = page.Start; a < page.End; a++) _data[_flash!.IndexOf(a)] = 0xFF;
            return true;
        }

        /// <summary>Erases every byte, protected or not (Readout Unprotect, or a part without a known layout).</summary>
        public void EraseAll()
        {
            for (int i = 0; i < _data.Length; i++) _data[i] = 0xFF;
        }

        public TimeSpan PageEraseTime(int pageIndex) => Timings.PageErase(_device.Layout!.Pages[pageIndex].Size);

        public TimeSpan MassEraseTime => Timings.MassErase(Size);

        public TimeSpan BankEraseTime => Timings.MassErase(Size / 2);

        public TimeSpan ProgramTime(int bytes) => Timings.Program(bytes);
    }
}
