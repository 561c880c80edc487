using Stm32.Protocol.Bootloader;
using Stm32.Protocol.Simulation;
using Stm32.Protocol.Transport;
using Xunit;

namespace Stm32.Protocol.Tests.Simulation
{
    /// <summary>Go hands the chip to <see cref="SimulatedChip.ProgramRunner"/>: the seam an emulated core plugs into.</summary>
    public class ProgramRunnerTests
    {
        private const uint Entry = 0x20000200;

        /// <summary>A program that echoes what it hears; 'R' asks for a system reset, 'B' jumps to system memory.</summary>
        private sealed class EchoProgram : IProgramRunner
        {
            private readonly bool _readWithStopToken;

            public EchoProgram(bool readWithStopToken = false) => _readWithStopToken = readWithStopToken;

            public uint? StartedAt { get; private set; }

            public volatile bool SawStop;

            public ProgramExit Run(ProgramStart start)
            {
                StartedAt = start.Address;
                var b = new byte[1];
                try
                {
                    while (!start.Stop.IsCancellationRequested)
                    {
                        var token = _readWithStopToken ? start.Stop : CancellationToken.None;
                        if (start.Link.Read(b, 0, 1, TimeSpan.FromMilliseconds(20), token) == 0) continue;
                        if (b[0] == (byte)'R') return ProgramExit.ResetRequested;
                        if (b[0] == (byte)'B') return ProgramExit.EnteredBootloader;
                        start.Link.Write(b, 0, 1);
                    }
                    SawStop = true;
                    return ProgramExit.Hangs;
                }
                catch (OperationCanceledException)
                {
                    SawStop = true;
                    throw;
                }
            }
        }

        private static void Go(ChipHarness h, uint address)
        {
            h.SendCommand(An3155.Go);
            h.ExpectAck();
            h.SendAddress(address);
            h.ExpectAck();
        }

        [Fact]
        public void The_program_owns_the_line_until_it_asks_for_a_reset()
        {
            using var h = new ChipHarness();
            var program = new EchoProgram();
            h.Chip.ProgramRunner = program;
            h.Sync();
            Go(h, Entry);
            h.WaitForState(ChipState.RunningApplication);
            Assert.Equal(Entry, program.StartedAt);
            h.Send(0x7F, 0x00, 0xFF);
            h.Expect(0x7F, 0x00, 0xFF); // the program answered, not the bootloader

            h.Send((byte)'R');
            h.WaitForState(ChipState.WaitingForSync);
            Assert.Equal(1, h.Chip.ResetCount);
            h.Sync();
            h.SendCommand(An3155.GetVersion);
            h.Expect(An3155.Ack, h.Chip.BootloaderVersion, 0x00, 0x00, An3155.Ack);
        }

        [Fact]
        public void A_jump_to_system_memory_restarts_the_bootloader_without_a_reset()
        {
            using var h = new ChipHarness();
            h.Chip.ProgramRunner = new EchoProgram();
            h.Sync();
            Go(h, ChipHarness.FlashBase);
            h.Send((byte)'B');
            h.WaitForState(ChipState.WaitingForSync);
            Assert.Equal(0, h.Chip.ResetCount);
            h.Sync();
        }

        [Theory]
        [InlineData(false)]
        [InlineData(true)] // the program's read throws OperationCanceledException at the reset
        public void A_reset_stops_the_program(bool readWithStopToken)
        {
            using var h = new ChipHarness();
            var program = new EchoProgram(readWithStopToken);
            h.Chip.ProgramRunner = program;
            h.Sync();
            Go(h, Entry);
            h.WaitForState(ChipState.RunningApplication);
            h.Send(0x55);
            h.Expect(0x55);

            h.Host.SetModemLine(ModemLine.Dtr, true); // RESET held
            var deadline = DateTime.UtcNow.AddSeconds(3);
            while (!program.SawStop && DateTime.UtcNow < deadline) Thread.Sleep(2);
            Assert.True(program.SawStop);
            h.Host.SetModemLine(ModemLine.Dtr, false);
            Assert.Equal(ChipState.WaitingForSync, h.Chip.State);
            h.Sync();
            Assert.True(h.Chip.IsServing);
        }

        [Fact]
        public void Without_a_program_the_chip_ignores_the_line_after_go()
        {
            using var h = new ChipHarness();
            h.Sync();
            Go(h, Entry);
            h.WaitForState(ChipState.RunningApplication);
            h.Send(0x55, An3155.Sync);
            h.ExpectSilence();
        }
    }
}
