namespace CasAdmin.Base;

/// <summary>
/// Where a pumped operation's events end up. Every member is called on the thread that runs
/// <see cref="OperationPump{TProgress}.Run{TResult}"/> (the pipeline thread), never on a worker thread.
/// </summary>
/// <typeparam name="TProgress">The progress record type (the engine's <c>CasProgress</c> in the module).</typeparam>
internal interface IOperationSink<in TProgress>
{
    void WriteProgress(TProgress progress);

    void WriteVerbose(string message);

    void WriteDebug(string message);

    void WriteWarning(string message);

    void WriteInformation(string message);

    void WriteObject(object item);

    bool ShouldContinue(string query, string caption);
}

/// <summary>
/// Runs one asynchronous operation on the thread pool while the calling thread executes the operation's
/// events, in the order they were posted, until the operation completes.
/// </summary>
/// <remarks>
/// PowerShell allows <c>Write*</c>, <c>ShouldProcess</c> and <c>ShouldContinue</c> only on the pipeline thread;
/// engine work runs on the thread pool. The operation's observer posts to this pump from any thread; the
/// pipeline thread drains the queue. This class knows nothing of PowerShell or of the engine so that it can
/// be tested without either (the module adapts it with <c>PumpObserver</c> and <c>CasCmdlet</c>).
/// <para>
/// If the sink throws (the pipeline was stopped, a downstream <c>Select-Object -First</c> ended it,
/// <c>-ErrorAction Stop</c>, a declined prompt that throws), the operation is cancelled, awaited, and the
/// sink's exception is rethrown unchanged. Events posted after the operation has ended are dropped.
/// </para>
/// </remarks>
/// <typeparam name="TProgress">The progress record type.</typeparam>
internal sealed class OperationPump<TProgress>
{
    private readonly object gate = new();
    private readonly Queue<Action<IOperationSink<TProgress>>> queue = new();
    private readonly HashSet<TaskCompletionSource<bool>> pendingAnswers = [];
    private readonly IOperationSink<TProgress> sink;
    private bool closed;
    private bool started;

    public OperationPump(IOperationSink<TProgress> sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        this.sink = sink;
    }

    /// <summary>Events waiting for the pumping thread (for diagnostics and tests).</summary>
    public int Pending
    {
        get
        {
            lock (gate)
            {
                return queue.Count;
            }
        }
    }

    public void PostProgress(TProgress progress) => Post(s => s.WriteProgress(progress));

    public void PostVerbose(string message) => Post(s => s.WriteVerbose(message));

    public void PostDebug(string message) => Post(s => s.WriteDebug(message));

    public void PostWarning(string message) => Post(s => s.WriteWarning(message));

    public void PostInformation(string message) => Post(s => s.WriteInformation(message));

    public void PostObject(object item) => Post(s => s.WriteObject(item));

    /// <summary>
    /// Asks the sink on the pumping thread. Completes with the answer; is cancelled with
    /// <paramref name="cancellationToken"/>, when the operation has already ended, or when the pump stops;
    /// faults with what the sink threw.
    /// </summary>
    public Task<bool> ShouldContinueAsync(string query, string caption, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<bool>(cancellationToken);
        }

        var answer = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (gate)
        {
            if (closed)
            {
                answer.TrySetCanceled(CancellationToken.None);
                return answer.Task;
            }

            pendingAnswers.Add(answer);
        }

        var registration = cancellationToken.Register(() => answer.TrySetCanceled(cancellationToken));
        answer.Task.ContinueWith(
            _ =>
            {
                registration.Dispose();
                lock (gate)
                {
                    pendingAnswers.Remove(answer);
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);

        Post(s =>
        {
            if (answer.Task.IsCompleted)
            {
                return;
            }

            try
            {
                answer.TrySetResult(s.ShouldContinue(query, caption));
            }
            catch (Exception ex)
            {
                // The operation sees the failure; the pump stops with the same exception (Run rethrows it).
                answer.TrySetException(ex);
                throw;
            }
        });

        return answer.Task;
    }

    /// <summary>Runs <paramref name="operation"/> on the thread pool and pumps its events on this thread until it ends.</summary>
    /// <returns>The operation's result.</returns>
    /// <exception cref="OperationCanceledException">The operation was cancelled.</exception>
    /// <remarks>The operation's own exception is rethrown unwrapped (no <see cref="AggregateException"/>).</remarks>
    public TResult Run<TResult>(Func<CancellationToken, Task<TResult>> operation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(operation);
        lock (gate)
        {
            if (started)
            {
                throw new InvalidOperationException("An operation pump runs one operation.");
            }

            started = true;
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var task = Task.Run(() => operation(linked.Token), linked.Token);
        task.ContinueWith(_ => Close(discardEvents: false), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

        try
        {
            while (Take() is { } next)
            {
                next(sink);
            }
        }
        catch (Exception)
        {
            // The sink's exception (a stopped pipeline, -ErrorAction Stop…) wins; the operation is stopped first.
            Close(discardEvents: true);
            linked.Cancel();
            WaitQuietly(task);
            throw;
        }

        return task.GetAwaiter().GetResult();
    }

    /// <summary>Runs an operation without a result. See <see cref="Run{TResult}"/>.</summary>
    public void Run(Func<CancellationToken, Task> operation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(operation);
        Run<bool>(async ct =>
        {
            await operation(ct).ConfigureAwait(false);
            return true;
        }, cancellationToken);
    }

    private bool Post(Action<IOperationSink<TProgress>> action)
    {
        lock (gate)
        {
            if (closed)
            {
                return false;
            }

            queue.Enqueue(action);
            Monitor.Pulse(gate);
            return true;
        }
    }

    /// <summary>The next event, waiting for one; null once the operation has ended and the queue is empty.</summary>
    private Action<IOperationSink<TProgress>>? Take()
    {
        lock (gate)
        {
            while (queue.Count == 0 && !closed)
            {
                Monitor.Wait(gate);
            }

            return queue.Count > 0 ? queue.Dequeue() : null;
        }
    }

    /// <summary>
    /// Accepts no more events. Questions nobody will wait for are cancelled (the operation that asked has
    /// ended, or the pump is leaving); on failure the queued events are dropped too.
    /// </summary>
    private void Close(bool discardEvents)
    {
        TaskCompletionSource<bool>[] abandoned;
        lock (gate)
        {
            closed = true;
            if (discardEvents)
            {
                queue.Clear();
            }

            abandoned = [.. pendingAnswers];
            Monitor.PulseAll(gate);
        }

        foreach (var answer in abandoned)
        {
            answer.TrySetCanceled(CancellationToken.None);
        }
    }

    private static void WaitQuietly(Task task)
    {
        try
        {
            task.GetAwaiter().GetResult();
        }
        catch (Exception)
        {
            // The sink's failure is what the caller sees; the operation's (usually its cancellation) is secondary.
        }
    }
}
