using System.Threading;
using Stm32.Protocol.Devices;
using Stm32.Protocol.Transport;

namespace Stm32.Protocol.Simulation
{
    /// <summary>
    /// What runs when Go hands the chip to a program. Without a runner the chip runs nothing: it
    /// ignores the line until a reset, like an application that never speaks on it. An emulated
    /// core plugs in here (<see cref="SimulatedChip.ProgramRunner"/>).
    /// </summary>
    internal interface IProgramRunner
    {
        /// <summary>
        /// Runs the program on the serving thread, with the chip's link, until it ends or
        /// <see cref="ProgramStart.Stop"/> is cancelled (the chip was reset or detached).
        /// </summary>
        ProgramExit Run(ProgramStart start);
    }

    /// <summary>How a program gave the chip back.</summary>
    internal enum ProgramExit
    {
        /// <summary>It stopped using the line (faulted, or hangs): the chip ignores bytes until a reset.</summary>
        Hangs,

        /// <summary>It asked for a system reset: option bytes load, BOOT0 is sampled.</summary>
        ResetRequested,

        /// <summary>It jumped into system memory: the bootloader starts again and waits for a sync.</summary>
        EnteredBootloader,
    }

    /// <summary>What a program started by Go is given.</summary>
    internal sealed class ProgramStart
    {
        public ProgramStart(uint address, DeviceInfo device, IByteLink link, ChipMemory memory, FlashModel flash, object gate, CancellationToken stop)
        {
            Address = address;
            Device = device;
            Link = link;
            Memory = memory;
            Flash = flash;
            Gate = gate;
            Stop = stop;
        }

        /// <summary>Go's address (flash or usable RAM).</summary>
        public uint Address { get; }

        public DeviceInfo Device { get; }

        /// <summary>The chip's end of the line: the program's USART.</summary>
        public IByteLink Link { get; }

        /// <summary>The chip's arrays: what the program changes, the bootloader reads afterwards.</summary>
        public ChipMemory Memory { get; }

        /// <summary>The flash rules (write protection, timings) a modelled flash controller follows.</summary>
        public FlashModel Flash { get; }

        /// <summary>The chip's gate: hold it while changing memory the back door may read.</summary>
        public object Gate { get; }

        /// <summary>Cancelled when the chip is reset or detached: the program stops there.</summary>
        public CancellationToken Stop { get; }
    }
}
