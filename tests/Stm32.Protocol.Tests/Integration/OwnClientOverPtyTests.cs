using System.IO.Ports;
using Stm32.Protocol.Bootloader;
using Stm32.Protocol.Devices;
using Stm32.Protocol.Firmware;
using Stm32.Protocol.Programming;
using Stm32.Protocol.Simulation;
using Stm32.Protocol.Transport;

namespace Stm32.Protocol.Tests.Integration;

/// <summary>
/// The operations of <see cref="Stm32FlashInteropTests"/>, done by our own client over a real
/// System.IO.Ports SerialPort (SerialPortLink, 8N1) on the pty the simulator serves.
/// </summary>
[Trait("Category", "Interop")]
public class OwnClientOverPtyTests
{
    internal sealed class Served : IDisposable
    {
        public Served(ushort pid)
        {
            Chip = new SimulatedChip(DeviceCatalog.Find(pid)!);
            Host = SimulatorHost.OnPseudoTerminal(Chip, 115200);
        }

        public SimulatedChip Chip { get; }
        public SimulatorHost Host { get; }

        public Stm32Connection Connect(out SerialPortLink link)
        {
            link = SerialPortLink.Open(Host.Endpoint, 115200, Parity.None);
            return Stm32Connection.Open(link, new BootloaderOptions { ReplyTimeout = TimeSpan.FromSeconds(3) }); // generous: loaded CI machines
        }

        public void Dispose()
        {
            Host.Dispose();
            Chip.Dispose();
        }
    }

    [LinuxTheory]
    [InlineData(0x410, "2.2")]
    [InlineData(0x413, "3.1")]
    public void Identifies_the_part(int pid, string version)
    {
        using var s = new Served((ushort)pid);
        using var c = s.Connect(out var link);
        Assert.Equal(pid, c.ProductId);
        Assert.Equal(version, c.BootloaderVersionText);
        Assert.Equal(pid == 0x413, c.HasExtendedErase);
    }

    [LinuxTheory]
    [InlineData(0x410)] // Erase 0x43
    [InlineData(0x413)] // Extended Erase 0x44
    public void Writes_verifies_and_reads_back_64_KiB_then_again_without_a_reset(int pid)
    {
        using var s = new Served((ushort)pid);
        var data = new byte[64 * 1024];
        new Random(pid).NextBytes(data);
        using (var c = s.Connect(out _))
        {
            var outcome = FlashProgrammer.Write(c, FirmwareImage.FromBytes(0x08000000, data), new WriteOptions { Verify = true });
            Assert.True(outcome.Verified);
            Assert.Equal(256, outcome.BlocksWritten);
            Assert.Equal(data, s.Chip.Peek(0x08000000, data.Length));
        }
        // A second client, no reset in between: the chip is still synchronised.
        using (var c = s.Connect(out _))
        {
            Assert.Equal(SyncOutcome.AlreadySynchronized, c.LastSync);
            Assert.Equal(data, c.Read(0x08000000, data.Length));
        }
    }

    [LinuxFact]
    public void Go_starts_the_program()
    {
        using var s = new Served(0x410);
        using var c = s.Connect(out _);
        c.Go(0x08000000);
        Assert.True(SpinWait.SpinUntil(() => s.Chip.State == ChipState.RunningApplication, 2000));
    }
}
