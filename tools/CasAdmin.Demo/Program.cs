using System.Security;
using CasAdmin.Engine;
using CasAdmin.Engine.Accounts;
using CasAdmin.Engine.Connections;
using CasAdmin.Engine.Deprovisioning;
using CasAdmin.Engine.Errors;
using CasAdmin.Engine.Operations;
using CasAdmin.Engine.Provisioning;
using CasAdmin.Sandbox;

// The main job, end to end against the embedded sandbox: what an administrator does with the module,
// through the same engine calls the cmdlets make. Exit code 0 means every step behaved as documented.
var store = Path.Combine(Path.GetTempPath(), "casadmin-demo", Guid.NewGuid().ToString("N"), "registry.db");
var observer = new ConsoleObserver();
await using var sandbox = await SandboxHost.StartAsync(new SandboxOptions());
Console.WriteLine($"Sandbox: {sandbox.Url} (certificate {sandbox.Thumbprint[..16]}…), registry: {store}");
var engine = CasEngine.Shared;

async Task<CasConnection> Connect(SandboxTenantInfo tenant) => await engine.Connections.ConnectAsync(new ConnectionRequest
{
    Mode = SignInMode.ClientSecret, Tenant = tenant.TenantId, ClientId = tenant.AdminAppId, ClientSecret = Secure(tenant.AdminAppSecret),
    Environment = CasCloud.Sandbox, SandboxUrl = sandbox.Url, SandboxThumbprint = sandbox.Thumbprint, StorePath = store,
}, observer, CancellationToken.None);

