using System.Diagnostics;
using System.Globalization;
using System.Text;
using Stm32.Protocol.Tests.Faults;

// Usage: dotnet run -c Release -- [rounds per part and scenario] [--parallel N] [--only "scenario name"] [--part N] [--seed S] [--verbose]
// Writes the table to bench/results/faults.md (git-ignored) and to stdout.
var rounds = 20;
string? only = null;
int? onlyPart = null, onlySeed = null;
bool verbose = false;
int parallel = Math.Max(2, Environment.ProcessorCount * 2);
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--only": only = args[++i]; break;
        case "--part": onlyPart = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--seed": onlySeed = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--verbose": verbose = true; parallel = 1; break;
        case "--parallel": parallel = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        default: rounds = int.Parse(args[i], CultureInfo.InvariantCulture); break;
    }
}

if (verbose) FaultRounds.Verbose = Console.WriteLine;
var all = Stopwatch.StartNew();
var rows = new List<string>();
var problems = new List<string>();
int scenarioIndex = 0;
foreach (var scenario in FaultRounds.Scenarios)
{
    scenarioIndex++;
    if (only != null && !scenario.Name.Contains(only, StringComparison.OrdinalIgnoreCase)) continue;
    for (int p = 0; p < FaultRounds.Parts.Length; p++)
    {
        if (onlyPart is int op && op != p) continue;
        var part = FaultRounds.Parts[p];
        // Seeds differ from the test suite's (which uses 1000*scenario + 100*part + i). Rounds
        // run side by side: most of a faulty round is spent waiting out timeouts.
        var seeds = onlySeed is int one ? new[] { one } : Enumerable.Range(0, rounds).Select(r => 1_000_000 + 10_000 * scenarioIndex + 1000 * p + r).ToArray();
        var reports = new RoundReport[seeds.Length];
        Parallel.For(0, seeds.Length, new ParallelOptions { MaxDegreeOfParallelism = parallel }, k =>
        {
            var report = FaultRounds.Run(part, scenario, seeds[k]);
            reports[k] = report;
            if (report.Result != RoundResult.VerifiedExact) Console.Error.WriteLine(report);
            if (report.Result is RoundResult.WrongSuccess or RoundResult.UnclearError)
                lock (problems) problems.Add(report.ToString());
        });
        int n = reports.Length;
        string Mean(Func<RoundReport, int> f) => (reports.Average(f)).ToString("0.0", CultureInfo.InvariantCulture);
        var row = string.Format(CultureInfo.InvariantCulture,
            "| {0} | {1} | {2} | {3} | {4} | {5} | {6} | {7} | {8} | {9} | {10} | {12} | {11:0.00} |",
            scenario.Name, part.Name, n,
            reports.Count(x => x.Result == RoundResult.VerifiedExact),
            reports.Count(x => x.Result == RoundResult.ClearError),
            reports.Count(x => x.Result == RoundResult.WrongSuccess),
            reports.Count(x => x.Result == RoundResult.UnclearError),
            Mean(x => x.Retries), Mean(x => x.Resyncs), Mean(x => x.Rewrites), Mean(x => x.Resets),
            reports.Average(x => x.Elapsed.TotalSeconds), Mean(x => x.ChipResets));
        rows.Add(row);
        Console.WriteLine(row);
    }
}

var md = new StringBuilder();
md.AppendLine("### Faults: write-with-verify of a 64 KiB random image on the simulated chip (issue 8)");
md.AppendLine();
md.AppendLine(string.Format(CultureInfo.InvariantCulture,
    "{0} seeded rounds per scenario and part ({4} at a time); instant simulator timing, host reply timeout {1} ms, default recovery limits " +
    "(5 retries a block, 4 resync attempts, 3 page rewrites); {2:yyyy-MM-dd}, {3:0} s in all. Rates are per byte. Retries, resyncs, rewrites and resets " +
    "are means per round (connect included); rewrites count blocks written again after a wrong read-back; chip resets are the simulator's own count (a reset knob numbers command pairs, and resync filler pairs count, so under other faults it sometimes lands on a pair that is NACKed and no reset happens). s/round is wall time with the short " +
    "timeouts of the suite, not line speed.",
    rounds, FaultRounds.ReplyTimeout.TotalMilliseconds, DateTime.UtcNow, all.Elapsed.TotalSeconds, parallel));
md.AppendLine();
md.AppendLine("| scenario | part | rounds | verified exact | clear error | success with wrong image | unclear error | retries | resyncs | rewrites | resets noticed | chip resets | s/round |");
md.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
foreach (var row in rows) md.AppendLine(row);
var dir = Path.Combine(FindRepoRoot(), "bench", "results");
Directory.CreateDirectory(dir);
if (only == null && onlyPart == null && onlySeed == null) File.WriteAllText(Path.Combine(dir, "faults.md"), md.ToString());
Console.WriteLine();
Console.WriteLine(md.ToString());
foreach (var p in problems) Console.WriteLine("PROBLEM: " + p);
return problems.Count == 0 ? 0 : 1;

static string FindRepoRoot()
{
    var d = new DirectoryInfo(AppContext.BaseDirectory);
    while (d != null && !File.Exists(Path.Combine(d.FullName, "Stm32.slnx"))) d = d.Parent;
    return d?.FullName ?? Directory.GetCurrentDirectory();
}
