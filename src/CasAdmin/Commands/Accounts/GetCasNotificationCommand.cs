using System.Management.Automation;
using CasAdmin.Base;
using CasAdmin.Completers;
using CasAdmin.Engine;
using CasAdmin.Engine.Accounts;

namespace CasAdmin.Commands.Accounts;

/// <summary>
/// Lists the notifications CasAdmin raised, like the console's ring icon ("Teams Chat protected."), for a tenant
/// or an account. Reads the registry only: no sign-in is needed.
/// </summary>
[Cmdlet(VerbsCommon.Get, "CasNotification")]
[OutputType(typeof(CasNotification))]
public sealed class GetCasNotificationCommand : CasRegistryCmdlet
{
    #region Parameters

    /// <summary>Only notifications of this tenant: its id or verified domain. Objects with a TenantId property bind to it from the pipeline.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(TenantIdCompleter))]
    public string? TenantId { get; set; }

    /// <summary>Only notifications of this service account. Objects with an AccountId property bind to it from the pipeline.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(AccountIdCompleter))]
    public Guid? AccountId { get; set; }

    #endregion

    #region Overrides

    protected override void ProcessRecord()
    {
        var storePath = ResolveStorePath();
        var notifications = Run(
            async (_, ct) =>
            {
                var tenantId = TenantId is null ? null : TenantIdOf(TenantId) ?? await TenantIdFromRegistryAsync(storePath, TenantId, ct).ConfigureAwait(false);
                return TenantId is not null && tenantId is null
                    ? []
                    : await CasEngine.Shared.Accounts.GetNotificationsAsync(storePath, tenantId, AccountId, ct).ConfigureAwait(false);
            },
            (object?)AccountId ?? TenantId);
        WriteObject(notifications, enumerateCollection: true);
    }

    #endregion

    /// <summary>A tenant domain that no open connection knows, through the accounts recorded for it; null when none is.</summary>
    private static async Task<string?> TenantIdFromRegistryAsync(string? storePath, string domain, CancellationToken ct)
    {
        var accounts = await CasEngine.Shared.Accounts.GetAsync(storePath, null, null, null, includeRemoved: true, ct).ConfigureAwait(false);
        return accounts.FirstOrDefault(a => string.Equals(a.TenantDomain, domain, StringComparison.OrdinalIgnoreCase))?.TenantId;
    }
}
