using CasAdmin.Engine.Accounts;
using CasAdmin.Engine.Deprovisioning; // CasRemovalJob and CasCleanupItem, output types CasAdmin.Model declares in that namespace

namespace CasAdmin.Engine.Domain;

/// <summary>
/// What each service leaves in the tenant that Graph cannot remove, as remaining changes with
/// the exact action. Exchange Online rules, connectors and allow entries need Exchange Online PowerShell;
/// SharePoint add-in principals have no removal API.
/// </summary>
internal static class Footprints
{
    public const string VendorAppName = "Trend Micro Cloud App Security";
    public const string InlineIncomingGroup = "TMCAS Inline Incoming O365 Virtual Group";
    public const string InlineOutgoingGroup = "TMCAS Inline Outgoing O365 Virtual Group";

    public static readonly string[] InlineGroups = [InlineIncomingGroup, InlineOutgoingGroup];

    private static readonly string[] InlineTransportRules =
    [
        "TMCAS Inline Incoming Domain Transport Rule",
        "TMCAS Inline Incoming User Transport Rule",
        "TMCAS Inline Incoming Skip Spam Filter Transport Rule",
        "TMCAS Inline Incoming Move to Junk Folder Transport Rule",
        "TMCAS Inline Outgoing Domain Transport Rule",
        "TMCAS Inline Outgoing User Transport Rule",
    ];

    private static readonly string[] InlineInboundConnectors =
    [
        "TMCAS Inline Inbound Connector for Incoming Message",
        "TMCAS Inline Inbound Connector for Outgoing Message",
    ];

    // Name unconfirmed in public sources: listed so the admin checks for it.
    private const string InlineOutboundConnector = "TMCAS Inline Outbound Connector for Incoming Message";

    private const string ExchangeOnly = "Exchange Online objects cannot be changed through Microsoft Graph.";

    public static IEnumerable<CasCleanupItem> Static(CasRemovalJob job)
    {
        CasCleanupItem Item(string kind, string name, string? location, string reason, string action) => new()
        {
            JobId = job.JobId, TenantId = job.TenantId, Service = job.Service, Kind = kind, Name = name, Location = location, Reason = reason, Action = action,
        };

        switch (job.Service)
        {
            case CasService.ExchangeOnline:
                yield return Item("QuarantineFolder", "Hidden quarantine folders", "Protected mailboxes", "Mailbox folders cannot be listed or removed through Microsoft Graph.",
                    "In Exchange Online PowerShell, review each protected mailbox's quarantine folder: Get-MailboxFolderStatistics -Identity <mailbox> -FolderScope All | Where-Object Name -like '*Quarantine*'");
                break;

            case CasService.ExchangeOnlineInline:
                foreach (var rule in InlineTransportRules)
                {
                    yield return Item("TransportRule", rule, "Exchange admin center > Mail flow > Rules", ExchangeOnly, $"Remove-TransportRule -Identity '{rule}' -Confirm:$false");
                }

                foreach (var connector in InlineInboundConnectors)
                {
                    yield return Item("InboundConnector", connector, "Exchange admin center > Mail flow > Connectors", ExchangeOnly, $"Remove-InboundConnector -Identity '{connector}' -Confirm:$false");
                }

                yield return Item("OutboundConnector", InlineOutboundConnector, "Exchange admin center > Mail flow > Connectors", ExchangeOnly + " (connector name unconfirmed; check for it)",
                    $"Remove-OutboundConnector -Identity '{InlineOutboundConnector}' -Confirm:$false");
                yield return Item("SpoofedSenderEntry", "Spoofed sender pair of the service", "Tenant Allow/Block List > Spoofed senders", ExchangeOnly,
                    "Get-TenantAllowBlockListSpoofItems -Identity Default | Where-Object SendingInfrastructure -like '*trendmicro*' | ForEach-Object { Remove-TenantAllowBlockListSpoofItems -Identity Default -Ids $_.Identity }");
                yield return Item("IpAllowEntry", "Service IP addresses", "Connection filter policy > IP Allow List", ExchangeOnly,
                    "Set-HostedConnectionFilterPolicy -Identity Default -IPAllowList @{Remove='<the service IP addresses>'}");
                break;

            case CasService.SharePointOnline:
            case CasService.OneDrive:
            case CasService.Teams:
                var page = AddInPrincipalsPage(job);
                if (job.AppId is { } appId)
                {
                    yield return Item("AddInPrincipal", VendorAppName, page,
                        "SharePoint add-in principals have no removal API (ACS add-ins stopped working on 2 April 2026; the principal is inert).",
                        $"Open {page}, find '{VendorAppName}' with App Identifier i:0i.t|ms.sp.ext|{appId}@{job.TenantId}, and click x in front of it.");
                }

                yield return Item("QuarantineLibrary", "Hidden quarantine document libraries", "Protected site collections",
                    "Document libraries of the service are not removed through Microsoft Graph.", "Review and delete the service's quarantine libraries in each protected site collection.");
                yield return Item("RemoteEventReceiver", "Remote event receivers", "Protected site collections",
                    "Remote event receivers are not listed by Microsoft Graph.", "In PnP PowerShell: Get-PnPEventReceiver | Where-Object ReceiverUrl -like '*trendmicro*' | Remove-PnPEventReceiver");
                if (job.DelegateAccount is { } delegateUser)
                {
                    yield return Item("SiteCollectionAdmin", delegateUser, "Protected site collections",
                        "Site collection administrators are not changed through Microsoft Graph.", $"In SharePoint Online PowerShell: Set-SPOUser -Site <site> -LoginName {delegateUser} -IsSiteCollectionAdmin $false");
                }

                break;
        }
    }

    /// <summary><c>{admin site}/_layouts/15/TA_AllAppPrincipals.aspx</c>; the admin site is named after the tenant's onmicrosoft.com name.</summary>
    public static string AddInPrincipalsPage(CasRemovalJob job)
    {
        var domain = job.TenantDomain ?? string.Empty;
        var name = domain.EndsWith(".onmicrosoft.com", StringComparison.OrdinalIgnoreCase) ? domain[..domain.IndexOf('.', StringComparison.Ordinal)] : "<tenant>";
        return $"https://{name}-admin.sharepoint.com/_layouts/15/TA_AllAppPrincipals.aspx";
    }

    /// <summary>Infers the service from a vendor principal's display name ("… for SharePoint Online").</summary>
    public static CasService? ServiceFromName(string? displayName)
    {
        if (displayName is null || !displayName.StartsWith(VendorAppName, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        // Numbered instances ("… for SharePoint Online (3)") name the same service.
        var rest = System.Text.RegularExpressions.Regex.Replace(displayName[VendorAppName.Length..], @"\s*\(\d+\)\s*$", string.Empty).Trim();
        return rest switch
        {
            "" => CasService.ExchangeOnlineInline,
            _ when rest.EndsWith("Exchange Online", StringComparison.OrdinalIgnoreCase) => CasService.ExchangeOnline,
            _ when rest.EndsWith("SharePoint Online", StringComparison.OrdinalIgnoreCase) => CasService.SharePointOnline,
            _ when rest.EndsWith("OneDrive", StringComparison.OrdinalIgnoreCase) => CasService.OneDrive,
            _ when rest.EndsWith("Teams Chat", StringComparison.OrdinalIgnoreCase) => CasService.TeamsChat,
            _ when rest.EndsWith("Teams", StringComparison.OrdinalIgnoreCase) => CasService.Teams,
            _ => null,
        };
    }
}
