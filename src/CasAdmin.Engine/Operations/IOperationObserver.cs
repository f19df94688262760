namespace CasAdmin.Engine.Operations;

/// <summary>
/// How the engine reports to whoever runs it (a cmdlet, a test, a benchmark). Implementations must be
/// thread-safe: engine work runs on the thread pool, often several operations at once.
/// </summary>
public interface IOperationObserver
{
    void Progress(CasProgress progress);

    void Verbose(string message);

    void Debug(string message);

    void Warning(string message);

    void Information(string message);

    /// <summary>An information message with tags a script can filter on (Write-Information -Tags).</summary>
    void Information(string message, IReadOnlyList<string> tags) => Information(message);

    /// <summary>An object the operation produces as it goes (pipeline output).</summary>
    void Output(object item);

    /// <summary>Asks the person (when there is one) to confirm something beyond ShouldProcess.</summary>
    Task<bool> ShouldContinueAsync(string query, string caption, CancellationToken cancellationToken);
}

/// <summary>One progress record, shaped like PowerShell's ProgressRecord.</summary>
public sealed record CasProgress(int ActivityId, string Activity, string StatusDescription)
{
    public int ParentActivityId { get; init; } = -1;

    public string? CurrentOperation { get; init; }

    /// <summary>0–100, or -1 when the total is not known.</summary>
    public int PercentComplete { get; init; } = -1;

    /// <summary>Estimated from the measured rate, or -1 when not yet known.</summary>
    public int SecondsRemaining { get; init; } = -1;

    public bool Completed { get; init; }
}

/// <summary>An observer that drops everything and confirms nothing extra (unattended use, tests).</summary>
public class NullOperationObserver : IOperationObserver
{
    public static readonly NullOperationObserver Instance = new();

    public virtual void Progress(CasProgress progress)
    {
    }

    public virtual void Verbose(string message)
    {
    }

    public virtual void Debug(string message)
    {
    }

    public virtual void Warning(string message)
    {
    }

    public virtual void Information(string message)
    {
    }

    public virtual void Output(object item)
    {
    }

    public virtual Task<bool> ShouldContinueAsync(string query, string caption, CancellationToken cancellationToken) => Task.FromResult(false);
}
