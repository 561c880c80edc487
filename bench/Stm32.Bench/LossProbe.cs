using System.Diagnostics;
using System.IO.Ports;
using Stm32.Protocol.Transport;

namespace Stm32.Bench;

/// <summary>
/// Diagnostic (`Stm32.Bench loss-probe [trials] [delayMs]`): the far end of a pty writes one byte
/// about <c>delayMs</c> after the client starts a 1 s Read through SerialPortLink; counts how often
/// the byte never arrives. With 50 ms read slices, a byte landing as a slice times out can be lost.
/// </summary>
public static class LossProbe
{
    public static int Run(string[] args)
    {
        int trials = args.Length > 0 ? int.Parse(args[0]) : 100;
        var delays = args.Length > 1 ? args[1].Split(',').Select(double.Parse).ToArray() : new[] { 20.0, 49.0, 50.0, 51.0 };
        foreach (var delay in delays)
        {
            using var pty = new PseudoTerminalLink(115200);
            using var link = SerialPortLink.Open(pty.SlavePath, 115200, Parity.None);
            int lost = 0, late = 0;
            var buf = new byte[1];
            for (int i = 0; i < trials; i++)
            {
                var ready = new ManualResetEventSlim();
                var writer = new Thread(() =>
                {
                    ready.Wait();
                    var sw = Stopwatch.StartNew();
                    // Jitter over +-1 ms around the target so the slice boundary is swept.
                    var target = delay + (i % 21 - 10) / 10.0;
                    while (sw.Elapsed.TotalMilliseconds < target) Thread.SpinWait(50);
                    pty.Write(new byte[] { 0x79 }, 0, 1);
                });
                writer.Start();
                ready.Set();
                var t = Stopwatch.StartNew();
                var n = link.Read(buf, 0, 1, TimeSpan.FromSeconds(1), CancellationToken.None);
                writer.Join();
                if (n == 0) lost++;
                else if (t.Elapsed.TotalMilliseconds > delay + 20) late++;
                // Anything still in flight belongs to this trial.
                Thread.Sleep(5);
                link.DiscardInput();
            }
            Console.WriteLine($"delay {delay} ms: {lost} of {trials} bytes lost, {late} arrived > 20 ms late");
        }
        return 0;
    }
}
