namespace CasAdmin.Engine.Operations;

/// <summary>
/// One progress activity: its own id, an optional parent, percent where the total is known, seconds
/// remaining from the measured rate, updates limited to a few per second, and a Completed record on
/// dispose so a bar never lingers after an error or Ctrl+C.
/// </summary>
public sealed class ProgressTracker : IDisposable
{
    private static int nextActivityId;
    private static readonly TimeSpan MinInterval = TimeSpan.FromMilliseconds(250);

    private readonly IOperationObserver observer;
    private readonly TimeProvider time;
    private readonly long started;
    private readonly object gate = new();
    private long lastReport = long.MinValue;
    private int completed;
    private string status;
    private bool disposed;

    public ProgressTracker(IOperationObserver observer, string activity, int? total, int parentActivityId = -1, TimeProvider? timeProvider = null)
    {
        this.observer = observer;
        time = timeProvider ?? TimeProvider.System;
        Activity = activity;
        Total = total;
        ParentActivityId = parentActivityId;
        ActivityId = Interlocked.Increment(ref nextActivityId);
        started = time.GetTimestamp();
        status = activity;
    }

    public int ActivityId { get; }

    public int ParentActivityId { get; }

    public string Activity { get; }

    public int? Total { get; set; }

    /// <summary>Seconds left at the measured rate, or -1 before anything has completed.</summary>
    public int EstimateSecondsRemaining()
    {
        lock (gate)
        {
            return Estimate(completed);
        }
    }

    /// <summary>Reports progress; updates closer together than a quarter second are dropped unless forced.</summary>
    public void Report(int completedItems, string statusDescription, string? currentOperation = null, bool force = false)
    {
        CasProgress record;
        lock (gate)
        {
            if (disposed)
            {
                return;
            }

            completed = completedItems;
            status = statusDescription;
            var now = time.GetTimestamp();
            if (!force && lastReport != long.MinValue && time.GetElapsedTime(lastReport, now) < MinInterval)
            {
                return;
            }

            lastReport = now;
            record = new CasProgress(ActivityId, Activity, statusDescription)
            {
                ParentActivityId = ParentActivityId,
                CurrentOperation = currentOperation,
                PercentComplete = Total is > 0 ? Math.Clamp((int)(100L * completedItems / Total.Value), 0, 100) : -1,
                SecondsRemaining = Estimate(completedItems),
            };
        }

        observer.Progress(record);
    }

    public void Dispose()
    {
        lock (gate)
        {
            if (disposed)
            {
                return;
            }

            disposed = true;
        }

        observer.Progress(new CasProgress(ActivityId, Activity, status) { ParentActivityId = ParentActivityId, PercentComplete = 100, Completed = true });
    }

    private int Estimate(int done)
    {
        if (Total is not int total || done <= 0)
        {
            return -1;
        }

        var elapsed = time.GetElapsedTime(started).TotalSeconds;
        var perItem = elapsed / done;
        return (int)Math.Ceiling(Math.Max(0, total - done) * perItem);
    }
}
