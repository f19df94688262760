using CasAdmin.Engine.Domain;
using CasAdmin.Engine.Errors;
using CasAdmin.Engine.Operations;

namespace CasAdmin.Engine.Connections;

/// <summary>
/// The open connections of this process. Several tenants at once are normal (an MSP's bulk script); the
/// first connection is the session default that cmdlets without -Connection use, and closing it leaves none.
/// </summary>
public sealed class ConnectionManager
{
    private readonly object gate = new();
    private readonly List<CasConnection> connections = [];

    public CasConnection? Default
    {
        get
        {
            lock (gate)
            {
                return connections.FirstOrDefault(c => c.IsDefault);
            }
        }
    }

    public IReadOnlyList<CasConnection> GetConnections()
    {
        lock (gate)
        {
            return connections.ToArray();
        }
    }

    /// <summary>Signs in, reads who the connection is and what it may do; it becomes the default only when there is none, or when it replaces the default.</summary>
    public async Task<CasConnection> ConnectAsync(ConnectionRequest request, IOperationObserver observer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(observer);
        var resolved = WithRememberedClientId(request, observer);
        CasConnection connection;
        try
        {
            connection = await OpenAsync(resolved, observer, cancellationToken).ConfigureAwait(false);
        }
        catch (CasException ex) when (ex.ErrorId == ErrorIds.AppNotFound && !ReferenceEquals(resolved, request))
        {
            // The remembered app was deleted (or belongs to an earlier sandbox): registering again creates a new one.
            throw new CasException(ex.ErrorId, ex.Category, ex.Message,
                $"The app {resolved.ClientId} that CasAdmin remembered for tenant {request.Tenant} is not in the tenant any more. Run Register-CasAdminApp -TenantId {request.Tenant} again, or pass -ClientId.",
                ex.Target, ex) { ServiceErrorCode = ex.ServiceErrorCode, StatusCode = ex.StatusCode, TraceId = ex.TraceId, CorrelationId = ex.CorrelationId, RequestId = ex.RequestId };
        }

        WarnWithoutConsent(connection, observer);
        Register(connection);
        observer.Verbose($"Connected to {connection}.");
        return connection;
    }

