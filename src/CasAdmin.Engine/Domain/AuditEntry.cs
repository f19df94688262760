using CasAdmin.Engine.Accounts;
using CasAdmin.Engine.Connections;

namespace CasAdmin.Engine.Domain;

/// <summary>One line of the audit log: who did what to which account, and how it ended. Never a secret value.</summary>
internal sealed record AuditEntry(string? Actor, string? TenantId, Guid? AccountId, string Action, string? Target, string Result, string? Detail = null)
{
    /// <summary>Who acted: the signed-in account, or the app of an app-only connection.</summary>
    public static string? ActorOf(CasConnection connection) => connection.Account ?? connection.AppId;

    /// <summary>An action on a service account, aimed at the account's app.</summary>
    public static AuditEntry ForAccount(CasConnection admin, CasServiceAccount account, string action, string result, string? detail) =>
        new(ActorOf(admin), account.TenantId, account.AccountId, action, account.AppId, result, detail);
}
