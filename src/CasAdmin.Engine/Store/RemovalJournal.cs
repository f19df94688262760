using System.Data.Common;
using CasAdmin.Engine.Deprovisioning;
using CasAdmin.Engine.Domain;
using CasAdmin.Engine.Errors;

namespace CasAdmin.Engine.Store;

/// <summary>
/// The journal of one removal job as written by the runner that holds its lease: every write is one transaction that
/// checks, under the job's row lock, that <paramref name="owner"/> still holds the lease, and otherwise fails with
/// LeaseLost and changes nothing. A takeover cannot slip in between that check and the write's commit. The frequent
/// writes fold the check into their first statement (see LeaseHeld); the rare ones run it on its own first.
/// </summary>
internal sealed class RemovalJournal(RegistryStore store, Guid jobId, string owner)
{
    private readonly string job = jobId.ToString();

    /// <summary>Journaled before the step's work starts.</summary>
    public Task StartStepAsync(int ordinal, CancellationToken ct) =>
        store.WriteAsync((c, t, c2) => HeldExecuteAsync(c, t,
            "UPDATE removal_steps SET status = 'Running', started = $now, finished = NULL, error_id = NULL, error = NULL WHERE job_id = $j AND ordinal = $o AND " + LeaseHeld, c2,
            ("$o", ordinal), ("$now", DateTimeOffset.UtcNow.Iso())), ct);

    /// <summary>
    /// Journaled after the step's work, with any remaining changes it found, in one transaction. That transaction
    /// also journals what comes next, the start of step <paramref name="nextOrdinal"/> or the job's success, so a
    /// step boundary costs one durable write, not two. The job's success also lets go of its lease.
    /// </summary>
    public Task FinishStepAsync(int ordinal, RemovalStepStatus status, string? detail, IReadOnlyList<CasCleanupItem> remaining, CancellationToken ct,
        int? nextOrdinal = null, bool jobSucceeded = false) =>
        store.WriteAsync(async (c, t, c2) =>
        {
            var now = DateTimeOffset.UtcNow.Iso();

            // The step's end carries the lease check (see LeaseHeld): the write's first statement, as the check was.
            // With a next step, its start is in the same UPDATE: the row of ordinal $o ends, the row of $next starts.
            if (nextOrdinal is int next)
            {
                await HeldExecuteAsync(c, t,
                    """
                    UPDATE removal_steps SET
                        status = CASE WHEN ordinal = $o THEN $s ELSE 'Running' END,
                        started = CASE WHEN ordinal = $o THEN started ELSE $now END,
                        finished = CASE WHEN ordinal = $o THEN $now ELSE NULL END,
                        detail = CASE WHEN ordinal = $o THEN $d ELSE detail END,
                        error_id = NULL, error = NULL
                    WHERE job_id = $j AND ordinal IN ($o, $next) AND
                    """ + " " + LeaseHeld, c2,
                    ("$o", ordinal), ("$next", next), ("$s", status.ToString()), ("$now", now), ("$d", detail)).ConfigureAwait(false);
            }
            else
            {
                await HeldExecuteAsync(c, t,
                    "UPDATE removal_steps SET status = $s, finished = $now, detail = $d, error_id = NULL, error = NULL WHERE job_id = $j AND ordinal = $o AND " + LeaseHeld, c2,
                    ("$o", ordinal), ("$s", status.ToString()), ("$now", now), ("$d", detail)).ConfigureAwait(false);
            }

            await AddCleanupAsync(c, t, remaining, c2).ConfigureAwait(false);

            if (jobSucceeded)
            {
                await EndJobAsync(c, t, RemovalJobStatus.Succeeded, false, null, null, null, c2).ConfigureAwait(false);
                await c.ExecuteAsync(t, "UPDATE removal_jobs SET lease_owner = NULL, lease_expires = NULL WHERE job_id = $j", c2, ("$j", job)).ConfigureAwait(false);
            }
        }, ct);

