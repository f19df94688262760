using CasAdmin.Engine.Accounts;
using Microsoft.Data.Sqlite;

namespace CasAdmin.Engine.Store;

/// <summary>Service accounts, their notifications and the audit log. Every change writes its audit row in the same transaction.</summary>
internal sealed class AccountRepository(RegistryStore store)
{
    private const string Columns = "account_id, tenant_id, service, kind, is_legacy, app_id, app_object_id, sp_object_id, delegate_account, display_name, licensing_model, status, secret_key_id, secret_hint, secret_expires, secret_ref, token_state, token_expires, token_roles, notification_url, lifecycle_url, created, updated";

    public RegistryStore Store => store;

    public Task<CasServiceAccount?> GetAsync(Guid accountId, CancellationToken cancellationToken) =>
        store.ReadAsync(async (c, ct) =>
            (await c.QueryAsync(null, $"SELECT {Columns}, tenant_domain FROM accounts_view WHERE account_id = $id", Map, ct, ("$id", accountId.ToString())).ConfigureAwait(false)).FirstOrDefault(),
            cancellationToken);

    /// <summary>The live (not removed) accounts matching every filter given.</summary>
    public Task<List<CasServiceAccount>> ListAsync(string? tenantId, CasService? service, ServiceAccountStatus? status, bool includeRemoved, CancellationToken cancellationToken) =>
        store.ReadAsync((c, ct) => c.QueryAsync(null,
            $"""
            SELECT {Columns}, tenant_domain FROM accounts_view
            WHERE ($tenant IS NULL OR tenant_id = $tenant OR tenant_domain = $tenant COLLATE NOCASE)
              AND ($service IS NULL OR service = $service)
              AND ($status IS NULL OR status = $status)
              AND ($all = 1 OR status <> 'Removed')
            ORDER BY tenant_id, service, created
            """,
            Map, ct,
            ("$tenant", tenantId), ("$service", service?.ToString()), ("$status", status?.ToString()), ("$all", includeRemoved ? 1 : 0)),
            cancellationToken);

    public static async Task InsertAsync(SqliteConnection c, SqliteTransaction t, CasServiceAccount a, CancellationToken ct) =>
        await c.ExecuteAsync(t,
            $"INSERT INTO service_accounts ({Columns}) VALUES ($id, $tenant, $service, $kind, $legacy, $app, $appObj, $sp, $delegate, $name, $model, $status, $keyId, $hint, $expires, $ref, $tokenState, $tokenExpires, $roles, $url, $lifecycle, $created, $updated)",
            ct, Parameters(a)).ConfigureAwait(false);

    public static async Task UpdateAsync(SqliteConnection c, SqliteTransaction t, CasServiceAccount a, CancellationToken ct) =>
        await c.ExecuteAsync(t,
            """
            UPDATE service_accounts SET tenant_id = $tenant, service = $service, kind = $kind, is_legacy = $legacy, app_id = $app,
                app_object_id = $appObj, sp_object_id = $sp, delegate_account = $delegate, display_name = $name, licensing_model = $model,
                status = $status, secret_key_id = $keyId, secret_hint = $hint, secret_expires = $expires, secret_ref = $ref,
                token_state = $tokenState, token_expires = $tokenExpires, token_roles = $roles, notification_url = $url,
                lifecycle_url = $lifecycle, updated = $updated
            WHERE account_id = $id
            """,
            ct, Parameters(a)).ConfigureAwait(false);

    public static async Task TouchTenantAsync(SqliteConnection c, SqliteTransaction t, string tenantId, string? domain, string? displayName, string cloud, CancellationToken ct)
    {
        var now = DateTimeOffset.UtcNow.Iso();
        await c.ExecuteAsync(t,
            """
            INSERT INTO tenants (tenant_id, domain, display_name, cloud, first_seen, last_seen) VALUES ($id, $domain, $name, $cloud, $now, $now)
            ON CONFLICT (tenant_id) DO UPDATE SET domain = COALESCE($domain, domain), display_name = COALESCE($name, display_name), last_seen = $now
            """,
            ct, ("$id", tenantId), ("$domain", domain), ("$name", displayName), ("$cloud", cloud), ("$now", now)).ConfigureAwait(false);
    }

    public static async Task NotifyAsync(SqliteConnection c, SqliteTransaction t, string tenantId, Guid? accountId, CasService? service, string level, string message, CancellationToken ct) =>
        await c.ExecuteAsync(t,
            "INSERT INTO notifications (tenant_id, account_id, service, level, message, created) VALUES ($tenant, $account, $service, $level, $message, $now)",
            ct, ("$tenant", tenantId), ("$account", accountId?.ToString()), ("$service", service?.ToString()), ("$level", level), ("$message", message), ("$now", DateTimeOffset.UtcNow.Iso())).ConfigureAwait(false);

    /// <summary>One audit row: who did what to which account, and how it ended. Never a secret value.</summary>
    public static async Task AuditAsync(SqliteConnection c, SqliteTransaction t, AuditEntry e, CancellationToken ct) =>
        await c.ExecuteAsync(t,
            "INSERT INTO audit_log (at, actor, tenant_id, account_id, action, target, result, detail) VALUES ($at, $actor, $tenant, $account, $action, $target, $result, $detail)",
            ct, ("$at", DateTimeOffset.UtcNow.Iso()), ("$actor", e.Actor), ("$tenant", e.TenantId), ("$account", e.AccountId?.ToString()),
            ("$action", e.Action), ("$target", e.Target), ("$result", e.Result), ("$detail", e.Detail)).ConfigureAwait(false);

