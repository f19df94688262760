using CasAdmin.Base;

namespace CasAdmin.Module.Tests.Base;

/// <summary>The event pump of CasCmdlet, compiled from source (it depends on neither PowerShell nor the engine).</summary>
public sealed class OperationPumpTests
{
    [Fact]
    public void Run_WritesEveryEvent_InPostedOrder_OnThePumpingThread()
    {
        var sink = new RecordingSink();
        var pump = new OperationPump<string>(sink);
        var pumpThread = Environment.CurrentManagedThreadId;
        var operationThread = 0;

        var result = pump.Run(async ct =>
        {
            operationThread = Environment.CurrentManagedThreadId;
            pump.PostProgress("p1");
            pump.PostVerbose("v1");
            await Task.Yield();
            pump.PostDebug("d1");
            pump.PostWarning("w1");
            pump.PostInformation("i1");
            pump.PostObject(42);
            return "done";
        }, CancellationToken.None);

        Assert.Equal("done", result);
        Assert.NotEqual(pumpThread, operationThread);
        Assert.Equal(["progress:p1", "verbose:v1", "debug:d1", "warning:w1", "information:i1", "object:42"], sink.Events.Select(e => e.Text));
        Assert.All(sink.Events, e => Assert.Equal(pumpThread, e.Thread));
    }

    [Fact]
    public void Run_DrainsEventsPostedJustBeforeTheOperationEnds()
    {
        var sink = new RecordingSink();
        var pump = new OperationPump<string>(sink);

        pump.Run(ct =>
        {
            for (var i = 0; i < 500; i++)
            {
                pump.PostObject(i);
            }

            return Task.CompletedTask;
        }, CancellationToken.None);

        Assert.Equal(Enumerable.Range(0, 500).Select(i => "object:" + i), sink.Events.Select(e => e.Text));
        Assert.Equal(0, pump.Pending);
    }

    [Fact]
    public void Run_WritesEventsPostedConcurrently_AllOfThem_EachThreadInOrder()
    {
        var sink = new RecordingSink();
        var pump = new OperationPump<string>(sink);

        pump.Run(ct => Task.WhenAll(Enumerable.Range(0, 4).Select(worker => Task.Run(() =>
        {
            for (var i = 0; i < 100; i++)
            {
                pump.PostVerbose($"{worker}:{i}");
            }
        }, ct))), CancellationToken.None);

        var verbose = sink.Events.Select(e => e.Text["verbose:".Length..].Split(':')).ToArray();
        Assert.Equal(400, verbose.Length);
        for (var worker = 0; worker < 4; worker++)
        {
            var own = verbose.Where(v => v[0] == worker.ToString(System.Globalization.CultureInfo.InvariantCulture)).Select(v => int.Parse(v[1], System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(Enumerable.Range(0, 100), own);
        }
    }

    [Fact]
    public void ShouldContinue_IsAnsweredOnThePumpingThread_AndTheAnswerReachesTheOperation()
    {
        var sink = new RecordingSink { Answer = query => query == "remove A?" };
        var pump = new OperationPump<string>(sink);
        var pumpThread = Environment.CurrentManagedThreadId;

        var answers = pump.Run(async ct =>
        {
            var first = await pump.ShouldContinueAsync("remove A?", "Confirm", ct);
            pump.PostVerbose("between");
            var second = await pump.ShouldContinueAsync("remove B?", "Confirm", ct);
            return (first, second);
        }, CancellationToken.None);

        Assert.Equal((true, false), answers);
        Assert.Equal(["ask:Confirm:remove A?", "verbose:between", "ask:Confirm:remove B?"], sink.Events.Select(e => e.Text));
        Assert.All(sink.Events, e => Assert.Equal(pumpThread, e.Thread));
    }

    [Fact]
    public void Cancellation_FromThePipelineThread_ReachesTheOperation_AndRunThrowsOperationCanceled()
    {
        using var stop = new CancellationTokenSource();
        var sink = new RecordingSink { OnEvent = text => { if (text == "verbose:started") { stop.Cancel(); } } };
        var pump = new OperationPump<string>(sink);
        var sawCancellation = false;

        var thrown = Assert.ThrowsAny<OperationCanceledException>(() => pump.Run(async ct =>
        {
            pump.PostVerbose("started");
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
                sawCancellation = true;
                throw;
            }
        }, stop.Token));

        Assert.True(sawCancellation);
        Assert.NotNull(thrown);
    }

    [Fact]
    public void Cancellation_WhileWaitingForAnAnswer_CancelsTheQuestion()
    {
        using var stop = new CancellationTokenSource();
        var sink = new RecordingSink
        {
            Answer = _ =>
            {
                stop.Cancel();
                return true;
            },
        };
        var pump = new OperationPump<string>(sink);
        var questionCanceled = false;

        Assert.ThrowsAny<OperationCanceledException>(() => pump.Run(async ct =>
        {
            try
            {
                await pump.ShouldContinueAsync("q", "c", ct);
            }
            catch (OperationCanceledException)
            {
                questionCanceled = true;
                throw;
            }
        }, stop.Token));

        Assert.True(questionCanceled);
    }

    [Fact]
    public void Run_WithAnAlreadyCancelledToken_DoesNotStartTheOperation()
    {
        using var stop = new CancellationTokenSource();
        stop.Cancel();
        var started = false;
        var pump = new OperationPump<string>(new RecordingSink());

        Assert.ThrowsAny<OperationCanceledException>(() => pump.Run(ct =>
        {
            started = true;
            return Task.CompletedTask;
        }, stop.Token));
        Assert.False(started);
    }

    [Fact]
    public void OperationFailure_SurfacesUnwrapped_AfterItsEarlierEventsWereWritten()
    {
        var sink = new RecordingSink();
        var pump = new OperationPump<string>(sink);

        var thrown = Assert.Throws<InvalidOperationException>(() => pump.Run<int>(async ct =>
        {
            pump.PostWarning("about to fail");
            await Task.Yield();
            throw new InvalidOperationException("boom");
        }, CancellationToken.None));

        Assert.Equal("boom", thrown.Message);
        Assert.Equal(["warning:about to fail"], sink.Events.Select(e => e.Text));
    }

    [Fact]
    public void SinkFailure_CancelsTheOperation_DropsTheRest_AndRethrowsTheSinksException()
    {
        var sink = new RecordingSink { OnEvent = text => { if (text == "object:1") { throw new PipelineStoppedStandIn(); } } };
        var pump = new OperationPump<string>(sink);
        var operationCanceled = false;

        Assert.Throws<PipelineStoppedStandIn>(() => pump.Run(async ct =>
        {
            pump.PostObject(1);
            pump.PostObject(2);
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
                operationCanceled = true;
                pump.PostObject(3);
                throw;
            }
        }, CancellationToken.None));

        Assert.True(operationCanceled);
        Assert.Equal(["object:1"], sink.Events.Select(e => e.Text));
        Assert.Equal(0, pump.Pending);
    }

