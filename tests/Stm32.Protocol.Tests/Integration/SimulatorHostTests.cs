using System.IO.Ports;
using System.Net;
using Stm32.Protocol.Bootloader;
using Stm32.Protocol.Devices;
using Stm32.Protocol.Programming;
using Stm32.Protocol.Simulation;
using Stm32.Protocol.Transport;

namespace Stm32.Protocol.Tests.Integration;

/// <summary>The served simulator: our own client on TCP loopback and on a pty through System.IO.Ports.</summary>
public class SimulatorHostTests
{
    private static SimulatedChip NewChip(ushort pid) => new SimulatedChip(DeviceCatalog.Find(pid)!);

    [Fact]
    public void Serves_a_chip_on_tcp_loopback_one_client_after_another()
    {
        using var chip = NewChip(0x410);
        using var host = SimulatorHost.OnTcp(chip, IPAddress.Loopback, 0, 115200);
        Assert.StartsWith("tcp://127.0.0.1:", host.Endpoint);
        var port = int.Parse(host.Endpoint.Substring(host.Endpoint.LastIndexOf(':') + 1));

        using (var link = TcpLink.Connect("127.0.0.1", port, 115200, TimeSpan.FromSeconds(5)))
        using (var c = Stm32Connection.Open(link))
        {
            Assert.Equal(0x410, c.ProductId);
            Assert.False(link.SupportsModemLines);
            c.WriteBlock(0x08000000, new byte[] { 1, 2, 3, 4 }, 0, 4);
        }
        // The next client finds the chip as the last one left it: synchronised, flash written.
        Assert.True(SpinWait.SpinUntil(() => host.ClientsServed == 1, 2000));
        using (var link = TcpLink.Connect("127.0.0.1", port, 115200, TimeSpan.FromSeconds(5)))
        using (var c = Stm32Connection.Open(link))
        {
            Assert.Equal(SyncOutcome.AlreadySynchronized, c.LastSync);
            Assert.Equal(new byte[] { 1, 2, 3, 4 }, c.Read(0x08000000, 4));
        }
        Assert.True(SpinWait.SpinUntil(() => host.ClientsServed == 2, 2000));
    }

    private static int PortOf(SimulatorHost host) => int.Parse(host.Endpoint.Substring(host.Endpoint.LastIndexOf(':') + 1));

    [Fact]
    public void A_second_tcp_client_is_told_the_chip_is_busy_while_the_first_holds_it()
    {
        using var chip = NewChip(0x410);
        using var host = SimulatorHost.OnTcp(chip, IPAddress.Loopback, 0, 115200, TimeSpan.Zero);
        var port = PortOf(host);
        using var first = TcpLink.Connect("127.0.0.1", port, 115200, TimeSpan.FromSeconds(5));
        using var c = Stm32Connection.Open(first);
        // The first client is idle (and never dropped: no idle time). The second is turned away at
        // once, as a busy port, not left waiting for a sync answer that never comes.
        using (var second = TcpLink.Connect("127.0.0.1", port, 115200, TimeSpan.FromSeconds(5)))
        {
            var e = Assert.Throws<PortOpenException>(() => Stm32Connection.Open(second));
            Assert.Equal(PortOpenFailure.Busy, e.Failure);
        }
        Assert.Equal(1, host.ClientsRefused);
        // The first is still served.
        Assert.Equal(0x410, c.Client.GetId());
    }

    [Fact]
    public void An_idle_tcp_client_is_dropped_and_the_next_is_served()
    {
        using var chip = NewChip(0x410);
        using var host = SimulatorHost.OnTcp(chip, IPAddress.Loopback, 0, 115200, TimeSpan.FromMilliseconds(300));
        var port = PortOf(host);
        using var first = TcpLink.Connect("127.0.0.1", port, 115200, TimeSpan.FromSeconds(5));
        using (var c = Stm32Connection.Open(first))
        {
            Assert.True(SpinWait.SpinUntil(() => host.ClientsDropped == 1, 10_000), "the idle client was not dropped");
            Assert.ThrowsAny<IOException>(() => c.Client.GetId());
        }
        using var next = TcpLink.Connect("127.0.0.1", port, 115200, TimeSpan.FromSeconds(5));
        using var c2 = Stm32Connection.Open(next);
        Assert.Equal(0x410, c2.ProductId);
        Assert.Equal(0, host.ClientsRefused);
    }

