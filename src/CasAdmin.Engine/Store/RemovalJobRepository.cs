using System.Data.Common;
using CasAdmin.Engine.Accounts;
using CasAdmin.Engine.Deprovisioning;
using CasAdmin.Engine.Errors;

namespace CasAdmin.Engine.Store;

/// <summary>Removal jobs, their steps, leases and remaining changes.</summary>
internal sealed class RemovalJobRepository(RegistryStore store, TimeProvider? clock = null)
{
    private readonly TimeProvider clock = clock ?? TimeProvider.System;

    private const string JobColumns = "j.job_id, j.account_id, j.tenant_id, j.service, j.app_id, j.delegate_account, j.status, j.forced, j.created, j.started, j.finished, j.error_id, j.error, j.recommended, j.lease_owner, j.lease_expires, t.domain AS tenant_domain";

    public RegistryStore Store => store;

    /// <summary>The unfinished job of an account, if any (Pending, Running or Failed).</summary>
    public async Task<CasRemovalJob?> OpenJobAsync(Guid accountId, CancellationToken ct) =>
        (await QueryJobsAsync("j.account_id = $a AND j.status IN ('Pending', 'Running', 'Failed')", ct, ("$a", accountId.ToString())).ConfigureAwait(false)).FirstOrDefault();

    public async Task<CasRemovalJob?> GetAsync(Guid jobId, CancellationToken ct) =>
        (await QueryJobsAsync("j.job_id = $j", ct, ("$j", jobId.ToString())).ConfigureAwait(false)).FirstOrDefault();

    public Task<List<CasRemovalJob>> ListAsync(Guid? jobId, Guid? accountId, string? tenantId, RemovalJobStatus? status, CancellationToken ct) =>
        QueryJobsAsync(
            "($j IS NULL OR j.job_id = $j) AND ($a IS NULL OR j.account_id = $a) AND ($t IS NULL OR j.tenant_id = $t OR t.domain = $t) AND ($s IS NULL OR j.status = $s)",
            ct, ("$j", jobId?.ToString()), ("$a", accountId?.ToString()), ("$t", tenantId), ("$s", status?.ToString()));

