using System;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace Stm32.WinHost
{
    /// <summary>
    /// A minimal PowerShell host for the Windows lane: runs a script file (-File path [args]) or
    /// a command (-Command text) in a runspace made from InitialSessionState.CreateDefault() (not
    /// CreateDefault2, which lacks Out-String), prints the output, the information stream (Write-Host),
    /// warnings, verbose messages and errors as they come, and exits with the script's exit code
    /// (1 when it failed without one). Ctrl+C stops the pipeline, as the console host does.
    /// </summary>
    public static class Program
    {
        public static int Main(string[] args)
        {
            if (args.Length < 2 || (args[0] != "-File" && args[0] != "-Command"))
            {
                Console.Error.WriteLine("usage: Stm32WinHost -File <script.ps1> [arguments] | -Command <text>");
                return 2;
            }
            // Scripts and format files load whatever this machine's execution policy says.
            Environment.SetEnvironmentVariable("PSExecutionPolicyPreference", "Bypass");
            var iss = InitialSessionState.CreateDefault();
            iss.ExecutionPolicy = Microsoft.PowerShell.ExecutionPolicy.Bypass;
            using var runspace = RunspaceFactory.CreateRunspace(iss);
            runspace.Open();
            using var ps = PowerShell.Create();
            ps.Runspace = runspace;
            // Output goes through Out-String, as the console host formats it. 'exit N' in a script
            // file ends the script and sets $LASTEXITCODE, which becomes this program's exit code,
            // so -Command text runs from a temporary script file too.
            string file = args[1];
            string[] arguments = args.Skip(2).ToArray();
            string? temporary = null;
            if (args[0] == "-Command")
            {
                temporary = Path.Combine(Path.GetTempPath(), "Stm32WinHost-" + Guid.NewGuid().ToString("N") + ".ps1");
                File.WriteAllText(temporary, string.Join(" ", args.Skip(1)));
                (file, arguments) = (temporary, Array.Empty<string>());
            }
            // As pwsh -File: an argument that looks like -Name names a parameter, the rest are values.
            var call = "& " + Quote(file) + string.Concat(arguments.Select(a => " " + (IsParameterName(a) ? a : Quote(a))));
            ps.AddScript("$global:LASTEXITCODE = 0; " + call + " | Out-String -Stream -Width 160");

            var output = new PSDataCollection<PSObject>();
            output.DataAdded += (s, e) => Console.Out.WriteLine(output[e.Index]?.BaseObject);
            ps.Streams.Information.DataAdded += (s, e) => Console.Out.WriteLine(ps.Streams.Information[e.Index].MessageData);
            ps.Streams.Warning.DataAdded += (s, e) => Console.Out.WriteLine("WARNING: " + ps.Streams.Warning[e.Index].Message);
            ps.Streams.Verbose.DataAdded += (s, e) => Console.Out.WriteLine("VERBOSE: " + ps.Streams.Verbose[e.Index].Message);
            ps.Streams.Error.DataAdded += (s, e) => Console.Error.WriteLine(Describe(ps.Streams.Error[e.Index]));

            Console.CancelKeyPress += (s, e) =>
            {
                e.Cancel = true;
                ps.BeginStop(null, null);
            };
            try
            {
                ps.Invoke(null, output);
            }
            catch (PipelineStoppedException)
            {
                Console.Error.WriteLine("Stopped.");
                return 130;
            }
            catch (RuntimeException e)
            {
                Console.Error.WriteLine(Describe(e.ErrorRecord));
                return 1;
            }
            finally
            {
                if (temporary != null) File.Delete(temporary);
            }
            Console.Out.Flush();
            return runspace.SessionStateProxy.GetVariable("LASTEXITCODE") is int code && code != 0 ? code : ps.HadErrors ? 1 : 0;
        }

        private static string Quote(string text) => "'" + text.Replace("'", "''") + "'";

        private static bool IsParameterName(string text)
            => text.Length > 1 && text[0] == '-' && char.IsLetter(text[1]) && text.Skip(1).All(c => char.IsLetterOrDigit(c) || c == '_' || c == ':');

        private static string Describe(ErrorRecord e)
            => (e.ErrorDetails?.Message ?? e.Exception?.Message ?? e.ToString())
               + " (" + e.FullyQualifiedErrorId + ")"
               + (e.InvocationInfo?.PositionMessage is string where && where.Length > 0 ? Environment.NewLine + where : "");
    }
}