    [Fact]
    public void A_client_waiting_for_a_slow_answer_is_not_idle()
    {
        // The chip stalls 800 ms before answering a command: it is busy, not waiting for the
        // client, so an idle time of 200 ms must not drop the client meanwhile.
        var options = new SimulatorOptions();
        using var chip = new SimulatedChip(DeviceCatalog.Find(0x410)!, options);
        using var host = SimulatorHost.OnTcp(chip, IPAddress.Loopback, 0, 115200, TimeSpan.FromMilliseconds(200));
        using var link = TcpLink.Connect("127.0.0.1", PortOf(host), 115200, TimeSpan.FromSeconds(5));
        using var c = Stm32Connection.Open(link);
        options.Faults.StallAfterCommand = TimeSpan.FromMilliseconds(800);
        options.Faults.StallCommandNumber = chip.CommandCount + 1;
        var client = new BootloaderClient(link, new BootloaderOptions { ReplyTimeout = TimeSpan.FromSeconds(5) });
        Assert.Equal(0x410, client.GetId());
        Assert.Equal(0, host.ClientsDropped);
    }

    [Fact]
    public void Clients_one_after_another_are_each_served_none_turned_away()
    {
        using var chip = NewChip(0x410);
        using var host = SimulatorHost.OnTcp(chip, IPAddress.Loopback, 0, 115200);
        var port = PortOf(host);
        for (int i = 0; i < 5; i++)
        {
            using var link = TcpLink.Connect("127.0.0.1", port, 115200, TimeSpan.FromSeconds(5));
            using var c = Stm32Connection.Open(link);
            Assert.Equal(0x410, c.ProductId);
        }
        Assert.Equal(0, host.ClientsRefused);
        Assert.Equal(5, host.ClientsServed);
    }

    [Fact]
    public void A_refused_tcp_connection_is_a_socket_error_not_a_wrapper()
    {
        using var chip = NewChip(0x410);
        var host = SimulatorHost.OnTcp(chip, IPAddress.Loopback, 0, 115200);
        var port = int.Parse(host.Endpoint.Substring(host.Endpoint.LastIndexOf(':') + 1));
        host.Dispose();
        Assert.Throws<System.Net.Sockets.SocketException>(() => TcpLink.Connect("127.0.0.1", port, 115200, TimeSpan.FromSeconds(5)));
    }

    [LinuxFact]
    public void Realistic_timing_on_a_pty_still_charges_11_bits_per_byte()
    {
        using var chip = new SimulatedChip(DeviceCatalog.Find(0x410)!, new SimulatorOptions { Timing = SimulatorTiming.Realistic });
        using var host = SimulatorHost.OnPseudoTerminal(chip, 19200);
        using var link = SerialPortLink.Open(host.Endpoint, 115200, Parity.None); // the pty itself has no rate
        using var c = Stm32Connection.Open(link, new Stm32.Protocol.Bootloader.BootloaderOptions { ReplyTimeout = TimeSpan.FromSeconds(3) });
        var clock = System.Diagnostics.Stopwatch.StartNew();
        c.Read(0x08000000, 1024);
        // 4 x (256 data + 1 ACK + 1 ACK + 1 ACK) bytes to the host at 11 bits / 19200 baud: at least 0.59 s.
        var floor = 4 * 256 * 11 / 19200.0;
        Assert.True(clock.Elapsed.TotalSeconds >= floor, $"{clock.Elapsed.TotalSeconds:0.000} s < {floor:0.000} s");
    }

    [LinuxFact]
    public void Serves_a_chip_on_a_pty_to_a_real_serial_port_8N1()
    {
        using var chip = NewChip(0x413);
        using var host = SimulatorHost.OnPseudoTerminal(chip, 115200);
        Assert.StartsWith("/dev/pts/", host.Endpoint);
        using var link = SerialPortLink.Open(host.Endpoint, 115200, Parity.None);
        using var c = Stm32Connection.Open(link, new Stm32.Protocol.Bootloader.BootloaderOptions { ReplyTimeout = TimeSpan.FromSeconds(3) });
        Assert.Equal(0x413, c.ProductId);
        Assert.True(c.HasExtendedErase);
    }
}
