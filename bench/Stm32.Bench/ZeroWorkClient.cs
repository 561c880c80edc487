namespace Stm32.Bench;

/// <summary>
/// The medium's floor for the connect rows (issue 7): a client that does no work at all. Its bytes
/// are fixed in advance (sync, Get, Get Version, Get ID: the exchange of the connect rows), it
/// opens the pty as stm32flash does (<see cref="PosixTtyLink"/>: open, termios, no flush), and it
/// waits for each answer in poll(2) and read(2) on the bare descriptor. (Spinning on a
/// non-blocking read instead was slower here: on 2 cores it keeps the kernel worker that moves the
/// pty's bytes, and the simulated chip's thread, off the CPU.) It checks
/// only the ACK/NACK bytes and reads Get's count byte to know how much follows. What it takes above
/// the protocol limit is what the pseudo-terminal and the simulated chip's thread cost per
/// answer, which no client that waits for each answer can avoid; the report sets the connect rows
/// against it. Bench-only: nothing here is the module's code.
/// </summary>
public static class ZeroWorkClient
{
    private const byte Ack = 0x79, Nack = 0x1F;

    public static string Connect(string pty, int baud, bool resume)
    {
        var buf = new byte[64];
        using var link = new PosixTtyLink(pty, baud);
        if (resume) Exchange(link, buf, new byte[] { 0x7F, 0x7F }, 1, Nack);
        else Exchange(link, buf, new byte[] { 0x7F }, 1, Ack);
        // Get: 79 N V codes(N) 79, i.e. 2 bytes, then N + 2.
        Exchange(link, buf, new byte[] { 0x00, 0xFF }, 2, Ack);
        ReadExactly(link, buf, 2, buf[1] + 2);
        if (buf[2 + buf[1] + 1] != Ack) throw new InvalidOperationException("Get: no closing ACK.");
        Exchange(link, buf, new byte[] { 0x01, 0xFE }, 5, Ack);   // 79 V O1 O2 79
        Exchange(link, buf, new byte[] { 0x02, 0xFD }, 5, Ack);   // 79 01 PH PL 79
        return $"PID 0x{buf[2] << 8 | buf[3]:X3}";
    }

    private static void Exchange(PosixTtyLink link, byte[] buf, byte[] send, int replyBytes, byte first)
    {
        link.Write(send, 0, send.Length);
        ReadExactly(link, buf, 0, replyBytes);
        if (buf[0] != first || (replyBytes > 2 && buf[replyBytes - 1] != Ack))
            throw new InvalidOperationException($"0x{send[0]:X2}: answer {BitConverter.ToString(buf, 0, replyBytes)}, expected 0x{first:X2} first and an ACK last.");
    }

    private static void ReadExactly(PosixTtyLink link, byte[] buf, int offset, int count)
    {
        int end = offset + count;
        while (offset < end)
        {
            int n = link.Read(buf, offset, end - offset, TimeSpan.FromSeconds(1), CancellationToken.None);   // the chip answers in microseconds
            if (n == 0) throw new TimeoutException($"{end - offset} byte(s) missing after 1 s.");
            offset += n;
        }
    }
}
