using CasAdmin.Engine.Accounts;
using CasAdmin.Engine.Deprovisioning;

namespace CasAdmin.Engine.Tests.Deprovisioning;

/// <summary>A removal probe whose hooks a test sets one by one; a hook left null does what the product does.</summary>
internal sealed class TestProbe : IRemovalProbe
{
    public Action<CasServiceAccount, StepKind>? BeforeStep { get; set; }

    public Action<Guid, StepKind>? AfterStep { get; set; }

    /// <summary>Stands in for the registry's lease renewal (a store that does not answer, or one that throws).</summary>
    public Func<CancellationToken, Task<bool>>? Renew { get; set; }

    public Action<LeaseKeeper>? LeaseStopped { get; set; }

    void IRemovalProbe.BeforeStep(CasServiceAccount account, StepKind kind) => BeforeStep?.Invoke(account, kind);

    void IRemovalProbe.AfterStep(Guid jobId, StepKind kind) => AfterStep?.Invoke(jobId, kind);

    Task<bool> IRemovalProbe.RenewAsync(Func<CancellationToken, Task<bool>> registry, CancellationToken token) => (Renew ?? registry)(token);

    void IRemovalProbe.LeaseStopped(LeaseKeeper keeper) => LeaseStopped?.Invoke(keeper);
}

/// <summary>The process dying at a step boundary, thrown from <see cref="TestProbe.AfterStep"/>: like Ctrl+C it passes every handler of the run.</summary>
internal sealed class StepBoundaryCrash() : OperationCanceledException("simulated crash at a step boundary");

internal static class TestProbes
{
    /// <summary>The runner's test probe, installed on first use.</summary>
    public static TestProbe Hooks(this RemovalRunner runner)
    {
        if (runner.Probe is not TestProbe probe)
        {
            probe = new TestProbe();
            runner.Probe = probe;
        }

        return probe;
    }
}
