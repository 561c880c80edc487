using System.Diagnostics;
using Stm32.Protocol.Bootloader;
using Stm32.Protocol.Simulation;
using Stm32.Protocol.Transport;
using Xunit;

namespace Stm32.Protocol.Tests.Simulation
{
    public class TimingFaultsAndLinesTests
    {
        [Fact]
        public void Realistic_timing_charges_wire_time()
        {
            using var h = new ChipHarness(0x410, new SimulatorOptions { Timing = SimulatorTiming.Realistic }, baud: 9600);
            h.Sync();
            var watch = Stopwatch.StartNew();
            h.Read(ChipHarness.FlashBase, 256);
            watch.Stop();
            // 256 data bytes alone are 256 * 11 / 9600 = 0.293 s on the wire (lower bound only).
            Assert.True(watch.Elapsed.TotalSeconds >= 0.29, $"took {watch.Elapsed.TotalSeconds:F3} s");
        }

        [Fact]
        public void Realistic_timing_charges_received_bytes_too()
        {
            using var h = new ChipHarness(0x410, new SimulatorOptions { Timing = SimulatorTiming.Realistic }, baud: 9600);
            h.Sync();
            var watch = Stopwatch.StartNew();
            // 2 + 5 + 258 bytes from the host: the final ACK cannot come before 265 * 11 / 9600 = 0.304 s.
            Assert.Equal(An3155.Ack, h.Write(ChipHarness.FlashBase, new byte[256]));
            Assert.True(watch.Elapsed.TotalSeconds >= 0.29, $"took {watch.Elapsed.TotalSeconds:F3} s");
        }

        [Fact]
        public void Realistic_timing_charges_flash_time()
        {
            using var h = new ChipHarness(0x410, new SimulatorOptions { Timing = SimulatorTiming.Realistic }, baud: 1_000_000);
            h.Sync();
            var watch = Stopwatch.StartNew();
            h.SendCommand(An3155.Erase);
            h.ExpectAck();
            h.Send(0x04, 0, 1, 2, 3, 4, 0x04 ^ 1 ^ 2 ^ 3 ^ 4); // 5 pages x 20 ms
            h.ExpectAck();
            Assert.True(watch.Elapsed.TotalMilliseconds >= 100, $"took {watch.Elapsed.TotalMilliseconds:F0} ms");
        }

        private static string RunWithFaults(SimulatorFaults faults)
        {
            using var h = new ChipHarness(0x410, new SimulatorOptions { Faults = faults });
            h.Send(An3155.Sync);
            h.Receive(1); // may be corrupted too
            for (int i = 0; i < 20; i++)
            {
                h.SendCommand(An3155.GetVersion);
                h.Receive(5);
            }
            return string.Join(",", h.Chip.Trace.Select(t => t.ToString()));
        }

        [Fact]
        public void Corruption_is_deterministic_with_a_seed()
        {
            var a = RunWithFaults(new SimulatorFaults { Seed = 42, CorruptRateToHost = 0.2 });
            var b = RunWithFaults(new SimulatorFaults { Seed = 42, CorruptRateToHost = 0.2 });
            var c = RunWithFaults(new SimulatorFaults { Seed = 43, CorruptRateToHost = 0.2 });
            Assert.Equal(a, b);
            Assert.Contains("Corrupted", a);
            Assert.NotEqual(a, c);
        }

        [Fact]
        public void Nack_of_the_nth_command_happens_once()
        {
            using var h = new ChipHarness(0x410, new SimulatorOptions { Faults = { NackCommandNumber = 2 } });
            h.Sync();
            h.SendCommand(An3155.GetVersion);
            h.Receive(5);
            h.SendCommand(An3155.GetVersion);
            h.ExpectNack();
            h.SendCommand(An3155.GetVersion);
            h.Expect(0x79, 0x22, 0x00, 0x00, 0x79);
        }

        [Fact]
        public void Random_nacks_and_drops_follow_the_seed()
        {
            string Run()
            {
                using var h = new ChipHarness(0x410, new SimulatorOptions { Faults = { Seed = 7, RandomNackRate = 0.5 } });
                h.Sync();
                var replies = new List<byte>();
                for (int i = 0; i < 16; i++)
                {
                    h.SendCommand(An3155.GetId);
                    var first = h.Receive(1)[0];
                    replies.Add(first);
                    if (first == An3155.Ack) h.Receive(4);
                }
                return Stm32Exception.Hex(replies.ToArray());
            }
            var a = Run();
            Assert.Equal(a, Run());
            Assert.Contains("1F", a);
            Assert.Contains("79", a);

            using var d = new ChipHarness(0x410, new SimulatorOptions { Faults = { DropRateToDevice = 1.0 } });
            d.Send(An3155.Sync);
            d.ExpectSilence();
            Assert.Equal(TraceFault.Dropped, d.Chip.Trace.Single().Fault);
        }

