using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using CasAdmin.Sandbox.Tenants;

namespace CasAdmin.Sandbox.Scenarios;

/// <summary>
/// Seeds what each protected service leaves in a tenant: the vendor's multi-tenant app is owned by the vendor's
/// tenant, so only its service principal exists here, with its app-role assignments on Microsoft Graph, a delegated grant,
/// the SharePoint add-in ("Legacy") principal with the same App Id, delegate users, the Inline Mode directory role and groups.
/// Display names follow the product (CasAdmin infers the service from them); ids are derived from names.
/// </summary>
internal static class FootprintSeeder
{
    public const string VendorAppName = "Trend Micro Cloud App Security";

    /// <summary>appOwnerOrganizationId of every vendor principal: the vendor's own tenant, which the sandbox does not host.</summary>
    public const string VendorTenantId = "4c2f6a3e-8b1d-4e7a-9c5f-2a6d8e0b1f37";

    public const string InlineIncomingGroup = "TMCAS Inline Incoming O365 Virtual Group";
    public const string InlineOutgoingGroup = "TMCAS Inline Outgoing O365 Virtual Group";
    public const string ExchangeAdministrator = "29232cdf-9323-42fd-ade2-1d097af3e4de";

    /// <summary>The six services in the order the generator cycles through them.</summary>
    public static readonly IReadOnlyList<string> Services = ["ExchangeOnline", "ExchangeOnlineInline", "SharePointOnline", "OneDrive", "Teams", "TeamsChat"];

    private sealed record Shape(string Suffix, string[] AppRoles, string? GrantScope, bool Legacy, string? Delegate);

