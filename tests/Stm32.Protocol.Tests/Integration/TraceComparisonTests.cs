using System.Diagnostics;
using System.IO.Ports;
using System.Text;
using Stm32.Protocol.Devices;
using Stm32.Protocol.Firmware;
using Stm32.Protocol.Programming;
using Stm32.Protocol.Simulation;
using Stm32.Protocol.Transport;
using Xunit.Abstractions;

namespace Stm32.Protocol.Tests.Integration;

/// <summary>
/// The same 64 KiB of random data written to two fresh chips, once by stm32flash (-w -v) and
/// once by our client (FlashProgrammer, Verify) over a real SerialPort; the chips' byte traces
/// are cut into frames and compared: the same erase frames for the same pages, the same write
/// frames (address, 256-byte aligned blocks, checksums). Verification differs on purpose and the
/// summary says how. Skipped, never passed, where stm32flash is missing.
/// </summary>
[Trait("Category", "Interop")]
public class TraceComparisonTests
{
    private readonly ITestOutputHelper _output;

    public TraceComparisonTests(ITestOutputHelper output) => _output = output;

    private static IReadOnlyList<TraceEntry> TraceOfStm32flash(ushort pid, string image)
    {
        using var chip = new SimulatedChip(DeviceCatalog.Find(pid)!);
        using var host = SimulatorHost.OnPseudoTerminal(chip, 115200);
        var psi = new ProcessStartInfo(Stm32FlashFactAttribute.Stm32FlashPath!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "-b", "115200", "-m", "8n1", "-w", image, "-v", host.Endpoint }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000)) { p.Kill(); throw new TimeoutException("stm32flash did not finish in 120 s"); }
        Assert.True(p.ExitCode == 0, stdout.Result + stderr.Result);
        return chip.Trace;
    }

    private static IReadOnlyList<TraceEntry> TraceOfOurClient(ushort pid, byte[] data)
    {
        using var chip = new SimulatedChip(DeviceCatalog.Find(pid)!);
        using var host = SimulatorHost.OnPseudoTerminal(chip, 115200);
        using var link = SerialPortLink.Open(host.Endpoint, 115200, Parity.None);
        using var c = Stm32Connection.Open(link, new Stm32.Protocol.Bootloader.BootloaderOptions { ReplyTimeout = TimeSpan.FromSeconds(3) });
        var outcome = FlashProgrammer.Write(c, FirmwareImage.FromBytes(0x08000000, data), new WriteOptions { Verify = true });
        Assert.True(outcome.Verified);
        return chip.Trace;
    }

    [Stm32FlashTheory]
    [InlineData(0x410)] // Erase 0x43, pages
    [InlineData(0x413)] // Extended Erase 0x44, sectors
    public void Stm32flash_and_our_client_send_the_same_erase_and_write_frames(int pid)
    {
        var data = new byte[64 * 1024];
        new Random(pid).NextBytes(data);
        var dir = Directory.CreateTempSubdirectory("trace");
        try
        {
            var image = Path.Combine(dir.FullName, "in.bin");
            File.WriteAllBytes(image, data);
            var theirs = TraceFrame.Parse(TraceOfStm32flash((ushort)pid, image));
            var ours = TraceFrame.Parse(TraceOfOurClient((ushort)pid, data));
            var report = Compare(pid, theirs, ours, out var eraseSame, out var writeSame);
            _output.WriteLine(report);
            Assert.True(eraseSame, report);
            Assert.True(writeSame, report);
        }
        finally
        {
            dir.Delete(true);
        }
    }

    private static bool IsErase(TraceFrame f) => f.Code == 0x43 || f.Code == 0x44;

    private static string Compare(int pid, List<TraceFrame> theirs, List<TraceFrame> ours, out bool eraseSame, out bool writeSame)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"Trace comparison, 0x{pid:X3}, 64 KiB at 0x08000000: stm32flash -w -v (left) vs our FlashProgrammer Verify (right)");
        string Counts(List<TraceFrame> fs) => string.Join(", ", fs.GroupBy(f => f.Code).OrderBy(g => g.Key).Select(g => $"{g.Key:X2} x{g.Count()}"));
        sb.AppendLine($"  frames by command: stm32flash {Counts(theirs)}");
        sb.AppendLine($"                     ours       {Counts(ours)}");

        var te = theirs.Where(IsErase).ToList();
        var oe = ours.Where(IsErase).ToList();
        // Comparing nothing with nothing would say SAME: both traces must hold the frames.
        Assert.NotEmpty(te);
        Assert.NotEmpty(oe);
        eraseSame = te.Count == oe.Count && te.Zip(oe).All(p => p.First.Code == p.Second.Code
            && p.First.Packets.Count == p.Second.Packets.Count && p.First.Packets.Zip(p.Second.Packets).All(q => q.First.SequenceEqual(q.Second)));
        sb.AppendLine($"  erase: {(eraseSame ? "SAME" : "DIFFERENT")} ({te.Count} vs {oe.Count} frame(s))");
        foreach (var f in te) sb.AppendLine($"    stm32flash {f.Describe()}");
        foreach (var f in oe) sb.AppendLine($"    ours       {f.Describe()}");

        var tw = theirs.Where(f => f.Code == 0x31).ToList();
        var ow = ours.Where(f => f.Code == 0x31).ToList();
        Assert.Equal(64 * 1024 / 256, ow.Count);
        Assert.Equal(ow.Count, tw.Count);
        int firstDiff = -1;
        for (int i = 0; i < Math.Max(tw.Count, ow.Count); i++)
        {
            if (i >= tw.Count || i >= ow.Count || tw[i].Packets.Count != ow[i].Packets.Count
                || !tw[i].Packets.Zip(ow[i].Packets).All(q => q.First.SequenceEqual(q.Second)))
            {
                firstDiff = i;
                break;
            }
        }
        writeSame = firstDiff < 0;
        var aligned = ow.All(f => f.Address % 256 == 0 && f.Packets.Count == 2 && f.Packets[1].Length == 256 + 2);
        sb.AppendLine($"  write: {(writeSame ? "SAME" : "DIFFERENT")} ({tw.Count} vs {ow.Count} Write Memory frames; ours 256-byte aligned blocks: {aligned}; "
            + $"address+XOR, N-1, data and XOR byte for byte{(writeSame ? "" : $"; first difference at frame {firstDiff}")})");
        if (!writeSame && firstDiff < tw.Count) sb.AppendLine($"    stm32flash {tw[firstDiff].Describe()}");
        if (!writeSame && firstDiff < ow.Count) sb.AppendLine($"    ours       {ow[firstDiff].Describe()}");

        // Verification: where the reads sit and how big they are.
        string Verify(List<TraceFrame> fs)
        {
            var lastWrite = fs.FindLastIndex(f => f.Code == 0x31);
            var firstWrite = fs.FindIndex(f => f.Code == 0x31);
            var reads = fs.Select((f, i) => (f, i)).Where(x => x.f.Code == 0x11 && x.i > firstWrite).ToList();
            var interleaved = reads.Count(x => x.i < lastWrite);
            var sizes = reads.Select(x => x.f.Packets.Count > 1 && x.f.Packets[1].Length > 0 ? x.f.Packets[1][0] + 1 : 0).Distinct().OrderBy(n => n);
            var sums = fs.Count(f => f.Code == 0xA1);
            var before = fs.Take(Math.Max(0, firstWrite)).Count(f => f.Code == 0x11);
            return $"{before} Read Memory before the first write (identification), {reads.Count} Read Memory frames of {string.Join("/", sizes)} B, {interleaved} between writes, {reads.Count - interleaved} after the last write"
                + (sums > 0 ? $", {sums} Get Checksum" : "");
        }
        sb.AppendLine($"  verify: stm32flash {Verify(theirs)} (reads each block back right after writing it)");
        sb.AppendLine($"          ours       {Verify(ours)} (reads the whole image back after the whole write)");
        return sb.ToString();
    }
}
