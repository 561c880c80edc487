using System;
using System.Collections.Generic;
using Stm32.Protocol.Devices;

namespace Stm32.Protocol.Emulation
{
    /// <summary>
    /// What the emulated core needs to know about a family: CPU model, where USART1, RCC and the
    /// flash controller are, their layouts, and the clocks the ROM bootloader leaves running.
    /// <para>The bootloader's clocks are <b>UNCONFIRMED</b> per family (AN2606 gives them per
    /// product; we could not check every table). The figures below are plausible settings built
    /// from HSI with the PLL; the on-chip flasher never assumes them: it reads RCC and computes
    /// its divider from what it finds, and reports both in its HELLO, so a different real clock
    /// only changes which rates it can offer. A program that reprograms RCC does not change the
    /// emulated clocks (the registers keep what is written).</para>
    /// </summary>
    public sealed class EmulatedChipProfile
    {
        private EmulatedChipProfile(string family, int cpuModel, uint cpuid, UsartLayout usartLayout, uint usartBase, uint rccBase,
            FlashControllerKind flash, uint sysclk, uint hclk, uint pclk1, uint pclk2, int usartApb, (uint Offset, uint Value)[] rcc,
            uint usartEnableOffset, uint usartEnableBit)
        {
            Family = family;
            CpuModel = cpuModel;
            Cpuid = cpuid;
            UsartLayout = usartLayout;
            UsartBase = usartBase;
            RccBase = rccBase;
            FlashController = flash;
            SystemClock = sysclk;
            Hclk = hclk;
            Pclk1 = pclk1;
            Pclk2 = pclk2;
            UsartApb = usartApb;
            RccAtGo = rcc;
            UsartEnableOffset = usartEnableOffset;
            UsartEnableBit = usartEnableBit;
        }

        public string Family { get; }

        internal int CpuModel { get; }

        internal uint Cpuid { get; }

        public UsartLayout UsartLayout { get; }

        /// <summary>USART1, the one the bootloader answers on in the common wiring.</summary>
        public uint UsartBase { get; }

        public uint RccBase { get; }

        public FlashControllerKind FlashController { get; }

        public uint SystemClock { get; }

        public uint Hclk { get; }

        public uint Pclk1 { get; }

        public uint Pclk2 { get; }

        /// <summary>Which APB clocks USART1 (1 or 2).</summary>
        public int UsartApb { get; }

        /// <summary>USART1's kernel clock as the bootloader leaves it.</summary>
        public uint UsartClock => UsartApb == 2 ? Pclk2 : Pclk1;

        /// <summary>RCC registers (offset, value) as the bootloader leaves them at Go.</summary>
        internal IReadOnlyList<(uint Offset, uint Value)> RccAtGo { get; }

        /// <summary>The RCC register and bit that clock USART1 (the USART reads 0 and ignores writes without it).</summary>
        public uint UsartEnableOffset { get; }

        public uint UsartEnableBit { get; }

        /// <summary>The profile for a catalog row, or null for a family the core does not model (yet).</summary>
        public static EmulatedChipProfile? For(DeviceInfo device)
        {
            if (device == null) throw new ArgumentNullException(nameof(device));
            switch (device.Family)
            {
                case "F1":
                    // HSI 8 MHz, PLL from HSI/2 x6 = 24 MHz, AHB/APB1/APB2 /1 (UNCONFIRMED, see above).
                    return new EmulatedChipProfile("F1", UnicornNative.CpuCortexM3, 0x412FC231, UsartLayout.Old, 0x40013800, 0x40021000,
                        FlashControllerKind.F1, 24_000_000, 24_000_000, 24_000_000, 24_000_000, 2,
                        new[] { (0x00u, 0x03000083u), (0x04u, (4u << 18) | (2u << 2) | 2u), (0x18u, 0u) }, 0x18, 1u << 14);
                case "F0":
                case "F3":
                    // Same clock tree shape on F0/F3: PLL from HSI/2 x6 = 24 MHz (UNCONFIRMED). USART1 on APB2 (F3) or the only APB (F0).
                    return new EmulatedChipProfile(device.Family, UnicornNative.CpuCortexM0, 0x410CC200, UsartLayout.New, 0x40013800, 0x40021000,
                        FlashControllerKind.F1, 24_000_000, 24_000_000, 24_000_000, 24_000_000, device.Family == "F3" ? 2 : 1,
                        new[] { (0x00u, 0x03000083u), (0x04u, (4u << 18) | (2u << 2) | 2u), (0x18u, 0u), (0x2Cu, 0u), (0x30u, 0u) }, 0x18, 1u << 14);
                case "F4":
                    // HSI 16 MHz, PLL M=16 N=240 P=4: 60 MHz; APB1 /2 (30 MHz), APB2 /1 (60 MHz) (UNCONFIRMED).
                    return new EmulatedChipProfile("F4", UnicornNative.CpuCortexM4, 0x410FC241, UsartLayout.Old, 0x40011000, 0x40023800,
                        FlashControllerKind.F4, 60_000_000, 60_000_000, 30_000_000, 60_000_000, 2,
                        new[]
                        {
                            (0x00u, 0x03000083u), (0x04u, 16u | (240u << 6) | (1u << 16)), (0x08u, (2u << 2) | 2u | (4u << 10)), (0x44u, 0u),
                        }, 0x44, 1u << 4);
                case "G0":
                    // HSI16, PLL M=1 N=12 R=8: 24 MHz, APB /1 (UNCONFIRMED; a G070 user reported 24 MHz after Go).
                    return new EmulatedChipProfile("G0", UnicornNative.CpuCortexM0, 0x410CC601, UsartLayout.New, 0x40013800, 0x40021000,
                        FlashControllerKind.G0, 24_000_000, 24_000_000, 24_000_000, 24_000_000, 1,
                        new[]
                        {
                            (0x00u, 0x03000500u), (0x08u, (2u << 3) | 2u), (0x0Cu, 2u | (12u << 8) | (1u << 28) | (7u << 29)), (0x40u, 0u), (0x54u, 0u),
                        }, 0x40, 1u << 14);
                default:
                    return null;
            }
        }
    }

    /// <summary>RCC: plain registers starting as the bootloader leaves them (the clocks are the profile's, whatever is written).</summary>
    internal sealed class EmulatedRcc : IBusDevice
    {
        private readonly EmulatedChipProfile _profile;
        private readonly RegisterFile _regs = new RegisterFile();

        public EmulatedRcc(EmulatedChipProfile profile)
        {
            _profile = profile;
            Reset();
        }

        public uint Base => _profile.RccBase;

        public uint Size => 0x400;

        public long NextEvent => 0;

        /// <summary>Cached from the enable register (read on every USART access).</summary>
        public bool UsartClockEnabled { get; private set; }

        public void EnableUsartClock()
        {
            _regs.Set(Base + _profile.UsartEnableOffset, _regs.Read(Base + _profile.UsartEnableOffset, 4) | _profile.UsartEnableBit);
            Refresh();
        }

        public void Reset()
        {
            _regs.Clear();
            foreach (var (offset, value) in _profile.RccAtGo) _regs.Set(Base + offset, value);
            Refresh();
        }

        public uint Read(uint offset, int size) => _regs.Read(Base + offset, size);

        public void Write(uint offset, int size, uint value)
        {
            _regs.Write(Base + offset, size, value);
            Refresh();
        }

        private void Refresh() => UsartClockEnabled = (_regs.Read(Base + _profile.UsartEnableOffset, 4) & _profile.UsartEnableBit) != 0;
    }
}