    /// <summary>The step failed. Journaled even after Ctrl+C, then in one attempt only (see <see cref="RegistryStore.WriteWindingDownAsync"/>).</summary>
    public Task FailStepAsync(int ordinal, string errorId, string error, CancellationToken userToken) =>
        store.WriteWindingDownAsync(Held((c, t, c2) => EndStepAsync(c, t, ordinal, RemovalStepStatus.Failed, DateTimeOffset.UtcNow.Iso(), null, errorId, error, c2)), userToken);

    /// <summary>The job stopped at a failed step; it stays resumable. Journaled even after Ctrl+C, like <see cref="FailStepAsync"/>.</summary>
    public Task FailAsync(string errorId, string error, string recommended, CancellationToken userToken) =>
        store.WriteWindingDownAsync(Held((c, t, c2) => EndJobAsync(c, t, RemovalJobStatus.Failed, false, errorId, error, recommended, c2)), userToken);

    /// <summary>A job found with no step left to run: it succeeded.</summary>
    public Task SucceedAsync(CancellationToken ct) =>
        WriteAsync((c, t, c2) => EndJobAsync(c, t, RemovalJobStatus.Succeeded, false, null, null, null, c2), ct);

    /// <summary>
    /// Forced removal, before CasAdmin's own data goes: what the tenant keeps becomes remaining changes, and the
    /// tenant steps at <paramref name="skipped"/> are not attempted.
    /// </summary>
    public Task LeaveUndoneAsync(IReadOnlyList<CasCleanupItem> remaining, IReadOnlyList<int> skipped, CancellationToken ct) =>
        WriteAsync(async (c, t, c2) =>
        {
            await AddCleanupAsync(c, t, remaining, c2).ConfigureAwait(false);

            foreach (var ordinal in skipped)
            {
                await c.ExecuteAsync(t, "UPDATE removal_steps SET status = 'Skipped', detail = 'Left undone by forced removal' WHERE job_id = $j AND ordinal = $o",
                    c2, ("$j", job), ("$o", ordinal)).ConfigureAwait(false);
            }
        }, ct);

    /// <summary>Forced removal done: the job ends Forced, with why and what to clean up by hand.</summary>
    public Task EndForcedAsync(string errorId, string error, string recommended, CancellationToken ct) =>
        WriteAsync((c, t, c2) => EndJobAsync(c, t, RemovalJobStatus.Forced, true, errorId, error, recommended, c2), ct);

    /// <summary>The account's change-notification subscriptions were deleted in Microsoft 365: forget them.</summary>
    public Task ForgetSubscriptionsAsync(Guid accountId, CancellationToken ct) =>
        WriteAsync((c, t, c2) => c.ExecuteAsync(t, "DELETE FROM subscriptions WHERE account_id = $a", c2, ("$a", accountId.ToString())), ct);

    /// <summary>
    /// CasAdmin's own data of the account goes: its inventory, subscriptions, notifications, token state and secret
    /// reference; the account stays as Removed, and <paramref name="audit"/> records it.
    /// </summary>
    public Task RemoveLocalDataAsync(Guid accountId, AuditEntry audit, CancellationToken ct) =>
        store.WriteAsync(async (c, t, c2) =>
        {
            // One round trip on PostgreSQL (a batch), the lease check riding in its first statement (see LeaseHeld). The
            // account's row comes first; when it changed nothing and the lease is gone, the throw rolls the batch back.
            var account = ("$a", (object?)accountId.ToString());
            var statements = new List<(string, (string, object?)[])>
            {
                ("UPDATE service_accounts SET status = 'Removed', token_state = 'Unknown', token_expires = NULL, token_roles = '', secret_ref = NULL, updated = $now WHERE account_id = $a AND " + LeaseHeld,
                    [account, ("$now", DateTimeOffset.UtcNow.Iso()), ("$j", job), ("$owner", owner)]),
            };
            foreach (var table in new[] { "inventory_chats", "inventory_users", "inventory_runs", "subscriptions", "notifications" })
            {
                statements.Add(($"DELETE FROM {table} WHERE account_id = $a", [account]));
            }

            statements.Add((AccountRepository.AuditSql, AccountRepository.AuditParameters(audit)));
            var changed = await c.ExecuteBatchAsync(t, c2, [.. statements]).ConfigureAwait(false);
            if (changed[0] == 0)
            {
                await AssertLeaseAsync(c, t, c2).ConfigureAwait(false);
            }
        }, ct);

