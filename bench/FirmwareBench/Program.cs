using System.Diagnostics;
using System.Globalization;
using Stm32.Protocol.Firmware;

// Generates Intel HEX (16 data bytes a record, LF, type 04 records: what objcopy writes) and
// S-record files for full 0.5, 1 and 2 MiB flash images, then times FirmwareReader.Read on each
// (file read + parse + image build; median of several runs after a warm-up).
// Usage: FirmwareBench [runs]   (default 11)

int runs = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 11;
var dir = Directory.CreateTempSubdirectory("fwbench");
var rng = new Random(12345);
Console.WriteLine($".NET {Environment.Version}, {Environment.ProcessorCount} CPUs, {runs} runs per case (median, min)");
Console.WriteLine();
Console.WriteLine("format  image      file size   median ms   min ms    MB/s (text)  ms per MiB of image");

try
{
    foreach (var format in new[] { FirmwareFormat.IntelHex, FirmwareFormat.SRecord })
    {
        foreach (int kib in new[] { 512, 1024, 2048 })
        {
            var data = new byte[kib * 1024];
            rng.NextBytes(data);
            var image = FirmwareImage.FromBytes(0x08000000, data, 0x08000199);
            var path = Path.Combine(dir.FullName, $"flash{kib}k" + (format == FirmwareFormat.IntelHex ? ".hex" : ".srec"));
            FirmwareWriter.Write(image, path, format, new FirmwareWriterOptions { BytesPerRecord = 16, SRecordCount = false });
            long size = new FileInfo(path).Length;

            // Warm-up (JIT, page cache) and a correctness check.
            var check = FirmwareReader.Read(path);
            if (!check.Equals(image)) throw new InvalidOperationException("Benchmark image did not read back equal.");

            var times = new List<double>();
            for (int i = 0; i < runs; i++)
            {
                var sw = Stopwatch.StartNew();
                var read = FirmwareReader.Read(path);
                sw.Stop();
                GC.KeepAlive(read);
                times.Add(sw.Elapsed.TotalMilliseconds);
            }
            times.Sort();
            double median = times[times.Count / 2];
            Console.WriteLine(string.Format(CultureInfo.InvariantCulture,
                "{0,-7} {1,5} KiB  {2,10:N0}  {3,10:F1}  {4,7:F1}  {5,11:F0}  {6,19:F1}",
                format == FirmwareFormat.IntelHex ? "HEX" : "SREC", kib, size, median, times[0],
                size / 1e6 / (median / 1000), median / (kib / 1024.0)));
        }
    }

    // The SHA-256 a production log records is computed on first use, not while reading.
    var big = FirmwareReader.Read(Path.Combine(dir.FullName, "flash2048k.hex"));
    var shaTimer = Stopwatch.StartNew();
    _ = big.Sha256;
    shaTimer.Stop();
    Console.WriteLine();
    Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "SHA-256 of the 2 MiB image: {0:F1} ms", shaTimer.Elapsed.TotalMilliseconds));
}
finally
{
    dir.Delete(recursive: true);
}
