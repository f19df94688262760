using System.Globalization;
using CasAdmin.Engine.Accounts;
using CasAdmin.Engine.Connections;
using CasAdmin.Engine.Errors;
using CasAdmin.Engine.Graph;
using CasAdmin.Engine.Operations;

namespace CasAdmin.Engine.Licensing;

/// <summary>
/// Checks a licensing model's prerequisites (A: an E5-class licence; B: pay per call, no blocking; Evaluation: a limited number of messages). Since August 2025 Microsoft no longer meters the
/// Teams APIs, so the model is the product's protection mode: A needs a licence carrying the Microsoft
/// Communications DLP service plan (blocking needs it), B cannot block, Evaluation has a monthly quota.
/// </summary>
internal static class LicensingValidator
{
    /// <summary>The "Microsoft Communications DLP" service plan.</summary>
    public const string DlpServicePlanName = "COMMUNICATIONS_DLP";
    public static readonly Guid DlpServicePlanId = Guid.Parse("6dc145d6-95dd-4191-b9c3-185575ee6f6b");

    /// <summary>Messages per month per app per tenant for each API group in Evaluation Mode.</summary>
    public const int EvaluationMonthlyQuota = 500;

    public static async Task ValidateAsync(CasConnection admin, LicensingModel model, GraphGateway appGraph, IOperationObserver observer, CancellationToken ct)
    {
        switch (model)
        {
            case LicensingModel.A:
                var skus = await admin.Context.Graph.CallAsync((g, c) => g.SubscribedSkus.GetAsync(cancellationToken: c), admin.TenantId, ct,
                    ["Organization.Read.All"], admin.Permissions).ConfigureAwait(false);
                var dlp = skus?.Value?.FirstOrDefault(s =>
                    string.Equals(s.CapabilityStatus, "Enabled", StringComparison.OrdinalIgnoreCase)
                    && (s.PrepaidUnits?.Enabled ?? 0) > 0
                    && s.ServicePlans?.Any(p => p.ServicePlanId == DlpServicePlanId || string.Equals(p.ServicePlanName, DlpServicePlanName, StringComparison.OrdinalIgnoreCase)) == true);
                if (dlp is null)
                {
                    throw new CasException(ErrorIds.LicensingPrerequisiteMissing, CasErrorCategory.InvalidOperation,
                        $"Licensing model A needs a licence with the Microsoft Communications DLP service plan (an E5-class SKU), and tenant {admin.TenantDomain ?? admin.TenantId} has none.",
                        "Assign a Microsoft 365 E5 (or another SKU that includes Microsoft Communications DLP) to the users, or choose -LicensingModel B or Evaluation.",
                        admin.TenantId);
                }

                observer.Verbose($"Licensing model A: {dlp.SkuPartNumber} carries Microsoft Communications DLP.");
                break;

            case LicensingModel.B:
                observer.Warning("Licensing model B cannot block messages or files: policies whose action is block will pass instead.");
                break;

            case LicensingModel.Evaluation:
                await ProbeEvaluationQuotaAsync(admin, appGraph, ct).ConfigureAwait(false);
                observer.Information(string.Create(CultureInfo.InvariantCulture,
                    $"Evaluation Mode scans and acts on at most {EvaluationMonthlyQuota} messages per month per API group."));
                break;
        }
    }

    private static readonly string[] ChatReadRoles = ["Chat.Read.All", "Chat.ReadWrite.All"];

    /// <summary>
    /// Reads one message the way the service will in Evaluation Mode (no model). Graph has not metered the Teams APIs
    /// since 25 August 2025, so it no longer answers 402 when the month's historical evaluation capacity is used up; the
    /// 402 is still translated in case metering returns (the sandbox can switch it back on). The 500-message limit of
    /// Evaluation Mode is now the product's own, counted by the security service, not by Graph.
    /// </summary>
    public static async Task ProbeEvaluationQuotaAsync(CasConnection admin, GraphGateway appGraph, CancellationToken ct)
    {
        var users = await appGraph.CallAsync((g, c) => g.Users.GetAsync(r =>
        {
            r.QueryParameters.Select = ["id"];
            r.QueryParameters.Top = 1;
        }, c), admin.TenantId, ct).ConfigureAwait(false);
        if (users?.Value?.FirstOrDefault()?.Id is not { } user)
        {
            return;
        }

        try
        {
            // getAllMessages is a Teams protected API: an unapproved app fails here with ProtectedApiNotApproved.
            await appGraph.CallAsync((g, c) => g.Users[user].Chats.GetAllMessages.GetAsGetAllMessagesGetResponseAsync(r => r.QueryParameters.Top = 1, c),
                user, ct, ChatReadRoles, null, protectedApi: true).ConfigureAwait(false);
        }
        catch (CasException ex) when (ex.ErrorId == ErrorIds.PaymentRequired)
        {
            throw new CasException(ErrorIds.EvaluationQuotaExceeded, CasErrorCategory.QuotaExceeded,
                $"The Evaluation Mode capacity for this app in tenant {admin.TenantDomain ?? admin.TenantId} is used up for this month.",
                "Choose -LicensingModel A (with an E5-class licence) or B, or wait until next month.", admin.TenantId, ex)
            { RequestId = ex.RequestId, StatusCode = 402 };
        }
    }
}
