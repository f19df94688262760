using CasAdmin.Engine.Accounts;

namespace CasAdmin.Engine.Deprovisioning;

/// <summary>The product's rules about confirming a removal.</summary>
public static class DeprovisioningRules
{
    public const string ExchangeWarning =
        "After the Exchange Online service account is removed, the Threat Investigation, Threat Mitigation and Threat Remediation automation APIs stop working.";

    /// <summary>The extra confirmation the removal of an Exchange Online account needs (skipped by -Force).</summary>
    public static (string Query, string Caption) ExchangeConfirmation(CasServiceAccount account) =>
        ($"{ExchangeWarning} Remove the Exchange Online service account of {account.TenantDomain ?? account.TenantId}?",
         "Remove the Exchange Online service account");

    public static bool NeedsConfirmation(CasServiceAccount account) => account.Service == CasService.ExchangeOnline;
}
