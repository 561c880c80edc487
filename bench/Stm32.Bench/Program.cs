using System.Diagnostics;
using System.Globalization;
using System.IO.Ports;
using Stm32.Protocol.Bootloader;
using Stm32.Protocol.Devices;
using Stm32.Protocol.Firmware;
using Stm32.Protocol.Programming;
using Stm32.Protocol.Simulation;
using Stm32.Protocol.Transport;

namespace Stm32.Bench;

/// <summary>
/// Issue 7's benchmark: the simulated chip with realistic timing on a pseudo-terminal, our
/// client (the protocol assembly the cmdlets call, through SerialPortLink 8N1 on the pty slave)
/// and stm32flash (-m 8n1) against it in one run, alternating, medians. See bench/README.md.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        if (args.Length > 0 && args[0] == "memory-client") return MemoryProbe.Client(args.Skip(1).ToArray());
        if (args.Length > 0 && args[0] == "loss-probe") return LossProbe.Run(args.Skip(1).ToArray());
        if (args.Length > 1 && args[0] == "report-only")
        {
            // Stm32.Bench report-only results.json [BENCHMARKS.md [chart.png]]: rewrite the text from saved samples.
            var repo = Bench.FindRepo();
            var report = Report.FromJson(args[1], repo);
            report.Write(args.Length > 2 ? args[2] : Path.Combine(repo, "BENCHMARKS.md"),
                args.Length > 3 ? args[3] : Path.Combine(repo, "bench", "benchmarks.png"),
                Path.Combine(Path.GetTempPath(), "stm32-bench-report-only.json"));
            return 0;
        }
        Options o;
        try
        {
            o = Options.Parse(args);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine(Options.Usage);
            return 2;
        }
        if (o.Help)
        {
            Console.WriteLine(Options.Usage);
            return 0;
        }
        return new Bench(o).Run();
    }
}

public sealed class Options
{
    public int Runs { get; set; } = 3;
    public int SizeKiB { get; set; } = 64;
    public int[] Bauds { get; set; } = { 115200, 57600 };
    public int Parallel { get; set; } = 8;
    public bool Quick { get; set; }
    public bool Stm32flash { get; set; } = true;
    public bool DoParallel { get; set; } = true;
    public bool DoMemory { get; set; } = true;
    public bool WithPosix { get; set; }
    public bool Pwsh { get; set; } = true;
    public string Client { get; set; } = "serialport";
    public string? Only { get; set; }
    public string? Markdown { get; set; }
    public string? Chart { get; set; }
    public string? Json { get; set; }
    public bool Help { get; set; }

    public const string Usage = @"Stm32.Bench [options]
  --runs N          timed runs of each tool per row, alternating (default 3)
  --quick           1 run, 16 KiB, 115200 only, 4 parallel chips: a smoke test (~1-2 min)
  --size KiB        dense image size (default 64)
  --bauds A,B       baud rates for the dense rows (default 115200,57600)
  --parallel N      chips flashed at once in the scale row (default 8; 0 skips)
  --client C        serialport (default: SerialPortLink, what the cmdlets use) or posix
                    (bench-only prototype on the bare fd, to measure System.IO.Ports' cost)
  --only a,b        only rows whose id starts with one of these (dense, cmdlet, sparse, read, connect)
  --no-stm32flash   our client only
  --no-memory       skip the 2 MiB memory row
  --no-pwsh         skip the cmdlet row (Write-Stm32Firmware in pwsh; needs a built module in out/)
  --with-posix      also run our client on the bench-only POSIX link prototype (115200 rows)
  --markdown PATH   where to write the results section (default: <repo>/BENCHMARKS.md)
  --chart PATH      the PNG (default: <repo>/bench/benchmarks.png)
  --json PATH       raw results (default: <repo>/bench/results.json)";

    public static Options Parse(string[] args)
    {
        var o = new Options();
        bool runsSet = false, sizeSet = false, baudsSet = false, parSet = false;
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--runs": o.Runs = int.Parse(Next(), CultureInfo.InvariantCulture); runsSet = true; break;
                case "--quick": o.Quick = true; break;
                case "--size": o.SizeKiB = int.Parse(Next(), CultureInfo.InvariantCulture); sizeSet = true; break;
                case "--bauds": o.Bauds = Next().Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray(); baudsSet = true; break;
                case "--parallel": o.Parallel = int.Parse(Next(), CultureInfo.InvariantCulture); parSet = true; break;
                case "--client": o.Client = Next(); break;
                case "--only": o.Only = Next(); break;
                case "--no-stm32flash": o.Stm32flash = false; break;
                case "--no-memory": o.DoMemory = false; break;
                case "--no-pwsh": o.Pwsh = false; break;
                case "--with-posix": o.WithPosix = true; break;
                case "--markdown": o.Markdown = Next(); break;
                case "--chart": o.Chart = Next(); break;
                case "--json": o.Json = Next(); break;
                case "-h": case "--help": o.Help = true; break;
                default: throw new ArgumentException($"Unknown option {args[i]}.");
            }
        }
        if (o.Quick)
        {
            if (!runsSet) o.Runs = 1;
            if (!sizeSet) o.SizeKiB = 16;
            if (!baudsSet) o.Bauds = new[] { 115200 };
            if (!parSet) o.Parallel = 4;
        }
        if (o.Client != "serialport" && o.Client != "posix") throw new ArgumentException("--client is serialport or posix.");
        if (o.Runs < 1 || o.SizeKiB < 1 || o.SizeKiB % 1 != 0) throw new ArgumentException("--runs and --size must be positive.");
        o.DoParallel = o.Parallel > 0;
        return o;
    }
}

