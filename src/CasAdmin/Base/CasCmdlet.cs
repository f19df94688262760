using System.Diagnostics.CodeAnalysis;
using System.Management.Automation;
using CasAdmin.Engine.Errors;
using CasAdmin.Engine.Operations;

namespace CasAdmin.Base;

/// <summary>
/// The base of every CasAdmin cmdlet: runs one engine operation on the thread pool while the pipeline
/// thread writes its events (progress, verbose, debug, warning, information, output, confirmation
/// prompts), cancels it on Ctrl+C, and turns engine errors into ErrorRecords.
/// </summary>
public abstract class CasCmdlet : PSCmdlet, IDisposable
{
    /// <summary>Tag of every information record CasAdmin writes (<c>-InformationAction</c>, <c>$InformationPreference</c>).</summary>
    internal const string InformationTag = "CasAdmin";

    private readonly object cancellationGate = new();
    private readonly CancellationTokenSource cancellation = new();
    private bool stopping;
    private bool disposed;

    /// <summary>True once Ctrl+C (or a stopped pipeline) has asked this cmdlet to stop.</summary>
    protected bool IsStopping
    {
        get
        {
            lock (cancellationGate)
            {
                return stopping;
            }
        }
    }

    #region Overrides

    /// <summary>Ctrl+C: cancels the running operation; the pipeline thread then throws <see cref="PipelineStoppedException"/>.</summary>
    protected override void StopProcessing()
    {
        lock (cancellationGate)
        {
            stopping = true;
            if (!disposed)
            {
                cancellation.Cancel();
            }
        }
    }

    #endregion

    /// <summary>Disposes the cancellation source. PowerShell calls this after the pipeline, also after Ctrl+C (when EndProcessing does not run).</summary>
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases what the cmdlet holds; derived cmdlets that hold more override and call the base.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (!disposing)
        {
            return;
        }

