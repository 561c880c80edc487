using System.Globalization;
using Stm32.Protocol.Tests.Firmware;

// Long mutation fuzz run of FirmwareReader (see README.md). Exit code 0: no property broke.
var seconds = 600.0;
long inputs = long.MaxValue;
ulong seed = (ulong)DateTime.UtcNow.Ticks;
var crashes = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../crashes"));
string? replay = null;
for (int i = 0; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException(args[i] + " needs a value");
    switch (args[i])
    {
        case "--seconds": seconds = double.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--inputs": inputs = long.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--seed": seed = ulong.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--crashes": crashes = Path.GetFullPath(Next()); break;
        case "--replay": replay = Next(); break;
        default:
            Console.Error.WriteLine("usage: FirmwareFuzz [--seconds 600] [--inputs N] [--seed N] [--crashes DIR] [--replay CASESEED]");
            return 2;
    }
}

var seeds = FirmwareFuzz.LoadSeeds(Path.Combine(AppContext.BaseDirectory, "data"));
if (replay != null)
{
    var (from, input) = FirmwareFuzz.Replay(seeds, replay);
    var path = Path.Combine(crashes, replay + Path.GetExtension(from.Name));
    Directory.CreateDirectory(crashes);
    File.WriteAllBytes(path, input);
    Console.WriteLine($"{replay}: {input.Length} bytes from {from.Name} written to {path}");
    FirmwareFuzz.Check(from, input, replay);
    Console.WriteLine("read or refused as it should be");
    return 0;
}

Console.WriteLine($"seed {seed}, up to {seconds} s and {(inputs == long.MaxValue ? "any number of" : inputs.ToString("N0", CultureInfo.InvariantCulture))} inputs, {seeds.Count} seed files");
var report = FirmwareFuzz.Run(seeds, seed, TimeSpan.FromSeconds(seconds), 0, inputs, stopAtFirst: false,
    progress: r => Console.Error.Write($"\r{r}   "));
Console.Error.WriteLine();
Console.WriteLine(report);

// One saved input per kind of failure: the smallest.
var groups = report.Failures.GroupBy(f => f.Signature).OrderByDescending(g => g.Count()).ToList();
if (groups.Count > 0) Directory.CreateDirectory(crashes);
foreach (var g in groups)
{
    var first = g.OrderBy(f => f.Input.Length).First();
    var path = Path.Combine(crashes, first.CaseSeed + Path.GetExtension(first.From.Name));
    File.WriteAllBytes(path, first.Input);
    Console.WriteLine($"{g.Count(),8} x {g.Key}: {first.Problem}");
    Console.WriteLine($"           smallest: {path} (--replay {first.CaseSeed})");
}
return report.Failures.Count == 0 ? 0 : 1;