/// <summary>A served simulated chip on its own pseudo-terminal.</summary>
public sealed class Fixture : IDisposable
{
    public Fixture(ushort pid, byte? version, int baud, SimulatorTiming timing = SimulatorTiming.Realistic, bool trace = true)
    {
        Device = DeviceCatalog.Find(pid) ?? throw new InvalidOperationException($"0x{pid:X3} is not in the catalog.");
        Options = new SimulatorOptions { Timing = timing, BootloaderVersion = version, TraceEnabled = trace, TraceCapacity = 4_000_000 };
        Chip = new SimulatedChip(Device, Options);
        Host = SimulatorHost.OnPseudoTerminal(Chip, baud);
        Baud = baud;
    }

    public DeviceInfo Device { get; }
    public SimulatorOptions Options { get; }
    public SimulatedChip Chip { get; }
    public SimulatorHost Host { get; }
    public string Pty => Host.Endpoint;
    public int Baud { get; }

    /// <summary>Whether our previous session on this chip ended idle (the module keeps this per port).</summary>
    public bool LeftIdle { get; set; }

    /// <summary>Bytes on the wire both ways since the last ClearTrace (the chip's own count).</summary>
    public long WireBytes() => Chip.Trace.Count;

    public void Dispose() => Host.Dispose();
}

public enum Tool { Ours, Stm32flash, OursPosix, Floor }

/// <summary>One row of the table.</summary>
public sealed class Row
{
    public required string Id { get; init; }
    public required string Title { get; init; }
    public required int Baud { get; init; }
    /// <summary>Bytes the operation moves for the user (for bytes per second); 0 for connects.</summary>
    public long PayloadBytes { get; init; }
    public required ProtocolModel.Cost LimitCost { get; init; }
    public required double LimitSeconds { get; init; }
    public required Func<Fixture> NewFixture { get; init; }
    /// <summary>Untimed step before a timed run (e.g. leave the chip synchronised).</summary>
    public Action<Fixture, Tool>? Prepare { get; init; }
    /// <summary>Our client on the given link kind ("serialport" or "posix"); returns a note.</summary>
    public Func<Fixture, string, string>? Ours { get; init; }
    /// <summary>Instead of <see cref="Ours"/>: a run that times itself (the cmdlet row: pwsh start-up is not the operation).</summary>
    public Func<Fixture, (double Seconds, string Note)>? OursTimed { get; init; }
    public required Func<Fixture, string> Stm32flashArgs { get; init; }
    /// <summary>Throws when the chip does not hold what it should after the run.</summary>
    public Action<Fixture, Tool>? Check { get; init; }
    /// <summary>
    /// Timed runs per tool in each round, the tools still alternating: the millisecond rows take
    /// several, so that a stray millisecond of the shared machine moves their medians less.
    /// </summary>
    public int SamplesPerRun { get; init; } = 1;
    /// <summary>stm32flash's runs per round when fewer than <see cref="SamplesPerRun"/> (its sparse write takes 19 s, ours 0.15 s).</summary>
    public int? TheirSamplesPerRun { get; init; }
    /// <summary>Whether the row also runs <see cref="ZeroWorkClient"/> (the medium's floor) on a script recorded from our client.</summary>
    public bool HasFloor { get; init; }
    public IReadOnlyList<ZeroWorkClient.Step>? FloorScript { get; set; }

