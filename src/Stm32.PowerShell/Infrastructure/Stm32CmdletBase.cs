using System;
using System.Globalization;
using System.IO;
using System.Management.Automation;
using System.Threading;
using Stm32.Protocol.Bootloader;
using Stm32.Protocol.Devices;
using Stm32.Protocol.Programming;
using Stm32.Protocol.Transport;

namespace Stm32.PowerShell.Infrastructure
{
    /// <summary>
    /// The cancellable cmdlet: owns a CancellationTokenSource that StopProcessing (Ctrl+C)
    /// cancels, and turns protocol exceptions into ErrorRecords with stable ErrorIds.
    /// </summary>
    public abstract class Stm32CmdletBase : PSCmdlet, IDisposable
    {
        private readonly CancellationTokenSource _cancel = new CancellationTokenSource();
        private bool _disposed;

        /// <summary>Cancelled when the pipeline is stopped; pass it to every protocol call.</summary>
        protected CancellationToken CancelToken => _cancel.Token;

        /// <summary>True once Ctrl+C (StopProcessing) has cancelled <see cref="CancelToken"/>.</summary>
        protected bool IsStopping => _cancel.IsCancellationRequested;

        protected override void StopProcessing()
        {
            try
            {
                _cancel.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
        }

        /// <summary>
        /// Progress for one long operation of this cmdlet: pass <c>.Progress</c> to the protocol
        /// call, dispose (or Complete) in a finally. The activity id is stable per cmdlet.
        /// </summary>
        private protected ProgressReporter StartProgress(string activity, int parentActivityId = -1)
            => new ProgressReporter(this, ActivityId, activity, parentActivityId);

        /// <summary>A stable activity id per cmdlet class (so nested bars can name their parent).</summary>
        protected int ActivityId
        {
            get
            {
                // string.GetHashCode is randomised per process; this is the same in every run.
                uint h = 2166136261;
                foreach (var ch in GetType().Name) h = (h ^ ch) * 16777619;
                return (int)(h & 0x7FFF) + 1;
            }
        }

        /// <summary>
        /// Resolves a file this cmdlet will write and checks it as the write will
        /// (<see cref="FirmwareFiles.CheckWritable"/>: format, folder, -NoClobber, read-only), for
        /// BeginProcessing: a file that cannot be written stops the whole pipeline with a terminating
        /// error before any record is processed, so nothing upstream reads the chip for nothing.
        /// Returns the provider path.
        /// </summary>
        private protected string CheckOutputFile(string path, Protocol.Firmware.FirmwareFormat format, bool force, bool noClobber)
        {
            try
            {
                var file = SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
                FirmwareFiles.CheckWritable(file, format, force, noClobber);
                return file;
            }
            catch (Exception e) when (e is SessionStateException || e is PSNotSupportedException)
            {
                ThrowTerminatingError(Error(e, ErrorIds.FileWriteFailed, ErrorCategory.InvalidArgument, path, $"Cannot write '{path}': {e.Message}"));
                throw;
            }
            catch (Exception e) when (IsMappable(e))
            {
                ThrowTerminatingError(ErrorFor(e, path));
                throw;
            }
        }

        /// <summary>Runs <paramref name="action"/>, writing a non-terminating error for a failure it maps.</summary>
        protected bool TryRun(Action action, object? target)
        {
            try
            {
                action();
                return true;
            }
            catch (OperationCanceledException) when (IsStopping)
            {
                throw new PipelineStoppedException();
            }
            catch (Exception e) when (IsMappable(e))
            {
                WriteError(ErrorFor(e, target));
                return false;
            }
        }

        /// <summary>True for exceptions that <see cref="ErrorFor"/> knows (the rest are bugs and propagate).
        /// Use it as an exception filter, after a <c>catch (OperationCanceledException) when (IsStopping)</c>
        /// that throws PipelineStoppedException.</summary>
        protected static bool IsMappable(Exception e)
        {
            if (e is OptionBytesNotSupportedException) return true;
            return e is ModuleException || e is Stm32Exception || e is IOException || e is TimeoutException
                || e is UnauthorizedAccessException || e is ObjectDisposedException
                || e is InvalidOperationException || e is FormatException || e is ArgumentException
                || e is Protocol.Firmware.FirmwareFormatException || e is Protocol.Firmware.ImageOutOfRangeException || e is NotSupportedException;
        }

        /// <summary>The one place that maps exceptions to ErrorIds and categories.</summary>
        protected internal static ErrorRecord ErrorFor(Exception e, object? target)
        {
            switch (e)
            {
                // Protection and option bytes: first, before the general cases they derive
                // from (NotSupportedException, InvalidOperationException, Stm32VerifyException).
                case OptionBytesNotSupportedException _:
                    return Error(e, ErrorIds.OptionBytesNotSupported, ErrorCategory.NotImplemented, target);
                case ReadProtectionLevel2RefusedException _:
                    return WithAction(Error(e, ErrorIds.ReadProtectionLevel2Refused, ErrorCategory.PermissionDenied, target),
                        "Level 2 is permanent. Only if you mean it: Set-Stm32OptionByte -ReadProtection Level2 -Force (see Get-Help Set-Stm32OptionByte -Full).");
                case OptionByteVerifyException _:
                    return Error(e, ErrorIds.OptionByteVerifyFailed, ErrorCategory.InvalidResult, target);
                case Stm32WriteProtectedException _:
                    return WithAction(Error(e, ErrorIds.WriteProtected, ErrorCategory.PermissionDenied, target),
                        "Unprotect-Stm32Flash -Write (the flash contents stay), then write again.");
                case Stm32ReadProtectedException _:
                    return WithAction(Error(e, ErrorIds.ReadProtected, ErrorCategory.SecurityError, target),
                        "Unprotect-Stm32Flash -ReadOut lifts read protection; the chip then ERASES ITS WHOLE FLASH (your firmware is gone).");
                case ModuleException m:
                    var record = new ErrorRecord(m, m.ErrorId, m.Category, target);
                    if (m.RecommendedAction != null) record.ErrorDetails = new ErrorDetails(m.Message) { RecommendedAction = m.RecommendedAction };
                    return record;
                case Protocol.Firmware.FirmwareFormatException _:
                    return Error(e, ErrorIds.FileInvalid, ErrorCategory.InvalidData, target);
                case Protocol.Firmware.ImageOutOfRangeException _:
                    return Error(e, ErrorIds.ImageOutOfRange, ErrorCategory.InvalidArgument, target);
                case NotSupportedException _:
                    return Error(e, ErrorIds.FormatNotSupported, ErrorCategory.NotImplemented, target);
                case PortOpenException p:
                    switch (p.Failure)
                    {
                        case PortOpenFailure.NotFound: return Error(e, ErrorIds.PortNotFound, ErrorCategory.ObjectNotFound, target);
                        case PortOpenFailure.Busy: return Error(e, ErrorIds.PortBusy, ErrorCategory.ResourceBusy, target);
                        case PortOpenFailure.AccessDenied: return Error(e, ErrorIds.PortAccessDenied, ErrorCategory.PermissionDenied, target);
                        case PortOpenFailure.NotASerialPort: return Error(e, ErrorIds.InvalidPortName, ErrorCategory.InvalidArgument, target);
                        default: return Error(e, ErrorIds.PortOpenFailed, ErrorCategory.OpenError, target);
                    }
                // Retries exhausted: the ErrorId is that of the last failure, the message
                // says how many attempts were made.
                case Stm32RecoveryFailedException rf when rf.InnerException is Stm32NackException:
                    return Error(e, ErrorIds.Nack, ErrorCategory.DeviceError, target, Detail(rf));
                case Stm32RecoveryFailedException rf when rf.InnerException is Stm32TimeoutException:
                    return Error(e, ErrorIds.Timeout, ErrorCategory.OperationTimeout, target, Detail(rf));
                case Stm32RecoveryFailedException rf:
                    return Error(e, ErrorIds.RecoveryFailed, ErrorCategory.ConnectionError, target, Detail(rf));
                case Stm32DeviceChangedException _:
                    return Error(e, ErrorIds.DeviceChanged, ErrorCategory.InvalidResult, target);
                case Stm32NoResponseException _:
                    return Error(e, ErrorIds.BootloaderNoResponse, ErrorCategory.ConnectionError, target);
                case Stm32TimeoutException t:
                    return Error(e, ErrorIds.Timeout, ErrorCategory.OperationTimeout, target, Detail(t));
                case Stm32NackException n:
                    return Error(e, ErrorIds.Nack, ErrorCategory.DeviceError, target, Detail(n));
                case Stm32ProtocolException pe:
                    return Error(e, ErrorIds.ProtocolError, ErrorCategory.ProtocolError, target, Detail(pe));
                case Stm32VerifyException _:
                    return Error(e, ErrorIds.VerifyMismatch, ErrorCategory.InvalidResult, target);
                case Stm32UnsupportedCommandException _:
                    return Error(e, ErrorIds.UnsupportedCommand, ErrorCategory.NotImplemented, target);
                case Stm32Exception se:
                    return Error(e, ErrorIds.Stm32Error, ErrorCategory.DeviceError, target, Detail(se));
                case TimeoutException _:
                    return Error(e, ErrorIds.Timeout, ErrorCategory.OperationTimeout, target);
                case UnauthorizedAccessException _:
                    return Error(e, ErrorIds.PortBusy, ErrorCategory.PermissionDenied, target);
                case ObjectDisposedException _:
                    return Error(e, ErrorIds.SessionClosed, ErrorCategory.ConnectionError, target,
                        "The link to the chip is closed. Connect again with Connect-Stm32.");
                case IOException _:
                    return Error(e, ErrorIds.LinkFailed, ErrorCategory.ConnectionError, target);
                case FormatException _:
                    return Error(e, ErrorIds.FileInvalid, ErrorCategory.InvalidData, target);
                // Users never see our parameter names: the record's exception carries the message
                // without the " (Parameter 'change')" that .NET appends (the original is its inner exception).
                case ArgumentOutOfRangeException r:
                    return Error(new ArgumentOutOfRangeException(WithoutParamName(r), r), ErrorIds.AddressOutOfRange, ErrorCategory.InvalidArgument, target);
                case ArgumentException a:
                    return Error(new ArgumentException(WithoutParamName(a), a), ErrorIds.InvalidArgument, ErrorCategory.InvalidArgument, target);
                case Stm32NotInBootloaderException _:
                    return Error(e, ErrorIds.NotInBootloader, ErrorCategory.InvalidOperation, target);
                case InvalidOperationException _:
                    return Error(e, ErrorIds.InvalidOperation, ErrorCategory.InvalidOperation, target);
                default:
                    return Error(e, ErrorIds.UnexpectedError, ErrorCategory.NotSpecified, target);
            }
        }

        /// <summary>An argument exception's message without the " (Parameter 'x')" that .NET appends: users never see our parameter names.</summary>
        protected internal static string WithoutParamName(ArgumentException e)
        {
            var suffix = e.ParamName == null ? null : " (Parameter '" + e.ParamName + "')";
            return suffix != null && e.Message.EndsWith(suffix, StringComparison.Ordinal) ? e.Message.Substring(0, e.Message.Length - suffix.Length) : e.Message;
        }

        /// <summary>What was sent and what came back, for the error's message.</summary>
        private static string Detail(Stm32Exception e)
        {
            var where = e.Address.HasValue ? string.Format(CultureInfo.InvariantCulture, " at 0x{0:X8}", e.Address.Value) : "";
            return string.Format(CultureInfo.InvariantCulture, "{0} (step: {1}{2}; sent {3}; received {4})",
                e.Message, string.IsNullOrEmpty(e.Step) ? "?" : e.Step, where, Stm32Exception.Hex(e.Sent), Stm32Exception.Hex(e.Received));
        }

        /// <summary>Adds a recommended action, keeping the exception's message.</summary>
        private static ErrorRecord WithAction(ErrorRecord record, string action)
        {
            record.ErrorDetails = new ErrorDetails(record.Exception.Message) { RecommendedAction = action };
            return record;
        }

        protected internal static ErrorRecord Error(Exception e, string errorId, ErrorCategory category, object? target, string? message = null)
        {
            var record = new ErrorRecord(e, errorId, category, target);
            if (message != null) record.ErrorDetails = new ErrorDetails(message);
            return record;
        }

        /// <summary>An error that does not come from an exception of ours.</summary>
        protected internal static ErrorRecord Error(string message, string errorId, ErrorCategory category, object? target, string? recommendedAction = null)
        {
            Exception e = category == ErrorCategory.ObjectNotFound ? new ItemNotFoundException(message)
                : category == ErrorCategory.InvalidArgument ? new ArgumentException(message)
                : (Exception)new InvalidOperationException(message);
            var record = new ErrorRecord(e, errorId, category, target);
            if (recommendedAction != null) record.ErrorDetails = new ErrorDetails(message) { RecommendedAction = recommendedAction };
            return record;
        }

        public void Dispose()
        {
            Dispose(true);
            GC.SuppressFinalize(this);
        }

        protected virtual void Dispose(bool disposing)
        {
            if (_disposed) return;
            if (disposing) _cancel.Dispose();
            _disposed = true;
        }
    }
}
