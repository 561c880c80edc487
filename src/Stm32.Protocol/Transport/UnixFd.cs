using System;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;

namespace Stm32.Protocol.Transport
{
    /// <summary>
    /// poll/read/write on a file descriptor (Linux, macOS): a serial port's, whose handle
    /// System.IO.Ports owns, or a pseudo-terminal's, owned by <see cref="OwnedFd"/>.
    /// <para>The descriptor is always reached through its SafeHandle, and every system call
    /// (each poll slice, each read or write) holds a reference on it (DangerousAddRef) for its
    /// duration. A Dispose on another thread drops only the handle's own reference: the
    /// descriptor is closed when the last call using it lets go, so a poll or read never runs on
    /// a number the kernel has closed (or already given to another file), and every call from
    /// then on throws ObjectDisposedException.</para>
    /// </summary>
    internal static class UnixFd
    {
        private const short POLLIN = 0x1, POLLOUT = 0x4, POLLERR = 0x8, POLLHUP = 0x10, POLLNVAL = 0x20;
        private const int EINTR = 4, EIO = 5, EAGAIN = 11, EAGAIN_MAC = 35;
        private const int TCIFLUSH = 0;

        /// <summary>The handle of the descriptor behind System.IO.Ports' Unix SerialStream, or null.</summary>
        public static SafeHandle? HandleOf(Stream stream)
        {
            try
            {
                var field = stream.GetType().GetField("_handle", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance);
                if (field?.GetValue(stream) is SafeHandle h && !h.IsInvalid && !h.IsClosed)
                {
                    var fd = h.DangerousGetHandle().ToInt64();
                    return fd >= 0 && fd < int.MaxValue ? h : null;
                }
            }
            catch (Exception e) when (e is MemberAccessException || e is System.Reflection.TargetException || e is DllNotFoundException)
            {
            }
            return null;
        }

        /// <summary>
        /// Reads at least one byte, or returns 0 after <paramref name="timeout"/>. Polls in slices
        /// of at most 50 ms so a cancellation is seen quickly; the kernel keeps whatever arrives
        /// between slices, so nothing is lost at a slice boundary. <paramref name="hangupIsQuiet"/>:
        /// a hang-up (or EIO, or end of file) means "no data yet" instead of "the device went away"
        /// (a pty master whose client closed its end).
        /// </summary>
        public static int Read(SafeHandle handle, byte[] buffer, int offset, int count, TimeSpan timeout, CancellationToken ct, string name, bool hangupIsQuiet = false)
        {
            var deadline = Deadline.After(timeout);
            while (true)
            {
                ct.ThrowIfCancellationRequested();
                var left = deadline.Remaining;
                if (left <= TimeSpan.Zero) return 0;
                using (var fd = Lease.Take(handle, name))
                {
                    var pfd = new PollFd { fd = fd.Number, events = POLLIN };
                    var r = poll(ref pfd, 1, (int)Math.Max(1, Math.Min(50, Math.Ceiling(left.TotalMilliseconds))));
                    if (r < 0)
                    {
                        if (Marshal.GetLastWin32Error() == EINTR) continue;
                        throw new IOException($"{name}: poll failed (errno {Marshal.GetLastWin32Error()}).");
                    }
                    if (r == 0) continue;
                    if ((pfd.revents & (POLLERR | POLLHUP | POLLNVAL)) != 0 && (pfd.revents & POLLIN) == 0)
                    {
                        if (!hangupIsQuiet) throw new IOException($"{name}: the port went away (unplugged?).");
                    }
                    else
                    {
                        var n = read(fd.Number, ref buffer[offset], (IntPtr)count).ToInt64();
                        if (n > 0) return (int)n;
                        if (n == 0 && !hangupIsQuiet) throw new IOException($"{name}: the port went away (end of file).");
                        // End of file on a hang-up-tolerant descriptor counts as its EIO: quiet.
                        var err = n < 0 ? Marshal.GetLastWin32Error() : EIO;
                        if (err == EINTR || err == EAGAIN || err == EAGAIN_MAC) continue;
                        if (err != EIO || !hangupIsQuiet) throw new IOException($"{name}: read failed (errno {err}).");
                    }
                }
                // A quiet hang-up: no data, and poll would answer at once again, so don't spin.
                Thread.Sleep(5);
            }
        }