    /// <summary>
    /// Register-CasAdminApp: signs the Global Administrator in through Microsoft Graph Command Line Tools (asking only
    /// for the few permissions the setup needs), creates the tenant's own app and remembers it. The bootstrap
    /// connection is closed afterwards and never becomes a session connection.
    /// </summary>
    public async Task<CasAdminApp> RegisterAdminAppAsync(RegisterAdminAppRequest request, IOperationObserver observer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(observer);
        if (request.Mode is not (SignInMode.Interactive or SignInMode.DeviceCode))
        {
            throw CasException.InvalidArgument($"Register-CasAdminApp signs a person in; sign-in mode {request.Mode} has no person.",
                "Run Register-CasAdminApp interactively (system browser) or with -UseDeviceCode.", request.Tenant);
        }

        if (string.IsNullOrWhiteSpace(request.DisplayName))
        {
            throw CasException.InvalidArgument("The app needs a display name.", $"Leave -DisplayName out (default '{AdminApp.DefaultDisplayName}') or give a name.", request.Tenant);
        }

        var bootstrap = new ConnectionRequest
        {
            Mode = request.Mode,
            Tenant = request.Tenant,
            Environment = request.Environment,
            ClientId = AdminApp.GraphCommandLineToolsClientId,
            Scopes = AdminApp.BootstrapScopes,
            SandboxUrl = request.SandboxUrl,
            SandboxThumbprint = request.SandboxThumbprint,
            OpenBrowser = request.OpenBrowser,
            DeviceCodeReceived = request.DeviceCodeReceived,
        };
        using var scope = OperationScope.Enter(observer);
        CasConnection admin;
        try
        {
            admin = await OpenAsync(bootstrap, observer, cancellationToken).ConfigureAwait(false);
        }
        catch (CasException ex) when (ex.ErrorId is ErrorIds.AdminConsentMissing or ErrorIds.AppNotFound or ErrorIds.AppDisabled or ErrorIds.BlockedByConditionalAccess)
        {
            // The generic texts speak of CasAdmin's own apps; here the app is Microsoft's, used once for the setup.
            throw new CasException(ex.ErrorId, ex.Category,
                $"The setup sign-in through Microsoft Graph Command Line Tools ({AdminApp.GraphCommandLineToolsClientId}) to tenant {request.Tenant} failed: {ex.Message}",
                ex.ErrorId == ErrorIds.AdminConsentMissing
                    ? "Run Register-CasAdminApp as a Global Administrator (or Privileged Role Administrator) and accept the consent prompt for Application.ReadWrite.All and DelegatedPermissionGrant.ReadWrite.All. " +
                      "Where the tenant blocks Microsoft Graph Command Line Tools, register a public-client app by hand (Get-Help about_CasAdmin, 'First connection') and connect with -ClientId."
                    : "Where the tenant blocks or has disabled Microsoft Graph Command Line Tools, register a public-client app by hand (Get-Help about_CasAdmin, 'First connection') and connect with -ClientId.",
                ex.Target, ex) { ServiceErrorCode = ex.ServiceErrorCode, StatusCode = ex.StatusCode, TraceId = ex.TraceId, CorrelationId = ex.CorrelationId, RequestId = ex.RequestId };
        }

        try
        {
            return await AdminAppRegistrar.RegisterAsync(admin, request, observer, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            admin.Context.Dispose();
        }
    }

    /// <summary>
    /// A person's sign-in without -ClientId uses the app registered for the tenant (Register-CasAdminApp), else
    /// CASADMIN_CLIENT_ID; without either, <see cref="SignIn.Validate"/> explains what to do (ClientIdRequired).
    /// </summary>
    private static ConnectionRequest WithRememberedClientId(ConnectionRequest request, IOperationObserver observer)
    {
        if (request.Mode is not (SignInMode.Interactive or SignInMode.DeviceCode) || !string.IsNullOrWhiteSpace(request.ClientId)
            || string.IsNullOrWhiteSpace(request.Tenant) || AdminAppRegistry.Resolve(request.Environment, request.Tenant) is not { } found)
        {
            return request;
        }

        observer.Verbose($"Signing in with app {found.ClientId}, from {found.Source}.");
        return request.WithClientId(found.ClientId);
    }

    /// <summary>Signs in and reads who the connection is; the connection is not (yet) one of the session's.</summary>
    private static async Task<CasConnection> OpenAsync(ConnectionRequest request, IOperationObserver observer, CancellationToken cancellationToken)
    {
        SignIn.Validate(request);
        Store.StoreLocator.Check(request.StorePath); // a secret in a registry connection string is refused before the connection shows it

        if (request.Environment == CasCloud.Sandbox && request.SandboxUrl is { } sandboxUrl && !HttpStack.IsLoopback(sandboxUrl))
        {
            // The sandbox's certificate is pinned, not validated: that is only safe on this machine.
            throw CasException.InvalidArgument(
                $"The sandbox address {sandboxUrl} is not a loopback address; a sandbox connection only reaches this machine.",
                "Use the address Start-CasSandbox returned (https://127.0.0.1:<port>/), or connect to a real tenant with -Environment Global, USGov, USGovDoD or China.",
                sandboxUrl.ToString());
        }

        var endpoints = CloudEndpoints.For(request.Environment, request.SandboxUrl);
        var http = new HttpStack(request.Environment == CasCloud.Sandbox ? request.SandboxThumbprint : null, request.Resilience);
        using var scope = OperationScope.Enter(observer);
        try
        {
            observer.Verbose($"Signing in to {request.Tenant ?? "the token's tenant"} in {request.Environment} ({request.Mode}).");
            var tokens = await SignIn.CreateAsync(request, endpoints, http, observer, cancellationToken).ConfigureAwait(false);
            var token = await tokens.GetTokenAsync(cancellationToken).ConfigureAwait(false);
            var identity = ConnectionIdentity.FromAccessToken(token.Token);
            if (request.Mode == SignInMode.AccessToken && Guid.TryParse(request.Tenant, out var expected)
                && !string.Equals(expected.ToString(), identity.TenantId, StringComparison.OrdinalIgnoreCase))
            {
                throw CasException.InvalidArgument(
                    $"The access token was issued for tenant {identity.TenantId}, not {request.Tenant}.",
                    "Supply a token for the tenant you name, or omit -TenantId.", request.Tenant);
            }

            var context = new ConnectionContext(endpoints, request.Mode, http, tokens, new Graph.GraphGateway(endpoints, tokens, http.Primary, request.Resilience));
            var connection = ConnectionSessions.Create(context, identity, request.StorePath);
            await DescribeTenantAsync(connection, observer, cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch (Exception ex) when (http.PinMismatchSeen && ex is not OperationCanceledException)
        {
            http.Dispose();
            throw new CasException(ErrorIds.SandboxCertificateMismatch, CasErrorCategory.SecurityError,
                $"The server at {request.SandboxUrl} did not present the certificate with thumbprint {request.SandboxThumbprint}.",
                "Use the thumbprint the sandbox printed when it started (Start-CasSandbox returns it).", request.SandboxUrl?.ToString(), ex);
        }
        catch (Exception ex) when (NetworkErrors.TryTranslate(ex, endpoints.AuthorityHost.Authority, "Sign-in", request.Tenant, cancellationToken) is { } network)
        {
            http.Dispose();
            throw network;
        }
        catch
        {
            http.Dispose();
            throw;
        }
    }

    /// <summary>
    /// An app without admin consent signs in app-only all the same, with a token that carries no permission; every
    /// command would then fail with InsufficientPrivileges. Say so at once, and name what to consent to.
    /// </summary>
    private static void WarnWithoutConsent(CasConnection connection, IOperationObserver observer)
    {
        if (!connection.IsAppOnly || connection.Permissions.Count > 0)
        {
            return;
        }

        observer.Warning(
            $"App {connection.AppId} signed in to tenant {connection.TenantDomain ?? connection.TenantId} without any Microsoft Graph application permission: " +
            $"admin consent has not been granted for it. CasAdmin needs admin consent for {string.Join(", ", GraphPermissions.ProvisioningAdminRoles)} " +
            "(and Group.ReadWrite.All to remove groups, Organization.Read.All for licensing model A). Grant it in Entra ID " +
            "(App registrations > the app > API permissions > Grant admin consent), then connect again.");
    }

    /// <summary>The connection for a tenant id or domain, or the default when none is named.</summary>
    public CasConnection Resolve(string? tenant = null)
    {
        lock (gate)
        {
            if (string.IsNullOrWhiteSpace(tenant))
            {
                return connections.FirstOrDefault(c => c.IsDefault) ?? throw NotConnected(null);
            }

            var matches = connections.Where(c => Matches(c, tenant)).ToArray();
            return matches.FirstOrDefault(c => c.IsDefault) ?? matches.LastOrDefault() ?? throw NotConnected(tenant);
        }
    }

    /// <summary>Like <see cref="Resolve"/>, without throwing when there is no such connection.</summary>
    public bool TryResolve(string? tenant, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out CasConnection? connection)
    {
        try
        {
            connection = Resolve(tenant);
            return true;
        }
        catch (CasException ex) when (ex.ErrorId == ErrorIds.NotConnected)
        {
            connection = null;
            return false;
        }
    }

    /// <summary>Closes a connection. Closing the default leaves no default: CasAdmin never picks another tenant for you.</summary>
    public bool Disconnect(CasConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        lock (gate)
        {
            if (!connections.Remove(connection))
            {
                return false;
            }

            connection.IsDefault = false;
        }

        connection.Context.Dispose();
        return true;
    }

    public int DisconnectAll()
    {
        var all = GetConnections();
        return all.Count(Disconnect);
    }

    public static bool Matches(CasConnection connection, string tenant) =>
        string.Equals(connection.TenantId, tenant, StringComparison.OrdinalIgnoreCase)
        || string.Equals(connection.TenantDomain, tenant, StringComparison.OrdinalIgnoreCase);

    private void Register(CasConnection connection)
    {
        CasConnection[] replaced;
        lock (gate)
        {
            // Connecting again as the same identity replaces the old connection instead of piling up.
            replaced = connections.Where(c => c.TenantId == connection.TenantId && c.SignInMode == connection.SignInMode
                && c.Account == connection.Account && c.AppId == connection.AppId).ToArray();
            foreach (var old in replaced)
            {
                connections.Remove(old);
            }

            // The first connection stays the default, so that connecting to more tenants never moves an unqualified
            // command to another tenant. A connection becomes the default only when there is none (the first, or the
            // first after the default was closed), or when it replaces the default connection.
            connection.IsDefault = !connections.Any(c => c.IsDefault) || replaced.Any(r => r.IsDefault);
            connections.Add(connection);
        }

        foreach (var old in replaced)
        {
            old.IsDefault = false;
            old.Context.Dispose();
        }
    }

    private static async Task DescribeTenantAsync(CasConnection connection, IOperationObserver observer, CancellationToken cancellationToken)
    {
        try
        {
            var organizations = await connection.Context.Graph.CallAsync(
                (g, ct) => g.Organization.GetAsync(r => r.QueryParameters.Select = ["id", "displayName", "verifiedDomains"], ct),
                connection.TenantId, cancellationToken).ConfigureAwait(false);
            var organization = organizations?.Value?.FirstOrDefault();
            connection.TenantDisplayName = organization?.DisplayName;
            connection.TenantDomain = organization?.VerifiedDomains?.FirstOrDefault(d => d.IsDefault == true)?.Name
                ?? organization?.VerifiedDomains?.FirstOrDefault()?.Name;
        }
        catch (CasException ex) when (ex.ErrorId == ErrorIds.InsufficientPrivileges)
        {
            // Naming the tenant is a courtesy; a connection that may not read /organization still works.
            observer.Debug("The connection may not read the organization; the tenant is shown by id.");
        }
    }

    /// <summary>The error for "no connection to this tenant", shared by every command that needs one.</summary>
    public static CasException NotConnected(string? tenant) => new(
        ErrorIds.NotConnected, CasErrorCategory.ConnectionError,
        tenant is null ? "There is no connection to a tenant." : $"There is no connection to tenant {tenant}.",
        "Connect first with Connect-CasTenant (Get-CasConnection lists the open connections).", tenant);
}
