using System.Runtime.InteropServices;

namespace Stm32.Protocol.Tests;

/// <summary>A fact that reports skipped (never passed) where there are no pseudo-terminals.</summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute()
    {
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux)) Skip = "Needs Linux pseudo-terminals.";
    }
}

/// <summary>A fact that reports skipped (never passed) when stm32flash is not installed.</summary>
public sealed class Stm32FlashFactAttribute : FactAttribute
{
    public Stm32FlashFactAttribute()
    {
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux)) Skip = "Needs Linux pseudo-terminals.";
        else if (Stm32FlashPath == null) Skip = "stm32flash is not installed (apt-get install stm32flash).";
    }

    public static string? Stm32FlashPath =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
            .Select(d => Path.Combine(d, "stm32flash")).FirstOrDefault(File.Exists);
}

/// <summary>A theory that reports skipped (never passed) when stm32flash is not installed.</summary>
public sealed class Stm32FlashTheoryAttribute : TheoryAttribute
{
    public Stm32FlashTheoryAttribute()
    {
        var fact = new Stm32FlashFactAttribute();
        if (fact.Skip != null) Skip = fact.Skip;
    }
}

/// <summary>A theory that reports skipped (never passed) where there are no pseudo-terminals.</summary>
public sealed class LinuxTheoryAttribute : TheoryAttribute
{
    public LinuxTheoryAttribute()
    {
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux)) Skip = "Needs Linux pseudo-terminals.";
    }
}
