using System.Diagnostics;
using Stm32.Protocol.Firmware;
using Stm32.Protocol.Programming;
using Stm32.Protocol.Simulation;

namespace Stm32.Bench;

public sealed record ParallelResult(int Chips, int SizeKiB, int Baud, List<double> Single, List<double> All,
    double CpuSecondsSingle, double CpuSecondsAll, string? Error)
{
    public double SingleMedian => Stats.Median(Single);
    public double AllMedian => Stats.Median(All);
    public double Ratio => AllMedian / SingleMedian;
}

/// <summary>
/// N served chips (realistic timing, each on its own pty) written and verified at once from N
/// threads, one connection each, against the same work on one chip alone. The chips are served
/// from this process too, so CPU time is reported for both.
/// </summary>
public static class ParallelBench
{
    public static ParallelResult Run(int chips, int sizeKiB, int runs, string client, string work)
    {
        const int baud = 115200;
        var data = new byte[sizeKiB * 1024];
        new Random(11).NextBytes(data);
        var image = FirmwareImage.FromBytes(0x08000000, data);
        var single = new List<double>();
        var all = new List<double>();
        double cpuSingle = 0, cpuAll = 0;
        string? error = null;
        Console.WriteLine($"Parallel: {chips} chips x {sizeKiB} KiB write+verify at {baud} baud, {runs} run(s)");
        try
        {
            for (int run = 0; run < runs; run++)
            {
                var (t1, c1) = Flash(1, image, data, client, baud);
                single.Add(t1);
                cpuSingle = c1;
                Console.WriteLine($"  run {run + 1} one chip     {t1,8:0.000} s  cpu {c1:0.00} s");
                var (tn, cn) = Flash(chips, image, data, client, baud);
                all.Add(tn);
                cpuAll = cn;
                Console.WriteLine($"  run {run + 1} {chips} chips     {tn,8:0.000} s  cpu {cn:0.00} s");
            }
        }
        catch (Exception e)
        {
            error = e.GetType().Name + ": " + e.Message;
            Console.WriteLine("  FAILED: " + error);
        }
        return new ParallelResult(chips, sizeKiB, baud, single, all, cpuSingle, cpuAll, error);
    }

    private static (double Seconds, double Cpu) Flash(int n, FirmwareImage image, byte[] data, string client, int baud)
    {
        var fixtures = Enumerable.Range(0, n).Select(_ => new Fixture(0x410, 0x22, baud, SimulatorTiming.Realistic, trace: false)).ToList();
        try
        {
            var errors = new Exception?[n];
            var start = new ManualResetEventSlim();
            var threads = Enumerable.Range(0, n).Select(i => new Thread(() =>
            {
                start.Wait();
                try
                {
                    using var conn = Stm32Connection.Open(Client.Open(client, fixtures[i].Pty, baud));
                    FlashProgrammer.Write(conn, image, new WriteOptions { Erase = EraseMode.Touched, Verify = true });
                }
                catch (Exception e)
                {
                    errors[i] = e;
                }
            }) { Name = "flash " + i }).ToList();
            threads.ForEach(t => t.Start());
            var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            start.Set();
            threads.ForEach(t => t.Join());
            var seconds = sw.Elapsed.TotalSeconds;
            var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
            for (int i = 0; i < n; i++)
            {
                if (errors[i] != null) throw new InvalidOperationException($"chip {i}: {errors[i]!.Message}", errors[i]);
                if (!fixtures[i].Chip.Peek(0x08000000, data.Length).AsSpan().SequenceEqual(data))
                    throw new InvalidOperationException($"chip {i}: flash differs after the write.");
            }
            return (seconds, cpu);
        }
        finally
        {
            fixtures.ForEach(f => f.Dispose());
        }
    }
}

public static class Stats
{
    public static double Median(IEnumerable<double> values)
    {
        var v = values.Where(x => !double.IsNaN(x)).OrderBy(x => x).ToArray();
        if (v.Length == 0) return double.NaN;
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }
}