        /// <summary>
        /// Writes all the bytes; when the output queue is full, waits until the driver takes more.
        /// With a positive <paramref name="stallTimeout"/>, a queue that takes nothing for that long
        /// (an adapter whose output stopped draining) fails the write with an IOException instead of
        /// waiting for ever; zero or negative waits for ever (a pty master whose client is slow).
        /// </summary>
        public static void WriteAll(SafeHandle handle, byte[] buffer, int offset, int count, string name, TimeSpan stallTimeout = default)
        {
            var stalled = stallTimeout > TimeSpan.Zero ? Deadline.After(stallTimeout) : (Deadline?)null;
            while (count > 0)
            {
                using var fd = Lease.Take(handle, name);
                var n = write(fd.Number, ref buffer[offset], (IntPtr)count).ToInt64();
                if (n > 0)
                {
                    offset += (int)n;
                    count -= (int)n;
                    if (stalled.HasValue) stalled = Deadline.After(stallTimeout);
                    continue;
                }
                var err = Marshal.GetLastWin32Error();
                if (err == EINTR) continue;
                if (err == EAGAIN || err == EAGAIN_MAC)
                {
                    if (stalled?.HasPassed == true)
                        throw new IOException(string.Format(CultureInfo.InvariantCulture,
                            "{0}: the port took no data for {1:0.###} s with {2} byte(s) still to send (its output is not draining: a stalled adapter or driver, or flow control holding it).",
                            name, stallTimeout.TotalSeconds, count));
                    var pfd = new PollFd { fd = fd.Number, events = POLLOUT };
                    poll(ref pfd, 1, stalled.HasValue ? (int)Math.Max(1, Math.Min(100, Math.Ceiling(stalled.Value.Remaining.TotalMilliseconds))) : 100);
                    continue;
                }
                throw new IOException($"{name}: write failed (errno {err}).");
            }
        }

        /// <summary>Drops the input the terminal holds (tcflush TCIFLUSH); nothing once the handle is closed.</summary>
        public static void DiscardInput(SafeHandle handle)
        {
            if (!Lease.TryTake(handle, out var fd)) return;
            using (fd) tcflush(fd.Number, TCIFLUSH);
        }

        /// <summary>A reference on a handle for the length of one system call.</summary>
        internal readonly struct Lease : IDisposable
        {
            private readonly SafeHandle _handle;

            private Lease(SafeHandle handle)
            {
                _handle = handle;
                Number = (int)handle.DangerousGetHandle().ToInt64();
            }

            public int Number { get; }

            public static Lease Take(SafeHandle handle, string name)
                => TryTake(handle, out var lease) ? lease : throw new ObjectDisposedException(name);

            public static bool TryTake(SafeHandle handle, out Lease lease)
            {
                bool added = false;
                try
                {
                    handle.DangerousAddRef(ref added);
                }
                catch (ObjectDisposedException)
                {
                }
                lease = added ? new Lease(handle) : default;
                return added;
            }

            public void Dispose() => _handle?.DangerousRelease();
        }

        /// <summary>A descriptor this code opened itself; closed when the last call using it ends.</summary>
        internal sealed class OwnedFd : SafeHandle
        {
            public OwnedFd(int fd) : base(new IntPtr(-1), ownsHandle: true) => SetHandle(new IntPtr(fd));

            public override bool IsInvalid => handle.ToInt64() < 0;

            protected override bool ReleaseHandle() => close((int)handle.ToInt64()) == 0;
        }

        [StructLayout(LayoutKind.Sequential)]
        private struct PollFd
        {
            public int fd;
            public short events;
            public short revents;
        }

        [DllImport("libc", SetLastError = true)] private static extern int poll(ref PollFd fds, uint nfds, int timeout);
        [DllImport("libc", SetLastError = true)] private static extern IntPtr read(int fd, ref byte buf, IntPtr count);
        [DllImport("libc", SetLastError = true)] private static extern IntPtr write(int fd, ref byte buf, IntPtr count);
        [DllImport("libc", SetLastError = true)] private static extern int close(int fd);
        [DllImport("libc", SetLastError = true)] private static extern int tcflush(int fd, int queue);
    }
}
