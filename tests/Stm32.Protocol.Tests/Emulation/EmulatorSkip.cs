using Stm32.Protocol.Emulation;

namespace Stm32.Protocol.Tests.Emulation;

/// <summary>A fact that reports skipped (never passed) where Unicorn 2 (libunicorn.so.2) is missing.</summary>
public sealed class EmulatorFactAttribute : FactAttribute
{
    public EmulatorFactAttribute()
    {
        if (!EmulatedCore.IsAvailable) Skip = "The emulated core is unavailable: " + EmulatedCore.UnavailableReason;
    }
}

/// <summary>A theory that reports skipped (never passed) where Unicorn 2 (libunicorn.so.2) is missing.</summary>
public sealed class EmulatorTheoryAttribute : TheoryAttribute
{
    public EmulatorTheoryAttribute()
    {
        if (!EmulatedCore.IsAvailable) Skip = "The emulated core is unavailable: " + EmulatedCore.UnavailableReason;
    }
}