    /// <summary>Creates a job with its planned steps, all Pending, in one transaction.</summary>
    public static async Task CreateAsync(DbConnection c, DbTransaction t, CasRemovalJob job, IReadOnlyList<string> steps, CancellationToken ct)
    {
        await c.ExecuteAsync(t,
            "INSERT INTO removal_jobs (job_id, account_id, tenant_id, service, app_id, delegate_account, status, created) VALUES ($j, $a, $t, $s, $app, $d, 'Pending', $now)",
            ct, ("$j", job.JobId.ToString()), ("$a", job.AccountId.ToString()), ("$t", job.TenantId), ("$s", job.Service.ToString()),
            ("$app", job.AppId), ("$d", job.DelegateAccount), ("$now", DateTimeOffset.UtcNow.Iso())).ConfigureAwait(false);
        for (var i = 0; i < steps.Count; i++)
        {
            await c.ExecuteAsync(t, "INSERT INTO removal_steps (job_id, ordinal, name, status) VALUES ($j, $o, $n, 'Pending')", ct,
                ("$j", job.JobId.ToString()), ("$o", i), ("$n", steps[i])).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Takes the job's lease unless another live holder has it or the job has finished meanwhile. A holder that
    /// stopped renewing (a crashed process) loses the lease when it expires, or at once when it ran on this machine
    /// and its process is gone.
    /// </summary>
    public Task<LeaseOutcome> TryLeaseAsync(Guid jobId, string owner, TimeSpan duration, CancellationToken ct) =>
        store.WriteAsync((c, t, c2) => TryLeaseAsync(c, t, jobId, owner, duration, clock, c2), ct);

    /// <summary>
    /// The clock leases are written and judged by. On PostgreSQL it is the server's, one clock for every runner: a
    /// runner whose own clock runs ahead would otherwise see a live lease as expired and take it, and one whose clock
    /// lags would hold a lease the others see as expired. On SQLite (one machine) it is this machine's.
    /// </summary>
    internal static async Task<DateTimeOffset> LeaseNowAsync(DbConnection c, DbTransaction? t, TimeProvider clock, CancellationToken ct)
    {
        if (c is not Npgsql.NpgsqlConnection)
        {
            return clock.GetUtcNow();
        }

        // clock_timestamp(), not now(): now() is the transaction's start, which a wait for a row lock leaves behind.
        var value = await c.ScalarAsync(t, "SELECT clock_timestamp()", ct).ConfigureAwait(false);
        return value switch
        {
            DateTime d => new DateTimeOffset(DateTime.SpecifyKind(d, DateTimeKind.Utc)),
            DateTimeOffset o => o.ToUniversalTime(),
            _ => throw new InvalidOperationException($"PostgreSQL answered clock_timestamp() with {value?.GetType().Name ?? "null"}."),
        };
    }

    /// <summary>The lease taken inside a write that does more (opening the job, marking it running).</summary>
    public static async Task<LeaseOutcome> TryLeaseAsync(DbConnection c, DbTransaction t, Guid jobId, string owner, TimeSpan duration, TimeProvider clock, CancellationToken ct)
    {
        // The row lock (PostgreSQL; SQLite's write lock covers the file) makes the look and the take one step. A row
        // another runner is changing right now is skipped rather than waited for: that runner holds the job.
        var rows = await c.QueryAsync(t, "SELECT status, lease_owner, lease_expires FROM removal_jobs WHERE job_id = $j FOR UPDATE SKIP LOCKED",
            r => (Status: r.Text("status")!, Owner: r.Text("lease_owner"), Expires: r.Time("lease_expires")), ct, ("$j", jobId.ToString())).ConfigureAwait(false);
        if (rows.Count == 0)
        {
            return LeaseOutcome.HeldBy("another runner (busy with this job right now)");
        }

        var row = rows[0];
        var now = await LeaseNowAsync(c, t, clock, ct).ConfigureAwait(false);
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

    /// <summary>Extends the lease; false when it was lost (expired and taken over).</summary>
    public Task<bool> RenewLeaseAsync(Guid jobId, string owner, TimeSpan duration, CancellationToken ct) =>
        store.WriteAsync(async (c, t, c2) => await c.ExecuteAsync(t,
            "UPDATE removal_jobs SET lease_expires = $until WHERE job_id = $j AND lease_owner = $o", c2,
            ("$j", jobId.ToString()), ("$o", owner), ("$until", (await LeaseNowAsync(c, t, clock, c2).ConfigureAwait(false) + duration).Iso())).ConfigureAwait(false) == 1, ct);

    public Task ReleaseLeaseAsync(Guid jobId, string owner, CancellationToken ct) =>
        store.WriteAsync((c, t, c2) => ReleaseLeaseAsync(c, t, jobId, owner, c2), ct);

    public static Task ReleaseLeaseAsync(DbConnection c, DbTransaction t, Guid jobId, string owner, CancellationToken ct) =>
        c.ExecuteAsync(t,
            "UPDATE removal_jobs SET lease_owner = NULL, lease_expires = NULL WHERE job_id = $j AND lease_owner = $o", ct,
            ("$j", jobId.ToString()), ("$o", owner));

    /// <summary>
    /// Inside a journal write: fails it (so it changes nothing) unless <paramref name="owner"/> still holds the job's
    /// lease. The row lock keeps a takeover from slipping in between this check and the write's commit.
    /// </summary>
    public static async Task AssertLeaseAsync(DbConnection c, DbTransaction t, Guid jobId, string owner, CancellationToken ct)
    {
        var holder = (string?)await c.ScalarAsync(t, "SELECT lease_owner FROM removal_jobs WHERE job_id = $j FOR UPDATE", ct, ("$j", jobId.ToString())).ConfigureAwait(false);
        if (!string.Equals(holder, owner, StringComparison.Ordinal))
        {
            throw new CasException(ErrorIds.LeaseLost, CasErrorCategory.ResourceUnavailable,
                $"The removal job {jobId} is no longer held by this runner ({(holder is null ? "its lease was released" : "now held by " + holder)}); this runner's step was not recorded.",
                "Check Get-CasRemovalJob; the runner that holds the job resumes it.", jobId.ToString());
        }
    }

    /// <summary>Inside the write that took the lease: the job runs from now on.</summary>
    public static Task MarkRunningAsync(DbConnection c, DbTransaction t, Guid jobId, CancellationToken ct) =>
        c.ExecuteAsync(t,
            "UPDATE removal_jobs SET status = 'Running', started = COALESCE(started, $now), error_id = NULL, error = NULL, recommended = NULL WHERE job_id = $j", ct,
            ("$j", jobId.ToString()), ("$now", DateTimeOffset.UtcNow.Iso()));

    /// <summary>Journaled before the step's work starts.</summary>
    public Task StartStepAsync(Guid jobId, string owner, int ordinal, CancellationToken ct) =>
        store.WriteAsync(async (c, t, c2) =>
        {
            await AssertLeaseAsync(c, t, jobId, owner, c2).ConfigureAwait(false);
            await StartStepAsync(c, t, jobId, ordinal, DateTimeOffset.UtcNow.Iso(), c2).ConfigureAwait(false);
        }, ct);

    private static Task StartStepAsync(DbConnection c, DbTransaction t, Guid jobId, int ordinal, string now, CancellationToken ct) =>
        c.ExecuteAsync(t,
            "UPDATE removal_steps SET status = 'Running', started = $now, finished = NULL, error_id = NULL, error = NULL WHERE job_id = $j AND ordinal = $o", ct,
            ("$j", jobId.ToString()), ("$o", ordinal), ("$now", now));

    /// <summary>
    /// Journaled after the step's work, with any remaining changes it found, in one transaction. That transaction
    /// also journals what comes next, the start of step <paramref name="nextOrdinal"/> or the job's success, so a
    /// step boundary costs one durable write, not two. The job's success also lets go of its lease.
    /// </summary>
    public Task FinishStepAsync(Guid jobId, string owner, int ordinal, RemovalStepStatus status, string? detail, string? errorId, string? error, IReadOnlyList<CasCleanupItem> remaining,
        CancellationToken ct, int? nextOrdinal = null, bool jobSucceeded = false) =>
        store.WriteAsync((c, t, c2) => FinishStepAsync(c, t, jobId, owner, ordinal, status, detail, errorId, error, remaining, c2, nextOrdinal, jobSucceeded), ct);

    /// <summary>The step's end inside a write of the caller's.</summary>
    public static async Task FinishStepAsync(DbConnection c, DbTransaction t, Guid jobId, string owner, int ordinal, RemovalStepStatus status, string? detail, string? errorId, string? error,
        IReadOnlyList<CasCleanupItem> remaining, CancellationToken c2, int? nextOrdinal = null, bool jobSucceeded = false)
    {
        await AssertLeaseAsync(c, t, jobId, owner, c2).ConfigureAwait(false);
        var now = DateTimeOffset.UtcNow.Iso();
        await c.ExecuteAsync(t,
            "UPDATE removal_steps SET status = $s, finished = $now, detail = $d, error_id = $eid, error = $e WHERE job_id = $j AND ordinal = $o", c2,
            ("$j", jobId.ToString()), ("$o", ordinal), ("$s", status.ToString()), ("$now", now),
            ("$d", detail), ("$eid", errorId), ("$e", error)).ConfigureAwait(false);
        foreach (var item in remaining)
        {
            await AddCleanupAsync(c, t, item, c2).ConfigureAwait(false);
        }

        if (nextOrdinal is int next)
        {
            await StartStepAsync(c, t, jobId, next, now, c2).ConfigureAwait(false);
        }

        if (jobSucceeded)
        {
            await FinishJobAsync(c, t, jobId, RemovalJobStatus.Succeeded, false, null, null, null, c2).ConfigureAwait(false);
            await c.ExecuteAsync(t, "UPDATE removal_jobs SET lease_owner = NULL, lease_expires = NULL WHERE job_id = $j", c2, ("$j", jobId.ToString())).ConfigureAwait(false);
        }
    }

    public static Task AddCleanupAsync(DbConnection c, DbTransaction t, CasCleanupItem item, CancellationToken ct) =>
        c.ExecuteAsync(t,
            "INSERT INTO cleanup_items (job_id, tenant_id, service, kind, name, location, reason, action) VALUES ($j, $t, $s, $k, $n, $l, $r, $a) ON CONFLICT DO NOTHING",
            ct, ("$j", item.JobId.ToString()), ("$t", item.TenantId), ("$s", item.Service.ToString()), ("$k", item.Kind), ("$n", item.Name),
            ("$l", item.Location), ("$r", item.Reason), ("$a", item.Action));

    public static Task SkipRemainingStepsAsync(DbConnection c, DbTransaction t, Guid jobId, int fromOrdinal, string reason, CancellationToken ct) =>
        c.ExecuteAsync(t,
            "UPDATE removal_steps SET status = 'Skipped', detail = $d WHERE job_id = $j AND ordinal >= $o AND status IN ('Pending', 'Running', 'Failed')",
            ct, ("$j", jobId.ToString()), ("$o", fromOrdinal), ("$d", reason));

    public static Task FinishJobAsync(DbConnection c, DbTransaction t, Guid jobId, RemovalJobStatus status, bool forced, string? errorId, string? error, string? recommended, CancellationToken ct) =>
        c.ExecuteAsync(t,
            "UPDATE removal_jobs SET status = $s, forced = $f, finished = $now, error_id = $eid, error = $e, recommended = $r WHERE job_id = $j",
            ct, ("$j", jobId.ToString()), ("$s", status.ToString()), ("$f", forced ? 1 : 0), ("$now", status is RemovalJobStatus.Failed ? null : DateTimeOffset.UtcNow.Iso()),
            ("$eid", errorId), ("$e", error), ("$r", recommended));

    public Task<List<CasCleanupItem>> CleanupItemsAsync(string? tenantId, CasService? service, Guid? jobId, CancellationToken ct) =>
        store.ReadAsync((c, c2) => c.QueryAsync(null,
            """
            SELECT item_id, job_id, tenant_id, service, kind, name, location, reason, action FROM cleanup_items
            WHERE ($t IS NULL OR tenant_id = $t) AND ($s IS NULL OR service = $s) AND ($j IS NULL OR job_id = $j)
            ORDER BY item_id
            """,
            MapItem, c2, ("$t", tenantId), ("$s", service?.ToString()), ("$j", jobId?.ToString())), ct);

    private async Task<List<CasRemovalJob>> QueryJobsAsync(string where, CancellationToken ct, params (string, object?)[] parameters) =>
        await store.ReadAsync(async (c, c2) =>
        {
            var now = await LeaseNowAsync(c, null, clock, c2).ConfigureAwait(false);
            var jobs = await c.QueryAsync(null,
                $"SELECT {JobColumns} FROM removal_jobs j LEFT JOIN tenants t ON t.tenant_id = j.tenant_id WHERE {where} ORDER BY j.created",
                r => (Job: MapJob(r, now), Id: r.Text("job_id")!), c2, parameters).ConfigureAwait(false);
            var result = new List<CasRemovalJob>(jobs.Count);
            foreach (var (job, id) in jobs)
            {
                var steps = await c.QueryAsync(null,
                    "SELECT job_id, ordinal, name, status, started, finished, error_id, error, detail FROM removal_steps WHERE job_id = $j ORDER BY ordinal",
                    r => new CasRemovalStep
                    {
                        JobId = Guid.Parse(r.Text("job_id")!),
                        Ordinal = (int)r.Long("ordinal"),
                        Name = r.Text("name")!,
                        Status = Enum.Parse<RemovalStepStatus>(r.Text("status")!),
                        StartedOn = r.Time("started"),
                        FinishedOn = r.Time("finished"),
                        ErrorId = r.Text("error_id"),
                        Error = r.Text("error"),
                        Detail = r.Text("detail"),
                    }, c2, ("$j", id)).ConfigureAwait(false);
                var items = await c.QueryAsync(null,
                    "SELECT item_id, job_id, tenant_id, service, kind, name, location, reason, action FROM cleanup_items WHERE job_id = $j ORDER BY item_id",
                    MapItem, c2, ("$j", id)).ConfigureAwait(false);
                result.Add(job with { Steps = steps, RemainingChanges = items, EstimatedSecondsRemaining = StepClock.Estimate(job.Status, steps) });
            }

            return result;
        }, ct).ConfigureAwait(false);

    private static CasRemovalJob MapJob(DbDataReader r, DateTimeOffset now) => new()
    {
        JobId = Guid.Parse(r.Text("job_id")!),
        AccountId = Guid.Parse(r.Text("account_id")!),
        TenantId = r.Text("tenant_id")!,
        TenantDomain = r.Text("tenant_domain"),
        Service = Enum.Parse<CasService>(r.Text("service")!),
        AppId = r.Text("app_id"),
        DelegateAccount = r.Text("delegate_account"),
        Status = Enum.Parse<RemovalJobStatus>(r.Text("status")!),
        Forced = r.Long("forced") != 0,
        CreatedOn = r.Time("created")!.Value,
        StartedOn = r.Time("started"),
        FinishedOn = r.Time("finished"),
        ErrorId = r.Text("error_id"),
        Error = r.Text("error"),
        RecommendedAction = r.Text("recommended"),
        // A finished job holds nothing, even when its holder died before letting go of the lease.
        LeaseOwner = r.Text("status") is "Running" or "Pending" && r.Time("lease_expires") is { } until && until > now ? r.Text("lease_owner") : null,
    };

    private static CasCleanupItem MapItem(DbDataReader r) => new()
    {
        ItemId = r.Long("item_id"),
        JobId = Guid.Parse(r.Text("job_id")!),
        TenantId = r.Text("tenant_id")!,
        Service = Enum.Parse<CasService>(r.Text("service")!),
        Kind = r.Text("kind")!,
        Name = r.Text("name")!,
        Location = r.Text("location"),
        Reason = r.Text("reason")!,
        Action = r.Text("action")!,
    };
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
