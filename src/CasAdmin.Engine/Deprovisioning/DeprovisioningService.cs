using CasAdmin.Engine.Accounts;
using CasAdmin.Engine.Operations;
using CasAdmin.Engine.Store;

namespace CasAdmin.Engine.Deprovisioning;

/// <summary>Deprovisioning (the product's "Deprovisioning Office 365 Services" topic): removal jobs, their details and the remaining changes.</summary>
public sealed class DeprovisioningService
{
    private readonly RemovalRunner runner;

    /// <param name="vault">Where the accounts' secrets are kept.</param>
    /// <param name="owner">A fixed lease owner for every job (tests playing another runner); by default each run of a job has its own.</param>
    internal DeprovisioningService(ISecretVault vault, string? owner = null) =>
        runner = new RemovalRunner(vault, owner);

    internal RemovalRunner Runner => runner;

    /// <summary>
    /// Removes every target as its own tracked job, <see cref="RemovalOptions.ThrottleLimit"/> at a time. Confirm
    /// before calling (on the pipeline thread); per-account failures come back as results, not exceptions.
    /// </summary>
    public async Task<IReadOnlyList<RemovalResult>> RemoveAsync(IReadOnlyList<RemovalTarget> targets, RemovalOptions options, IOperationObserver observer, CancellationToken cancellationToken)
    {
        using var scope = OperationScope.Enter(observer);
        return await runner.RunAsync(targets, options, observer, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<CasRemovalJob>> GetJobsAsync(string? storePath, Guid? jobId, Guid? accountId, string? tenantId, RemovalJobStatus? status, CancellationToken cancellationToken) =>
        RegistryStore.NotCreatedYet(storePath) ? []
            : (await new RemovalJobRepository(RegistryStore.Open(storePath, create: false)).ListAsync(jobId, accountId, tenantId, status, cancellationToken).ConfigureAwait(false))
                .Select(StepClock.WithEstimate).ToList();

    public async Task<IReadOnlyList<CasCleanupItem>> GetCleanupItemsAsync(string? storePath, string? tenantId, CasService? service, Guid? jobId, CancellationToken cancellationToken) =>
        RegistryStore.NotCreatedYet(storePath) ? []
            : await new RemovalJobRepository(RegistryStore.Open(storePath, create: false)).CleanupItemsAsync(tenantId, service, jobId, cancellationToken).ConfigureAwait(false);
}
