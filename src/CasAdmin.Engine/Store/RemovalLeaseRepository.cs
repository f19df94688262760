using System.Data.Common;
using CasAdmin.Engine.Accounts;

namespace CasAdmin.Engine.Store;

/// <summary>
/// Who runs a removal job: opening an account's job and taking its lease, renewing the lease, letting go of it. Each
/// call is one transaction. The lease's end is judged by <see cref="LeaseClock"/>.
/// </summary>
internal sealed class RemovalLeaseRepository(RegistryStore store, TimeProvider? clock = null)
{
    private readonly TimeProvider clock = clock ?? TimeProvider.System;

    /// <summary>
    /// In one write: the account's unfinished job (or a new one with <paramref name="steps"/>, all Pending), its lease
    /// and, once leased, its start. A runner that meets a job another one holds learns so from this single write, and
    /// writes nothing. The job id is empty when the account was removed meanwhile (the outcome is then Finished).
    /// </summary>
    public Task<(Guid JobId, LeaseOutcome Lease)> OpenAndLeaseAsync(CasServiceAccount account, IReadOnlyList<string> steps, string owner, TimeSpan duration, CancellationToken ct) =>
        store.WriteAsync(async (c, t, c2) =>
        {
            var accountId = account.AccountId.ToString();

            // Inside BEGIN IMMEDIATE (SQLite) or under the account's row lock (PostgreSQL): two runners cannot both see
            // "no open job" and both create one.
            await c.ExecuteAsync(t, "SELECT account_id FROM service_accounts WHERE account_id = $a FOR UPDATE", c2, ("$a", accountId)).ConfigureAwait(false);
            var open = (string?)await c.ScalarAsync(t, "SELECT job_id FROM removal_jobs WHERE account_id = $a AND status IN ('Pending', 'Running', 'Failed')", c2,
                ("$a", accountId)).ConfigureAwait(false);
            Guid jobId;
            if (open is not null)
            {
                jobId = Guid.Parse(open);
            }
            else
            {
                // Read again under the write lock: another process may have finished the removal since the account was loaded.
                var status = (string?)await c.ScalarAsync(t, "SELECT status FROM service_accounts WHERE account_id = $a", c2, ("$a", accountId)).ConfigureAwait(false);
                if (status == nameof(ServiceAccountStatus.Removed))
                {
                    return (Guid.Empty, LeaseOutcome.Finished);
                }

                jobId = Guid.NewGuid();
                await CreateAsync(c, t, jobId, account, steps, c2).ConfigureAwait(false);
                await c.ExecuteAsync(t, "UPDATE service_accounts SET status = 'Removing', updated = $now WHERE account_id = $a", c2,
                    ("$a", accountId), ("$now", DateTimeOffset.UtcNow.Iso())).ConfigureAwait(false);
            }

            var outcome = await TryLeaseAsync(c, t, jobId, owner, duration, c2).ConfigureAwait(false);
            if (outcome.IsAcquired)
            {
                await c.ExecuteAsync(t,
                    "UPDATE removal_jobs SET status = 'Running', started = COALESCE(started, $now), error_id = NULL, error = NULL, recommended = NULL WHERE job_id = $j", c2,
                    ("$j", jobId.ToString()), ("$now", DateTimeOffset.UtcNow.Iso())).ConfigureAwait(false);
            }

            return (jobId, outcome);
        }, ct);

    /// <summary>
    /// Takes the job's lease unless another live holder has it or the job has finished meanwhile. A holder that
    /// stopped renewing (a crashed process) loses the lease when it expires, or at once when it ran on this machine
    /// and its process is gone.
    /// </summary>
    public Task<LeaseOutcome> TryLeaseAsync(Guid jobId, string owner, TimeSpan duration, CancellationToken ct) =>
        store.WriteAsync((c, t, c2) => TryLeaseAsync(c, t, jobId, owner, duration, c2), ct);

    /// <summary>Extends the lease; false when it was lost (expired and taken over).</summary>
    public Task<bool> RenewAsync(Guid jobId, string owner, TimeSpan duration, CancellationToken ct) =>
        store.WriteAsync(async (c, t, c2) => LeaseClock.UntilExpression(c) is { } until
            // PostgreSQL: the server's clock inside the UPDATE itself, not a statement of its own before it.
            ? await c.ExecuteAsync(t, $"UPDATE removal_jobs SET lease_expires = {until} WHERE job_id = $j AND lease_owner = $o", c2,
                ("$j", jobId.ToString()), ("$o", owner), ("$duration", duration)).ConfigureAwait(false) == 1
            : await c.ExecuteAsync(t, "UPDATE removal_jobs SET lease_expires = $until WHERE job_id = $j AND lease_owner = $o", c2,
                ("$j", jobId.ToString()), ("$o", owner), ("$until", (clock.GetUtcNow() + duration).Iso())).ConfigureAwait(false) == 1, ct);