    /// <summary>
    /// Claims for this job the deletion of something its tenant's jobs share, by marking its step
    /// <paramref name="step"/> with <paramref name="claim"/> under the tenant's row lock. Null when this job now holds
    /// the claim; else the job that holds it: one still running, its lease live, and on this machine its process alive.
    /// </summary>
    public Task<Guid?> ClaimForTenantAsync(string tenantId, string step, string claim, CancellationToken ct) =>
        store.WriteAsync<Guid?>(async (c, t, c2) =>
        {
            await AssertLeaseAsync(c, t, c2).ConfigureAwait(false);
            await c.ExecuteAsync(t, "SELECT tenant_id FROM tenants WHERE tenant_id = $t FOR UPDATE", c2, ("$t", tenantId)).ConfigureAwait(false);
            // The lease clock as a column of the claims' query (see LeaseClock.Column): with no rival claim, none is needed.
            var claims = await c.QueryAsync(t,
                $"""
                SELECT s.job_id, j.lease_owner, j.lease_expires, {LeaseClock.Column(c)} FROM removal_steps s JOIN removal_jobs j ON j.job_id = s.job_id
                WHERE j.tenant_id = $t AND s.job_id <> $j AND s.status = 'Running' AND s.detail = $claim AND j.status = 'Running'
                """,
                r => (Job: Guid.Parse(r.Text("job_id")!), Owner: r.Text("lease_owner"), Expires: r.Time("lease_expires"), Now: LeaseClock.Read(r, TimeProvider.System)), c2,
                ("$t", tenantId), ("$j", job), ("$claim", claim)).ConfigureAwait(false);
            if (claims.FirstOrDefault(o => o.Owner is not null && o.Expires > o.Now && !LeaseHolder.IsDeadOnThisMachine(o.Owner)) is { Owner: not null } live)
            {
                return live.Job;
            }

            await c.ExecuteAsync(t, "UPDATE removal_steps SET detail = $claim WHERE job_id = $j AND name = $n", c2,
                ("$j", job), ("$n", step), ("$claim", claim)).ConfigureAwait(false);
            return null;
        }, ct);

    private Task WriteAsync(Func<DbConnection, DbTransaction, CancellationToken, Task> write, CancellationToken ct) => store.WriteAsync(Held(write), ct);

    // Every write of the journal: the lease check first, in the same transaction.
    private Func<DbConnection, DbTransaction, CancellationToken, Task> Held(Func<DbConnection, DbTransaction, CancellationToken, Task> write) =>
        async (c, t, ct) =>
        {
            await AssertLeaseAsync(c, t, ct).ConfigureAwait(false);
            await write(c, t, ct).ConfigureAwait(false);
        };

    // The lease check folded into a write's first statement, which then changes rows only while this runner holds the
    // job's lease. On PostgreSQL the sub-select takes the job's row lock as the separate check did, so a takeover waits
    // for this transaction's end, and one that committed first is seen (the locked row is read again); on SQLite
    // BEGIN IMMEDIATE already holds the file. Saves one round trip per journal write.
    private const string LeaseHeld = "EXISTS (SELECT 1 FROM removal_jobs WHERE job_id = $j AND lease_owner = $owner FOR UPDATE)";

