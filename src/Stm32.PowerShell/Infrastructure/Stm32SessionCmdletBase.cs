using System.Linq;
using System.Management.Automation;
using Stm32.PowerShell.Commands;
using Stm32.Protocol.Bootloader;
using Stm32.Protocol.Transport;
using System.Threading;

namespace Stm32.PowerShell.Infrastructure
{
    /// <summary>
    /// A cmdlet that works on one session. Finds it in this order: -Session (from the pipeline by
    /// value, or by property name from any object that carries a Session); -SessionId; the single
    /// open session of the runspace. Then holds the session for the duration of one record (a
    /// chip can only have one conversation) and calls <see cref="ProcessSession"/>.
    /// No parameter sets here, so derived cmdlets can define their own.
    /// </summary>
    public abstract class Stm32SessionCmdletBase : Stm32CmdletBase
    {
        /// <summary>The session to use (Connect-Stm32 or Get-Stm32Session output, or any object with a Session property).</summary>
        [Parameter(ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNull]
        public Stm32Session? Session { get; set; }

        /// <summary>The Id of an open session of this runspace.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(SessionIdCompleter))]
        public int? SessionId { get; set; }

        /// <summary>Whether ProcessSession may be given a session that is already closed.</summary>
        protected virtual bool AcceptsClosedSession => false;

        protected override void ProcessRecord()
        {
            var session = ResolveSession();
            if (session == null) return;
            if (!session.IsOpen && !AcceptsClosedSession)
            {
                WriteError(Error($"{session} is closed. Connect again with Connect-Stm32 -Port '{session.Port}'.",
                    ErrorIds.SessionClosed, ErrorCategory.ConnectionError, session, $"Connect-Stm32 -Port '{session.Port}'"));
                return;
            }
            if (!Monitor.TryEnter(session.SyncRoot))
            {
                WriteError(Error($"{session} is busy with another command (a chip can only hold one conversation at a time).",
                    ErrorIds.SessionBusy, ErrorCategory.ResourceBusy, session));
                return;
            }
            bool talks = session.IsOpen && !AcceptsClosedSession;
            try
            {
                CheckBeforeContact(session);
                if (talks)
                {
                    // Recovery narration (retries, resyncs, resets survived) goes to -Verbose, what the
                    // user must see (a refused mass erase, a checksum not believed) to warnings; on this thread.
                    session.Connection.Verbose = WriteVerbose;
                    session.Connection.Warning = WriteWarning;
                    if (session.NeedsResync) Resync(session);
                    // Connect-Stm32 only identifies the chip; before the first real work, confirm the
                    // identity and learn the flash size and read protection (once per session).
                    if (session.Connection.InBootloader && !session.Connection.IsProbed)
                    {
                        WriteVerbose($"Checking {session}: identity, flash size, read protection.");
                        session.Connection.EnsureProbed(CancelToken);
                    }
                }
                ProcessSession(session);
            }
            catch (System.OperationCanceledException e) when (IsStopping)
            {
                // Stopped mid-conversation: the chip may still be answering the last command.
                var what = e is Stm32.Protocol.Programming.Stm32WriteStoppedException ? e.Message : null;
                if (talks)
                {
                    session.NeedsResync = true;
                    session.Interruption = MyInvocation.MyCommand.Name + (what != null ? ": " + what : " was stopped.");
                }
                // A stopped command cannot write to its streams; what a stopped write left on the chip
                // must still be said, so it goes to the host directly, and is the exception's message.
                if (what != null) TellHost(what);
                throw what != null ? new PipelineStoppedException(what) : new PipelineStoppedException();
            }
            catch (System.Exception e) when (e is System.IO.IOException || e is System.ObjectDisposedException)
            {
                // The link is gone (adapter unplugged, port closed): the session cannot be used again.
                session.Close();
                var record = ErrorFor(e, session);
                record.ErrorDetails = new ErrorDetails($"{e.Message} The link to the chip failed, so {session} was closed; connect again with Connect-Stm32 -Port '{session.Port}'.");
                WriteError(record);
            }
            catch (System.Exception e) when (IsMappable(e))
            {
                if (talks && e is Stm32TimeoutException)
                {
                    session.NeedsResync = true;
                    session.Interruption = MyInvocation.MyCommand.Name + " timed out: " + e.Message;
                }
                WriteError(ErrorFor(e, session));
            }
            finally
            {
                if (talks && session.IsOpen)
                {
                    session.Connection.Verbose = null;
                    session.Connection.Warning = null;
                }
                Monitor.Exit(session.SyncRoot);
            }
        }

        /// <summary>A line to the host's warning output, bypassing the (stopped) pipeline; quiet where there is no host UI.</summary>
        private void TellHost(string message)
        {
            try
            {
                Host?.UI?.WriteWarningLine(message);
            }
            catch (System.Exception e) when (e is System.NotImplementedException || e is System.NotSupportedException
                || e is System.InvalidOperationException || e is System.IO.IOException || e is PipelineStoppedException)
            {
            }
        }

        /// <summary>
        /// The last operation was stopped (Ctrl+C) or timed out mid-conversation: get back in step
        /// (filler completes any half-received command, the line is drained, then the 0x7F rule);
        /// when the chip no longer answers, close the session with a clear error.
        /// </summary>
        private void Resync(Stm32Session session)
        {
            var busy = session.Connection.Client.ChipMayBeBusyFor;
            WriteWarning(string.Format(System.Globalization.CultureInfo.InvariantCulture,
                "{0}: {1} Getting back in step with the bootloader first{2}; this takes at most about {3:0} s.",
                session, session.Interruption ?? "The last command was interrupted.",
                busy > System.TimeSpan.Zero ? string.Format(System.Globalization.CultureInfo.InvariantCulture,
                    ", waiting up to {0:0} s for the chip to finish the erase it was doing", busy.TotalSeconds) : "",
                System.Math.Ceiling(session.Connection.MostRecoveryTakes().TotalSeconds)));
            try
            {
                session.Connection.RecoverAfterInterruption(CancelToken);
                session.NeedsResync = false;
                session.Interruption = null;
            }
            catch (Stm32Exception e)
            {
                session.Close();
                throw new ModuleException(ErrorIds.SessionClosed, ErrorCategory.ConnectionError,
                    $"{session} was interrupted mid-command and the bootloader no longer answers ({e.Message}); the session is closed. Reset the chip (BOOT0 high) and connect again with Connect-Stm32 -Port '{session.Port}'.",
                    $"Connect-Stm32 -Port '{session.Port}'", e);
            }
        }

        /// <summary>The work of one pipeline record, with the resolved session held.</summary>
        protected abstract void ProcessSession(Stm32Session session);

        /// <summary>
        /// Checks that need nothing from the chip (the files named, what the session already knows
        /// of it), made with the session held but before anything is sent: before a resync, the
        /// first probe and <see cref="ProcessSession"/>. A refusal here leaves the chip untouched.
        /// </summary>
        protected virtual void CheckBeforeContact(Stm32Session session)
        {
        }

        /// <summary>
        /// The session's exit sequence (from -EnterBootloader, the line parameters or -BootSequence
        /// 'entry:exit'), or null after writing NoExitSequence, which offers <paramref name="instead"/>.
        /// </summary>
        private protected BootSequence? ExitSequenceOf(Stm32Session session, string instead, string recommendedAction)
        {
            var exit = session.ExitSequenceSteps;
            if (exit == null)
                WriteError(Error($"{session} has no exit sequence: it was connected without -EnterBootloader, -ResetLine or -BootSequence 'entry:exit'. {instead}",
                    ErrorIds.NoExitSequence, ErrorCategory.InvalidOperation, session, recommendedAction));
            return exit;
        }

        /// <summary>
        /// Runs an exit sequence (BOOT0 low, pulse RESET) on the session's link, so the chip starts
        /// its application. A link without modem lines is reported as ModemLinesNotSupported and
        /// false returned: nothing was touched. Once the sequence ran, or failed part way (the
        /// failure propagates), the chip may be running its program: the connection is marked as
        /// out of the bootloader. Ctrl+C propagates as it is.
        /// </summary>
        private protected bool RunExitSequence(Stm32Session session, BootSequence exit)
        {
            WriteVerbose($"Exit sequence on {session.Port}: {exit}.");
            try
            {
                exit.Run(session.Connection.Link, CancelToken);
            }
            catch (ModemLinesNotSupportedException e)
            {
                WriteError(ConnectStm32Command.ModemLinesError(e, session));
                return false;
            }
            catch (System.Exception e) when (!(e is System.OperationCanceledException))
            {
                session.Connection.MarkLeftBootloader();
                throw;
            }
            session.Connection.MarkLeftBootloader();
            return true;
        }

        private Stm32Session? ResolveSession()
        {
            if (Session != null)
            {
                if (SessionId.HasValue && SessionId.Value != Session.Id)
                {
                    WriteError(Error($"-Session is session {Session.Id} but -SessionId is {SessionId.Value}; give one of them.",
                        ErrorIds.AmbiguousSession, ErrorCategory.InvalidArgument, Session));
                    return null;
                }
                return Session;
            }
            var store = ModuleState.Current.Sessions;
            if (SessionId.HasValue)
            {
                var byId = store.Get(SessionId.Value);
                if (byId == null)
                    WriteError(Error($"There is no session with Id {SessionId.Value} in this runspace. Get-Stm32Session lists the open ones.",
                        ErrorIds.SessionNotFound, ErrorCategory.ObjectNotFound, SessionId.Value, "Get-Stm32Session"));
                return byId;
            }
            var open = store.Snapshot().Where(s => s.IsOpen).ToArray();
            if (open.Length == 1) return open[0];
            if (open.Length == 0)
                ThrowTerminatingError(Error("There is no open session. Connect first: Connect-Stm32 -Port <port>, for example sim://0x410.",
                    ErrorIds.NoSession, ErrorCategory.InvalidOperation, null, "Connect-Stm32 -Port sim://0x410"));
            ThrowTerminatingError(Error(
                $"There are {open.Length} open sessions ({string.Join(", ", open.Select(s => s.Id))}); say which one with -Session or -SessionId.",
                ErrorIds.AmbiguousSession, ErrorCategory.InvalidOperation, null, "Get-Stm32Session"));
            return null;
        }
    }
}
