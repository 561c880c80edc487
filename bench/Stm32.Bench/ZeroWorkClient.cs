using Stm32.Protocol.Simulation;

namespace Stm32.Bench;

/// <summary>
/// The medium's floor (issue 7): a client that does no work at all. Before a row's timed rounds
/// our client runs it once, untimed, on a fresh chip, and the chip's trace becomes a script: the
/// bytes our client sent, each run of them followed by the bytes the chip answered. The zero-work
/// client replays that script: it opens the pty as stm32flash does (<see cref="PosixTtyLink"/>:
/// open, termios, no flush), writes each run of bytes, and waits for exactly the recorded answer
/// in poll(2) and read(2) on the bare descriptor (a span compare is all it does with it; the
/// chip is deterministic, so any difference is an error). No parsing, no memory map, no file, no
/// CRC. (Spinning on a non-blocking read instead was slower here: on 2 cores it keeps the kernel
/// worker that moves the pty's bytes, and the simulated chip's thread, off the CPU.)
/// What it takes above the protocol limit is what the pseudo-terminal and the simulated chip's
/// thread cost per answer, which no client that waits for each answer can avoid, for the very
/// bytes our client chose to send (the wire-bytes column shows that choice against the model's).
/// Bench-only: nothing here is the module's code.
/// </summary>
public static class ZeroWorkClient
{
    /// <summary>Bytes the host sent, then the chip's whole answer before the host spoke again (empty at the end).</summary>
    public sealed record Step(byte[] Send, byte[] Expect);

    /// <summary>The host's runs of bytes and the chip's answers, from a chip's trace of one session.</summary>
    public static IReadOnlyList<Step> Script(IReadOnlyList<TraceEntry> trace)
    {
        if (trace.Count == 0) throw new InvalidOperationException("Nothing to replay: the recorded session put no byte on the wire.");
        if (trace[0].Direction != TraceDirection.ToDevice) throw new InvalidOperationException("The recorded session starts with a byte from the chip.");
        var steps = new List<Step>();
        int i = 0;
        while (i < trace.Count)
        {
            var send = new List<byte>();
            while (i < trace.Count && trace[i].Direction == TraceDirection.ToDevice) send.Add(trace[i++].Value);
            var expect = new List<byte>();
            while (i < trace.Count && trace[i].Direction == TraceDirection.ToHost) expect.Add(trace[i++].Value);
            steps.Add(new Step(send.ToArray(), expect.ToArray()));
        }
        return steps;
    }

    /// <summary>Replays <paramref name="script"/> on the pty; throws at the first answer that is not the recorded one.</summary>
    public static string Replay(string pty, int baud, IReadOnlyList<Step> script)
    {
        var buf = new byte[script.Max(s => s.Expect.Length)];
        using (var link = new PosixTtyLink(pty, baud))
        {
            for (int k = 0; k < script.Count; k++)
            {
                var step = script[k];
                link.Write(step.Send, 0, step.Send.Length);
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