    /// <summary>Lets go of the lease, if <paramref name="owner"/> still holds it; after Ctrl+C in one attempt only (see <see cref="RegistryStore.WriteWindingDownAsync"/>).</summary>
    public Task ReleaseAsync(Guid jobId, string owner, CancellationToken userToken) =>
        store.WriteWindingDownAsync((c, t, c2) => c.ExecuteAsync(t,
            "UPDATE removal_jobs SET lease_owner = NULL, lease_expires = NULL WHERE job_id = $j AND lease_owner = $o", c2,
            ("$j", jobId.ToString()), ("$o", owner)), userToken);

    private static async Task CreateAsync(DbConnection c, DbTransaction t, Guid jobId, CasServiceAccount account, IReadOnlyList<string> steps, CancellationToken ct)
    {
        await c.ExecuteAsync(t,
            "INSERT INTO removal_jobs (job_id, account_id, tenant_id, service, app_id, delegate_account, status, created) VALUES ($j, $a, $t, $s, $app, $d, 'Pending', $now)",
            ct, ("$j", jobId.ToString()), ("$a", account.AccountId.ToString()), ("$t", account.TenantId), ("$s", account.Service.ToString()),
            ("$app", account.AppId), ("$d", account.DelegateAccount), ("$now", DateTimeOffset.UtcNow.Iso())).ConfigureAwait(false);
        if (steps.Count == 0)
        {
            return;
        }

        // All steps in one multi-row INSERT: one statement, not one per step (a plan has about a dozen, far below
        // either store's limit on parameters).
        var values = string.Join(", ", steps.Select((_, i) => $"($j, $o{i}, $n{i}, 'Pending')"));
        var parameters = steps.SelectMany((name, i) => new (string, object?)[] { ($"$o{i}", i), ($"$n{i}", name) }).Prepend(("$j", jobId.ToString())).ToArray();
        await c.ExecuteAsync(t, "INSERT INTO removal_steps (job_id, ordinal, name, status) VALUES " + values, ct, parameters).ConfigureAwait(false);
    }

    private async Task<LeaseOutcome> TryLeaseAsync(DbConnection c, DbTransaction t, Guid jobId, string owner, TimeSpan duration, CancellationToken ct)
    {
        // The row lock (PostgreSQL; SQLite's write lock covers the file) makes the look and the take one step. A row
        // another runner is changing right now is skipped rather than waited for: that runner holds the job.
        // The lease clock read in the same statement: SKIP LOCKED never waits, so it is the time the row was locked.
        var rows = await c.QueryAsync(t, $"SELECT status, lease_owner, lease_expires, {LeaseClock.Column(c)} FROM removal_jobs WHERE job_id = $j FOR UPDATE SKIP LOCKED",
            r => (Status: r.Text("status")!, Owner: r.Text("lease_owner"), Expires: r.Time("lease_expires"), Now: LeaseClock.Read(r, clock)), ct, ("$j", jobId.ToString())).ConfigureAwait(false);
        if (rows.Count == 0)
        {
            return LeaseOutcome.HeldBy("another runner (busy with this job right now)");
        }

        var row = rows[0];
        var now = row.Now;
        if (row.Status is "Succeeded" or "Forced")
        {
            return LeaseOutcome.Finished;
        }

        string? takenOverFrom = null;
        if (row.Owner is not null && row.Owner != owner && row.Expires > now)
        {
            // A killed or crashed engine on this machine never renews nor releases its lease: take over now rather
            // than make the rerun wait out the lease. Decided under the write lock, so only one taker wins.
            if (!LeaseHolder.IsDeadOnThisMachine(row.Owner))
            {
                return LeaseOutcome.HeldBy(row.Owner);
            }

            takenOverFrom = row.Owner;
        }

        await c.ExecuteAsync(t, "UPDATE removal_jobs SET lease_owner = $o, lease_expires = $until WHERE job_id = $j", ct,
            ("$j", jobId.ToString()), ("$o", owner), ("$until", (now + duration).Iso())).ConfigureAwait(false);
        return takenOverFrom is null ? LeaseOutcome.Acquired : LeaseOutcome.TakenOver(takenOverFrom);
    }
}

/// <summary>What asking for a job's lease came to.</summary>
/// <param name="IsAcquired">The lease is ours.</param>
/// <param name="IsFinished">The job finished meanwhile.</param>
/// <param name="Holder">Who holds the lease when it is not ours.</param>
/// <param name="TakenOverFrom">The holder on this machine whose process was gone and whose unexpired lease we took.</param>
internal sealed record LeaseOutcome(bool IsAcquired, bool IsFinished, string? Holder, string? TakenOverFrom = null)
{
    public static readonly LeaseOutcome Acquired = new(true, false, null);

    public static readonly LeaseOutcome Finished = new(false, true, null);

    public static LeaseOutcome HeldBy(string holder) => new(false, false, holder);

    public static LeaseOutcome TakenOver(string deadHolder) => new(true, false, null, deadHolder);
}
