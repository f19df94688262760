using System.Data.Common;
using CasAdmin.Engine.Accounts;
using CasAdmin.Engine.Domain;

namespace CasAdmin.Engine.Store;

/// <summary>
/// Service accounts, their notifications and the audit log. Every public method is one whole read or write, named for
/// what it records; every change writes its audit row in the same transaction. The static methods that take a
/// connection and a transaction are the statements those writes are made of: private, or internal where another
/// repository writes one in its own transaction (the audit row) or a test sets up rows with it.
/// </summary>
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
            WHERE ($tenant IS NULL OR tenant_id = $tenant OR lower(tenant_domain) = lower($tenant))
              AND ($service IS NULL OR service = $service)
              AND ($status IS NULL OR status = $status)
              AND ($all = 1 OR status <> 'Removed')
            ORDER BY tenant_id, service, created
            """,
            Map, ct,
            ("$tenant", tenantId), ("$service", service?.ToString()), ("$status", status?.ToString()), ("$all", includeRemoved ? 1 : 0)),
            cancellationToken);

    /// <summary>
    /// Registers an account, with its tenant and audit entry, unless a live account with the same natural key is recorded
    /// (for Teams Chat: the tenant has one). Then nothing is recorded and that account's id is returned. The check runs
    /// inside the write transaction and the natural key is unique: two processes registering one account at once get one
    /// record, and the second the id of the first.
    /// </summary>
    public Task<Guid?> RegisterAsync(KnownTenant tenant, CasServiceAccount account, AuditEntry audit, CancellationToken cancellationToken) =>
        store.WriteAsync<Guid?>(async (c, t, ct) =>
        {
            if (await FindLiveAsync(c, t, account.TenantId, account.Service, account.AppId, account.DelegateAccount, ct).ConfigureAwait(false) is { } existing)
            {
                return existing;
            }

            await TouchTenantAsync(c, t, tenant, ct).ConfigureAwait(false);
            await InsertAsync(c, t, account, ct).ConfigureAwait(false);
            await AuditAsync(c, t, audit, ct).ConfigureAwait(false);
            return null;
        }, cancellationToken);

    /// <summary>
    /// Records an account while it is provisioned (new, or the one an interrupted run left), with its tenant and audit
    /// entry, in one transaction.
    /// </summary>
    public Task RecordProvisioningAsync(KnownTenant tenant, CasServiceAccount account, bool isNew, AuditEntry audit, CancellationToken cancellationToken) =>
        store.WriteAsync(async (c, t, ct) =>
        {
            await TouchTenantAsync(c, t, tenant, ct).ConfigureAwait(false);
            if (isNew)
            {
                await InsertAsync(c, t, account, ct).ConfigureAwait(false);
            }
            else
            {
                await UpdateAsync(c, t, account, ct).ConfigureAwait(false);
            }

            await AuditAsync(c, t, audit, ct).ConfigureAwait(false);
        }, cancellationToken);

    /// <summary>Records that an account protects its service: the account as it is now, the notification that says so, and the audit entry.</summary>
    public Task RecordProtectedAsync(CasServiceAccount account, string notification, AuditEntry audit, CancellationToken cancellationToken) =>
        store.WriteAsync(async (c, t, ct) =>
        {
            await UpdateAsync(c, t, account, ct).ConfigureAwait(false);
            await NotifyAsync(c, t, account.TenantId, account.AccountId, account.Service, "Information", notification, ct).ConfigureAwait(false);
            await AuditAsync(c, t, audit, ct).ConfigureAwait(false);
        }, cancellationToken);

    /// <summary>Records a change to an account (its secret, app, token or licensing model) with its audit entry.</summary>
    public Task RecordChangeAsync(CasServiceAccount account, AuditEntry audit, CancellationToken cancellationToken) =>
        RecordChangeAsync(account, [], audit, cancellationToken);

    /// <summary>
    /// Records a change to an account with the subscriptions made for it (a new app's, or a new licensing model's) and
    /// the audit entry, in one transaction: the account never names a model or app its recorded subscriptions lack.
    /// </summary>
    public Task RecordChangeAsync(CasServiceAccount account, IReadOnlyCollection<NewSubscription> subscribed, AuditEntry audit, CancellationToken cancellationToken) =>
        store.WriteAsync(async (c, t, ct) =>
        {
            foreach (var s in subscribed)
            {
                await SubscriptionRepository.InsertAsync(c, t, account.AccountId, s, ct).ConfigureAwait(false);
            }

            await UpdateAsync(c, t, account, ct).ConfigureAwait(false);
            await AuditAsync(c, t, audit, ct).ConfigureAwait(false);
        }, cancellationToken);

    /// <summary>Records an outcome in a tenant, and the tenant with it (an action such as creating an app, which records no account).</summary>
    public Task AuditAsync(KnownTenant tenant, AuditEntry entry, CancellationToken cancellationToken) =>
        store.WriteAsync(async (c, t, ct) =>
        {
            await TouchTenantAsync(c, t, tenant, ct).ConfigureAwait(false);
            await AuditAsync(c, t, entry, ct).ConfigureAwait(false);
        }, cancellationToken);

    /// <summary>The INSERT of a new account, for the Store's writes.</summary>
    internal static async Task InsertAsync(DbConnection c, DbTransaction t, CasServiceAccount a, CancellationToken ct) =>
        await c.ExecuteAsync(t,
            $"INSERT INTO service_accounts ({Columns}) VALUES ($id, $tenant, $service, $kind, $legacy, $app, $appObj, $sp, $delegate, $name, $model, $status, $keyId, $hint, $expires, $ref, $tokenState, $tokenExpires, $roles, $url, $lifecycle, $created, $updated)",
            ct, Parameters(a)).ConfigureAwait(false);

    /// <summary>The live account with this natural key (for Teams Chat: the tenant's one account), inside a write transaction.</summary>
    internal static async Task<Guid?> FindLiveAsync(DbConnection c, DbTransaction t, string tenantId, CasService service, string? appId, string? delegateAccount, CancellationToken ct) =>
        await c.ScalarAsync(t,
            """
            SELECT account_id FROM service_accounts
            WHERE tenant_id = $tenant AND service = $service AND status <> 'Removed'
              AND ($service = 'TeamsChat' OR (COALESCE(lower(app_id), '') = COALESCE(lower($app), '') AND COALESCE(lower(delegate_account), '') = COALESCE(lower($delegate), '')))
            ORDER BY created LIMIT 1
            """,
            ct, ("$tenant", tenantId), ("$service", service.ToString()), ("$app", appId), ("$delegate", delegateAccount)).ConfigureAwait(false) is string id
            ? Guid.Parse(id)
            : null;

    private static async Task UpdateAsync(DbConnection c, DbTransaction t, CasServiceAccount a, CancellationToken ct) =>
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

    internal static async Task TouchTenantAsync(DbConnection c, DbTransaction t, KnownTenant tenant, CancellationToken ct)
    {
        var now = DateTimeOffset.UtcNow.Iso();
        await c.ExecuteAsync(t,
            """
            INSERT INTO tenants (tenant_id, domain, display_name, cloud, first_seen, last_seen) VALUES ($id, $domain, $name, $cloud, $now, $now)
            ON CONFLICT (tenant_id) DO UPDATE SET domain = COALESCE($domain, tenants.domain), display_name = COALESCE($name, tenants.display_name), last_seen = $now
            """,
            ct, ("$id", tenant.TenantId), ("$domain", tenant.Domain), ("$name", tenant.DisplayName), ("$cloud", tenant.Cloud), ("$now", now)).ConfigureAwait(false);
    }

    private static async Task NotifyAsync(DbConnection c, DbTransaction t, string tenantId, Guid? accountId, CasService? service, string level, string message, CancellationToken ct) =>
        await c.ExecuteAsync(t,
            "INSERT INTO notifications (tenant_id, account_id, service, level, message, created) VALUES ($tenant, $account, $service, $level, $message, $now)",
            ct, ("$tenant", tenantId), ("$account", accountId?.ToString()), ("$service", service?.ToString()), ("$level", level), ("$message", message), ("$now", DateTimeOffset.UtcNow.Iso())).ConfigureAwait(false);

    /// <summary>One audit row: who did what to which account, and how it ended. Never a secret value.</summary>
    internal static async Task AuditAsync(DbConnection c, DbTransaction t, AuditEntry e, CancellationToken ct) =>
        await c.ExecuteAsync(t, AuditSql, ct, AuditParameters(e)).ConfigureAwait(false);

    /// <summary>The audit INSERT and its parameters apart, for a write that sends it in a batch with others.</summary>
    internal const string AuditSql =
        "INSERT INTO audit_log (at, actor, tenant_id, account_id, action, target, result, detail) VALUES ($at, $actor, $tenant, $account, $action, $target, $result, $detail)";

    internal static (string, object?)[] AuditParameters(AuditEntry e) =>
    [
        ("$at", DateTimeOffset.UtcNow.Iso()), ("$actor", e.Actor), ("$tenant", e.TenantId), ("$account", e.AccountId?.ToString()),
        ("$action", e.Action), ("$target", e.Target), ("$result", e.Result), ("$detail", e.Detail),
    ];

    /// <summary>Records an outcome on its own (a failure after which nothing else was written).</summary>
    public Task AuditAsync(AuditEntry entry, CancellationToken cancellationToken) =>
        store.WriteAsync((c, t, ct) => AuditAsync(c, t, entry, ct), cancellationToken);

    public Task<List<CasNotification>> NotificationsAsync(string? tenantId, Guid? accountId, CancellationToken cancellationToken) =>
        store.ReadAsync((c, ct) => c.QueryAsync(null,
            """
            SELECT notification_id, tenant_id, account_id, service, level, message, created FROM notifications
            WHERE ($tenant IS NULL OR tenant_id = $tenant OR tenant_id IN (SELECT tenant_id FROM tenants WHERE lower(domain) = lower($tenant)))
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

    /// <summary>
    /// The audit log, newest first, filtered by tenant (id or domain), account, action (case-insensitive; <c>*</c> as a
    /// wildcard) and a time range (from inclusive, to exclusive).
    /// </summary>
    public Task<List<CasAuditEntry>> AuditLogAsync(string? tenant, Guid? accountId, string? action, DateTimeOffset? from, DateTimeOffset? to, int? newest, CancellationToken cancellationToken) =>
        store.ReadAsync((c, ct) => c.QueryAsync(null,
            $"""
            SELECT l.audit_id, l.at, l.actor, l.tenant_id, t.domain, l.account_id, l.action, l.target, l.result, l.detail
            FROM audit_log l LEFT JOIN tenants t ON t.tenant_id = l.tenant_id
            WHERE ($tenant IS NULL OR l.tenant_id = $tenant OR lower(t.domain) = lower($tenant))
              AND ($account IS NULL OR l.account_id = $account)
              AND ($action IS NULL OR lower(l.action) LIKE lower($action) ESCAPE '\')
              AND ($from IS NULL OR l.at >= $from)
              AND ($to IS NULL OR l.at < $to)
            ORDER BY l.audit_id DESC
            {(newest is int n ? "LIMIT " + Math.Max(0, n).ToString(System.Globalization.CultureInfo.InvariantCulture) : string.Empty)}
            """,
            r => new CasAuditEntry
            {
                AuditId = r.Long("audit_id"),
                Time = r.Time("at")!.Value,
                Actor = r.Text("actor"),
                TenantId = r.Text("tenant_id"),
                TenantDomain = r.Text("domain"),
                AccountId = r.Text("account_id") is { } a ? Guid.Parse(a) : null,
                Action = r.Text("action")!,
                Target = r.Text("target"),
                Result = r.Text("result")!,
                Detail = r.Text("detail"),
            },
            ct, ("$tenant", tenant), ("$account", accountId?.ToString()), ("$action", action is null ? null : LikePattern(action)),
            ("$from", from?.Iso()), ("$to", to?.Iso())),
            cancellationToken);

    /// <summary>A PowerShell-style wildcard (<c>*</c>, <c>?</c>) as a LIKE pattern, with LIKE's own characters taken literally.</summary>
    private static string LikePattern(string wildcard) => wildcard
        .Replace(@"\", @"\\", StringComparison.Ordinal).Replace("%", @"\%", StringComparison.Ordinal).Replace("_", @"\_", StringComparison.Ordinal)
        .Replace('*', '%').Replace('?', '_');

    private static (string, object?)[] Parameters(CasServiceAccount a) =>
    [
        ("$id", a.AccountId.ToString()), ("$tenant", a.TenantId), ("$service", a.Service.ToString()), ("$kind", a.Kind.ToString()),
        ("$legacy", a.IsLegacy ? 1 : 0), ("$app", a.AppId), ("$appObj", a.AppObjectId), ("$sp", a.ServicePrincipalId),
        ("$delegate", a.DelegateAccount), ("$name", a.DisplayName), ("$model", a.LicensingModel?.ToString()), ("$status", a.Status.ToString()),
        ("$keyId", a.SecretKeyId), ("$hint", a.SecretHint), ("$expires", a.SecretExpiresOn.Iso()), ("$ref", a.SecretReference),
        ("$tokenState", a.TokenState.ToString()), ("$tokenExpires", a.TokenExpiresOn.Iso()), ("$roles", string.Join(' ', a.TokenRoles)),
        ("$url", a.NotificationUrl), ("$lifecycle", a.LifecycleNotificationUrl), ("$created", a.CreatedOn.Iso()), ("$updated", a.UpdatedOn.Iso()),
    ];

    private static CasServiceAccount Map(DbDataReader r) => new()
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
