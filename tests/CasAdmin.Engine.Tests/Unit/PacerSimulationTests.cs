using Xunit.Abstractions;

namespace CasAdmin.Engine.Tests.Unit;

/// <summary>
/// The pacer against Graph's quota in <see cref="PacerSimulation"/>: on a clock of the simulation's own, so the figures
/// are the pacer's, not the machine's. The Teams Chat inventory benchmark's shape: 16 workers, one request per user, the
/// Teams quota at the benchmark's scale (30 requests a second × 5), answers that carry no quota headers.
/// </summary>
public sealed class PacerSimulationTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(1010, 8)]
    [InlineData(2510, 8)]
    [InlineData(5010, 8)]
    [InlineData(1010, 15)]
    [InlineData(5010, 15)]
    public void TeamsQuota_WithoutWarnings_IsSpentToAtLeast95Percent_WithUnder1PercentThrottled(int requests, int roundTripMs)
    {
        var outcome = new PacerSimulation
        {
            Workers = 16, Requests = requests, Capacity = 150, RefillPerSecond = 150,
            RoundTrip = TimeSpan.FromMilliseconds(roundTripMs), RoundTripJitter = TimeSpan.FromMilliseconds(roundTripMs * 0.75),
        }.Run();

        Report(FormattableString.Invariant($"{requests} requests, {roundTripMs} ms: "), outcome);
        Assert.True(outcome.Eta >= 0.95, outcome.ToString());
        Assert.True(outcome.Throttled < 0.01 * outcome.Sent, outcome.ToString());
    }

    private void Report(string what, PacerSimulation.Outcome outcome)
    {
        output.WriteLine(what + outcome);
        if (Environment.GetEnvironmentVariable("CAS_SIM_TRACE") == "1")
        {
            foreach (var line in outcome.Tenths())
            {
                output.WriteLine(line);
            }
        }
    }
}
