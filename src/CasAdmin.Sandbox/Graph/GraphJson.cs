using System.Globalization;
using System.Text.Json.Nodes;
using CasAdmin.Sandbox.Tenants;

namespace CasAdmin.Sandbox.Graph;

/// <summary>Directory objects as Graph v1.0 serializes them (property names are case-sensitive and exactly Graph's).</summary>
internal static class GraphJson
{
    /// <summary>What GET /users returns without $select.</summary>
    public static readonly IReadOnlyList<string> UserDefaultProperties =
        ["businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone", "officeLocation", "preferredLanguage", "surname", "userPrincipalName", "id"];

    public static string Date(DateTimeOffset d) => d.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static JsonArray Strings(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode?)JsonValue.Create(v))]);

    public static JsonObject User(DirectoryUser u) => new()
    {
        ["businessPhones"] = new JsonArray(),
        ["displayName"] = u.DisplayName,
        ["givenName"] = u.GivenName,
        ["jobTitle"] = u.JobTitle,
        ["mail"] = u.Mail,
        ["mobilePhone"] = u.MobilePhone,
        ["officeLocation"] = u.OfficeLocation,
        ["preferredLanguage"] = u.PreferredLanguage,
        ["surname"] = u.Surname,
        ["userPrincipalName"] = u.UserPrincipalName,
        ["id"] = u.Id,
        ["accountEnabled"] = u.AccountEnabled,
        ["createdDateTime"] = Date(u.CreatedDateTime),
        ["department"] = u.Department,
        ["mailNickname"] = u.MailNickname,
        ["usageLocation"] = u.UsageLocation,
        ["userType"] = u.UserType,
        ["onPremisesSyncEnabled"] = null,
        ["deletedDateTime"] = null,
    };

    public static JsonObject Organization(TenantState t) => new()
    {
        ["id"] = t.Id,
        ["deletedDateTime"] = null,
        ["businessPhones"] = new JsonArray(),
        ["city"] = null,
        ["country"] = null,
        ["countryLetterCode"] = "US",
        ["createdDateTime"] = Date(t.CreatedDateTime),
        ["defaultUsageLocation"] = null,
        ["displayName"] = t.DisplayName,
        ["marketingNotificationEmails"] = new JsonArray(),
        ["onPremisesLastSyncDateTime"] = null,
        ["onPremisesSyncEnabled"] = null,
        ["postalCode"] = null,
        ["preferredLanguage"] = "en",
        ["securityComplianceNotificationMails"] = new JsonArray(),
        ["securityComplianceNotificationPhones"] = new JsonArray(),
        ["state"] = null,
        ["street"] = null,
        ["technicalNotificationMails"] = Strings([$"admin@{t.Domain}"]),
        ["tenantType"] = "AAD",
        ["directorySizeQuota"] = new JsonObject { ["used"] = t.Users.Count, ["total"] = 300000 },
        ["assignedPlans"] = new JsonArray(),
        ["privacyProfile"] = null,
        ["provisionedPlans"] = new JsonArray(),
        ["verifiedDomains"] = new JsonArray(new JsonObject
        {
            ["capabilities"] = "Email, OfficeCommunicationsOnline",
            ["isDefault"] = true,
            ["isInitial"] = true,
            ["name"] = t.Domain,
            ["type"] = "Managed",
        }),
    };

    public static JsonObject DirectoryRole(TenantState t, string templateId)
    {
        var info = DirectoryRoleCatalog.Templates.TryGetValue(templateId, out var i) ? i : ("Directory role", "");
        return new JsonObject
        {
            ["@odata.type"] = "#microsoft.graph.directoryRole",
            ["id"] = t.DirectoryRoleObjectId(templateId),
            ["deletedDateTime"] = null,
            ["description"] = info.Item2,
            ["displayName"] = info.Item1,
            ["roleTemplateId"] = templateId,
        };
    }

    public static JsonObject Application(Application a) => new()
    {
        ["id"] = a.Id,
        ["deletedDateTime"] = null,
        ["appId"] = a.AppId,
        ["applicationTemplateId"] = null,
        ["createdDateTime"] = Date(a.CreatedDateTime),
        ["description"] = a.Description,
        ["displayName"] = a.DisplayName,
        ["identifierUris"] = new JsonArray(),
        ["isFallbackPublicClient"] = a.IsFallbackPublicClient,
        ["publisherDomain"] = null,
        ["signInAudience"] = a.SignInAudience,
        ["notes"] = a.Notes,
        ["tags"] = Strings(a.Tags),
        ["keyCredentials"] = new JsonArray([.. a.KeyCredentials.Select(k => (JsonNode)new JsonObject
        {
            ["customKeyIdentifier"] = k.CustomKeyIdentifier,
            ["displayName"] = k.DisplayName,
            ["endDateTime"] = Date(k.EndDateTime),
            ["key"] = null,
            ["keyId"] = k.KeyId,
            ["startDateTime"] = Date(k.StartDateTime),
            ["type"] = k.Type,
            ["usage"] = k.Usage,
        })]),
        ["passwordCredentials"] = new JsonArray([.. a.PasswordCredentials.Select(p => (JsonNode)new JsonObject
        {
            ["customKeyIdentifier"] = null,
            ["displayName"] = p.DisplayName,
            ["endDateTime"] = Date(p.EndDateTime),
            ["hint"] = p.Hint,
            ["keyId"] = p.KeyId,
            ["secretText"] = null,
            ["startDateTime"] = Date(p.StartDateTime),
        })]),
        ["publicClient"] = new JsonObject { ["redirectUris"] = Strings(a.PublicClientRedirectUris) },
        ["requiredResourceAccess"] = new JsonArray([.. a.RequiredResourceAccess.Select(r => (JsonNode)new JsonObject
        {
            ["resourceAppId"] = r.ResourceAppId,
            ["resourceAccess"] = new JsonArray([.. r.ResourceAccess.Select(x => (JsonNode)new JsonObject { ["id"] = x.Id, ["type"] = x.Type })]),
        })]),
        ["web"] = new JsonObject
        {
            ["homePageUrl"] = null,
            ["logoutUrl"] = null,
            ["redirectUris"] = Strings(a.WebRedirectUris),
            ["implicitGrantSettings"] = new JsonObject { ["enableAccessTokenIssuance"] = false, ["enableIdTokenIssuance"] = false },
        },
        ["spa"] = new JsonObject { ["redirectUris"] = new JsonArray() },
    };

    public static JsonObject ServicePrincipal(ServicePrincipal sp) => new()
    {
        ["id"] = sp.Id,
        ["deletedDateTime"] = null,
        ["accountEnabled"] = sp.AccountEnabled,
        ["alternativeNames"] = Strings(sp.AlternativeNames),
        ["appDisplayName"] = sp.ServicePrincipalType == "Application" ? sp.DisplayName : null,
        ["appDescription"] = null,
        ["appId"] = sp.AppId,
        ["appOwnerOrganizationId"] = sp.AppOwnerOrganizationId,
        ["appRoleAssignmentRequired"] = false,
        ["createdDateTime"] = Date(sp.CreatedDateTime),
        ["description"] = null,
        ["displayName"] = sp.DisplayName,
        ["homepage"] = null,
        ["replyUrls"] = Strings(sp.ReplyUrls),
        ["servicePrincipalNames"] = Strings(sp.ServicePrincipalNames),
        ["servicePrincipalType"] = sp.ServicePrincipalType,
        ["signInAudience"] = sp.SignInAudience,
        ["tags"] = Strings(sp.Tags),
        ["appRoles"] = new JsonArray([.. sp.AppRoles.Select(r => (JsonNode)new JsonObject
        {
            ["allowedMemberTypes"] = Strings(r.AllowedMemberTypes),
            ["description"] = r.Description,
            ["displayName"] = r.DisplayName,
            ["id"] = r.Id,
            ["isEnabled"] = true,
            ["origin"] = "Application",
            ["value"] = r.Value,
        })]),
        ["oauth2PermissionScopes"] = new JsonArray([.. sp.Oauth2PermissionScopes.Select(s => (JsonNode)new JsonObject
        {
            ["adminConsentDescription"] = s.AdminConsentDescription,
            ["adminConsentDisplayName"] = s.AdminConsentDisplayName,
            ["id"] = s.Id,
            ["isEnabled"] = true,
            ["type"] = s.Type,
            ["userConsentDescription"] = s.Type == "User" ? s.AdminConsentDescription : null,
            ["userConsentDisplayName"] = s.Type == "User" ? s.AdminConsentDisplayName : null,
            ["value"] = s.Value,
        })]),
        ["keyCredentials"] = new JsonArray(),
        ["passwordCredentials"] = new JsonArray(),
    };
}
