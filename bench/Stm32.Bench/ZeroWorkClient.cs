using Stm32.Protocol.Transport;

namespace Stm32.Bench;

/// <summary>
/// The medium's floor (issue 7): a client that does no work at all. Before a row's timed rounds
/// our client runs it once, untimed, on a fresh chip, through a <see cref="RecordingLink"/> that
/// notes every write, every read and every input flush in the order our client made them; that
/// becomes a script: each run of bytes our client wrote, then exactly the bytes it read before it
/// wrote again. The zero-work client replays the script: it opens the pty as stm32flash does
/// (<see cref="PosixTtyLink"/>: open, termios, no flush), flushes where our client flushed, writes
/// each run of bytes and waits for exactly as many bytes as our client read then, in poll(2) and
/// read(2) on the bare descriptor (a span compare is all it does with them; the chip is
/// deterministic, so any difference is an error). No parsing, no memory map, no file, no CRC.
/// Recorded on our side, the script keeps whatever overlap our client had: had it written while
/// the chip was still answering, the replay would too. (Spinning on a non-blocking read instead
/// of poll was slower here: on 2 cores it keeps the kernel worker that moves the pty's bytes,
/// and the simulated chip's thread, off the CPU.)
/// What it takes above the protocol limit is what the pseudo-terminal and the simulated chip's
/// thread cost per answer, which no client that waits for each answer can avoid, for the very
/// bytes our client chose to send (the wire-bytes column shows that choice against the model's).
/// Bench-only: nothing here is the module's code.
/// </summary>
public static class ZeroWorkClient
{
    /// <summary>Flush the input first (where our client did), write <see cref="Send"/>, then read exactly <see cref="Expect"/>.</summary>
    public sealed record Step(bool DiscardFirst, byte[] Send, byte[] Expect);

    /// <summary>The steps of one recorded session: a write after a read, or a flush, starts the next.</summary>
    public static IReadOnlyList<Step> Script(IReadOnlyList<RecordingLink.Op> ops)
    {
        var steps = new List<Step>();
        bool discard = false;
        var send = new List<byte>();
        var expect = new List<byte>();
        void Close()
        {
            if (discard || send.Count > 0 || expect.Count > 0) steps.Add(new Step(discard, send.ToArray(), expect.ToArray()));
            discard = false;
            send.Clear();
            expect.Clear();
        }
        foreach (var op in ops)
        {
            switch (op.Kind)
            {
                case RecordingLink.OpKind.Discard:
                    Close();
                    discard = true;
                    break;
                case RecordingLink.OpKind.Write:
                    if (expect.Count > 0) Close();
                    send.AddRange(op.Bytes);
                    break;
                default:
                    expect.AddRange(op.Bytes);
                    break;
            }
        }
        Close();
        if (steps.Count == 0) throw new InvalidOperationException("Nothing to replay: the recorded session moved no byte.");
        return steps;
    }

    /// <summary>Replays <paramref name="script"/> on the pty; throws at the first answer that is not the recorded one.</summary>
    public static string Replay(string pty, int baud, IReadOnlyList<Step> script)
    {
        var buf = new byte[Math.Max(1, script.Max(s => s.Expect.Length))];
        using (var link = new PosixTtyLink(pty, baud))
        {
            for (int k = 0; k < script.Count; k++)
            {
                var step = script[k];
                if (step.DiscardFirst) link.DiscardInput();
                if (step.Send.Length > 0) link.Write(step.Send, 0, step.Send.Length);
                int got = 0, want = step.Expect.Length;
                while (got < want)
                {
                    // Generous: an answer can wait for a mass erase.
                    int n = link.Read(buf, got, want - got, TimeSpan.FromSeconds(5), CancellationToken.None);
                    if (n == 0) throw new TimeoutException($"Step {k + 1} of {script.Count}: {want - got} of {want} byte(s) missing after 5 s.");
                    got += n;
                }
                if (!buf.AsSpan(0, want).SequenceEqual(step.Expect))
                    throw new InvalidOperationException($"Step {k + 1} of {script.Count}: the chip answered {Convert.ToHexString(buf, 0, Math.Min(want, 16))}…, the recording {Convert.ToHexString(step.Expect, 0, Math.Min(want, 16))}….");
            }
        }
        return $"{script.Count} steps replayed";
    }
}

/// <summary>Our client's link, noting what it wrote, read and flushed, in order (for <see cref="ZeroWorkClient.Script"/>).</summary>
public sealed class RecordingLink : IByteLink
{
    public enum OpKind { Write, Read, Discard }

    public sealed record Op(OpKind Kind, byte[] Bytes);

    private readonly IByteLink _inner;
    private readonly List<Op> _ops = new();

    public RecordingLink(IByteLink inner) => _inner = inner;

    public IReadOnlyList<Op> Ops => _ops;
    public string Name => _inner.Name;
    public int BaudRate => _inner.BaudRate;
    public bool SupportsModemLines => _inner.SupportsModemLines;

    public void Write(byte[] buffer, int offset, int count)
    {
        _inner.Write(buffer, offset, count);
        _ops.Add(new Op(OpKind.Write, buffer.AsSpan(offset, count).ToArray()));
    }

    public int Read(byte[] buffer, int offset, int count, TimeSpan timeout, CancellationToken cancellationToken)
    {
        int n = _inner.Read(buffer, offset, count, timeout, cancellationToken);
        if (n > 0) _ops.Add(new Op(OpKind.Read, buffer.AsSpan(offset, n).ToArray()));
        return n;
    }

    public void DiscardInput()
    {
        _inner.DiscardInput();
        _ops.Add(new Op(OpKind.Discard, Array.Empty<byte>()));
    }

    public void SetModemLine(ModemLine line, bool asserted) => _inner.SetModemLine(line, asserted);

    public void Dispose() => _inner.Dispose();
}
