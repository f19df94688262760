namespace CasAdmin.Engine.Connections;

/// <summary>What Register-CasAdminApp needs: where and how the Global Administrator signs in, and the app's name.</summary>
public sealed class RegisterAdminAppRequest
{
    /// <summary>The delegated Microsoft Graph permissions the app gets, with admin consent for every user.</summary>
    public static IReadOnlyList<string> Permissions { get; } = AdminApp.DelegatedScopes.Select(s => s.Name).ToArray();

    /// <summary>Tenant id (GUID) or a verified domain.</summary>
    public string Tenant { get; init; } = string.Empty;

    /// <summary><see cref="SignInMode.Interactive"/> (system browser) or <see cref="SignInMode.DeviceCode"/>.</summary>
    public SignInMode Mode { get; init; } = SignInMode.Interactive;

    public CasCloud Environment { get; init; } = CasCloud.Global;

    public Uri? SandboxUrl { get; init; }

    public string? SandboxThumbprint { get; init; }

    public string DisplayName { get; init; } = AdminApp.DefaultDisplayName;

    public Func<Uri, CancellationToken, Task>? OpenBrowser { get; init; }

    public Action<DeviceCodePrompt>? DeviceCodeReceived { get; init; }
}
