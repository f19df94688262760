using System.Management.Automation;
using CasAdmin.Base;
using CasAdmin.Completers;
using CasAdmin.Engine;
using CasAdmin.Engine.Accounts;
using CasAdmin.Engine.Connections;
using CasAdmin.Engine.Deprovisioning;
using CasAdmin.Engine.Errors;
using CasAdmin.Engine.Tenancy;

namespace CasAdmin.Commands.Deprovisioning;

/// <summary>
/// Removes service accounts (the product's "Deprovisioning Office 365 Services" topic): each account becomes a
/// tracked removal job whose steps verify the account, check the Global Administrator rights, remove what the
/// account left in the tenant, remove the app principal after the account, delete CasAdmin's data and list the
/// remaining changes. Every account is confirmed here, on the pipeline thread; then one engine run removes them all,
/// <see cref="ThrottleLimit"/> at a time. A rerun resumes unfinished jobs.
/// </summary>
[Cmdlet(VerbsCommon.Remove, "CasServiceAccount", DefaultParameterSetName = AccountIdSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(CasRemovalJob))]
public sealed class RemoveCasServiceAccountCommand : CasTenantCmdlet
{
    private const string AccountIdSet = "AccountId";
    private const string ServiceSet = "Service";

    private readonly List<RemovalTarget> targets = [];
    private readonly Dictionary<Guid, CasServiceAccount> accounts = [];
    private bool yesToAll;
    private bool noToAll;

    #region Parameters

    /// <summary>
    /// The service account to remove, by its AccountId (Get-CasServiceAccount lists them). Objects with an AccountId
    /// property bind to it from the pipeline.
    /// </summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = AccountIdSet)]
    [ArgumentCompleter(typeof(AccountIdCompleter))]
    public Guid AccountId { get; set; }

    /// <summary>Removes the registry's account of this service in the tenant (every one, when the registry holds several).</summary>
    [Parameter(Mandatory = true, ParameterSetName = ServiceSet)]
    public CasService Service { get; set; }


    /// <summary>A Global Administrator connection to the same tenant, for when the tenant's own connection lacks the rights.</summary>
    [Parameter]
    [ValidateNotNull]
    public CasConnection? AdminConnection { get; set; }

    /// <summary>
    /// Skips the Exchange Online confirmation, and forces removal of CasAdmin's data when the account cannot be verified
    /// or a step fails (what stays in the tenant is listed by Get-CasCleanupItem). Does not skip -Confirm.
    /// </summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Teams Chat: also deletes the tenant's own app (it goes to the deleted items for 30 days).</summary>
    [Parameter]
    public SwitchParameter RemoveApp { get; set; }

    /// <summary>With -RemoveApp: purges the deleted app at once (it cannot be restored).</summary>
    [Parameter]
    public SwitchParameter Purge { get; set; }

    /// <summary>Delegate accounts: also deletes the Microsoft 365 user created for the service.</summary>
    [Parameter]
    public SwitchParameter RemoveDelegateAccount { get; set; }

    /// <summary>How many removal jobs run at once (1 to 64); tenants are taken in turn. Default: 8.</summary>
    [Parameter]
    [ValidateRange(1, 64)]
    public int ThrottleLimit { get; set; } = 8;

    #endregion

    #region Overrides

    protected override void ProcessRecord()
    {
        // The tenant is checked here, once: -TenantId, -Connection, -AdminConnection and the account's own tenant.
        if (ParameterSetName == ServiceSet)
        {
            if (TryResolveTenant(TenantId ?? Service.ToString(), out var tenant, AdminConnection))
            {
                foreach (var account in FindServiceAccounts(tenant.Connection))
                {
                    if (TryRun((_, ct) => Tenants.ResolveAccountAsync(tenant, account.AccountId, AdminConnection, ct), account, out var scope))
                    {
                        ConfirmAndCollect(scope);
                    }
                }
            }
        }
        else if (TryResolveAccount(AccountId, out var scope, AdminConnection))
        {
            ConfirmAndCollect(scope);
        }
    }

