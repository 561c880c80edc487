using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Stm32.Protocol.Devices;
using Stm32.Protocol.Firmware;
using Stm32.Protocol.Programming;
using Stm32.Protocol.Simulation;
using Stm32.Protocol.Transport;

namespace Stm32.Bench;

public sealed record MemoryResult(string Device, int ImageBytes, double IdleWorkingSetMB, double PeakWorkingSetMB,
    double IdleManagedMB, double PeakManagedMB, double AfterManagedMB, double Seconds, string Transport, string? Error)
{
    public double DeltaMB => PeakWorkingSetMB - IdleWorkingSetMB;
}

/// <summary>
/// "Reading and writing a 2 MiB image keeps the process's memory within 50 MB of its idle size."
/// The chip (instant timing, 2 MiB F42x/43x, 0x419) is served by this process over TCP (the
/// module's tcp:// link; a pty through System.IO.Ports would take minutes at instant timing, see
/// Findings); a child process, our client and nothing else, measures its own working set and
/// managed heap: idle (after a warm-up connect), then the peak while it writes and verifies a 2 MiB
/// random image and reads the 2 MiB back.
/// </summary>
public static class MemoryProbe
{
    public const ushort Pid = 0x419;

    public static MemoryResult Run(string work)
    {
        var dev = DeviceCatalog.Find(Pid)!;
        var chip = new SimulatedChip(dev, new SimulatorOptions { Timing = SimulatorTiming.Instant, TraceEnabled = false });
        using var host = SimulatorHost.OnTcp(chip, IPAddress.Loopback, 0, 115200);
        var port = int.Parse(host.Endpoint.Substring(host.Endpoint.LastIndexOf(':') + 1), CultureInfo.InvariantCulture);
        Console.WriteLine($"Memory: 2 MiB write+verify+read on {dev.Name} (0x{Pid:X3}, instant timing) in a child process over {host.Endpoint}");
        var dll = typeof(MemoryProbe).Assembly.Location;
        var psi = new ProcessStartInfo("dotnet", $"\"{dll}\" memory-client {port}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.Environment["DOTNET_gcServer"] = "0";
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        var line = output.Split('\n').LastOrDefault(l => l.StartsWith('{'));
        if (p.ExitCode != 0 || line == null)
            return new MemoryResult(dev.Name, 0, 0, 0, 0, 0, 0, 0, "tcp", $"child exited {p.ExitCode}: {(err.Result + output).Trim()}");
        var r = JsonSerializer.Deserialize<MemoryResult>(line)!;
        Console.WriteLine($"  idle {r.IdleWorkingSetMB:0.0} MB, peak {r.PeakWorkingSetMB:0.0} MB (+{r.DeltaMB:0.0} MB), managed heap peak {r.PeakManagedMB:0.0} MB, {r.Seconds:0.0} s");
        return r;
    }

    /// <summary>The child: our client alone in a process.</summary>
    public static int Client(string[] args)
    {
        var port = int.Parse(args[0], CultureInfo.InvariantCulture);
        var dev = DeviceCatalog.Find(Pid)!;
        var self = Process.GetCurrentProcess();
        double Ws() { self.Refresh(); return self.WorkingSet64 / 1048576.0; }
        static double Managed() => GC.GetTotalMemory(false) / 1048576.0;

        // Warm-up: load and JIT the path, then settle.
        using (var warm = Stm32Connection.Open(TcpLink.Connect("127.0.0.1", port, 115200, TimeSpan.FromSeconds(5))))
        {
            FlashProgrammer.Write(warm, FirmwareImage.FromBytes(dev.Flash.Start, new byte[1024]), new WriteOptions { Verify = true });
            warm.Read(dev.Flash.Start, 1024);
        }
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Thread.Sleep(200);
        double idleWs = Ws(), idleManaged = Managed();

        double peakWs = idleWs, peakManaged = idleManaged;
        using var stop = new CancellationTokenSource();
        var sampler = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                peakWs = Math.Max(peakWs, Ws());
                peakManaged = Math.Max(peakManaged, Managed());
                Thread.Sleep(10);
            }
        }) { IsBackground = true };
        sampler.Start();

        var sw = Stopwatch.StartNew();
        const int size = 2 * 1024 * 1024;
        var data = new byte[size];
        new Random(5).NextBytes(data);
        using (var conn = Stm32Connection.Open(TcpLink.Connect("127.0.0.1", port, 115200, TimeSpan.FromSeconds(5))))
        {
            var image = FirmwareImage.FromBytes(conn.Flash.Start, data);
            FlashProgrammer.Write(conn, image, new WriteOptions { Erase = EraseMode.Touched, Verify = true });
            var back = conn.Read(conn.Flash.Start, size);
            if (!back.AsSpan().SequenceEqual(data)) throw new InvalidOperationException("2 MiB read back differs.");
        }
        var seconds = sw.Elapsed.TotalSeconds;
        stop.Cancel();
        sampler.Join();
        peakWs = Math.Max(peakWs, Ws());
        data = null;
        GC.Collect();
        var result = new MemoryResult(dev.Name, size, idleWs, peakWs, idleManaged, peakManaged, Managed(), seconds, "tcp", null);
        Console.WriteLine(JsonSerializer.Serialize(result));
        return 0;
    }
}
