using CasAdmin.Engine.Accounts;
using CasAdmin.Engine.Errors;

namespace CasAdmin.Engine.Deprovisioning;

/// <summary>The product's rules about confirming a removal, and what a removal already done answers.</summary>
public static class DeprovisioningRules
{
    public const string ExchangeWarning =
        "After the Exchange Online service account is removed, the Threat Investigation, Threat Mitigation and Threat Remediation automation APIs stop working.";

    /// <summary>The extra confirmation the removal of an Exchange Online account needs (skipped by -Force).</summary>
    public static (string Query, string Caption) ExchangeConfirmation(CasServiceAccount account) =>
        ($"{ExchangeWarning} Remove the Exchange Online service account of {account.TenantDomain ?? account.TenantId}?",
         "Remove the Exchange Online service account");

    public static bool NeedsConfirmation(CasServiceAccount account) => account.Service == CasService.ExchangeOnline;

    /// <summary>The answer for an account removed before this run came to it (by this or another runner).</summary>
    internal static CasException AlreadyRemoved(CasService service, string tenant, Guid accountId) =>
        new(ErrorIds.AlreadyRemoved, CasErrorCategory.ObjectNotFound, $"The {service} account of {tenant} was already removed.",
            "Nothing to do; Get-CasRemovalJob -AccountId shows how it was removed.", accountId.ToString());
}