    public List<Sample> OurSamples { get; } = new();
    public List<Sample> TheirSamples { get; } = new();
    public List<Sample> PosixSamples { get; } = new();
    public List<Sample> FloorSamples { get; } = new();
}

/// <summary>
/// One timed run. Turnarounds: how often the host answered the chip (a byte to the chip right
/// after bytes from it) and the summed gaps, from the chip's trace: the time the host (client,
/// OS, pty) took to react, which the protocol limit counts as zero.
/// SimSlipSeconds: how far the simulated chip itself fell behind its own byte clock (a byte that
/// took longer than 11 bit times after the one before it in the same direction: the chip's thread
/// was not scheduled in time on a busy machine). No client can cause or avoid it, so the report
/// also shows time ÷ limit with it taken out.
/// </summary>
public sealed record Sample(double Seconds, long WireBytes, int Turnarounds, double TurnaroundSeconds, double SimSlipSeconds, string? Note, string? Error, double WireSpanSeconds = 0)
{
    public double TurnaroundMs => Turnarounds == 0 ? double.NaN : TurnaroundSeconds * 1000 / Turnarounds;
}

public sealed class Bench
{
    private readonly Options _o;
    private readonly string _repo;
    private readonly string _work;
    private readonly List<Row> _rows = new();

    public Bench(Options o)
    {
        _o = o;
        _repo = FindRepo();
        _work = Path.Combine(Path.GetTempPath(), "stm32-bench-" + Environment.ProcessId);
        Directory.CreateDirectory(_work);
    }

