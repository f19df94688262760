using System.Collections.Concurrent;

namespace CasAdmin.Engine.Deprovisioning;

/// <summary>
/// Measured step durations ("estimated time left"): a running average per step name across every job this
/// process ran, so a job's time left is the sum of its remaining steps' averages.
/// </summary>
internal static class StepClock
{
    private static readonly ConcurrentDictionary<string, (double TotalSeconds, int Count)> Measured = new(StringComparer.Ordinal);

    // Before anything was measured, a Graph round trip or two.
    private const double DefaultStepSeconds = 1.0;

    public static void Record(string step, TimeSpan duration) =>
        Measured.AddOrUpdate(step, (duration.TotalSeconds, 1), (_, v) => (v.TotalSeconds + duration.TotalSeconds, v.Count + 1));

    public static double AverageSeconds(string step) =>
        Measured.TryGetValue(step, out var v) && v.Count > 0 ? v.TotalSeconds / v.Count : DefaultStepSeconds;

    public static int? Estimate(RemovalJobStatus status, IReadOnlyList<CasRemovalStep> steps)
    {
        if (status is not (RemovalJobStatus.Running or RemovalJobStatus.Pending))
        {
            return null;
        }

        var left = steps.Where(s => s.Status is RemovalStepStatus.Pending or RemovalStepStatus.Running).Sum(s => AverageSeconds(s.Name));
        return (int)Math.Ceiling(left);
    }

    /// <summary>The job with its time left as measured here (the registry keeps no estimates).</summary>
    public static CasRemovalJob WithEstimate(CasRemovalJob job) => job with { EstimatedSecondsRemaining = Estimate(job.Status, job.Steps) };
}
