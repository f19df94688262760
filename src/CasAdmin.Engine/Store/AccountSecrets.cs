using CasAdmin.Engine.Accounts;

namespace CasAdmin.Engine.Store;

/// <summary>Where an account's app secret is found on this machine.</summary>
internal static class AccountSecrets
{
    /// <summary>
    /// The secret of the account's app: its vault entry when the registry names one, else the one the vault recalls
    /// for the tenant's app (an account recorded before secrets had references). Null when this machine has neither.
    /// </summary>
    public static string? SecretOf(this ISecretVault vault, CasServiceAccount account) =>
        (account.SecretReference is { } reference ? vault.Read(reference) : null) ?? vault.Recall(account.TenantId, account.AppId);
}
