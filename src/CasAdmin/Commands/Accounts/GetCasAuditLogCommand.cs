using System.Management.Automation;
using CasAdmin.Base;
using CasAdmin.Completers;
using CasAdmin.Engine;
using CasAdmin.Engine.Store;

namespace CasAdmin.Commands.Accounts;

/// <summary>
/// Reads the registry's audit log, newest first: every change CasAdmin recorded (registrations, provisioning, secret
/// updates, removals), by tenant, account, action and time. Reads the registry only: no sign-in is needed.
/// </summary>
[Cmdlet(VerbsCommon.Get, "CasAuditLog")]
[OutputType(typeof(CasAuditEntry))]
public sealed class GetCasAuditLogCommand : CasRegistryCmdlet
{
    #region Parameters


    /// <summary>Only changes to this service account. Objects with an AccountId property bind to it from the pipeline.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(AccountIdCompleter))]
    public Guid? AccountId { get; set; }

    /// <summary>Only this action, for example RemoveServiceAccount; wildcards (* and ?) allowed, case-insensitive.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    public string? Action { get; set; }

    /// <summary>Only changes recorded at or after this time.</summary>
    [Parameter]
    public DateTime? After { get; set; }

    /// <summary>Only changes recorded before this time.</summary>
    [Parameter]
    public DateTime? Before { get; set; }

    /// <summary>At most this many entries, the newest.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int? Newest { get; set; }

    #endregion

    #region Overrides

    protected override void ProcessRecord()
    {
        var storePath = ResolveStorePath();
        if (TryResolveFilter(storePath, out var tenant))
        {
            var entries = Run(
                (_, ct) => CasEngine.Shared.Accounts.GetAuditLogAsync(storePath, tenant.TenantId, AccountId, Action, Moment(After), Moment(Before), Newest, ct),
                (object?)AccountId ?? TenantId);
            WriteObject(entries, enumerateCollection: true);
        }
    }

    #endregion

    /// <summary>A time typed in the session (local unless it says otherwise) as an instant.</summary>
    private static DateTimeOffset? Moment(DateTime? value) =>
        value is not { } v ? null : v.Kind == DateTimeKind.Unspecified ? new DateTimeOffset(DateTime.SpecifyKind(v, DateTimeKind.Local)) : new DateTimeOffset(v);
}
