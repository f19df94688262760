using CasAdmin.Engine.Errors;

namespace CasAdmin.Engine.Deprovisioning;

/// <summary>
/// Keeps a running job's lease, and stops the job's work (<see cref="Token"/>) before the lease can run out. The lease
/// is renewed every third of its duration; each attempt may take only the time left before the stop point (a tenth
/// of the duration before the lease ends), so a registry that does not answer (a PostgreSQL write retried for minutes)
/// can never let a step run on past its lease. A timer stops the work at that point whatever the renewal is doing.
/// Whatever ends the lease, another runner's takeover, time running out, or an exception nobody foresaw, is kept in
/// <see cref="Reason"/> and <see cref="Failure"/>: the job reports it instead of going on silently.
/// </summary>
internal sealed class LeaseKeeper : IAsyncDisposable
{
    /// <summary>How soon a renewal that failed with a store error is tried again, while there is time.</summary>
    internal static readonly TimeSpan RetryAfterStoreError = TimeSpan.FromSeconds(2);

    private readonly Func<CancellationToken, Task<bool>> renew;
    private readonly TimeSpan duration;
    private readonly TimeProvider clock;
    private readonly CancellationTokenSource lease;
    private readonly ITimer stopTimer;
    private readonly Task loop;
    private readonly object gate = new();
    private DateTimeOffset heldUntil;
    private int stopped;

    /// <param name="renew">Renews the lease in the registry; false when another runner holds it now.</param>
    /// <param name="duration">The lease's duration (RemovalOptions.LeaseDuration).</param>
    /// <param name="grantedAt">This machine's time just before the write that took the lease (its end is counted from then).</param>
    /// <param name="clock">This machine's clock, for intervals only.</param>
    /// <param name="userToken">Ctrl+C: stops the work too, without a reason.</param>
    /// <param name="stoppedHook">Called once the lease has stopped the work (the run's <see cref="IRemovalProbe.LeaseStopped"/>).</param>
    public LeaseKeeper(Func<CancellationToken, Task<bool>> renew, TimeSpan duration, DateTimeOffset grantedAt, TimeProvider clock, CancellationToken userToken,
        Action<LeaseKeeper>? stoppedHook = null)
    {
        this.renew = renew;
        this.duration = duration;
        this.clock = clock;
        StoppedHook = stoppedHook;
        lease = CancellationTokenSource.CreateLinkedTokenSource(userToken);
        heldUntil = grantedAt + duration;
        stopTimer = clock.CreateTimer(static s => ((LeaseKeeper)s!).Stop("its lease ran out before it could be renewed (the registry did not answer in time)", null),
            this, Until(StopAt), Timeout.InfiniteTimeSpan);
        loop = Task.Run(RunAsync);
    }

    /// <summary>Canceled once the job's work must stop: the lease is (or is about to be) no longer ours, or the user canceled.</summary>
    public CancellationToken Token => lease.Token;

    /// <summary>Why the lease ended while the job ran (null while it holds, or when the user canceled).</summary>
    public string? Reason { get; private set; }

    /// <summary>The unforeseen exception that ended the renewal, if that is what ended it.</summary>
    public Exception? Failure { get; private set; }

    /// <summary>True when the lease, not the user, stopped the work.</summary>
    public bool Ended => Reason is not null;

    private Action<LeaseKeeper>? StoppedHook { get; }

    /// <summary>How long before the lease's end the work stops: room for a Graph call in flight to be canceled.</summary>
    internal static TimeSpan Margin(TimeSpan duration) => duration / 10;

    private DateTimeOffset StopAt
    {
        get
        {
            lock (gate)
            {
                return heldUntil - Margin(duration);
            }
        }
    }

    private TimeSpan Until(DateTimeOffset moment)
    {
        var left = moment - clock.GetUtcNow();
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    /// <summary>The job's error when the lease ended its work.</summary>
    public CasException Error(string what, string target) => Failure is { } failure
        ? UnexpectedFailure.Wrap(failure, target, ErrorIds.RemovalFailed, "The removal", RecommendedActions.ResumeRemoval)
        : new CasException(ErrorIds.LeaseLost, CasErrorCategory.ResourceUnavailable,
            $"The removal of {what} stopped before its next step: {Reason}.",
            "Check Get-CasRemovalJob, then run Remove-CasServiceAccount again: the job resumes at its first unfinished step (unless another runner already resumes it).", target);

    private async Task RunAsync()
    {
        var wait = duration / 3;
        try
        {
            while (!lease.IsCancellationRequested)
            {
                await Task.Delay(wait, clock, lease.Token).ConfigureAwait(false);
                var asked = clock.GetUtcNow();
                var left = StopAt - asked;
                if (left <= TimeSpan.Zero)
                {
                    Stop("its lease ran out before it could be renewed (the registry did not answer in time)", null);
                    return;
                }

                // The attempt may take only the time left: a registry that retries for minutes is abandoned at the stop point.
                using var deadline = new CancellationTokenSource(left, clock);
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(lease.Token, deadline.Token);
                bool renewed;
                try
                {
                    var call = renew(attempt.Token);
                    _ = call.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                    renewed = await call.WaitAsync(attempt.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (deadline.IsCancellationRequested && !lease.IsCancellationRequested)
                {
                    Stop("its lease could not be renewed in time (the registry did not answer)", null);
                    return;
                }
                catch (CasException) when (!lease.IsCancellationRequested && clock.GetUtcNow() + RetryAfterStoreError < StopAt)
                {
                    // The store hiccuped (a restart, a dropped connection): try again soon, while the lease still holds.
                    wait = RetryAfterStoreError;
                    continue;
                }
                catch (CasException ex) when (!lease.IsCancellationRequested)
                {
                    Stop($"its lease could not be renewed in time ({ex.ErrorId})", null);
                    return;
                }

                if (!renewed)
                {
                    Stop("another runner took its lease over", null);
                    return;
                }

                lock (gate)
                {
                    heldUntil = asked + duration;
                }

                stopTimer.Change(Until(StopAt), Timeout.InfiniteTimeSpan);
                wait = duration / 3;
            }
        }
        catch (OperationCanceledException) when (lease.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            // Never silent: a renewal that died would leave the job running on a lease nobody renews.
            Stop("its lease renewal failed unexpectedly", ex);
        }
    }

    private void Stop(string reason, Exception? failure)
    {
        if (Interlocked.Exchange(ref stopped, 1) != 0 || lease.IsCancellationRequested)
        {
            return;
        }

        Failure = failure;
        Reason = reason;
        try
        {
            lease.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }

        StoppedHook?.Invoke(this);
    }

    /// <summary>Stops renewing (the job is over): the work's token is canceled, without a reason.</summary>
    public async ValueTask DisposeAsync()
    {
        Interlocked.Exchange(ref stopped, 1);
        await stopTimer.DisposeAsync().ConfigureAwait(false);
        await lease.CancelAsync().ConfigureAwait(false);
        await loop.ConfigureAwait(false);
        lease.Dispose();
    }
}