    // Runs a statement guarded by LeaseHeld. Nothing changed means the lease is gone, or there was nothing to change:
    // the full check then tells which, and throws LeaseLost (the transaction rolls back) in the first case only.
    private async Task HeldExecuteAsync(DbConnection c, DbTransaction t, string sql, CancellationToken ct, params (string, object?)[] parameters)
    {
        if (await c.ExecuteAsync(t, sql, ct, [("$j", job), ("$owner", owner), .. parameters]).ConfigureAwait(false) == 0)
        {
            await AssertLeaseAsync(c, t, ct).ConfigureAwait(false);
        }
    }

    private async Task AssertLeaseAsync(DbConnection c, DbTransaction t, CancellationToken ct)
    {
        var holder = (string?)await c.ScalarAsync(t, "SELECT lease_owner FROM removal_jobs WHERE job_id = $j FOR UPDATE", ct, ("$j", job)).ConfigureAwait(false);
        if (!string.Equals(holder, owner, StringComparison.Ordinal))
        {
            throw new CasException(ErrorIds.LeaseLost, CasErrorCategory.ResourceUnavailable,
                $"The removal job {jobId} is no longer held by this runner ({(holder is null ? "its lease was released" : "now held by " + holder)}); this runner's step was not recorded.",
                "Check Get-CasRemovalJob; the runner that holds the job resumes it.", job);
        }
    }

    private Task EndStepAsync(DbConnection c, DbTransaction t, int ordinal, RemovalStepStatus status, string now, string? detail, string? errorId, string? error, CancellationToken ct) =>
        c.ExecuteAsync(t,
            "UPDATE removal_steps SET status = $s, finished = $now, detail = $d, error_id = $eid, error = $e WHERE job_id = $j AND ordinal = $o", ct,
            ("$j", job), ("$o", ordinal), ("$s", status.ToString()), ("$now", now), ("$d", detail), ("$eid", errorId), ("$e", error));

    private Task EndJobAsync(DbConnection c, DbTransaction t, RemovalJobStatus status, bool forced, string? errorId, string? error, string? recommended, CancellationToken ct) =>
        c.ExecuteAsync(t,
            "UPDATE removal_jobs SET status = $s, forced = $f, finished = $now, error_id = $eid, error = $e, recommended = $r WHERE job_id = $j",
            ct, ("$j", job), ("$s", status.ToString()), ("$f", forced ? 1 : 0), ("$now", status is RemovalJobStatus.Failed ? null : DateTimeOffset.UtcNow.Iso()),
            ("$eid", errorId), ("$e", error), ("$r", recommended));

    // The remaining changes in multi-row INSERTs, one per 100 items (8 parameters each, well inside SQLite's and
    // PostgreSQL's limits): one statement where there was one per item. ON CONFLICT DO NOTHING skips an item already
    // listed, also one listed twice in the same statement.
    private static async Task AddCleanupAsync(DbConnection c, DbTransaction t, IReadOnlyList<CasCleanupItem> items, CancellationToken ct)
    {
        foreach (var chunk in items.Chunk(100))
        {
            var values = string.Join(", ", chunk.Select((_, i) => $"($j{i}, $t{i}, $s{i}, $k{i}, $n{i}, $l{i}, $r{i}, $a{i})"));
            var parameters = chunk.SelectMany((item, i) => new (string, object?)[]
            {
                ($"$j{i}", item.JobId.ToString()), ($"$t{i}", item.TenantId), ($"$s{i}", item.Service.ToString()), ($"$k{i}", item.Kind), ($"$n{i}", item.Name),
                ($"$l{i}", item.Location), ($"$r{i}", item.Reason), ($"$a{i}", item.Action),
            }).ToArray();
            await c.ExecuteAsync(t,
                "INSERT INTO cleanup_items (job_id, tenant_id, service, kind, name, location, reason, action) VALUES " + values + " ON CONFLICT DO NOTHING",
                ct, parameters).ConfigureAwait(false);
        }
    }
}