        lock (cancellationGate)
        {
            if (disposed)
            {
                return;
            }

            disposed = true;
            cancellation.Dispose();
        }
    }

    /// <summary>
    /// Runs the cmdlet's one operation. A <see cref="CasException"/> terminates the cmdlet (cmdlet-wide failure)
    /// with <paramref name="target"/> (or the exception's target) as the error's target.
    /// </summary>
    protected T Run<T>(Func<IOperationObserver, CancellationToken, Task<T>> operation, object? target = null)
    {
        try
        {
            return Pump(operation);
        }
        catch (CasException ex)
        {
            ThrowCasError(ex, target);
            throw;
        }
        catch (Exception ex) when (IsUnexpected(ex))
        {
            ThrowCasError(UnexpectedFailure.Wrap(ex, target?.ToString()), target);
            throw;
        }
    }

    /// <summary>
    /// Runs the operation for one pipeline item. A <see cref="CasException"/> is written as a non-terminating
    /// error about <paramref name="item"/> and the cmdlet goes on with the next item — except a registry failure
    /// (locked, read-only, corrupt, too new, unavailable), which would fail every item alike and so ends the cmdlet.
    /// </summary>
    /// <returns>False when the operation failed (the error has been written).</returns>
    protected bool TryRun<T>(Func<IOperationObserver, CancellationToken, Task<T>> operation, object? item, [MaybeNullWhen(false)] out T result)
    {
        try
        {
            result = Pump(operation);
            return true;
        }
        catch (CasException ex) when (IsCmdletWide(ex))
        {
            ThrowCasError(ex, item);
            throw;
        }
        catch (CasException ex)
        {
            WriteCasError(ex, item);
            result = default;
            return false;
        }
        catch (Exception ex) when (IsUnexpected(ex))
        {
            // One bad item is not the end of the pipeline, whatever failed.
            WriteCasError(UnexpectedFailure.Wrap(ex, item?.ToString()), item);
            result = default;
            return false;
        }
    }

    /// <summary>
    /// An exception the engine did not translate. PowerShell's own (Ctrl+C, -ErrorAction Stop, a host's answer) and
    /// cancellation pass through untouched; everything else still reaches the user as an ErrorRecord with a stable id.
    /// </summary>
    private static bool IsUnexpected(Exception exception) =>
        exception is not (CasException or RuntimeException or OperationCanceledException or OutOfMemoryException or StackOverflowException);

    /// <summary>Failures that no other pipeline item could escape: the registry itself is unusable.</summary>
    protected static bool IsCmdletWide(CasException exception) => ErrorRules.IsRegistryUnusable(exception.ErrorId);

    /// <summary>Writes a per-item failure (non-terminating), with its support ids as a debug line.</summary>
    protected void WriteCasError(CasException exception, object? item)
    {
        WriteSupportLine(exception);
        WriteError(ErrorRecords.FromCasException(exception, item));
    }

    /// <summary>Ends the cmdlet with a cmdlet-wide failure.</summary>
    [DoesNotReturn]
    protected void ThrowCasError(CasException exception, object? target)
    {
        WriteSupportLine(exception);
        ThrowTerminatingError(ErrorRecords.FromCasException(exception, target));
        throw new InvalidOperationException("ThrowTerminatingError returned.", exception);
    }

    private T Pump<T>(Func<IOperationObserver, CancellationToken, Task<T>> operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        CancellationToken token;
        lock (cancellationGate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            token = cancellation.Token;
        }

        var pump = new OperationPump<CasProgress>(new CmdletSink(this));
        var observer = new PumpObserver(pump);
        try
        {
            return pump.Run(ct => operation(observer, ct), token);
        }
        catch (OperationCanceledException) when (IsStopping)
        {
            throw new PipelineStoppedException();
        }
    }

    private void WriteSupportLine(CasException exception)
    {
        if (ErrorRecords.SupportLine(exception) is { } line)
        {
            WriteDebug(line);
        }
    }

    /// <summary>
    /// What ShouldProcess and ShouldContinue throw when the host cannot ask (<c>pwsh -NonInteractive</c>, a runbook's or
    /// PowerShell.Create()'s host without UI): the question is then answered no, with an error that says how to answer in advance.
    /// </summary>
    protected static bool IsHostThatCannotPrompt(Exception exception) =>
        exception is System.Management.Automation.Host.HostException or PSInvalidOperationException or NotImplementedException;

    /// <summary>Writes the pump's events through this cmdlet; runs on the pipeline thread only.</summary>
    private sealed class CmdletSink(CasCmdlet cmdlet) : IOperationSink<CasProgress>
    {
        public void WriteProgress(CasProgress progress) => cmdlet.WriteProgress(ToRecord(progress));

        public void WriteVerbose(string message) => cmdlet.WriteVerbose(message);

        public void WriteDebug(string message) => cmdlet.WriteDebug(message);

        public void WriteWarning(string message) => cmdlet.WriteWarning(message);

        public void WriteInformation(string message) => cmdlet.WriteInformation(message, [InformationTag, cmdlet.MyInvocation.MyCommand.Name]);

        public void WriteObject(object item) => cmdlet.WriteObject(item);

        /// <summary>A host that cannot ask (non-interactive, or without UI) answers no: the engine then reports its documented error.</summary>
        public bool ShouldContinue(string query, string caption)
        {
            try
            {
                return cmdlet.ShouldContinue(query, caption);
            }
            catch (Exception ex) when (IsHostThatCannotPrompt(ex))
            {
                cmdlet.WriteVerbose("This PowerShell host cannot ask: '" + caption + "' is answered no.");
                return false;
            }
        }

        /// <summary>ProgressRecord rejects empty text, a percentage outside -1..100 and a parent equal to the activity.</summary>
        private static ProgressRecord ToRecord(CasProgress progress)
        {
            var activity = string.IsNullOrWhiteSpace(progress.Activity) ? "CasAdmin" : progress.Activity;
            var status = string.IsNullOrWhiteSpace(progress.StatusDescription) ? activity : progress.StatusDescription;
            var record = new ProgressRecord(progress.ActivityId, activity, status)
            {
                PercentComplete = Math.Clamp(progress.PercentComplete, -1, 100),
                SecondsRemaining = Math.Max(progress.SecondsRemaining, -1),
                RecordType = progress.Completed ? ProgressRecordType.Completed : ProgressRecordType.Processing,
            };
            if (progress.ParentActivityId != progress.ActivityId)
            {
                record.ParentActivityId = Math.Max(progress.ParentActivityId, -1);
            }

            if (!string.IsNullOrEmpty(progress.CurrentOperation))
            {
                record.CurrentOperation = progress.CurrentOperation;
            }

            return record;
        }
    }
}
