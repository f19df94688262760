namespace CasAdmin.Sandbox.Tenants;

/// <summary>The tenant's default app management policy (GET /policies/defaultAppManagementPolicy): only the password lifetime restriction CasAdmin meets.</summary>
internal sealed class AppManagementPolicy
{
    /// <summary>The default tenant policy's id in every tenant.</summary>
    public const string DefaultId = "00000000-0000-0000-0000-000000000000";

    public bool IsEnabled { get; set; }

    /// <summary>Longest allowed secret lifetime; null = no passwordLifetime restriction.</summary>
    public TimeSpan? MaxPasswordLifetime { get; set; }

    /// <summary>The restriction applies to apps created after this date (null = every app).</summary>
    public DateTimeOffset? RestrictForAppsCreatedAfter { get; set; }

    public static AppManagementPolicy Disabled() => new();

    /// <summary>The lifetime limit that applies to an app created at <paramref name="appCreated"/>, or null.</summary>
    public TimeSpan? PasswordLifetimeLimit(DateTimeOffset appCreated) =>
        IsEnabled && MaxPasswordLifetime is { } max && (RestrictForAppsCreatedAfter is not { } after || appCreated > after) ? max : null;

    /// <summary>ISO 8601 duration as Graph writes it (P180D, PT12H, P4DT12H30M5S).</summary>
    public static string FormatDuration(TimeSpan d)
    {
        var s = "P" + (d.Days > 0 ? $"{d.Days}D" : "");
        var time = (d.Hours > 0 ? $"{d.Hours}H" : "") + (d.Minutes > 0 ? $"{d.Minutes}M" : "") + (d.Seconds > 0 ? $"{d.Seconds}S" : "");
        if (time.Length > 0)
        {
            s += "T" + time;
        }

        return s == "P" ? "PT0S" : s;
    }
}

internal sealed record ServicePlan(string ServicePlanId, string ServicePlanName, string AppliesTo = "User", string ProvisioningStatus = "Success");

/// <summary>One licence SKU the tenant subscribes to (GET /subscribedSkus).</summary>
internal sealed class SubscribedSku
{
    public required string SkuId { get; init; }
    public required string SkuPartNumber { get; init; }
    public string CapabilityStatus { get; set; } = "Enabled";
    public int Enabled { get; set; }
    public int Suspended { get; set; }
    public int Warning { get; set; }
    public int LockedOut { get; set; }
    public int Consumed { get; set; }
    public List<ServicePlan> ServicePlans { get; } = [];
}

/// <summary>Real SKU and service-plan ids for the licences the scenarios use (learn.microsoft.com/entra/identity/users/licensing-service-plan-reference).</summary>
internal static class SkuCatalog
{
    public const string CommunicationsDlp = "6dc145d6-95dd-4191-b9c3-185575ee6f6b";

    private static readonly ServicePlan Teams = new("57ff2da0-773e-42df-b2af-ffb7a2317929", "TEAMS1");
    private static readonly ServicePlan Exchange = new("efb87545-963c-4e0d-99df-69c6916d9eb0", "EXCHANGE_S_ENTERPRISE");
    private static readonly ServicePlan SharePoint = new("5dbe027f-2339-4123-9542-606e4d348a72", "SHAREPOINTENTERPRISE");
    private static readonly ServicePlan SharePointWac = new("e95bec33-7c88-4a70-8e19-b10bd9d0c014", "SHAREPOINTWAC");
    private static readonly ServicePlan Skype = new("0feaeb32-d00e-4d66-bd5a-43b5b83db82c", "MCOSTANDARD");
    private static readonly ServicePlan Office = new("43de0ff5-c92c-492b-9116-175376d08c38", "OFFICESUBSCRIPTION");
    private static readonly ServicePlan AadP1 = new("41781fb2-bc02-4b7c-bd55-b576c07bb09d", "AAD_PREMIUM");
    private static readonly ServicePlan AadP2 = new("eec0eb4f-6444-4f95-aba0-50c24d67f998", "AAD_PREMIUM_P2");
    private static readonly ServicePlan InformationBarriers = new("c4801e8a-cb58-4c35-aca6-f2dcc106f287", "INFORMATION_BARRIERS");
    private static readonly ServicePlan CommunicationsCompliance = new("41fcdd7d-4733-4863-9cf4-c65b83ce2df4", "COMMUNICATIONS_COMPLIANCE");
    private static readonly ServicePlan Dlp = new(CommunicationsDlp, "COMMUNICATIONS_DLP");
    private static readonly ServicePlan CustomerKey = new("6db1f1db-2b46-403f-be40-e39395f08dbb", "CUSTOMER_KEY");
    private static readonly ServicePlan ThreatIntelligence = new("8e0c0a52-6a6c-4d40-8370-dd62790dcd70", "THREAT_INTELLIGENCE");
    private static readonly ServicePlan PhoneSystem = new("4828c8ec-dc2e-4779-b502-87ac9ce28ab7", "MCOEV");

    /// <summary>Known SKUs by part number: (skuId, service plans).</summary>
    public static IReadOnlyDictionary<string, (string SkuId, IReadOnlyList<ServicePlan> Plans)> Known { get; } =
        new Dictionary<string, (string, IReadOnlyList<ServicePlan>)>(StringComparer.OrdinalIgnoreCase)
        {
            // Microsoft 365 E5: carries Microsoft Communications DLP (licensing model A can block).
            ["SPE_E5"] = ("06ebc4ee-1bb5-47dd-8120-11324bc54e06",
                [Teams, Exchange, SharePoint, SharePointWac, Skype, Office, AadP1, AadP2, InformationBarriers, CommunicationsCompliance, Dlp, CustomerKey, ThreatIntelligence, PhoneSystem]),
            // Microsoft 365 E3: no Communications DLP.
            ["SPE_E3"] = ("05e9a617-0261-4cee-bb44-138d3ef5d965", [Teams, Exchange, SharePoint, SharePointWac, Skype, Office, AadP1]),
        };
}
