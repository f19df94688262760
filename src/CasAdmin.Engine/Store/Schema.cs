using System.Data.Common;
using CasAdmin.Engine.Errors;

namespace CasAdmin.Engine.Store;

/// <summary>
/// The registry's schema as forward-only migrations, one list for both stores. A published migration is never
/// edited: a change is a new entry. <c>PRAGMA user_version</c> records the version an SQLite file is at, the
/// table <c>casadmin_schema</c> a PostgreSQL database's. The DDL is SQLite's; <see cref="ForPostgres"/> spells
/// its few SQLite-only words the PostgreSQL way.
/// </summary>
internal static class Schema
{
    public static readonly IReadOnlyList<Migration> Migrations =
    [
        new(1, """
            CREATE TABLE tenants (
                tenant_id     TEXT PRIMARY KEY,
                domain        TEXT,
                display_name  TEXT,
                cloud         TEXT NOT NULL,
                first_seen    TEXT NOT NULL,
                last_seen     TEXT NOT NULL
            );

            -- secret_ref names an entry in the OS-protected vault; the secret value itself is never stored here.
            CREATE TABLE service_accounts (
                account_id          TEXT PRIMARY KEY,
                tenant_id           TEXT NOT NULL,
                service             TEXT NOT NULL,
                kind                TEXT NOT NULL,
                is_legacy           INTEGER NOT NULL DEFAULT 0,
                app_id              TEXT,
                app_object_id       TEXT,
                sp_object_id        TEXT,
                delegate_account    TEXT,
                display_name        TEXT,
                licensing_model     TEXT,
                status              TEXT NOT NULL,
                secret_key_id       TEXT,
                secret_hint         TEXT,
                secret_expires      TEXT,
                secret_ref          TEXT,
                token_state         TEXT NOT NULL DEFAULT 'Unknown',
                token_expires       TEXT,
                token_roles         TEXT,
                notification_url    TEXT,
                lifecycle_url       TEXT,
                created             TEXT NOT NULL,
                updated             TEXT NOT NULL
            );
            CREATE INDEX ix_accounts_tenant ON service_accounts (tenant_id, service);
            -- One Teams Chat account per tenant while it exists.
            CREATE UNIQUE INDEX ux_accounts_teamschat ON service_accounts (tenant_id)
                WHERE service = 'TeamsChat' AND status <> 'Removed';
            CREATE VIEW accounts_view AS
                SELECT a.*, t.domain AS tenant_domain FROM service_accounts a LEFT JOIN tenants t ON t.tenant_id = a.tenant_id;

            CREATE TABLE subscriptions (
                subscription_id  TEXT PRIMARY KEY,
                account_id       TEXT NOT NULL REFERENCES service_accounts (account_id),
                resource         TEXT NOT NULL,
                change_type      TEXT NOT NULL,
                model            TEXT,
                expires          TEXT NOT NULL,
                created          TEXT NOT NULL
            );

            -- The Teams Chat inventory ("updates the Teams Chat data"): one row per user, one per distinct chat.
            CREATE TABLE inventory_runs (
                account_id    TEXT PRIMARY KEY REFERENCES service_accounts (account_id),
                status        TEXT NOT NULL,
                users_total   INTEGER NOT NULL DEFAULT 0,
                started       TEXT NOT NULL,
                completed     TEXT
            );
            CREATE TABLE inventory_users (
                account_id    TEXT NOT NULL,
                user_id       TEXT NOT NULL,
                chats_seen    INTEGER NOT NULL DEFAULT 0,
                done          INTEGER NOT NULL DEFAULT 0,
                PRIMARY KEY (account_id, user_id)
            ) WITHOUT ROWID;
            CREATE TABLE inventory_chats (
                account_id    TEXT NOT NULL,
                chat_id       TEXT NOT NULL,
                chat_type     TEXT,
                PRIMARY KEY (account_id, chat_id)
            ) WITHOUT ROWID;

            CREATE TABLE notifications (
                notification_id  INTEGER PRIMARY KEY AUTOINCREMENT,
                tenant_id        TEXT NOT NULL,
                account_id       TEXT,
                service          TEXT,
                level            TEXT NOT NULL,
                message          TEXT NOT NULL,
                created          TEXT NOT NULL
            );

            CREATE TABLE audit_log (
                audit_id    INTEGER PRIMARY KEY AUTOINCREMENT,
                at          TEXT NOT NULL,
                actor       TEXT,
                tenant_id   TEXT,
                account_id  TEXT,
                action      TEXT NOT NULL,
                target      TEXT,
                result      TEXT NOT NULL,
                detail      TEXT
            );
            """),
        new(2, """
            -- Removal jobs ("Remove <service> Service Account" with its Details). The lease makes sure two
            -- processes sharing a registry never run the same job; an expired lease may be taken over.
            CREATE TABLE removal_jobs (
                job_id            TEXT PRIMARY KEY,
                account_id        TEXT NOT NULL REFERENCES service_accounts (account_id),
                tenant_id         TEXT NOT NULL,
                service           TEXT NOT NULL,
                app_id            TEXT,
                delegate_account  TEXT,
                status            TEXT NOT NULL,
                forced            INTEGER NOT NULL DEFAULT 0,
                options           TEXT,
                created           TEXT NOT NULL,
                started           TEXT,
                finished          TEXT,
                error_id          TEXT,
                error             TEXT,
                recommended       TEXT,
                lease_owner       TEXT,
                lease_expires     TEXT
            );
            CREATE INDEX ix_jobs_account ON removal_jobs (account_id);
            -- At most one unfinished job per account.
            CREATE UNIQUE INDEX ux_jobs_open ON removal_jobs (account_id) WHERE status IN ('Pending', 'Running', 'Failed');

            CREATE TABLE removal_steps (
                job_id     TEXT NOT NULL REFERENCES removal_jobs (job_id),
                ordinal    INTEGER NOT NULL,
                name       TEXT NOT NULL,
                status     TEXT NOT NULL,
                started    TEXT,
                finished   TEXT,
                error_id   TEXT,
                error      TEXT,
                detail     TEXT,
                PRIMARY KEY (job_id, ordinal)
            ) WITHOUT ROWID;

            CREATE TABLE cleanup_items (
                item_id    INTEGER PRIMARY KEY AUTOINCREMENT,
                job_id     TEXT NOT NULL REFERENCES removal_jobs (job_id),
                tenant_id  TEXT NOT NULL,
                service    TEXT NOT NULL,
                kind       TEXT NOT NULL,
                name       TEXT NOT NULL,
                location   TEXT,
                reason     TEXT NOT NULL,
                action     TEXT NOT NULL,
                UNIQUE (job_id, kind, name)
            );
            """),
        new(3, """
            -- One live record per account: the natural key of a service account in a tenant (issue: two processes
            -- registering the same account at once). Removed records keep their history and do not count.
            CREATE UNIQUE INDEX ux_accounts_natural ON service_accounts
                (tenant_id, service, (COALESCE(lower(app_id), '')), (COALESCE(lower(delegate_account), '')))
                WHERE status <> 'Removed';
            CREATE INDEX ix_audit_at ON audit_log (at);
            """,
            DuplicatesQuery: """
            SELECT tenant_id, service, COALESCE(lower(app_id), '') AS app, COALESCE(lower(delegate_account), '') AS delegate, COUNT(*) AS n
            FROM service_accounts WHERE status <> 'Removed'
            GROUP BY tenant_id, service, COALESCE(lower(app_id), ''), COALESCE(lower(delegate_account), '')
            HAVING COUNT(*) > 1
            ORDER BY tenant_id, service
            """),
        new(4, """
            -- Which runner is removing accounts of a tenant through an app now. Graph throttles per app and tenant, so
            -- runners sharing this registry split the tenants between them instead of spending one quota from several
            -- processes. Advisory only: the job's lease decides who runs a job.
            CREATE TABLE tenant_claims (
                tenant_id  TEXT NOT NULL,
                app_id     TEXT NOT NULL,
                holder     TEXT NOT NULL,
                expires    TEXT NOT NULL,
                PRIMARY KEY (tenant_id, app_id)
            ) WITHOUT ROWID;
            CREATE INDEX ix_claims_holder ON tenant_claims (holder);
            """),
    ];

