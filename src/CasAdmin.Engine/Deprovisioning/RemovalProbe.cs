using CasAdmin.Engine.Accounts;

namespace CasAdmin.Engine.Deprovisioning;

/// <summary>
/// An onlooker at a removal run's seams, for tests and the crash host: it sees each step start and end, can stand in
/// for the lease's renewal, and hears when a lease stopped a job. The product passes none (<see cref="RemovalProbe.None"/>):
/// every member's default is what the product does.
/// </summary>
internal interface IRemovalProbe
{
    /// <summary>As a step's work starts. An exception thrown here is that step's work failing, journaled like any other.</summary>
    void BeforeStep(CasServiceAccount account, StepKind kind)
    {
    }

    /// <summary>
    /// Once a step's end is journaled. An <see cref="OperationCanceledException"/> thrown here ends the run at this step
    /// boundary as Ctrl+C does: no handler of the run turns it into a result. Any other exception is the job's unforeseen
    /// failure (RemovalFailed).
    /// </summary>
    void AfterStep(Guid jobId, StepKind kind)
    {
    }

    /// <summary>One renewal of a job's lease; by default the registry's (<paramref name="registry"/>).</summary>
    Task<bool> RenewAsync(Func<CancellationToken, Task<bool>> registry, CancellationToken token) => registry(token);

    /// <summary>A job's lease stopped its work (the reason is on the keeper).</summary>
    void LeaseStopped(LeaseKeeper keeper)
    {
    }
}

/// <summary>The product's probe: none.</summary>
internal sealed class RemovalProbe : IRemovalProbe
{
    public static readonly IRemovalProbe None = new RemovalProbe();

    private RemovalProbe()
    {
    }
}
