using System;
using System.Threading;

namespace Stm32.Protocol.Simulation
{
    /// <summary>
    /// Counts the chip's resets. The serving thread notes the count before each step (a sync byte,
    /// a command); whatever it then waits on checks the count and unwinds with
    /// <see cref="ChipResetException"/> once a reset has happened, as a reset stops a real chip mid-command.
    /// </summary>
    internal sealed class ResetEpoch
    {
        private int _count;
        private int _serving;

        public int Current => Volatile.Read(ref _count);

        /// <summary>A reset happened (called under the chip's gate).</summary>
        public void Advance() => Interlocked.Increment(ref _count);

        /// <summary>The serving thread starts a step under the current count (under the chip's gate, with the state it reads).</summary>
        public void BeginStep() => _serving = Current;

        /// <summary>True when the chip was reset since the serving thread began its step.</summary>
        public bool HasMoved => Current != _serving;

        public void Check()
        {
            if (HasMoved) throw new ChipResetException();
        }
    }

    /// <summary>Unwinds the serving thread's step when the chip resets under it.</summary>
    internal sealed class ChipResetException : Exception
    {
    }
}
