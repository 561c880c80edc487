using System.Diagnostics;
using System.Text.RegularExpressions;
using Stm32.Protocol.Devices;
using Stm32.Protocol.Simulation;
using Stm32.Protocol.Transport;

namespace Stm32.Protocol.Tests.Integration;

/// <summary>
/// stm32flash, a client nobody here wrote, drives our simulated chip over a pseudo-terminal
/// (8N1: a pty carries no parity). Skipped, never passed, where stm32flash is missing.
/// </summary>
[Trait("Category", "Interop")]
public class Stm32FlashInteropTests
{
    private sealed class ServedChip : IDisposable
    {
        public ServedChip(ushort pid, byte? version = null)
        {
            Chip = new SimulatedChip(DeviceCatalog.Find(pid)!, new SimulatorOptions { BootloaderVersion = version });
            Pty = new PseudoTerminalLink(115200);
            Chip.Attach(Pty);
        }

        public SimulatedChip Chip { get; }
        public PseudoTerminalLink Pty { get; }

        public (int Exit, string Output) Run(params string[] args)
        {
            var psi = new ProcessStartInfo(Stm32FlashFactAttribute.Stm32FlashPath!)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var a in new[] { "-b", "115200", "-m", "8n1" }.Concat(args).Append(Pty.SlavePath)) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(120_000))
            {
                p.Kill();
                throw new TimeoutException("stm32flash did not finish in 120 s");
            }
            return (p.ExitCode, stdout.Result + stderr.Result);
        }

        public void Dispose()
        {
            Chip.Dispose();
            Pty.Dispose();
        }
    }

    [Stm32FlashFact]
    public void Identifies_a_2_2_part()
    {
        using var s = new ServedChip(0x410);
        var (exit, output) = s.Run();
        Assert.True(exit == 0, output);
        Assert.Matches(new Regex(@"Version\s*:\s*0x22"), output);
        Assert.Matches(new Regex(@"Device ID\s*:\s*0x0410"), output);
    }

    [Stm32FlashFact]
    public void Identifies_a_3_1_part()
    {
        using var s = new ServedChip(0x413);
        var (exit, output) = s.Run();
        Assert.True(exit == 0, output);
        Assert.Matches(new Regex(@"Version\s*:\s*0x31"), output);
        Assert.Matches(new Regex(@"Device ID\s*:\s*0x0413"), output);
    }

    [Stm32FlashTheory]
    [InlineData(0x410)] // Erase 0x43
    [InlineData(0x413)] // Extended Erase 0x44
    public void Writes_verifies_and_reads_back_64_KiB(int pid)
    {
        using var s = new ServedChip((ushort)pid);
        var data = new byte[64 * 1024];
        new Random(pid).NextBytes(data);
        var dir = Directory.CreateTempSubdirectory("stm32flash");
        try
        {
            var input = Path.Combine(dir.FullName, "in.bin");
            var output = Path.Combine(dir.FullName, "out.bin");
            File.WriteAllBytes(input, data);
            var (exit, log) = s.Run("-w", input, "-v");
            Assert.True(exit == 0, log);
            Assert.Equal(data, s.Chip.Peek(0x08000000, data.Length));

            // A second run on the same, still synchronised chip (no reset in between).
            (exit, log) = s.Run("-r", output, "-S", "0x08000000:65536");
            Assert.True(exit == 0, log);
            Assert.Equal(data, File.ReadAllBytes(output));
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Stm32FlashFact]
    public void Go_starts_the_program()
    {
        using var s = new ServedChip(0x410);
        var (exit, log) = s.Run("-g", "0x0");
        Assert.True(exit == 0, log);
        Assert.True(SpinWait.SpinUntil(() => s.Chip.State == ChipState.RunningApplication, 2000), log);
    }
}