        [Fact]
        public void Stall_and_reset_during_a_command()
        {
            using var h = new ChipHarness(0x410, new SimulatorOptions
            {
                Faults = { StallAfterCommand = TimeSpan.FromMilliseconds(200), StallCommandNumber = 1, ResetDuringCommandNumber = 2 },
            });
            h.Sync();
            var watch = Stopwatch.StartNew();
            h.SendCommand(An3155.GetVersion);
            h.Receive(5);
            Assert.True(watch.ElapsedMilliseconds >= 190);

            h.SendCommand(An3155.Get);
            h.ExpectAck();
            h.ExpectSilence();
            Assert.Equal(ChipState.WaitingForSync, h.Chip.State);
            Assert.Equal(1, h.Chip.ResetCount);
            h.Sync();
        }

        [Fact]
        public void Modem_lines_drive_reset_and_boot0()
        {
            using var h = new ChipHarness(0x410);
            var states = new List<ChipState>();
            h.Chip.StateChanged += s => { lock (states) states.Add(s); };
            h.Sync();

            // DTR asserted = RESET active: the chip does nothing.
            h.Host.SetModemLine(ModemLine.Dtr, true);
            Assert.Equal(ChipState.HeldInReset, h.Chip.State);
            h.Send(An3155.Sync);
            h.ExpectSilence();
            h.Host.SetModemLine(ModemLine.Dtr, false);
            Assert.Equal(ChipState.WaitingForSync, h.Chip.State);
            Assert.Equal(1, h.Chip.ResetCount);
            h.Sync();

            // RTS asserted = BOOT0 low: a reset pulse boots the "user program".
            h.Host.SetModemLine(ModemLine.Rts, true);
            Assert.False(h.Chip.Boot0);
            h.Host.SetModemLine(ModemLine.Dtr, true);
            h.Host.SetModemLine(ModemLine.Dtr, false);
            Assert.Equal(ChipState.RunningApplication, h.Chip.State);
            h.Send(An3155.Sync);
            h.ExpectSilence();

            // BOOT0 high again and a reset pulse: back in the bootloader.
            h.Host.SetModemLine(ModemLine.Rts, false);
            h.Host.SetModemLine(ModemLine.Dtr, true);
            h.Host.SetModemLine(ModemLine.Dtr, false);
            h.Sync();
            Assert.Equal(3, h.Chip.ResetCount);
            lock (states) Assert.Contains(ChipState.HeldInReset, states);
        }

        [Fact]
        public void Inverted_wiring()
        {
            var pair = new InMemoryLinkPair("sim", 115200);
            using var chip = new SimulatedChip(Stm32.Protocol.Devices.DeviceCatalog.Find(0x410)!);
            // RTS drives RESET, active when released; DTR drives BOOT0, high when asserted.
            chip.WireModemLines(pair.HostLines, new ModemWiring
            {
                ResetLine = ModemLine.Rts, ResetActiveWhenAsserted = false, Boot0Line = ModemLine.Dtr, Boot0HighWhenAsserted = true,
            });
            Assert.Equal(ChipState.HeldInReset, chip.State);
            Assert.False(chip.Boot0);
            pair.Host.SetModemLine(ModemLine.Dtr, true);
            pair.Host.SetModemLine(ModemLine.Rts, true);
            Assert.Equal(ChipState.WaitingForSync, chip.State);
            pair.Host.Dispose();
        }

        [Fact]
        public void Detach_stops_serving_and_closing_the_link_ends_the_thread()
        {
            var pair = new InMemoryLinkPair("sim", 115200);
            var chip = new SimulatedChip(Stm32.Protocol.Devices.DeviceCatalog.Find(0x410)!);
            chip.Attach(pair.Device);
            Assert.Throws<InvalidOperationException>(() => chip.Attach(pair.Device));
            chip.Detach();
            pair.Host.Write(new[] { An3155.Sync }, 0, 1);
            Assert.Equal(0, pair.Host.Read(new byte[1], 0, 1, TimeSpan.FromMilliseconds(100), CancellationToken.None));
            chip.Attach(pair.Device); // serving again picks up the pending 0x7F
            Assert.Equal(1, pair.Host.Read(new byte[1], 0, 1, TimeSpan.FromSeconds(2), CancellationToken.None));
            pair.Host.Dispose();
            Thread.Sleep(150);
            chip.Attach(new InMemoryLinkPair("other", 115200).Device); // the old thread ended with the link
            chip.Dispose();
        }
    }
}