    public static int CurrentVersion => Migrations[^1].Version;

    /// <summary>The DDL of a migration in PostgreSQL's words (64-bit integers like SQLite's, identity columns, no WITHOUT ROWID).</summary>
    public static string ForPostgres(string sql) => sql
        .Replace("INTEGER PRIMARY KEY AUTOINCREMENT", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", StringComparison.Ordinal)
        .Replace("INTEGER", "BIGINT", StringComparison.Ordinal)
        .Replace(") WITHOUT ROWID;", ");", StringComparison.Ordinal);

    /// <summary>
    /// Refuses a migration whose unique index existing rows would violate, naming them: duplicates are the
    /// administrator's to resolve (which record is the real one is not ours to guess), so nothing is deleted and
    /// nothing is written.
    /// </summary>
    public static async Task CheckBeforeMigratingAsync(DbConnection connection, DbTransaction transaction, Migration migration, string where, CancellationToken ct)
    {
        if (migration.DuplicatesQuery is not { } query)
        {
            return;
        }

        var duplicates = await connection.QueryAsync(transaction, query,
            r => $"{r.Text("service")} of tenant {r.Text("tenant_id")} ({(r.Text("app") is { Length: > 0 } app ? "app " + app : "delegate " + r.Text("delegate"))}) x{r.Long("n")}",
            ct).ConfigureAwait(false);
        if (duplicates.Count > 0)
        {
            throw new CasException(ErrorIds.StoreDuplicateAccounts, CasErrorCategory.InvalidData,
                $"The registry {where} holds the same service account more than once, so it cannot be upgraded to schema {migration.Version}; nothing was changed. Duplicates: {string.Join("; ", duplicates)}.",
                "Keep one record of each (Get-CasServiceAccount shows them; remove the extra records with an older CasAdmin, or restore a backup), then run the command again.", where);
        }
    }
}

/// <summary>One forward migration; <paramref name="DuplicatesQuery"/> lists rows that would break its unique index.</summary>
internal sealed record Migration(int Version, string Sql, string? DuplicatesQuery = null);
