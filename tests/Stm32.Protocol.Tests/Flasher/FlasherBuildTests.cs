using System.Diagnostics;
using Stm32.Protocol.Flasher;

namespace Stm32.Protocol.Tests.Flasher;

/// <summary>A fact that reports skipped (never passed) where arm-none-eabi-gcc is missing.</summary>
public sealed class ArmGccFactAttribute : FactAttribute
{
    public ArmGccFactAttribute()
    {
        var gcc = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, "arm-none-eabi-gcc")).FirstOrDefault(File.Exists);
        if (gcc == null) Skip = "arm-none-eabi-gcc is not installed (apt-get install gcc-arm-none-eabi).";
        else if (FlasherBuildTests.RepoRoot() == null) Skip = "The flasher sources are not beside the test binaries.";
    }
}

/// <summary>A theory that reports skipped where the repository's flasher/ folder is not above the test binaries.</summary>
public sealed class InRepositoryTheoryAttribute : TheoryAttribute
{
    public InRepositoryTheoryAttribute()
    {
        if (FlasherBuildTests.RepoRoot() == null) Skip = "The flasher/bin files are not beside the test binaries.";
    }
}

public class FlasherBuildTests
{
    internal static string? RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "flasher", "build.sh"))) return d.FullName;
        return null;
    }

    [ArmGccFact]
    public void Committed_flasher_images_are_what_the_sources_build()
    {
        var psi = new ProcessStartInfo("bash", "flasher/build.sh --check")
        {
            WorkingDirectory = RepoRoot()!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(120_000), "build.sh did not finish");
        Assert.True(p.ExitCode == 0, output);
    }

    [InRepositoryTheory]
    [InlineData(FlasherVariant.F1)]
    [InlineData(FlasherVariant.F0F3)]
    [InlineData(FlasherVariant.F4)]
    [InlineData(FlasherVariant.G0)]
    public void Embedded_images_match_the_committed_files(FlasherVariant v)
    {
        var root = RepoRoot()!;
        var file = File.ReadAllBytes(Path.Combine(root, "flasher", "bin", "flasher-" + FlasherImage.ResourceSuffix(v) + ".bin"));
        Assert.Equal(file, FlasherImage.Get(v).ToArray());
        Assert.Equal(1, FlasherImage.Get(v).ProtocolVersion);
    }
}
