using CasAdmin.Engine.Operations;

namespace CasAdmin.Engine.Tests.Unit;

public sealed class ProgressTrackerTests
{
    private sealed class Recorder : NullOperationObserver
    {
        public List<CasProgress> Records { get; } = [];

        public override void Progress(CasProgress progress) => Records.Add(progress);
    }

    [Fact]
    public void Report_EstimatesSecondsRemainingFromMeasuredRate()
    {
        var clock = new ManualTimeProvider();
        var recorder = new Recorder();
        using (var tracker = new ProgressTracker(recorder, "Inventory", total: 100, timeProvider: clock))
        {
            clock.Advance(TimeSpan.FromSeconds(10));
            tracker.Report(25, "25 of 100 users");

            var record = Assert.Single(recorder.Records);
            Assert.Equal(25, record.PercentComplete);
            Assert.Equal(30, record.SecondsRemaining); // 10 s per 25 users, 75 to go
            Assert.Equal("Inventory", record.Activity);
        }

        Assert.True(recorder.Records[^1].Completed);
    }

    [Fact]
    public void Report_UpdatesWithinAQuarterSecondAreDropped_UnlessForced()
    {
        var clock = new ManualTimeProvider();
        var recorder = new Recorder();
        var tracker = new ProgressTracker(recorder, "Bulk", total: 10, timeProvider: clock);

        tracker.Report(1, "one");
        clock.Advance(TimeSpan.FromMilliseconds(100));
        tracker.Report(2, "two");
        tracker.Report(3, "three", force: true);
        clock.Advance(TimeSpan.FromMilliseconds(300));
        tracker.Report(4, "four");

        Assert.Equal(["one", "three", "four"], recorder.Records.Select(r => r.StatusDescription));
    }

    [Fact]
    public void Child_CarriesParentIdAndOwnId_AndCompletesOnceOnly()
    {
        var recorder = new Recorder();
        var parent = new ProgressTracker(recorder, "Batch", total: 2);
        var child = new ProgressTracker(recorder, "Job", total: null, parentActivityId: parent.ActivityId);

        child.Report(0, "step 1");
        child.Dispose();
        child.Dispose();

        Assert.NotEqual(parent.ActivityId, child.ActivityId);
        Assert.All(recorder.Records, r => Assert.Equal(parent.ActivityId, r.ParentActivityId));
        Assert.Equal(-1, recorder.Records[0].PercentComplete);
        Assert.Single(recorder.Records, r => r.Completed);
    }
}