    private static readonly Dictionary<string, Shape> Shapes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["ExchangeOnline"] = new(" for Exchange Online", ["Mail.ReadWrite", "User.Read.All"], "User.Read", false, "exchange"),
        ["ExchangeOnlineInline"] = new("", [], null, false, null),
        ["SharePointOnline"] = new(" for SharePoint Online", ["Sites.FullControl.All", "Files.ReadWrite.All", "User.Read.All"], "User.Read", true, "sharepoint"),
        ["OneDrive"] = new(" for OneDrive", ["Files.ReadWrite.All", "User.Read.All"], null, true, "sharepoint"), // one delegate serves SharePoint and OneDrive
        ["Teams"] = new(" for Microsoft Teams", ["ChannelMessage.Read.All", "Group.Read.All"], null, true, null),
        ["TeamsChat"] = new(" for Teams Chat", ["Chat.Read.All"], null, false, null), // legacy Teams Chat: provisioned without the customer's own app
    };

    /// <summary>
    /// "accounts=A" of the generator: A footprints cycling through the services, numbered per service. A tenant has at
    /// most one Teams Chat service account, so Teams Chat appears once and the rest cycle through the other five.
    /// </summary>
    public static List<ScenarioFootprint> Cycle(int accounts)
    {
        var list = new List<ScenarioFootprint>(accounts);
        var others = Services.Where(s => s != "TeamsChat").ToArray();
        var counts = new Dictionary<string, int>();
        for (var k = 0; k < accounts; k++)
        {
            var service = k == Services.Count - 1 ? "TeamsChat" : others[(k < Services.Count - 1 ? k : k - 1) % others.Length];
            counts[service] = counts.GetValueOrDefault(service) + 1;
            list.Add(new ScenarioFootprint { Service = service, Number = counts[service] });
        }

        return list;
    }

    public static string DisplayName(string service, int number) =>
        VendorAppName + Resolve(service).Suffix + (number > 1 ? $" ({number.ToString(CultureInfo.InvariantCulture)})" : "");

    public static string DelegateUpn(string kind, int number, string domain) =>
        $"tmcas-{kind}{(number > 1 ? "-" + number.ToString(CultureInfo.InvariantCulture) : "")}@{domain}";

    public static string VendorAppId(string service, int number) => DeterministicIds.Guid("vendor", VendorAppName, service.ToLowerInvariant(), number.ToString(CultureInfo.InvariantCulture));

    public static void Seed(TenantState t, ServicePrincipal graph, IEnumerable<ScenarioFootprint> footprints, DateTimeOffset seedTime)
    {
        foreach (var fp in footprints)
        {
            var service = Services.FirstOrDefault(s => s.Equals(fp.Service, StringComparison.OrdinalIgnoreCase))
                ?? throw new InvalidOperationException($"Unknown footprint service '{fp.Service}': use one of {string.Join(", ", Services)}.");
            var shape = Shapes[service];
            var number = Math.Max(1, fp.Number);
            var appId = fp.AppId ?? VendorAppId(service, number);
            var name = DisplayName(service, number);

            var sp = new ServicePrincipal
            {
                Id = DeterministicIds.Guid(t.Id, "servicePrincipal", appId),
                AppId = appId,
                DisplayName = name,
                AppOwnerOrganizationId = VendorTenantId,
                SignInAudience = "AzureADMultipleOrgs",
                CreatedDateTime = seedTime,
            };
            if (t.ServicePrincipals.ContainsKey(sp.Id))
            {
                throw new InvalidOperationException($"Footprint '{name}' is seeded twice in tenant {t.Domain}.");
            }

            sp.ServicePrincipalNames.Add(appId);
            sp.Tags.Add("WindowsAzureActiveDirectoryIntegratedApp");
            sp.ReplyUrls.Add("https://admin.tmcas.trendmicro.com/provision.html");
            t.ServicePrincipals[sp.Id] = sp;

            var assignments = new List<string>();
            foreach (var value in shape.AppRoles)
            {
                var role = GraphPermissionCatalog.FindRole(value) ?? throw new InvalidOperationException($"Unknown Graph app role '{value}'.");
                var a = new AppRoleAssignment
                {
                    Id = Base64UrlId(t.Id, "appRoleAssignment", sp.Id, role.Id),
                    PrincipalId = sp.Id,
                    PrincipalDisplayName = sp.DisplayName,
                    ResourceId = graph.Id,
                    ResourceDisplayName = graph.DisplayName,
                    AppRoleId = role.Id,
                    CreatedDateTime = seedTime,
                };
                t.AppRoleAssignments[a.Id] = a;
                assignments.Add(a.Id);
            }

            var grants = new List<string>();
            if (shape.GrantScope is { } scope)
            {
                var g = new OAuth2PermissionGrant
                {
                    Id = Base64UrlId(t.Id, "grant", sp.Id, graph.Id),
                    ClientId = sp.Id,
                    ConsentType = "AllPrincipals",
                    ResourceId = graph.Id,
                    Scope = scope,
                };
                t.PermissionGrants[g.Id] = g;
                grants.Add(g.Id);
            }

            string? legacyId = null;
            if (shape.Legacy)
            {
                // Created after the app principal, so lookups by appId list the app principal first.
                var legacy = new ServicePrincipal
                {
                    Id = DeterministicIds.Guid(t.Id, "legacyPrincipal", appId),
                    AppId = appId,
                    DisplayName = VendorAppName,
                    ServicePrincipalType = "Legacy",
                    AppOwnerOrganizationId = VendorTenantId,
                    SignInAudience = "AzureADMultipleOrgs",
                    CreatedDateTime = seedTime.AddMinutes(1),
                };
                legacy.ServicePrincipalNames.Add(appId);
                legacy.ServicePrincipalNames.Add($"{appId}/{t.Domain}");
                t.ServicePrincipals[legacy.Id] = legacy;
                legacyId = legacy.Id;
            }

            DirectoryUser? delegateUser = null;
            if (shape.Delegate is { } kind)
            {
                delegateUser = EnsureDelegate(t, kind, number, seedTime);
            }

            var roleAssignments = new List<string>();
            var groups = new List<SandboxObjectInfo>();
            if (service == "ExchangeOnlineInline")
            {
                var ra = new DirectoryRoleAssignment
                {
                    Id = Base64UrlId(t.Id, "roleAssignment", sp.Id, ExchangeAdministrator, nameof(RoleAssignmentState.Active)),
                    PrincipalId = sp.Id,
                    RoleTemplateId = ExchangeAdministrator,
                    State = RoleAssignmentState.Active,
                };
                t.RoleAssignments.Add(ra);
                roleAssignments.Add(ra.Id);
                if (!t.Groups.Values.Any(g => g.DisplayName == InlineIncomingGroup)) // the groups exist once per tenant
                {
                    var members = GroupMemberCandidates(t, 5);
                    groups.Add(AddInlineGroup(t, InlineIncomingGroup, "TMCASInlineIncoming", members.Take(3), seedTime));
                    groups.Add(AddInlineGroup(t, InlineOutgoingGroup, "TMCASInlineOutgoing", members.Skip(3).Take(2), seedTime));
                }
            }

            t.Footprints.Add(new SandboxFootprintInfo(service, number, name, appId, sp.Id)
            {
                LegacyServicePrincipalId = legacyId,
                DelegateUser = delegateUser?.UserPrincipalName,
                DelegateUserId = delegateUser?.Id,
                AppRoleAssignmentIds = assignments,
                AppRoles = shape.AppRoles,
                PermissionGrantIds = grants,
                DirectoryRoleAssignmentIds = roleAssignments,
                Groups = groups,
            });
        }
    }

    private static Shape Resolve(string service) =>
        Shapes.TryGetValue(service, out var s) ? s : throw new InvalidOperationException($"Unknown footprint service '{service}'.");

    private static DirectoryUser EnsureDelegate(TenantState t, string kind, int number, DateTimeOffset seedTime)
    {
        var upn = DelegateUpn(kind, number, t.Domain);
        if (t.Users.Find(upn) is { } existing)
        {
            return existing;
        }

        var local = upn.Split('@')[0];
        var label = kind == "exchange" ? "Exchange Online" : "SharePoint Online and OneDrive";
        var user = new DirectoryUser
        {
            Id = DeterministicIds.Guid(t.Id, "user", local),
            UserPrincipalName = upn,
            DisplayName = $"TMCAS {label} Delegate" + (number > 1 ? $" {number.ToString(CultureInfo.InvariantCulture)}" : ""),
            GivenName = "TMCAS",
            Surname = "Delegate",
            Mail = upn,
            MailNickname = local,
            JobTitle = "Service account",
            UsageLocation = "US",
            PreferredLanguage = "en-US",
            AccountEnabled = true,
            Password = "Sbx!" + DeterministicIds.Token(16, t.Id, "password", local),
            CreatedDateTime = seedTime,
        };
        t.Users.Add(user);
        return user;
    }

    /// <summary>Ordinary users to put in the inline groups: generated ones when there are any, else the scenario's own.</summary>
    private static List<string> GroupMemberCandidates(TenantState t, int count)
    {
        var generated = t.Users.Enumerate(t.Users.ExplicitCount).Take(count).Select(u => u.Id).ToList();
        if (generated.Count >= count)
        {
            return generated;
        }

        return generated.Concat(t.Users.Explicit.Where(u => !u.UserPrincipalName.StartsWith("tmcas", StringComparison.OrdinalIgnoreCase)).Select(u => u.Id)).Take(count).ToList();
    }

    private static SandboxObjectInfo AddInlineGroup(TenantState t, string name, string nickname, IEnumerable<string> members, DateTimeOffset seedTime)
    {
        var g = new DirectoryGroup
        {
            Id = DeterministicIds.Guid(t.Id, "group", name),
            DisplayName = name,
            Description = "Created by Trend Micro Cloud App Security for Exchange Online (Inline Mode).",
            MailNickname = nickname,
            SecurityEnabled = true,
            MailEnabled = false,
            CreatedDateTime = seedTime,
        };
        g.Members.AddRange(members);
        t.Groups[g.Id] = g;
        return new SandboxObjectInfo(g.Id, g.DisplayName);
    }

    /// <summary>Graph uses base64url ids for assignments and grants (same derivation as the scenario loader's).</summary>
    private static string Base64UrlId(params string[] parts) =>
        ScenarioLoader.Base64UrlEncode(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("/", parts))))[..43];
}