    public static string FindRepo()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
            for (var d = new DirectoryInfo(start); d != null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, "Stm32.slnx"))) return d.FullName;
        throw new InvalidOperationException("Run from inside the repository (Stm32.slnx not found).");
    }

    public int Run()
    {
        var started = DateTime.Now;
        var total = Stopwatch.StartNew();
        if (_o.Stm32flash && !File.Exists("/usr/bin/stm32flash") && Which("stm32flash") == null)
        {
            Console.Error.WriteLine("stm32flash is not installed (apt-get install stm32flash); running our client only.");
            _o.Stm32flash = false;
        }
        BuildRows();
        Console.WriteLine($"Stm32.Bench: {_rows.Count} rows x {_o.Runs} run(s) per tool, client {_o.Client}, work dir {_work}");
        WarmUp();
        foreach (var row in _rows.Where(r => r.HasFloor)) RecordFloor(row);

        // The scale and memory rows first (a few minutes), then the rounds of the table.
        ParallelResult? par = null;
        if (_o.DoParallel && (_o.Only == null || _o.Only.Contains("parallel")))
            par = ParallelBench.Run(_o.Parallel, _o.Quick, _o.SizeKiB, _o.Client);
        MemoryResult? mem = null;
        if (_o.DoMemory && (_o.Only == null || _o.Only.Contains("memory")))
            mem = MemoryProbe.Run(_work);

        for (int run = 1; run <= _o.Runs; run++)
        {
            foreach (var row in _rows)
            {
                // Alternate who goes first so drift on a shared machine hits both alike.
                var order = run % 2 == 1 ? new[] { Tool.Ours, Tool.Stm32flash, Tool.OursPosix, Tool.Floor } : new[] { Tool.Floor, Tool.OursPosix, Tool.Stm32flash, Tool.Ours };
                for (int rep = 0; rep < row.SamplesPerRun; rep++)
                foreach (var tool in order)
                {
                    if (tool == Tool.Stm32flash && (!_o.Stm32flash || rep >= (row.TheirSamplesPerRun ?? row.SamplesPerRun))) continue;
                    if (tool == Tool.OursPosix && (!_o.WithPosix || row.Baud != 115200 || row.Ours == null)) continue;
                    if (tool == Tool.Floor && row.FloorScript == null) continue;
                    var s = Measure(row, tool);
                    (tool switch { Tool.Ours => row.OurSamples, Tool.Stm32flash => row.TheirSamples, Tool.OursPosix => row.PosixSamples, _ => row.FloorSamples }).Add(s);
                    Console.WriteLine($"  run {run} {row.Id,-28} {tool switch { Tool.Ours => "ours", Tool.Stm32flash => "stm32flash", Tool.OursPosix => "ours-posix", _ => "zero-work" },-10} {s.Seconds,8:0.000} s  {(s.Error != null ? "FAILED: " + s.Error : s.Note)}");
                }
            }
            // Save what we have after every round, so a stopped run still leaves results.
            if (run < _o.Runs) WriteReport(par, mem, started, total.Elapsed, quiet: true);
        }

        var report = WriteReport(par, mem, started, total.Elapsed, quiet: false);
        Console.WriteLine(report.Table());
        try { Directory.Delete(_work, true); } catch (IOException) { }
        return _rows.Any(r => r.OurSamples.Any(s => s.Error != null)) ? 1 : 0;
    }

    private Report WriteReport(ParallelResult? par, MemoryResult? mem, DateTime started, TimeSpan elapsed, bool quiet)
    {
        var report = new Report(_o, _rows, par, mem, started, elapsed, _repo);
        report.Write(_o.Markdown ?? Path.Combine(_repo, "BENCHMARKS.md"),
            _o.Chart ?? Path.Combine(_repo, "bench", "benchmarks.png"),
            _o.Json ?? Path.Combine(_repo, "bench", "results.json"), quiet);
        return report;
    }

    private static string? Which(string name)
        => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    /// <summary>JIT our path once (untimed) so the rows measure the protocol, not the first-call compiler.</summary>
    private void WarmUp()
    {
        using var f = new Fixture(0x410, null, 115200, SimulatorTiming.Instant, trace: false);
        using var conn = Stm32Connection.Open(Client.Open(_o.Client, f.Pty, 115200));
        var img = FirmwareImage.FromBytes(0x08000000, Enumerable.Range(0, 1024).Select(i => (byte)i).ToArray());
        FlashProgrammer.Write(conn, img, new WriteOptions { Verify = true });
        conn.Read(0x08000000, 512);
        IReadOnlyList<ZeroWorkClient.Step> script;
        using (var z = new Fixture(0x410, null, 115200, SimulatorTiming.Instant, trace: false))
        {
            using (Stm32Connection.Open(Client.Open(Client.Recording + _o.Client, z.Pty, 115200))) { }
            script = ZeroWorkClient.Script(Client.LastRecording!.Ops);
        }
        using (var z = new Fixture(0x410, null, 115200, SimulatorTiming.Instant, trace: false))
            ZeroWorkClient.Replay(z.Pty, 115200, script);
        // The file readers too (a station has read a firmware file before): the sparse rows read theirs while timed.
        var data = Path.Combine(_repo, "tests", "data");
        foreach (var file in new[] { "sparse-f103.hex", "sparse-f103.bin" })
            FlashProgrammer.Write(conn, FirmwareReader.Read(Path.Combine(data, file), FirmwareFormat.Auto, conn.Flash.Start), new WriteOptions { Erase = EraseMode.Touched });
    }

    /// <summary>
    /// Untimed: our client once on a fresh chip, prepared as for a timed run, through a
    /// <see cref="RecordingLink"/>; what it wrote, read and flushed becomes the script the
    /// zero-work client replays in the timed rounds.
    /// </summary>
    private void RecordFloor(Row row)
    {
        try
        {
            using var f = row.NewFixture();
            row.Prepare?.Invoke(f, Tool.Ours);
            Client.ForgetRecording();
            row.Ours!(f, Client.Recording + _o.Client);
            row.Check?.Invoke(f, Tool.Ours);
            row.FloorScript = ZeroWorkClient.Script(Client.LastRecording!.Ops);
            Console.WriteLine($"  {row.Id}: recorded {row.FloorScript.Count} exchanges ({row.FloorScript.Sum(s => s.Send.Length + s.Expect.Length)} bytes) for the zero-work client");
        }
        catch (Exception e)
        {
            // A row without a floor still runs; the report leaves the floor out for it.
            row.FloorScript = null;
            Console.WriteLine($"  {row.Id}: recording for the zero-work client FAILED, no floor for this row: {e.GetType().Name}: {e.Message}");
        }
    }

    private Sample Measure(Row row, Tool tool)
    {
        using var f = row.NewFixture();
        try
        {
            row.Prepare?.Invoke(f, tool);
            f.Chip.ClearTrace();
            // The garbage of earlier runs (traces of millions of bytes) is collected now, untimed,
            // not by a collection that happens to fall inside a 3 ms connect.
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            var sw = Stopwatch.StartNew();
            string note;
            double? selfTimed = null;
            if (tool == Tool.Ours && row.OursTimed != null)
            {
                var (sec, n) = row.OursTimed(f);
                selfTimed = sec;
                note = n;
            }
            else if (tool == Tool.Ours) note = row.Ours!(f, _o.Client);
            else if (tool == Tool.OursPosix) note = row.Ours!(f, "posix");
            else if (tool == Tool.Floor) note = ZeroWorkClient.Replay(f.Pty, f.Baud, row.FloorScript!);
            else
            {
                var args = row.Stm32flashArgs(f);
                var (code, output) = Stm32flashRunner.Run(args);
                if (code != 0) throw new InvalidOperationException($"stm32flash exited {code}: {string.Join(" / ", output.Trim().Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).TakeLast(3))}");
                note = "";
            }
            var seconds = selfTimed ?? sw.Elapsed.TotalSeconds;
            var trace = f.Chip.Trace;
            var (turns, turnSeconds, slip) = Turnarounds(trace, f.Baud);
            row.Check?.Invoke(f, tool);
            // First byte to last on the wire (the first byte's stamp is the end of its 11 bits).
            var span = trace.Count == 0 ? 0 : (trace[trace.Count - 1].Ticks - trace[0].Ticks) / (double)Stopwatch.Frequency + 11.0 / f.Baud;
            return new Sample(seconds, trace.Count, turns, turnSeconds, slip, note, null, span);
        }
        catch (Exception e)
        {
            return new Sample(double.NaN, 0, 0, 0, 0, null, e.GetType().Name + ": " + e.Message);
        }
    }

    /// <summary>
    /// Host reaction time from the chip's trace: a ToHost byte is stamped just before it is
    /// written, a ToDevice byte after the chip has charged its 11 bit times; so the gap minus one
    /// byte time is the host's (and the OS's) turnaround. Within a run of bytes in one direction
    /// the simulator keeps the wire's schedule and catches up after its thread was late (a late
    /// byte is followed by bytes closer than a byte time), so its slip is how far the end of each
    /// run is behind that schedule; a pause of over 5 ms between two bytes to the chip is the host
    /// waiting (the sync probe) and counts as host time.
    /// </summary>
    public static (int Count, double HostSeconds, double SlipSeconds) Turnarounds(IReadOnlyList<TraceEntry> trace, int baud)
    {
        double byteSeconds = 11.0 / baud;
        int count = 0;
        double host = 0, slip = 0, runBehind = 0;
        for (int i = 1; i < trace.Count; i++)
        {
            var gap = (trace[i].Ticks - trace[i - 1].Ticks) / (double)Stopwatch.Frequency - byteSeconds;
            if (trace[i].Direction != trace[i - 1].Direction)
            {
                slip += Math.Max(0, runBehind);
                runBehind = 0;
                if (trace[i].Direction == TraceDirection.ToDevice)
                {
                    count++;
                    host += Math.Max(0, gap);
                }
            }
            else if (trace[i].Direction == TraceDirection.ToDevice && gap > 0.005)
            {
                slip += Math.Max(0, runBehind);
                runBehind = 0;
                host += gap;
            }
            else runBehind = Math.Max(0, runBehind + gap);
        }
        return (count, host, slip + Math.Max(0, runBehind));
    }

    // ------------------------------------------------------------------ rows

    private bool Wanted(string id) => _o.Only == null || _o.Only.Split(',').Any(p => id.StartsWith(p, StringComparison.Ordinal));

    private void BuildRows()
    {
        int size = _o.SizeKiB * 1024;
        var random = new byte[size];
        new Random(7).NextBytes(random);
        var randomBin = Path.Combine(_work, $"random-{_o.SizeKiB}k.bin");
        File.WriteAllBytes(randomBin, random);
        var f1 = DeviceCatalog.Find(0x410)!;
        var f4 = DeviceCatalog.Find(0x413)!;

        foreach (var (dev, version, label) in new[] { (f1, (byte)0x22, "2.2 (F103, 0x410)"), (f4, (byte)0x33, "3.3 (F407, 0x413)") })
        {
            foreach (var baud in _o.Bauds)
            {
                var id = $"dense-{(version == 0x22 ? "2.2" : "3.3")}-{baud}";
                if (!Wanted(id)) continue;
                var m = new ProtocolModel(dev, version, baud);
                var cost = DenseWriteCost(m, size);
                var pid = dev.ProductId;
                _rows.Add(new Row
                {
                    Id = id,
                    Title = $"write+verify {_o.SizeKiB} KiB random, BL {label}",
                    Baud = baud,
                    PayloadBytes = size,
                    LimitCost = cost,
                    LimitSeconds = m.Seconds(cost),
                    NewFixture = () => new Fixture(pid, version, baud),
                    Ours = (fx, client) =>
                    {
                        using var conn = Stm32Connection.Open(Client.Open(client, fx.Pty, baud));
                        var img = FirmwareReader.Read(randomBin, FirmwareFormat.Auto, conn.Flash.Start);
                        var outcome = FlashProgrammer.Write(conn, img, new WriteOptions { Erase = EraseMode.Touched, Verify = true });
                        return $"verify {outcome.VerifyMethod}, {outcome.PagesErased.Count} pages erased, {outcome.BlocksWritten} blocks";
                    },
                    Stm32flashArgs = fx => $"-b {baud} -m 8n1 -w {randomBin} -v {fx.Pty}",
                    Check = (fx, _) => Expect(fx.Chip.Peek(0x08000000, size), random, "flash after write"),
                });
            }
        }

        // The same dense 2.2 write through the cmdlets, in a pwsh that has imported the module
        // and flashed once before (a station script): Connect-Stm32 | Write-Stm32Firmware -Verify.
        var module = Path.Combine(_repo, "out", "Stm32", "Stm32.psd1");
        if (_o.Pwsh && Wanted("cmdlet") && _o.Bauds.Contains(115200))
        {
            if (!File.Exists(module))
                Console.Error.WriteLine($"No built module at {module} (dotnet pwsh ./build.ps1 -Task Build): the cmdlet row is left out.");
            else
            {
                var m = new ProtocolModel(f1, 0x22, 115200);
                var cost = DenseWriteCost(m, size);
                _rows.Add(new Row
                {
                    Id = "cmdlet-2.2-115200",
                    Title = $"the same through the cmdlets in pwsh: Connect-Stm32, Write-Stm32Firmware -Verify, Disconnect-Stm32, {_o.SizeKiB} KiB, BL 2.2",
                    Baud = 115200,
                    PayloadBytes = size,
                    LimitCost = cost,
                    LimitSeconds = m.Seconds(cost),
                    NewFixture = () => new Fixture(0x410, 0x22, 115200),
                    OursTimed = fx => PwshRow(module, fx, randomBin),
                    Stm32flashArgs = fx => $"-b 115200 -m 8n1 -w {randomBin} -v {fx.Pty}",
                    Check = (fx, _) => Expect(fx.Chip.Peek(0x08000000, size), random, "flash after write"),
                });
            }
        }

        var data = Path.Combine(_repo, "tests", "data");
        var hexImage = FirmwareReader.Read(Path.Combine(data, "sparse-f103.hex"));
        foreach (var ext in new[] { "hex", "bin" })
        {
            var id = $"sparse-{ext}";
            if (!Wanted(id)) continue;
            var path = Path.Combine(data, "sparse-f103." + ext);
            var image = FirmwareReader.Read(path, FirmwareFormat.Auto, 0x08000000);
            var m = new ProtocolModel(f1, 0x22, 115200);
            var flat = image.ToFlat(f1.Flash.Start, (uint)(image.HighestAddress - f1.Flash.Start));
            var pages = f1.Layout!.PagesTouching(image.Segments.Select(s => new MemoryRange(s.Address, s.End)));
            var cost = m.Connect(false) + m.ProtectionCheck() + m.EraseFor(pages) + ProtocolModel.DataBlocks(flat) * m.WriteBlock();
            _rows.Add(new Row
            {
                Id = id,
                Title = $"write sparse-f103.{ext} ({new FileInfo(path).Length:N0} B file), BL 2.2",
                Baud = 115200,
                PayloadBytes = hexImage.DataBytes,
                LimitCost = cost,
                LimitSeconds = m.Seconds(cost),
                NewFixture = () => new Fixture(0x410, 0x22, 115200),
                Ours = (fx, client) =>
                {
                    using var conn = Stm32Connection.Open(Client.Open(client, fx.Pty, 115200));
                    var img = FirmwareReader.Read(path, FirmwareFormat.Auto, conn.Flash.Start);
                    var outcome = FlashProgrammer.Write(conn, img, new WriteOptions { Erase = EraseMode.Touched });
                    return $"{(outcome.MassErased ? "mass erase" : outcome.PagesErased.Count + " pages erased")}, {outcome.BlocksWritten} blocks written, {outcome.BlocksSkipped} skipped";
                },
                Stm32flashArgs = fx => $"-b 115200 -m 8n1 -w {path} {fx.Pty}",
                HasFloor = true,
                SamplesPerRun = _o.Quick ? 2 : 5,
                TheirSamplesPerRun = 1,
                Check = (fx, _) =>
                {
                    foreach (var s in image.Segments) Expect(fx.Chip.Peek(s.Address, s.Length), s.ToArray(), $"flash at 0x{s.Address:X8}");
                },
            });
        }

        if (Wanted("read"))
        {
            var m = new ProtocolModel(f1, 0x22, 115200);
            int blocks = (size + 255) / 256;
            var cost = m.Connect(false) + blocks * m.ReadBlock();
            var outFile = Path.Combine(_work, "read.bin");
            _rows.Add(new Row
            {
                Id = "read-115200",
                Title = $"read {_o.SizeKiB} KiB to a file, BL 2.2",
                Baud = 115200,
                PayloadBytes = size,
                LimitCost = cost,
                LimitSeconds = m.Seconds(cost),
                NewFixture = () =>
                {
                    var fx = new Fixture(0x410, 0x22, 115200);
                    fx.Chip.Poke(0x08000000, random);
                    if (File.Exists(outFile)) File.Delete(outFile);
                    return fx;
                },
                Ours = (fx, client) =>
                {
                    using var conn = Stm32Connection.Open(Client.Open(client, fx.Pty, 115200));
                    File.WriteAllBytes(outFile, conn.Read(conn.Flash.Start, size));
                    return "";
                },
                Stm32flashArgs = fx => $"-b 115200 -m 8n1 -r {outFile} -S 0x08000000:{size} {fx.Pty}",
                // The zero-work client keeps no file: it compares each answer with the recorded one.
                Check = (fx, tool) => { if (tool != Tool.Floor) Expect(File.ReadAllBytes(outFile), random, "file read back"); },
                HasFloor = true,
            });
        }

        foreach (var synced in new[] { false, true })
        {
            var id = synced ? "connect-synced" : "connect-fresh";
            if (!Wanted(id)) continue;
            var m = new ProtocolModel(f1, 0x22, 115200);
            var cost = m.Connect(synced);
            _rows.Add(new Row
            {
                Id = id,
                Title = synced ? "connect to a chip still synchronised" : "connect to a fresh chip (after reset)",
                Baud = 115200,
                LimitCost = cost,
                LimitSeconds = m.Seconds(cost),
                NewFixture = () => new Fixture(0x410, 0x22, 115200),
                Prepare = synced
                    ? (fx, tool) =>
                    {
                        // A previous session by the same tool left the chip in its command loop; ours
                        // remembers whether it ended idle, as the module's session store does per port.
                        if (tool == Tool.Ours) fx.LeftIdle = Connect(fx, _o.Client, false).LeftIdle;
                        else if (tool == Tool.OursPosix) fx.LeftIdle = Connect(fx, "posix", false).LeftIdle;
                        else if (tool == Tool.Floor) Connect(fx, _o.Client, false);   // its script starts with 7F 7F
                        else Stm32flashRunner.Run($"-b 115200 -m 8n1 {fx.Pty}");
                        if (fx.Chip.State != ChipState.CommandLoop) throw new InvalidOperationException("The chip is not synchronised after the first session.");
                    }
                    : null,
                Ours = (fx, client) => Connect(fx, client, fx.LeftIdle).Sync.ToString(),
                HasFloor = true,
                SamplesPerRun = _o.Quick ? 3 : 10,
                Stm32flashArgs = fx => $"-b 115200 -m 8n1 {fx.Pty}",
                Check = (fx, _) =>
                {
                    if (fx.Chip.State != ChipState.CommandLoop) throw new InvalidOperationException($"Chip state {fx.Chip.State} after connecting.");
                },
            });
        }
    }

    /// <summary>Write and verify <paramref name="size"/> bytes of data from flash start: connect, protection check, erase, blocks, then the cheapest verify.</summary>
    private static ProtocolModel.Cost DenseWriteCost(ProtocolModel m, int size)
    {
        var dev = m.Device;
        int blocks = (size + 255) / 256;
        return m.Connect(false) + m.ProtectionCheck() + m.EraseFor(dev.Layout!.PagesTouching(dev.Flash.Start, (uint)size))
            + blocks * m.WriteBlock() + (m.Version >= 0x33 ? m.Checksum() : blocks * m.ReadBlock());
    }

    /// <summary>Connect-Stm32's protocol part: open, sync (resuming when the last session left the chip idle), identify.</summary>
    private static (SyncOutcome Sync, bool LeftIdle) Connect(Fixture fx, string client, bool resume)
    {
        using var conn = Stm32Connection.Open(Client.Open(client, fx.Pty, fx.Baud), new BootloaderOptions { ExpectSynchronized = resume });
        return (conn.LastSync, conn.InBootloader && conn.Client.IsIdle);
    }

    /// <summary>
    /// Runs bench/pwsh-row.ps1 in its own pwsh (the repository's local tool) and takes the time it
    /// measured around the cmdlets; pwsh start-up, Import-Module and its warm-up are reported, not timed.
    /// </summary>
    private (double Seconds, string Note) PwshRow(string module, Fixture fx, string image)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = _repo,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "pwsh", "-NoProfile", "-NonInteractive", "-File", Path.Combine(_repo, "bench", "pwsh-row.ps1"),
                     "-ModulePath", module, "-Port", fx.Pty, "-BaudRate", "115200", "-Image", image })
            psi.ArgumentList.Add(a);
        var wall = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(300_000))
        {
            p.Kill(true);
            throw new InvalidOperationException("pwsh-row.ps1 did not finish within 5 minutes.");
        }
        p.WaitForExit();
        var line = stdout.Result.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.StartsWith('{'));
        if (p.ExitCode != 0 || line == null)
            throw new InvalidOperationException($"pwsh-row.ps1 exited {p.ExitCode}: {string.Join(" / ", (stderr.Result + stdout.Result).Trim().Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).TakeLast(3))}");
        using var json = System.Text.Json.JsonDocument.Parse(line);
        var r = json.RootElement;
        if (!r.GetProperty("Verified").GetBoolean()) throw new InvalidOperationException("Write-Stm32Firmware did not report the write verified.");
        var seconds = r.GetProperty("Seconds").GetDouble();
        return (seconds, string.Format(CultureInfo.InvariantCulture, "verify {0}, {1} pages erased, {2} blocks; pwsh start + import + warm-up {3:0.0} s (untimed)",
            r.GetProperty("VerifyMethod").GetString(), r.GetProperty("PagesErased").GetInt32(), r.GetProperty("Blocks").GetInt32(), wall.Elapsed.TotalSeconds - seconds));
    }

    private static void Expect(byte[] actual, byte[] expected, string what)
    {
        if (actual.Length != expected.Length) throw new InvalidOperationException($"{what}: {actual.Length} bytes, expected {expected.Length}.");
        for (int i = 0; i < actual.Length; i++)
            if (actual[i] != expected[i]) throw new InvalidOperationException($"{what}: differs at offset 0x{i:X}.");
    }
}

/// <summary>Opens the link our client uses.</summary>
public static class Client
{
    /// <summary>Prefix of a client kind whose link records what it moves (<see cref="LastRecording"/>).</summary>
    public const string Recording = "record:";

    /// <summary>The link of the last <see cref="Recording"/> open (the bench records one row at a time, untimed).</summary>
    public static RecordingLink? LastRecording { get; private set; }

    public static void ForgetRecording() => LastRecording = null;

    public static IByteLink Open(string kind, string path, int baud)
    {
        if (kind.StartsWith(Recording, StringComparison.Ordinal))
            return LastRecording = new RecordingLink(Open(kind.Substring(Recording.Length), path, baud));
        return kind == "posix" ? new PosixTtyLink(path, baud) : SerialPortLink.Open(path, baud, Parity.None);
    }
}

public static class Stm32flashRunner
{
    public static (int Code, string Output) Run(string args)
    {
        var psi = new ProcessStartInfo("stm32flash", args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(300_000))
        {
            p.Kill();
            return (-1, "timed out");
        }
        p.WaitForExit();
        return (p.ExitCode, stdout.Result + stderr.Result);
    }
}
