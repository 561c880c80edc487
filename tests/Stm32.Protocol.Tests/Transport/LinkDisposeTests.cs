using System.IO.Ports;
using System.Runtime.InteropServices;
using Stm32.Protocol.Transport;

namespace Stm32.Protocol.Tests.Transport;

/// <summary>Dispose from another thread while a read is in progress (Ctrl+C, a session closed from elsewhere).</summary>
[Trait("Category", "Pty")]
public class LinkDisposeTests
{
    [LinuxFact]
    public void A_descriptor_in_use_is_closed_only_when_the_call_lets_go()
    {
        var fds = new int[2];
        Assert.Equal(0, pipe(fds));
        using var writeEnd = new UnixFd.OwnedFd(fds[1]);
        var handle = new UnixFd.OwnedFd(fds[0]);
        var before = Target(fds[0]);
        Assert.StartsWith("pipe:", before);

        var lease = UnixFd.Lease.Take(handle, "pipe");
        Assert.Equal(fds[0], lease.Number);
        handle.Dispose();                               // another thread's Dispose, mid-call
        Assert.False(handle.IsClosed);
        Assert.Equal(before, Target(fds[0]));           // still our pipe: the call keeps using it safely

        lease.Dispose();                                // the call ends: now the descriptor closes
        Assert.True(handle.IsClosed);
        Assert.NotEqual(before, Target(fds[0]));        // gone (or the number already reused by something else)
        Assert.Throws<ObjectDisposedException>(() => UnixFd.Read(handle, new byte[1], 0, 1, TimeSpan.FromSeconds(1), default, "pipe"));
        Assert.Throws<ObjectDisposedException>(() => UnixFd.WriteAll(handle, new byte[1], 0, 1, "pipe"));
    }

    [LinuxFact]
    public void Disposing_a_serial_link_during_a_read_ends_the_read_with_ObjectDisposedException()
    {
        using var pty = new PseudoTerminalLink();
        var link = SerialPortLink.Open(pty.SlavePath, 115200, Parity.None);
        var outcome = ReadOnAnotherThreadWhile(link, link.Dispose);
        Assert.IsType<ObjectDisposedException>(outcome);
        Assert.Throws<ObjectDisposedException>(() => link.Read(new byte[1], 0, 1, TimeSpan.FromSeconds(1), default));
        Assert.Throws<ObjectDisposedException>(() => link.Write(new byte[] { 0x7F }, 0, 1));
    }

    [LinuxFact]
    public void A_serial_write_whose_output_stops_draining_fails_after_the_write_timeout()
    {
        // Nobody reads the other end: the pty's queue fills, as an adapter's does when its output stalls.
        using var pty = new PseudoTerminalLink();
        using var link = SerialPortLink.Open(pty.SlavePath, 115200, Parity.None);
        Assert.Equal(TimeSpan.FromSeconds(2), link.WriteTimeout);
        link.WriteTimeout = TimeSpan.FromMilliseconds(300);
        var started = System.Diagnostics.Stopwatch.StartNew();
        var e = Assert.Throws<IOException>(() => link.Write(new byte[4 << 20], 0, 4 << 20));
        Assert.Contains("took no data for 0.3 s", e.Message);
        Assert.Contains(pty.SlavePath, e.Message);
        Assert.InRange(started.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(30));
    }

    [LinuxFact]
    public void Disposing_a_pty_link_during_a_read_ends_the_read_with_ObjectDisposedException()
    {
        var pty = new PseudoTerminalLink();
        var outcome = ReadOnAnotherThreadWhile(pty, pty.Dispose);
        Assert.IsType<ObjectDisposedException>(outcome);
        Assert.Throws<ObjectDisposedException>(() => pty.Read(new byte[1], 0, 1, TimeSpan.FromSeconds(1), default));
        Assert.Throws<ObjectDisposedException>(() => pty.Write(new byte[] { 0x79 }, 0, 1));
        pty.DiscardInput(); // nothing to drop, no error
    }

    [LinuxFact]
    public void Disposing_a_pty_link_ends_a_write_that_waits_for_a_client_that_does_not_read()
    {
        // Nobody reads the slave end: the kernel's buffer fills and the write waits for room.
        var pty = new PseudoTerminalLink();
        Exception? outcome = null;
        var writing = new ManualResetEventSlim();
        var writer = new Thread(() =>
        {
            try
            {
                var block = new byte[4096];
                writing.Set();
                for (int i = 0; i < 4096; i++) pty.Write(block, 0, block.Length); // 16 MiB: far more than a pty buffers
            }
            catch (Exception e)
            {
                outcome = e;
            }
        }) { IsBackground = true };
        writer.Start();
        writing.Wait();
        Thread.Sleep(200); // most likely waiting for room by now; the assertions hold either way
        pty.Dispose();
        // A hang guard, not a speed claim: the write ends within one 100 ms poll slice.
        Assert.True(writer.Join(TimeSpan.FromMinutes(2)), "the write never ended");
        Assert.IsType<ObjectDisposedException>(outcome);
    }

    /// <summary>
    /// Starts a 30 s read on another thread, runs <paramref name="action"/> while it waits and
    /// returns how the read ended: its exception, or null when it returned (timeout or data).
    /// </summary>
    private static Exception? ReadOnAnotherThreadWhile(IByteLink link, Action action)
    {
        Exception? outcome = null;
        using var started = new ManualResetEventSlim();
        var reader = new Thread(() =>
        {
            started.Set();
            try
            {
                link.Read(new byte[1], 0, 1, TimeSpan.FromSeconds(30), default);
            }
            catch (Exception e)
            {
                outcome = e;
            }
        }) { IsBackground = true };
        reader.Start();
        started.Wait();
        Thread.Sleep(100); // most likely inside poll by now; the assertions hold either way
        action();
        reader.Join();
        return outcome;
    }

    private static string Target(int fd)
    {
        try
        {
            return new FileInfo($"/proc/self/fd/{fd}").LinkTarget ?? "";
        }
        catch (IOException)
        {
            return "";
        }
    }

    [DllImport("libc", SetLastError = true)] private static extern int pipe(int[] fds);
}