    /// <summary>Records an outcome on its own (a failure after which nothing else was written).</summary>
    public Task AuditAsync(AuditEntry entry, CancellationToken cancellationToken) =>
        store.WriteAsync((c, t, ct) => AuditAsync(c, t, entry, ct), cancellationToken);

    public Task<List<CasNotification>> NotificationsAsync(string? tenantId, Guid? accountId, CancellationToken cancellationToken) =>
        store.ReadAsync((c, ct) => c.QueryAsync(null,
            """
            SELECT notification_id, tenant_id, account_id, service, level, message, created FROM notifications
            WHERE ($tenant IS NULL OR tenant_id = $tenant OR tenant_id IN (SELECT tenant_id FROM tenants WHERE domain = $tenant COLLATE NOCASE))
              AND ($account IS NULL OR account_id = $account)
            ORDER BY notification_id
            """,
            r => new CasNotification
            {
                NotificationId = r.Long("notification_id"),
                TenantId = r.Text("tenant_id")!,
                AccountId = r.Text("account_id") is { } a ? Guid.Parse(a) : null,
                Service = r.Text("service") is { } s ? Enum.Parse<CasService>(s) : null,
                Level = r.Text("level")!,
                Message = r.Text("message")!,
                CreatedOn = r.Time("created")!.Value,
            },
            ct, ("$tenant", tenantId), ("$account", accountId?.ToString())),
            cancellationToken);

    public Task<List<AuditEntry>> AuditLogAsync(Guid? accountId, CancellationToken cancellationToken) =>
        store.ReadAsync((c, ct) => c.QueryAsync(null,
            "SELECT actor, tenant_id, account_id, action, target, result, detail FROM audit_log WHERE ($account IS NULL OR account_id = $account) ORDER BY audit_id",
            r => new AuditEntry(r.Text("actor"), r.Text("tenant_id"), r.Text("account_id") is { } a ? Guid.Parse(a) : null, r.Text("action")!, r.Text("target"), r.Text("result")!, r.Text("detail")),
            ct, ("$account", accountId?.ToString())),
            cancellationToken);

    private static (string, object?)[] Parameters(CasServiceAccount a) =>
    [
        ("$id", a.AccountId.ToString()), ("$tenant", a.TenantId), ("$service", a.Service.ToString()), ("$kind", a.Kind.ToString()),
        ("$legacy", a.IsLegacy ? 1 : 0), ("$app", a.AppId), ("$appObj", a.AppObjectId), ("$sp", a.ServicePrincipalId),
        ("$delegate", a.DelegateAccount), ("$name", a.DisplayName), ("$model", a.LicensingModel?.ToString()), ("$status", a.Status.ToString()),
        ("$keyId", a.SecretKeyId), ("$hint", a.SecretHint), ("$expires", a.SecretExpiresOn.Iso()), ("$ref", a.SecretReference),
        ("$tokenState", a.TokenState.ToString()), ("$tokenExpires", a.TokenExpiresOn.Iso()), ("$roles", string.Join(' ', a.TokenRoles)),
        ("$url", a.NotificationUrl), ("$lifecycle", a.LifecycleNotificationUrl), ("$created", a.CreatedOn.Iso()), ("$updated", a.UpdatedOn.Iso()),
    ];

    private static CasServiceAccount Map(SqliteDataReader r) => new()
    {
        AccountId = Guid.Parse(r.Text("account_id")!),
        TenantId = r.Text("tenant_id")!,
        TenantDomain = r.Text("tenant_domain"),
        Service = Enum.Parse<CasService>(r.Text("service")!),
        Kind = Enum.Parse<ServiceAccountKind>(r.Text("kind")!),
        IsLegacy = r.Long("is_legacy") != 0,
        AppId = r.Text("app_id"),
        AppObjectId = r.Text("app_object_id"),
        ServicePrincipalId = r.Text("sp_object_id"),
        DelegateAccount = r.Text("delegate_account"),
        DisplayName = r.Text("display_name"),
        LicensingModel = r.Text("licensing_model") is { } m ? Enum.Parse<LicensingModel>(m) : null,
        Status = Enum.Parse<ServiceAccountStatus>(r.Text("status")!),
        SecretKeyId = r.Text("secret_key_id"),
        SecretHint = r.Text("secret_hint"),
        SecretExpiresOn = r.Time("secret_expires"),
        SecretReference = r.Text("secret_ref"),
        SecretStored = r.Text("secret_ref") is not null,
        TokenState = Enum.Parse<TokenState>(r.Text("token_state")!),
        TokenExpiresOn = r.Time("token_expires"),
        TokenRoles = r.Text("token_roles")?.Split(' ', StringSplitOptions.RemoveEmptyEntries) ?? [],
        NotificationUrl = r.Text("notification_url"),
        LifecycleNotificationUrl = r.Text("lifecycle_url"),
        CreatedOn = r.Time("created")!.Value,
        UpdatedOn = r.Time("updated")!.Value,
    };
}

/// <summary>One line of the audit log.</summary>
internal sealed record AuditEntry(string? Actor, string? TenantId, Guid? AccountId, string Action, string? Target, string Result, string? Detail = null);
