using System.Globalization;
using System.Text;
using Stm32.Protocol.Bootloader;
using Stm32.Protocol.Programming;
using Stm32.Protocol.Tests.Hostile;

// Usage: dotnet run -c Release -- [--only "text"] [--parallel N] [--verbose]
// Runs every hostile-device scenario once against its misbehaving bootloader, with the module's
// default timeouts and recovery limits at a nominal 115200 baud (what a user waits), and prints
// the table (also to bench/results/hostile.md, git-ignored). Exits 1 when any scenario did not end
// in its one acceptable outcome.
string? only = null;
int parallel = Math.Max(2, Environment.ProcessorCount * 2);
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--only": only = args[++i]; break;
        case "--parallel": parallel = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--verbose": HostileScenarios.Verbose = Console.WriteLine; parallel = 1; break;
    }
}

var scenarios = HostileScenarios.All.Where(s => only == null || s.Misbehaviour.Contains(only, StringComparison.OrdinalIgnoreCase)).ToArray();
var reports = new HostileReport[scenarios.Length];
var clock = System.Diagnostics.Stopwatch.StartNew();
// Side by side: most of a scenario is spent waiting out timeouts, and each has its own device.
Parallel.For(0, scenarios.Length, new ParallelOptions { MaxDegreeOfParallelism = parallel }, k =>
{
    reports[k] = HostileScenarios.Run(scenarios[k], new BootloaderOptions(), new RecoveryOptions(), 115200);
    Console.Error.WriteLine(reports[k]);
});

var md = new StringBuilder();
md.AppendLine(string.Format(CultureInfo.InvariantCulture,
    "{0} scenarios, each once on a fresh misbehaving bootloader; the module's default timeouts and recovery limits (reply 0.5 s, block 1 s, " +
    "5 retries, 4 resync attempts, deadline 30 s + 4 x what the chip needs) at a nominal 115200 baud; {1:yyyy-MM-dd}, {2:0} s in all ({3} at a time).",
    scenarios.Length, DateTime.UtcNow, clock.Elapsed.TotalSeconds, parallel));
md.AppendLine();
md.AppendLine("| misbehaviour | the client does | acceptable outcome | outcome | time to outcome |");
md.AppendLine("|---|---|---|---|---:|");
foreach (var r in reports)
{
    var outcome = r.Result == HostileResult.RightData ? "right data"
        : r.Result == HostileResult.TypedError ? "typed error: " + r.Error!.GetType().Name
        : "**" + r.Result + "**";
    if (!r.AsExpected) outcome += " **(not the acceptable outcome" + (r.Problem != null ? ": " + r.Problem : "") + ")**";
    md.AppendLine(string.Format(CultureInfo.InvariantCulture, "| {0} | {1} | {2} | {3} | {4:0.00} s |",
        r.Scenario.Misbehaviour, r.Scenario.Operation, r.Scenario.ExpectedText, outcome.Replace("|", "\\|"), r.Elapsed.TotalSeconds));
}
var dir = Path.Combine(FindRepoRoot(), "bench", "results");
Directory.CreateDirectory(dir);
if (only == null) File.WriteAllText(Path.Combine(dir, "hostile.md"), md.ToString());
Console.WriteLine();
Console.WriteLine(md.ToString());
var bad = reports.Where(r => !r.AsExpected).ToList();
foreach (var r in bad) Console.WriteLine("PROBLEM: " + r);
return bad.Count == 0 ? 0 : 1;

static string FindRepoRoot()
{
    var d = new DirectoryInfo(AppContext.BaseDirectory);
    while (d != null && !File.Exists(Path.Combine(d.FullName, "Stm32.slnx"))) d = d.Parent;
    return d?.FullName ?? Directory.GetCurrentDirectory();
}
