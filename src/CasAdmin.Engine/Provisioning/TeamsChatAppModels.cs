using System.Security;

namespace CasAdmin.Engine.Provisioning;

/// <summary>Which management console the app's redirect URI points to.</summary>
public enum ConsoleKind
{
    /// <summary>The classic console: <c>{console}/provision.html</c>.</summary>
    Classic,

    /// <summary>The newer console: <c>{console}/ui/cas/provision.html</c>.</summary>
    Newer,
}

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

    public static string RedirectUriFor(Uri consoleUrl, ConsoleKind kind)
    {
        var root = consoleUrl.AbsoluteUri.TrimEnd('/');
        return kind == ConsoleKind.Classic ? root + "/provision.html" : root + "/ui/cas/provision.html";
    }
}

/// <summary>The customer's Teams Chat app as created (or found and completed) in the tenant.</summary>
public sealed class CasTeamsChatApp
{
    public string TenantId { get; init; } = string.Empty;

    public string DisplayName { get; init; } = string.Empty;

    public string AppId { get; init; } = string.Empty;

    public string ObjectId { get; init; } = string.Empty;

    public string ServicePrincipalId { get; init; } = string.Empty;

    public string SignInAudience { get; init; } = string.Empty;

    public string RedirectUri { get; init; } = string.Empty;

    /// <summary>False when an earlier run had already created the app and this run completed it.</summary>
    public bool Created { get; init; }

    public bool ConsentGranted { get; init; }

    public string SecretKeyId { get; init; } = string.Empty;

    public string? SecretHint { get; init; }

    public DateTimeOffset SecretExpiresOn { get; init; }

    /// <summary>Opened by a Global Administrator, grants admin consent interactively.</summary>
    public Uri AdminConsentUrl { get; init; } = null!;

    /// <summary>The secret value, shown this once. Read-only; never written anywhere by CasAdmin.</summary>
    public SecureString Secret { get; init; } = null!;

    public override string ToString() => $"{DisplayName} ({AppId})";
}