try
{
    Step("Connect-CasTenant (two tenants, client secret)");
    var contoso = await Connect(sandbox.Tenants[0]);
    var fabrikam = await Connect(sandbox.Tenants[1]);
    foreach (var c in engine.Connections.GetConnections())
    {
        Console.WriteLine($"  {c.TenantDomain,-28} {c.SignInMode,-12} {c.AppId}  default={c.IsDefault}");
    }

    Step("New-CasTeamsChatApp -GrantAdminConsent (contoso)");
    var app = await engine.TeamsChat.NewAppAsync(contoso, new NewTeamsChatAppRequest
    {
        ConsoleUrl = new Uri("https://console.example.com"), GrantAdminConsent = true, SecretLifetime = TimeSpan.FromDays(180),
    }, observer, CancellationToken.None);
    Console.WriteLine($"  {app.DisplayName}: AppId {app.AppId}, secret {app.SecretHint}… expires {app.SecretExpiresOn:yyyy-MM-dd}, consent granted: {app.ConsentGranted}");

    Step("New-CasTeamsChatAccount -LicensingModel A (contoso)");
    var account = await engine.TeamsChat.NewAccountAsync(contoso, new NewTeamsChatAccountRequest
    {
        AppId = app.AppId, ClientSecret = app.Secret, LicensingModel = LicensingModel.A,
        NotificationUrl = new Uri(sandbox.Url, "_sandbox/receiver/echo"),
    }, observer, CancellationToken.None);
    Console.WriteLine($"  {account.Service} {account.TenantDomain}: {account.Status}, model {account.LicensingModel}, token {account.TokenState}");
    foreach (var n in await engine.Accounts.GetNotificationsAsync(store, contoso.TenantId, null, CancellationToken.None))
    {
        Console.WriteLine($"  Notification: {n.Message}");
    }

    Step("Set-CasLicensingModel -LicensingModel B; Test-CasServiceAccount");
    // Where the OS has no protected storage (Linux without a keyring), nothing was kept: the secret is passed again.
    var secret = account.SecretStored ? null : app.Secret;
    account = await engine.TeamsChat.SetLicensingModelAsync(contoso, account.AccountId, LicensingModel.B, secret, observer, CancellationToken.None);
    foreach (var f in await engine.Accounts.TestAsync(contoso, account.AccountId, secret, observer, CancellationToken.None))
    {
        Console.WriteLine($"  {f.Check,-16} {f.Status,-8} {f.Message}");
    }

    Step("Licensing model A where the tenant has no DLP-capable licence (fabrikam): a clear error");
    var fabrikamApp = await engine.TeamsChat.NewAppAsync(fabrikam, new NewTeamsChatAppRequest
    {
        ConsoleUrl = new Uri("https://console.example.com"), GrantAdminConsent = true, SecretLifetime = TimeSpan.FromDays(90),
    }, observer, CancellationToken.None);
    try
    {
        await engine.TeamsChat.NewAccountAsync(fabrikam, new NewTeamsChatAccountRequest { AppId = fabrikamApp.AppId, ClientSecret = fabrikamApp.Secret, LicensingModel = LicensingModel.A }, observer, CancellationToken.None);
        throw new InvalidOperationException("model A should have been refused in fabrikam");
    }
    catch (CasException ex) when (ex.ErrorId == ErrorIds.LicensingPrerequisiteMissing)
    {
        Console.WriteLine($"  {ex.ErrorId}: {ex.Message}\n  → {ex.RecommendedAction}");
    }

    Step("Find-CasServiceAccount | Register-CasServiceAccount (both tenants)");
    foreach (var connection in new[] { contoso, fabrikam })
    {
        foreach (var candidate in await engine.Accounts.FindAsync(connection, null, observer, CancellationToken.None))
        {
            if (candidate.Registered || candidate.Service is not { } service)
            {
                continue;
            }

            try
            {
                var registered = await engine.Accounts.RegisterAsync(connection, new RegisterAccountRequest
                {
                    Service = service, Kind = candidate.Kind, AppId = candidate.AppId, DelegateAccount = candidate.DelegateAccount,
                    DisplayName = candidate.DisplayName, IsLegacy = candidate.IsLegacy,
                }, observer, CancellationToken.None);
                Console.WriteLine($"  {registered.TenantDomain,-26} {registered.Service,-21} {registered.Kind,-18} {registered.AppId ?? registered.DelegateAccount}");
            }
            catch (CasException ex) when (ex.ErrorId == ErrorIds.ServiceAccountExists)
            {
                // One Teams Chat account per tenant: the legacy footprint of a tenant already protected by its own app.
                Console.WriteLine($"  {connection.TenantDomain,-26} {service,-21} skipped: {ex.Message}");
            }
        }
    }

    Step("Get-CasServiceAccount | Remove-CasServiceAccount -Force -RemoveApp -Purge -RemoveDelegateAccount");
    var all = await engine.Accounts.GetAsync(store, null, null, null, false, CancellationToken.None);
    var targets = all.Select(a => new RemovalTarget(a.AccountId, engine.Connections.Resolve(a.TenantId), Confirmed: true)).ToArray();
    var results = await engine.Deprovisioning.RemoveAsync(targets, new RemovalOptions { Force = true, RemoveApp = true, Purge = true, RemoveDelegateAccount = true }, observer, CancellationToken.None);
    foreach (var r in results)
    {
        var line = r.Job is { } job
            ? $"  {job.TenantDomain,-26} {job.Service,-21} {job.Status,-9} {job.Steps.Count(s => s.Status == RemovalStepStatus.Succeeded)}/{job.Steps.Count} steps, {job.RemainingChanges.Count} remaining change(s)"
            : $"  {r.AccountId}: {r.Error!.ErrorId}: {r.Error.Message}";
        Console.WriteLine(line);
    }

    Step("Get-CasCleanupItem (what to clean up by hand)");
    foreach (var item in (await engine.Deprovisioning.GetCleanupItemsAsync(store, null, null, null, CancellationToken.None)).Take(12))
    {
        Console.WriteLine($"  {item.Service,-21} {item.Kind,-19} {item.Name}\n      {item.Action}");
    }

    var failed = results.Count(r => !r.Succeeded);
    Console.WriteLine(failed == 0 ? "\nDemo completed: every account removed." : $"\nDemo finished with {failed} removal(s) not completed.");
    return failed == 0 ? 0 : 1;
}
catch (CasException ex)
{
    Console.Error.WriteLine($"{ex.ErrorId}: {ex.Message}\n→ {ex.RecommendedAction}");
    return 2;
}

static void Step(string title) => Console.WriteLine($"\n== {title}");

static SecureString Secure(string value)
{
    var s = new SecureString();
    foreach (var c in value)
    {
        s.AppendChar(c);
    }

    s.MakeReadOnly();
    return s;
}

/// <summary>Prints warnings and information as PowerShell would show them by default; progress as occasional lines.</summary>
internal sealed class ConsoleObserver : NullOperationObserver
{
    public override void Warning(string message) => Console.WriteLine("  WARNING: " + message);

    public override void Information(string message) => Console.WriteLine("  " + message);

    public override Task<bool> ShouldContinueAsync(string query, string caption, CancellationToken cancellationToken)
    {
        Console.WriteLine($"  Confirm: {query} [answered Yes by the demo]");
        return Task.FromResult(true);
    }
}
