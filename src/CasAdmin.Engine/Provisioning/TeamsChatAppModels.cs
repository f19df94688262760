namespace CasAdmin.Engine.Provisioning;

/// <summary>"Creating an Azure AD App for Teams Chat Protection", as parameters.</summary>
public sealed class NewTeamsChatAppRequest
{
    public string DisplayName { get; init; } = "Cloud App Security for Teams Chat";

    /// <summary>The management console's URL; the redirect URI is derived from it.</summary>
    public Uri? ConsoleUrl { get; init; }

    public ConsoleKind ConsoleKind { get; init; } = ConsoleKind.Newer;

    /// <summary>One app serving several organizations (AzureADMultipleOrgs).</summary>
    public bool MultiTenant { get; init; }

    /// <summary>Lifetime of the client secret; Entra's default is two years.</summary>
    public TimeSpan SecretLifetime { get; init; } = TimeSpan.FromDays(730);

    /// <summary>Also grant admin consent: the five app-role assignments and the User.Read grant.</summary>
    public bool GrantAdminConsent { get; init; }

    /// <summary>How long to wait for Entra ID to replicate what this run creates; null = five minutes.</summary>
    public TimeSpan? ReplicationTimeout { get; init; }

    public static string RedirectUriFor(Uri consoleUrl, ConsoleKind kind)
    {
        var root = consoleUrl.AbsoluteUri.TrimEnd('/');
        return kind == ConsoleKind.Classic ? root + "/provision.html" : root + "/ui/cas/provision.html";
    }
}

