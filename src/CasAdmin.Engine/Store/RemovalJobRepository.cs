using System.Data.Common;
using CasAdmin.Engine.Accounts;
using CasAdmin.Engine.Deprovisioning;

namespace CasAdmin.Engine.Store;

/// <summary>
/// Removal jobs as they stand: their steps, holders and remaining changes. Only reads: a job is opened and leased by
/// <see cref="RemovalLeaseRepository"/>, and its progress written by its <see cref="RemovalJournal"/>.
/// </summary>
internal sealed class RemovalJobRepository(RegistryStore store, TimeProvider? clock = null)
{
    private readonly TimeProvider clock = clock ?? TimeProvider.System;

    private const string JobColumns = "j.job_id, j.account_id, j.tenant_id, j.service, j.app_id, j.delegate_account, j.status, j.forced, j.created, j.started, j.finished, j.error_id, j.error, j.recommended, j.lease_owner, j.lease_expires, t.domain AS tenant_domain";

    /// <summary>The unfinished job of an account, if any (Pending, Running or Failed).</summary>
    public async Task<CasRemovalJob?> OpenJobAsync(Guid accountId, CancellationToken ct) =>
        (await QueryJobsAsync("j.account_id = $a AND j.status IN ('Pending', 'Running', 'Failed')", ct, ("$a", accountId.ToString())).ConfigureAwait(false)).FirstOrDefault();

    /// <summary>
    /// Which of <paramref name="accountIds"/> are removed with no unfinished job, as another runner leaves them: one
    /// read for a whole tenant's accounts, where asking account by account costs two reads each.
    /// </summary>
    public Task<List<RemovedAccount>> FinishedAmongAsync(IReadOnlyList<Guid> accountIds, CancellationToken ct) =>
        store.ReadAsync(async (c, c2) =>
        {
            var found = new List<RemovedAccount>();

            // Far below either store's limit on parameters per statement.
            foreach (var chunk in accountIds.Chunk(500))
            {
                found.AddRange(await c.QueryAsync(null,
                    $"""
                    SELECT a.account_id, a.service, a.tenant_id, a.tenant_domain FROM accounts_view a
                    WHERE a.account_id IN ({string.Join(", ", chunk.Select((_, i) => $"$a{i}"))}) AND a.status = 'Removed'
                    AND NOT EXISTS (SELECT 1 FROM removal_jobs j WHERE j.account_id = a.account_id AND j.status IN ('Pending', 'Running', 'Failed'))
                    """,
                    r => new RemovedAccount(Guid.Parse(r.Text("account_id")!), Enum.Parse<CasService>(r.Text("service")!), r.Text("tenant_id")!, r.Text("tenant_domain")),
                    c2, chunk.Select((id, i) => ($"$a{i}", (object?)id.ToString())).ToArray()).ConfigureAwait(false));
            }

            return found;
        }, ct);

    public async Task<CasRemovalJob?> GetAsync(Guid jobId, CancellationToken ct) =>
        (await QueryJobsAsync("j.job_id = $j", ct, ("$j", jobId.ToString())).ConfigureAwait(false)).FirstOrDefault();

    public Task<List<CasRemovalJob>> ListAsync(Guid? jobId, Guid? accountId, string? tenantId, RemovalJobStatus? status, CancellationToken ct) =>
        QueryJobsAsync(
            "($j IS NULL OR j.job_id = $j) AND ($a IS NULL OR j.account_id = $a) AND ($t IS NULL OR j.tenant_id = $t OR t.domain = $t) AND ($s IS NULL OR j.status = $s)",
            ct, ("$j", jobId?.ToString()), ("$a", accountId?.ToString()), ("$t", tenantId), ("$s", status?.ToString()));

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
            // The lease clock as a column of the query itself (see LeaseClock.Column), not a statement of its own.
            var jobs = await c.QueryAsync(null,
                $"SELECT {JobColumns}, {LeaseClock.Column(c)} FROM removal_jobs j LEFT JOIN tenants t ON t.tenant_id = j.tenant_id WHERE {where} ORDER BY j.created",
                r => (Job: MapJob(r, LeaseClock.Read(r, clock)), Id: r.Text("job_id")!), c2, parameters).ConfigureAwait(false);
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
                result.Add(job with { Steps = steps, RemainingChanges = items });
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

/// <summary>An account whose removal has finished (see <see cref="RemovalJobRepository.FinishedAmongAsync"/>).</summary>
internal sealed record RemovedAccount(Guid AccountId, CasService Service, string TenantId, string? TenantDomain);
