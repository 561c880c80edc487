using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Globalization;
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
/// The bench process serves a 2 MiB simulated F42x/43x (0x419, instant timing, no trace) to one
/// TCP client (a TcpLink of its own: SimulatorHost's TCP server can take a busy client for a
/// closed one, see Findings). A child process runs our client and nothing else over the module's
/// tcp:// link (TcpLink): it connects, warms up, takes its idle working set and managed heap, then
/// writes and verifies a 2 MiB random image and reads the 2 MiB back while a thread samples the
/// working set every 10 ms. (A pty through System.IO.Ports would take minutes at instant timing.)
/// </summary>
public static class MemoryProbe
{
    public const ushort Pid = 0x419;

    public static MemoryResult Run(string work)
    {
        var dev = DeviceCatalog.Find(Pid)!;
        var chip = new SimulatedChip(dev, new SimulatorOptions { Timing = SimulatorTiming.Instant, TraceEnabled = false });
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start(1);
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        TcpLink? served = null;
        var accept = new Thread(() =>
        {
            try
            {
                served = new TcpLink(listener.AcceptTcpClient(), "bench chip", 115200);
                chip.Attach(served);
            }
            catch (SocketException) { }
            catch (ObjectDisposedException) { }
        }) { IsBackground = true };
        accept.Start();
        try
        {
            Console.WriteLine($"Memory: 2 MiB write+verify+read on {dev.Name} (0x{Pid:X3}, instant timing) from a child process over tcp://127.0.0.1:{port}");
            return RunChild(dev, port);
        }
        finally
        {
            listener.Stop();
            chip.Dispose();
            served?.Dispose();
        }
    }

    private static MemoryResult RunChild(DeviceInfo dev, int port)
    {
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
        {
            var why = (err.Result + output).Trim().Split('\n').FirstOrDefault() ?? "";
            Console.WriteLine($"  FAILED: child exited {p.ExitCode}: {why}");
            return new MemoryResult(dev.Name, 0, 0, 0, 0, 0, 0, 0, "tcp", $"child exited {p.ExitCode}: {why}");
        }
        var r = JsonSerializer.Deserialize<MemoryResult>(line)!;
        Console.WriteLine($"  idle {r.IdleWorkingSetMB:0.0} MB, peak {r.PeakWorkingSetMB:0.0} MB (+{r.DeltaMB:0.0} MB), managed heap peak {r.PeakManagedMB:0.0} MB, {r.Seconds:0.0} s");
        return r;
    }

    /// <summary>The child: the chip and our client, nothing else.</summary>
    public static int Client(string[] args)
    {
        var dev = DeviceCatalog.Find(Pid)!;
        var self = Process.GetCurrentProcess();
        double Ws() { self.Refresh(); return self.WorkingSet64 / 1048576.0; }
        static double Managed() => GC.GetTotalMemory(false) / 1048576.0;

        var port = int.Parse(args[0], CultureInfo.InvariantCulture);
        using var conn = Stm32Connection.Open(TcpLink.Connect("127.0.0.1", port, 115200, TimeSpan.FromSeconds(5)));
        // Warm-up: load and JIT the path, then settle.
        FlashProgrammer.Write(conn, FirmwareImage.FromBytes(dev.Flash.Start, new byte[1024]), new WriteOptions { Verify = true });
        conn.Read(dev.Flash.Start, 1024);
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
        var image = FirmwareImage.FromBytes(conn.Flash.Start, data);
        FlashProgrammer.Write(conn, image, new WriteOptions { Erase = EraseMode.Touched, Verify = true });
        var back = conn.Read(conn.Flash.Start, size);
        if (!back.AsSpan().SequenceEqual(data)) throw new InvalidOperationException("2 MiB read back differs.");
        var seconds = sw.Elapsed.TotalSeconds;
        stop.Cancel();
        sampler.Join();
        peakWs = Math.Max(peakWs, Ws());
        data = null;
        back = null;
        image = null;
        GC.Collect();
        var result = new MemoryResult(dev.Name, size, idleWs, peakWs, idleManaged, peakManaged, Managed(), seconds, "tcp", null);
        Console.WriteLine(JsonSerializer.Serialize(result));
        return 0;
    }
}
