using System;
using System.Management.Automation;

namespace Stm32.PowerShell.Infrastructure
{
    /// <summary>A failure the module itself detects, already carrying its ErrorId and category.</summary>
    internal sealed class ModuleException : Exception
    {
        public ModuleException(string errorId, ErrorCategory category, string message, string? recommendedAction = null, Exception? inner = null)
            : base(message, inner)
        {
            ErrorId = errorId;
            Category = category;
            RecommendedAction = recommendedAction;
        }

        public string ErrorId { get; }

        public ErrorCategory Category { get; }

        public string? RecommendedAction { get; }
    }
}