    protected override void EndProcessing()
    {
        if (targets.Count == 0)
        {
            return;
        }

        var options = new RemovalOptions
        {
            Force = Force,
            RemoveApp = RemoveApp,
            Purge = Purge,
            RemoveDelegateAccount = RemoveDelegateAccount,
            ThrottleLimit = ThrottleLimit,
        };
        var results = Run((observer, ct) => CasEngine.Shared.Deprovisioning.RemoveAsync(targets, options, observer, ct));

        // Every job first, then the errors: with -ErrorAction Stop the first error ends the cmdlet, and the jobs that
        // finished must already be in the output by then.
        foreach (var job in results.Select(r => r.Job).OfType<CasRemovalJob>())
        {
            WriteObject(job);
            if (job.Status != RemovalJobStatus.Failed && job.RemainingChanges.Count > 0)
            {
                WriteInformation($"The {job.Service} account of {job.TenantDomain ?? job.TenantId} left {job.RemainingChanges.Count} change(s) in the tenant: Get-CasCleanupItem -JobId {job.JobId} lists them.",
                    [InformationTag, MyInvocation.MyCommand.Name]);
            }
        }

        foreach (var result in results)
        {
            if (result.Job is { Status: RemovalJobStatus.Failed } job)
            {
                WriteCasError(ErrorRecords.FromFailedRemovalJob(job), job);
            }
            else if (result.Job is null && result.Error is { } error && !IsCmdletWide(error))
            {
                WriteCasError(error, accounts.TryGetValue(result.AccountId, out var account) ? account : result.AccountId);
            }
        }

        // A registry that cannot record (read-only, locked, gone) ends the cmdlet, after the jobs that finished were written.
        if (results.FirstOrDefault(r => r.Job is null && r.Error is { } e && IsCmdletWide(e))?.Error is { } registry)
        {
            ThrowCasError(registry, registry.Target);
        }
    }

    #endregion

    /// <summary>The registry's accounts of -Service in the tenant; none is an error, written here.</summary>
    private IReadOnlyList<CasServiceAccount> FindServiceAccounts(CasConnection connection)
    {
        if (!TryRun((_, ct) => CasEngine.Shared.Accounts.GetAsync(connection.StorePath, connection.TenantId, Service, null, false, ct), Service, out var found))
        {
            return [];
        }

        if (found.Count == 0)
        {
            WriteCasError(
                new CasException(ErrorIds.ServiceAccountNotFound, CasErrorCategory.ObjectNotFound,
                    $"The registry has no {Service} service account of tenant {TenantResolver.NameOf(connection)}.",
                    "List the accounts with Get-CasServiceAccount; register one provisioned elsewhere with Find-CasServiceAccount | Register-CasServiceAccount.",
                    connection.TenantId),
                Service);
        }

        return found;
    }

    /// <summary>ShouldProcess, and for Exchange Online the extra question (unless -Force); a confirmed account joins the batch.</summary>
    private void ConfirmAndCollect(AccountScope scope)
    {
        var account = scope.Account;
        if (accounts.ContainsKey(account.AccountId))
        {
            return;
        }

        var target = $"{account.Service} service account {account.AccountId} ({account.AppId ?? account.DelegateAccount}) of tenant {account.TenantDomain ?? account.TenantId}";
        bool processed;
        try
        {
            processed = ShouldProcess(target, RemovalAction(account));
        }
        catch (Exception ex) when (IsHostThatCannotPrompt(ex))
        {
            WriteCasError(NotConfirmed(account, "-Confirm:$false" + (DeprovisioningRules.NeedsConfirmation(account) ? " and -Force" : string.Empty), ex), account);
            return;
        }

        if (!processed)
        {
            return;
        }

        // With -Force nobody saw the warning: the target stays unconfirmed, so the engine writes it into the run's log.
        var confirmed = !Force;
        if (DeprovisioningRules.NeedsConfirmation(account) && !Force)
        {
            WriteWarning(DeprovisioningRules.ExchangeWarning);
            var (query, caption) = DeprovisioningRules.ExchangeConfirmation(account);
            try
            {
                confirmed = ShouldContinue(query, caption, ref yesToAll, ref noToAll);
            }
            catch (Exception ex) when (IsHostThatCannotPrompt(ex))
            {
                // A runbook or `pwsh -NonInteractive`: PowerShell's own error says nothing about -Force.
                WriteCasError(NotConfirmed(account, "-Force", ex), account);
                return;
            }

            if (!confirmed)
            {
                WriteVerbose($"Not confirmed; the {account} is kept.");
                return;
            }
        }

        accounts[account.AccountId] = account;
        targets.Add(RemovalTarget.For(scope, confirmed));
    }

    private static CasException NotConfirmed(CasServiceAccount account, string pass, Exception inner) => new(
        ErrorIds.RemovalNotConfirmed, CasErrorCategory.OperationStopped,
        $"The removal of the {account.Service} service account {account.AccountId} was not confirmed: this PowerShell host cannot ask. Nothing was changed.",
        $"In unattended runs pass {pass} to confirm the removal in advance.",
        account.AccountId.ToString(), inner);

    private string RemovalAction(CasServiceAccount account)
    {
        var action = "Remove the service account and what it left in the tenant";
        if (RemoveApp && account.Service == CasService.TeamsChat)
        {
            action += Purge ? ", delete and purge its app" : ", delete its app";
        }

        if (RemoveDelegateAccount && account.DelegateAccount is not null)
        {
            action += $", delete the delegate user {account.DelegateAccount}";
        }

        return Force ? action + " (forcing removal of CasAdmin's data if a step fails)" : action;
    }
}
