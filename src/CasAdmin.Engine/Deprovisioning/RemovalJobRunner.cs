using CasAdmin.Engine.Accounts;
using CasAdmin.Engine.Errors;
using CasAdmin.Engine.Operations;
using CasAdmin.Engine.Store;

namespace CasAdmin.Engine.Deprovisioning;

/// <summary>
/// Runs one removal job: checks the account, opens its job and takes the lease, keeps the lease while the steps run
/// (<see cref="RemovalStepRunner"/>), and lets go of it however the run ends. Journaled in the registry before and after
/// every step, so a job run again resumes from its first unfinished step.
/// </summary>
internal sealed class RemovalJobRunner(ISecretVault vault, IRemovalProbe probe, TimeProvider clock)
{
    public async Task<CasRemovalJob> RunAsync(RemovalTarget target, RemovalOptions options, IOperationObserver observer, int parentActivityId, string owner, CancellationToken ct)
    {
        var store = RegistryStore.Open(target.Connection.StorePath);
        store.EnsureWritable();
        var jobs = new RemovalJobRepository(store, clock);
        var leases = new RemovalLeaseRepository(store, clock);
        var account = await LoadAccountAsync(store, jobs, target, ct).ConfigureAwait(false);
        var admin = target.AdminConnection ?? target.Connection;

        if (account.Service == CasService.ExchangeOnline && !options.Force && !target.Confirmed)
        {
            var (query, caption) = DeprovisioningRules.ExchangeConfirmation(account);
            if (!await observer.ShouldContinueAsync(query, caption, ct).ConfigureAwait(false))
            {
                throw new CasException(ErrorIds.RemovalNotConfirmed, CasErrorCategory.OperationStopped,
                    $"The removal of the Exchange Online account of {account.TenantDomain ?? account.TenantId} was not confirmed; nothing was changed.",
                    "Confirm the prompt, or pass -Force in unattended runs.", account.AccountId.ToString());
            }
        }

        var grantedAt = clock.GetUtcNow();
        var steps = RemovalPlan.For(account).Select(k => RemovalPlan.Names[k]).ToArray();
        var (jobId, lease) = await leases.OpenAndLeaseAsync(account, steps, owner, options.LeaseDuration, ct).ConfigureAwait(false);
        if (lease.IsFinished)
        {
            // Another process finished it between our look and our lease.
            throw new CasException(ErrorIds.AlreadyRemoved, CasErrorCategory.ObjectNotFound,
                $"The {account.Service} account of {account.TenantDomain ?? account.TenantId} was removed by another process just now.",
                "Nothing to do; Get-CasRemovalJob -AccountId shows how it was removed.", account.AccountId.ToString());
        }

        if (!lease.IsAcquired)
        {
            throw new CasException(ErrorIds.RemovalInProgress, CasErrorCategory.ResourceUnavailable,
                $"The {account.Service} account of {account.TenantDomain ?? account.TenantId} is being removed by {lease.Holder}.",
                "Wait for that removal to finish (Get-CasRemovalJob shows it). Should that process end without finishing, a rerun on the same machine takes over at once; on another machine, once its lease expires.",
                account.AccountId.ToString());
        }

        // From here on the lease is ours: it is kept, and let go of, whatever happens next (Ctrl+C included).
        var keeper = new LeaseKeeper(token => probe.RenewAsync(t => leases.RenewAsync(jobId, owner, options.LeaseDuration, t), token),
            options.LeaseDuration, grantedAt, clock, ct, probe.LeaseStopped);
        var succeeded = false;
        try
        {
            var job = (await jobs.GetAsync(jobId, keeper.Token).ConfigureAwait(false))!;
            if (lease.TakenOverFrom is { } dead)
            {
                observer.Information($"Took over the removal of the {account.Service} account of {account.TenantDomain ?? account.TenantId} from {dead}, which is no longer running; it resumes at its first unfinished step.");
            }

            var context = new RemovalContext(account, job, admin, options, store, vault, observer, owner);
            // A person who confirmed has read the warning already; an unattended -Force run still gets it in its log.
            if (account.Service == CasService.ExchangeOnline && !target.Confirmed)
            {
                observer.Warning(DeprovisioningRules.ExchangeWarning);
            }

            succeeded = await new RemovalStepRunner(probe).RunAsync(context, parentActivityId, keeper.Token, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (keeper.Ended && !ct.IsCancellationRequested)
        {
            throw keeper.Error($"the {account.Service} account of {account.TenantDomain ?? account.TenantId}", account.AccountId.ToString());
        }
        finally
        {
            await keeper.DisposeAsync().ConfigureAwait(false);

            // Released even after Ctrl+C, so a rerun need not wait for the lease to expire (a job that succeeded let go
            // of it in its last write); should the store be down now, the lease simply expires (or, on this machine, is
            // taken over at once: this run's owner is retired), and the job's outcome is what matters to the caller.
            if (!succeeded)
            {
                try
                {
                    await leases.ReleaseAsync(jobId, owner, ct).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is CasException or OperationCanceledException)
                {
                    observer.Verbose($"The lease of job {jobId} was not released ({(ex as CasException)?.ErrorId ?? "canceled"}); it expires by itself.");
                }
            }
        }

        return StepClock.WithEstimate((await jobs.GetAsync(jobId, CancellationToken.None).ConfigureAwait(false))!);
    }

    private static async Task<CasServiceAccount> LoadAccountAsync(RegistryStore store, RemovalJobRepository jobs, RemovalTarget target, CancellationToken ct)
    {
        var account = await new AccountRepository(store).GetAsync(target.AccountId, ct).ConfigureAwait(false)
            ?? throw new CasException(ErrorIds.ServiceAccountNotFound, CasErrorCategory.ObjectNotFound,
                $"No service account {target.AccountId} is in the registry.", "List the accounts with Get-CasServiceAccount.", target.AccountId.ToString());
        if (account.Status == ServiceAccountStatus.Removed
            && await jobs.OpenJobAsync(account.AccountId, ct).ConfigureAwait(false) is null)
        {
            // Removed with no unfinished job: done. (An open job means a run stopped after the local data went: it resumes.)
            throw DeprovisioningRules.AlreadyRemoved(account.Service, account.TenantDomain ?? account.TenantId, account.AccountId);
        }

        // Not checked again here: the account's tenant was checked against the target's connections when the target was built.
        return account;
    }
}
