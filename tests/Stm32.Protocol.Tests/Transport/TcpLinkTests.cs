using System.Net;
using System.Net.Sockets;
using Stm32.Protocol.Transport;

namespace Stm32.Protocol.Tests.Transport;

public class TcpLinkTests
{
    [Fact]
    public void A_write_to_a_server_that_never_reads_fails_instead_of_blocking()
    {
        // A stalled serial server: it accepts the connection and never reads. Once its receive
        // buffer and our send buffer are full, the write must give up with the link's IOException.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Server.ReceiveBufferSize = 4096; // accepted sockets inherit it: fills sooner
        listener.Start();
        try
        {
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            using var link = TcpLink.Connect("127.0.0.1", port, 115200, TimeSpan.FromSeconds(5));
            using var server = listener.AcceptSocket();
            Assert.Equal(TcpLink.DefaultWriteTimeout, link.WriteTimeout);
            link.WriteTimeout = TimeSpan.FromMilliseconds(200);

            Exception? outcome = null;
            long written = 0;
            var writer = new Thread(() =>
            {
                var block = new byte[64 * 1024];
                try
                {
                    // 256 MiB at most: far more than any loopback socket buffers hold.
                    for (int i = 0; i < 4096; i++)
                    {
                        link.Write(block, 0, block.Length);
                        written += block.Length;
                    }
                }
                catch (Exception e)
                {
                    outcome = e;
                }
            }) { IsBackground = true };
            writer.Start();
            // A hang guard, not a speed claim: the write gives up 200 ms after the buffers fill.
            var ended = writer.Join(TimeSpan.FromMinutes(2));
            if (!ended) link.Dispose();
            Assert.True(ended, "the write never gave up");
            var e = Assert.IsType<IOException>(outcome);
            Assert.Contains("took no data for 0.2 s", e.Message);
            Assert.Contains(link.Name, e.Message);
            Assert.True(written > 0, "the first blocks fit in the buffers");
        }
        finally
        {
            listener.Stop();
        }
    }

    [Fact]
    public void The_write_timeout_round_trips_and_zero_means_no_limit()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            using var link = TcpLink.Connect("127.0.0.1", ((IPEndPoint)listener.LocalEndpoint).Port, 115200, TimeSpan.FromSeconds(5));
            link.WriteTimeout = TimeSpan.FromSeconds(1.5);
            Assert.Equal(TimeSpan.FromSeconds(1.5), link.WriteTimeout);
            link.WriteTimeout = TimeSpan.Zero;
            Assert.Equal(TimeSpan.Zero, link.WriteTimeout);
        }
        finally
        {
            listener.Stop();
        }
    }

    [Fact]
    public void A_server_that_closes_before_sending_anything_is_a_busy_port()
    {
        // A one-client server (the served simulator, ser2net) turns the next client away by
        // accepting and closing at once: that is "busy", not "the bootloader did not answer".
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            using var link = TcpLink.Connect("127.0.0.1", port, 115200, TimeSpan.FromSeconds(5));
            listener.AcceptSocket().Dispose();
            var e = Assert.Throws<PortOpenException>(() => link.Read(new byte[1], 0, 1, TimeSpan.FromSeconds(5), default));
            Assert.Equal(PortOpenFailure.Busy, e.Failure);
            Assert.Contains("one client at a time", e.Message);
            Assert.True(link.PeerClosed);
        }
        finally
        {
            listener.Stop();
        }
    }

    [Fact]
    public void A_server_that_closes_after_answering_is_a_closed_link_not_a_busy_one()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            using var link = TcpLink.Connect("127.0.0.1", port, 115200, TimeSpan.FromSeconds(5));
            using (var server = listener.AcceptSocket())
            {
                server.Send(new byte[] { 0x79 });
                Assert.False(link.PeerClosed);
            }
            var one = new byte[1];
            Assert.Equal(1, link.Read(one, 0, 1, TimeSpan.FromSeconds(5), default));
            var e = Assert.ThrowsAny<IOException>(() => link.Read(one, 0, 1, TimeSpan.FromSeconds(5), default));
            Assert.IsNotType<PortOpenException>(e);
            Assert.Contains("closed the connection", e.Message);
        }
        finally
        {
            listener.Stop();
        }
    }

    [Fact]
    public void Dispose_during_a_read_ends_the_read_with_ObjectDisposedException()
    {
        // The simulated chip's serving thread reads while the session that owns the link closes
        // it: the read must end as the link's contract says, never with a NullReferenceException
        // (which, on a thread of its own, ends the whole process).
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            var link = TcpLink.Connect("127.0.0.1", port, 115200, TimeSpan.FromSeconds(5));
            using var server = listener.AcceptSocket();
            server.Send(new byte[] { 0x79 });
            var buffer = new byte[16];
            Assert.Equal(1, link.Read(buffer, 0, buffer.Length, TimeSpan.FromSeconds(5), CancellationToken.None));

            Exception? outcome = null;
            var reader = new Thread(() =>
            {
                try
                {
                    while (true) link.Read(buffer, 0, buffer.Length, TimeSpan.FromMilliseconds(20), CancellationToken.None);
                }
                catch (Exception e)
                {
                    outcome = e;
                }
            }) { IsBackground = true };
            reader.Start();
            Thread.Sleep(100);
            link.Dispose();
            Assert.True(reader.Join(TimeSpan.FromSeconds(30)), "the read did not end after Dispose");
            Assert.IsType<ObjectDisposedException>(outcome);
            Assert.Throws<ObjectDisposedException>(() => link.DiscardInput());
        }
        finally
        {
            listener.Stop();
        }
    }
}