    [Fact]
    public void SinkFailure_WhileAnswering_FaultsTheQuestion_AndStopsThePump()
    {
        var sink = new RecordingSink { Answer = _ => throw new PipelineStoppedStandIn() };
        var pump = new OperationPump<string>(sink);
        Exception? seenByOperation = null;

        Assert.Throws<PipelineStoppedStandIn>(() => pump.Run(async ct =>
        {
            try
            {
                await pump.ShouldContinueAsync("q", "c", ct);
            }
            catch (Exception ex)
            {
                seenByOperation = ex;
                throw;
            }
        }, CancellationToken.None));

        Assert.IsType<PipelineStoppedStandIn>(seenByOperation);
    }

    [Fact]
    public void AfterTheOperationEnds_EventsAreDropped_AndQuestionsAreCancelled()
    {
        var sink = new RecordingSink();
        var pump = new OperationPump<string>(sink);
        pump.Run(ct => Task.CompletedTask, CancellationToken.None);

        pump.PostVerbose("late");
        var late = pump.ShouldContinueAsync("late?", "c", CancellationToken.None);

        Assert.Empty(sink.Events);
        Assert.True(late.IsCanceled);
        Assert.Equal(0, pump.Pending);
    }

    [Fact]
    public void APump_RunsOneOperation()
    {
        var pump = new OperationPump<string>(new RecordingSink());
        pump.Run(ct => Task.CompletedTask, CancellationToken.None);

        Assert.Throws<InvalidOperationException>(() => pump.Run(ct => Task.CompletedTask, CancellationToken.None));
    }

    /// <summary>Stands in for PowerShell's PipelineStoppedException, which a sink throws when the pipeline ends under it.</summary>
    private sealed class PipelineStoppedStandIn : Exception;

    private sealed class RecordingSink : IOperationSink<string>
    {
        private readonly List<(string Text, int Thread)> events = [];

        public Func<string, bool> Answer { get; init; } = _ => false;

        /// <summary>Runs after an event is recorded (on the pumping thread); may throw like a stopped pipeline.</summary>
        public Action<string> OnEvent { get; init; } = _ => { };

        public IReadOnlyList<(string Text, int Thread)> Events => events;

        public void WriteProgress(string progress) => Record("progress:" + progress);

        public void WriteVerbose(string message) => Record("verbose:" + message);

        public void WriteDebug(string message) => Record("debug:" + message);

        public void WriteWarning(string message) => Record("warning:" + message);

        public void WriteInformation(string message) => Record("information:" + message);

        public void WriteObject(object item) => Record("object:" + item);

        public bool ShouldContinue(string query, string caption)
        {
            Record($"ask:{caption}:{query}");
            return Answer(query);
        }

        private void Record(string text)
        {
            // Not locked on purpose: the pump promises that only the pumping thread calls the sink.
            events.Add((text, Environment.CurrentManagedThreadId));
            OnEvent(text);
        }
    }
}
