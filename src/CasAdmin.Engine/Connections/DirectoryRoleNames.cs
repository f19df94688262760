namespace CasAdmin.Engine.Connections;

/// <summary>Directory role template ids (stable across tenants) and their display names.</summary>
public static class DirectoryRoleNames
{
    public const string GlobalAdministrator = CasConnection.GlobalAdministratorRole;
    public const string GlobalAdministratorTemplateId = "62e90394-69f5-4237-9190-012177145e10";

    // Present in the wids of every member user; not a role an administrator would recognise.
    internal const string MemberUserTemplateId = "b79fbf4d-3ef9-4689-8143-76b194e85509";

    private static readonly Dictionary<string, string> Names = new(StringComparer.OrdinalIgnoreCase)
    {
        [GlobalAdministratorTemplateId] = GlobalAdministrator,
        ["e8611ab8-c189-46e8-94e1-60213ab1f814"] = "Privileged Role Administrator",
        ["9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3"] = "Application Administrator",
        ["158c047a-c907-4556-b7ef-446551a6b5f7"] = "Cloud Application Administrator",
        ["29232cdf-9323-42fd-ade2-1d097af3e4de"] = "Exchange Administrator",
        ["f28a1f50-f6e7-4571-818b-6a12f2af6b6c"] = "SharePoint Administrator",
        ["69091246-20e8-4a56-aa4d-066075b2a7a8"] = "Teams Administrator",
        ["fe930be7-5e62-47db-91af-98c3a49a38b1"] = "User Administrator",
        ["f2ef992c-3afb-46b9-b7cf-a126ee74c451"] = "Global Reader",
        ["88d8e3e3-8f55-4a1e-953a-9b9898b8876b"] = "Directory Readers",
        ["194ae4cb-b126-40b2-bd5b-6091b380977d"] = "Security Administrator",
    };

    /// <summary>The display name of a role template, or the id itself when it is not one CasAdmin knows.</summary>
    public static string FromTemplateId(string templateId) =>
        Names.TryGetValue(templateId, out var name) ? name : templateId;

    internal static IReadOnlyList<string> FromWids(IEnumerable<string> wids) =>
        wids.Where(w => !w.Equals(MemberUserTemplateId, StringComparison.OrdinalIgnoreCase))
            .Select(FromTemplateId)
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .Order(StringComparer.OrdinalIgnoreCase)
            .ToArray();
}
