using System.Globalization;
using CasAdmin.Engine;
using CasAdmin.Engine.Accounts;
using CasAdmin.Engine.Connections;
using CasAdmin.Engine.Deprovisioning;
using CasAdmin.Engine.Graph;
using CasAdmin.Engine.Operations;
using CasAdmin.Engine.Store;
using CasAdmin.Sandbox;
using CasAdmin.Testing;

namespace CasAdmin.Bench;

/// <summary>
/// Bulk removal of 1,000 accounts across 50 tenants at the documented limits (scaled), against a sequential
/// one-at-a-time baseline in the same run on the same (reset) tenants.
/// </summary>
internal static class DeprovisionBench
{
    private const int Tenants = 50;
    private const int AccountsPerTenant = 20;
    private const double Scale = 0.03;
    private const int LatencyMs = 3;
    private const int Parallel = 64;

    // Rounds of jobs the runners run before the measured run, not counted. Tiered compilation starts counting calls
    // only once startup's compiling calms down, and with dynamic PGO promotes a method twice, 30 calls each: measured,
    // one round of 20 jobs left the JIT compiling about 3,500 methods in the measured run, three such rounds 2,600.
    // Each round is as many accounts as the whole run has jobs at once (so the registry pools grow to size too), and
    // every runner is offered all of them, each in its own order, as in the measured run: with several runners, the
    // paths of meeting another runner's job (in progress, already removed) are warm too, not only the job's own.
    //
    // Rounds per runner: runners sharing the registry split each round's tenants (their claims), so a runner does about
    // 1/N of a round's jobs, and the JIT counts calls per process; N runners need N times the rounds to warm up as far.
    private const int WarmUpRounds = 5;

    public static async Task<int> RunAsync(string[] args)
    {
        var storeKind = Option(args, "--store") ?? "sqlite";
        var runners = int.Parse(Option(args, "--runners") ?? "1", CultureInfo.InvariantCulture);
        if (storeKind is not ("sqlite" or "postgres") || runners < 1 || (storeKind == "sqlite" && runners != 1))
        {
            Console.Error.WriteLine("usage: CasAdmin.Bench deprovision [--store sqlite|postgres] [--runners N (postgres)] [--pg \"Host=…;Database=…;Username=…\" (else a throwaway server)]");
            return 2;
        }

        // Tenants more than measured: their accounts are the warm-up, removed before the measured run through the same
        // code path (the JIT compiles it, the registry's connections are pooled), counted nowhere.
        var warmUpTenantsPerRound = (Parallel + AccountsPerTenant - 1) / AccountsPerTenant;
        var warmUpTenantCount = WarmUpRounds * runners * warmUpTenantsPerRound;
        await using var sandbox = await SandboxHost.StartAsync(new SandboxOptions
        {
            Scenario = $"generated:tenants={Tenants + warmUpTenantCount},users=10,chats=10,accounts={AccountsPerTenant},seed=5",
        });
        var warmUpTenants = sandbox.Tenants.Skip(Tenants).Select(t => t.TenantId).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var folder = Path.Combine(Path.GetTempPath(), "casadmin-bench", Guid.NewGuid().ToString("N"));
        var engine = new CasEngine(NoSecretVault.Instance);

        // Setup (not measured): one connection per tenant, every seeded account registered once, registry copied.
        var connections = new Dictionary<string, CasConnection>();
        var seqStore = Path.Combine(folder, "sequential.db");
        foreach (var tenant in sandbox.Tenants)
        {
            connections[tenant.TenantId] = await engine.Connections.ConnectAsync(new ConnectionRequest
            {
                Mode = SignInMode.ClientSecret, Tenant = tenant.TenantId, ClientId = tenant.AdminAppId, ClientSecret = CasAdmin.Engine.Store.SecureStrings.Protect(tenant.AdminAppSecret),
                Environment = CasCloud.Sandbox, SandboxUrl = sandbox.Url, SandboxThumbprint = sandbox.Thumbprint, StorePath = seqStore,
            }, NullOperationObserver.Instance, CancellationToken.None);
        }

        var accounts = new List<CasServiceAccount>();
        var warmUpConnections = connections.Where(c => warmUpTenants.Contains(c.Key)).ToDictionary(c => c.Key, c => c.Value, StringComparer.OrdinalIgnoreCase);
        foreach (var tenant in warmUpTenants)
        {
            connections.Remove(tenant);
        }

        foreach (var connection in connections.Values.Concat(warmUpConnections.Values))
        {
            // Exactly AccountsPerTenant per tenant: the vendor principals (the delegate users found too are left out).
            foreach (var c in (await engine.Accounts.FindAsync(connection, null, NullOperationObserver.Instance, CancellationToken.None)).Where(c => c.AppId is not null).Take(AccountsPerTenant))
            {
                if (c.Service is { } service)
                {
                    accounts.Add(await engine.Accounts.RegisterAsync(connection, new RegisterAccountRequest
                    {
                        Service = service, Kind = c.Kind, AppId = c.AppId, DelegateAccount = c.DelegateAccount, DisplayName = c.DisplayName, IsLegacy = c.IsLegacy,
                    }, NullOperationObserver.Instance, CancellationToken.None));
                }
            }
        }

        RegistryStore.Forget(seqStore);
        var parStore = Path.Combine(folder, "parallel.db");
        File.Copy(seqStore, parStore);
        var warmUpAccounts = accounts.Where(a => warmUpTenants.Contains(a.TenantId)).ToList();
        accounts.RemoveAll(a => warmUpTenants.Contains(a.TenantId));

        // The shared registry: its own server unless one is given, the same accounts registered in it. The throwaway
        // server loads pg_stat_statements (the statements per job are its count) and lends its postmaster to /proc.
        await using var cluster = storeKind == "postgres" && Option(args, "--pg") is null ? await PostgresCluster.StartAsync() : null;
        var sharedAccounts = new List<CasServiceAccount>();
        var sharedWarmUp = new List<CasServiceAccount>();
        PgStats? pg = null;
        if (storeKind == "postgres")
        {
            if (cluster is not null)
            {
                pg = await PgStats.LoadAsync(cluster);
                Console.Error.WriteLine($"  postgres: postmaster pid {cluster.PostmasterPid}");
            }

            parStore = Option(args, "--pg") ?? cluster!.ConnectionString(await cluster.CreateDatabaseAsync());
            foreach (var a in accounts.Concat(warmUpAccounts))
            {
                var registered = await engine.Accounts.RegisterAsync(With(warmUpConnections.GetValueOrDefault(a.TenantId) ?? connections[a.TenantId], parStore), new RegisterAccountRequest
                {
                    Service = a.Service, Kind = a.Kind, AppId = a.AppId, DelegateAccount = a.DelegateAccount, DisplayName = a.DisplayName, IsLegacy = a.IsLegacy,
                }, NullOperationObserver.Instance, CancellationToken.None);
                (warmUpTenants.Contains(a.TenantId) ? sharedWarmUp : sharedAccounts).Add(registered);
            }
        }

        var options = new RemovalOptions { RemoveDelegateAccount = true, Force = true };

        // This process warms up too (it runs the sequential baseline, and the parallel run on SQLite): the warm-up
        // tenants' accounts in the sequential registry (the parallel one is a copy taken before, where they stay), at
        // the documented limits (scale 1: the warm-up is not throttled down to the measured scale).
        foreach (var round in warmUpTenants.Chunk((Parallel + AccountsPerTenant - 1) / AccountsPerTenant).Take(WarmUpRounds))
        {
            await engine.Deprovisioning.RemoveAsync(await TargetsAsync(engine, warmUpAccounts.Where(a => round.Contains(a.TenantId)), a => With(warmUpConnections[a.TenantId], seqStore)),
                options with { ThrottleLimit = Parallel }, NullOperationObserver.Instance, CancellationToken.None);
            await Task.Delay(1_000);
        }

        // Baseline: one account at a time.
        await sandbox.Control.SetLatencyAsync(LatencyMs);
        await sandbox.Control.SetThrottlingAsync(scale: Scale);
        // CASBENCH_NO_BASELINE=1 skips it while tuning (the speedup then reads 0).
        var sequential = Environment.GetEnvironmentVariable("CASBENCH_NO_BASELINE") == "1"
            ? new Measured(0, 0, 0, [])
            : await MeasureAsync(sandbox, engine, connections, accounts, seqStore, options with { ThrottleLimit = 1 });

        // The real run, on the tenants as they were.
        await sandbox.Control.ResetAsync();
        await sandbox.Control.SetLatencyAsync(LatencyMs);
        await sandbox.Control.SetThrottlingAsync(scale: Scale);
        var pausedBefore = connections.ToDictionary(c => c.Key, c => c.Value.Context.Graph.Pacer.Paused);
        var removedTwice = 0;
        Measured parallel;
        if (storeKind == "postgres")
        {
            (parallel, removedTwice) = await MeasureRunnersAsync(sandbox, sharedAccounts, sharedWarmUp, warmUpTenantsPerRound, parStore, runners, folder, pg);
            accounts = sharedAccounts;
        }
        else
        {
            parallel = await MeasureAsync(sandbox, engine, connections, accounts, parStore, options with { ThrottleLimit = Parallel });
        }

        // Seconds each tenant's requests stood still on Retry-After (measured by this process's pacers: one runner only).
        var paused = connections.Select(c => (c.Value.Context.Graph.Pacer.Paused - pausedBefore[c.Key]).TotalSeconds).ToArray();

        var stats = await sandbox.Control.GetStatsAsync();
        var ideal = IdealSeconds(parallel.Timeline, parallel.Calls);
        var eta = ideal / parallel.Seconds;
        var cost = parallel.Cost ?? Cost.Unknown;
        if (Environment.GetEnvironmentVariable("CASBENCH_DIAG") == "1")
        {
            var start = parallel.Timeline.Min(t => t.ArrivalMs);
            var spans = parallel.Timeline.Where(t => t.TenantId is not null).GroupBy(t => t.TenantId).Select(g =>
            {
                var ordered = g.OrderBy(t => t.ArrivalMs).ToArray();
                var gaps = ordered.Zip(ordered.Skip(1), (a, b) => b.ArrivalMs - a.ArrivalMs).Where(d => d > 300).ToArray();
                var answered = ordered.Where(t => t.Status is not (429 or 0)).ToArray();
                var own = Common.BucketTime(answered.Sum(t => t.Cost), 3_500 * Scale, 350 * Scale);
                return (First: (ordered[0].ArrivalMs - start) / 1000, Last: (ordered[^1].ArrivalMs - start) / 1000, Gaps: gaps.Length, GapSeconds: gaps.Sum() / 1000, Throttled: ordered.Count(t => t.Status == 429),
                    Own: own, EndLevel: ordered[^1].BucketLevel, MeanLevel: ordered.Average(t => t.BucketLevel));
            }).OrderBy(x => x.Last).ToArray();
            var slowest = parallel.Timeline.Where(t => t.TenantId is not null).GroupBy(t => t.TenantId).MaxBy(g => g.Max(t => t.ArrivalMs))!.OrderBy(t => t.ArrivalMs).ToArray();
            foreach (var second in slowest.GroupBy(t => (int)((t.ArrivalMs - start) / 1000)))
            {
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  slowest @{second.Key,2}s: requests={second.Count(),3} 429s={second.Count(t => t.Status == 429)} cost={second.Where(t => t.Status != 429).Sum(t => t.Cost),3} level {second.Min(t => t.BucketLevel):0}..{second.Max(t => t.BucketLevel):0}"));
            }

            if (Environment.GetEnvironmentVariable("CASBENCH_DIAG_TAIL") == "1")
            {
                foreach (var t in slowest.TakeLast(60))
                {
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  tail {(t.ArrivalMs - start) / 1000:0.000} {t.Method} {t.Path} {t.Status} level {t.BucketLevel:0}"));
                }
            }

            var intervals = connections.Values.Select(c => c.Context.Graph.Pacer.Interval.TotalMilliseconds).Order().ToArray();
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  pacer intervals ms: min {intervals[0]:0} median {intervals[intervals.Length / 2]:0} max {intervals[^1]:0}"));
            foreach (var x in spans.Where((_, i) => i % 10 == 0 || i == spans.Length - 1))
            {
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  tenant span {x.First:0.0}-{x.Last:0.0}s gaps>0.3s={x.Gaps} ({x.GapSeconds:0.0}s) 429s={x.Throttled} own_ideal={x.Own:0.0}s end_level={x.EndLevel:0} mean_level={x.MeanLevel:0}"));
            }
        }

        var perTenant = connections.Values.Select(c => stats.For(c.AppId!, c.TenantId)).OfType<ClientStats>().ToArray();
        Console.Error.WriteLine($"  admin app ids: {connections.Values.Select(c => c.AppId).Distinct().Count()} distinct over {connections.Count} tenants");
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  per tenant: writes max {perTenant.Max(c => c.Writes)}, RU max {perTenant.Max(c => c.ResourceUnits)}, requests max {perTenant.Max(c => c.Requests)}"));
        await sandbox.Control.SetThrottlingAsync(scale: 1.0);
        var diff = await StateDiffAsync(engine, connections, accounts, parStore);
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  detail: sequential={sequential.Seconds:0.0}s parallel={parallel.Seconds:0.0}s T_ideal={ideal:0.0}s calls={parallel.Calls} 429s={stats.Totals.TooManyRequests} premature_resends={stats.Totals.PrematureResends} failed={parallel.Failed} eta={eta:0.000} scale={Scale} latency={LatencyMs}ms host_cpu_busy={parallel.CpuBusy:0.00} ({Environment.ProcessorCount} cores) {cost.Describe(accounts.Count)}"));
        if (cost.TopStatements.Count > 0)
        {
            foreach (var (calls, query) in cost.TopStatements)
            {
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  statement: {calls / (double)accounts.Count,6:0.00}/job  {query}"));
            }
        }
        if (storeKind == "postgres")
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"deprovision store=postgres runners={runners} eta={eta:0.00} accounts={accounts.Count} tenants={connections.Count} speedup_vs_sequential={sequential.Seconds / parallel.Seconds:0.0} premature_retries={stats.Totals.PrematureRetries} 429s={parallel.Timeline.Count(t => t.Status == 429)} requests={parallel.Timeline.Count} duplicates={Duplicates(stats) + removedTwice} state_diff={diff}"));
        }
        else
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"deprovision eta={eta:0.00} accounts={accounts.Count} tenants={connections.Count} speedup_vs_sequential={sequential.Seconds / parallel.Seconds:0.0} premature_retries={stats.Totals.PrematureRetries} 429s={parallel.Timeline.Count(t => t.Status == 429)} requests={parallel.Timeline.Count} duplicates={Duplicates(stats)} state_diff={diff} retry_after_pause_s_per_tenant=mean:{paused.Average():0.0},max:{paused.Max():0.0}"));
        }

        return 0;
    }

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    /// <summary>The runner processes' side: <c>deprovision-runner PLAN</c>.</summary>
    public static Task<int> RunnerAsync(string[] args) => BulkRunner.RunAsync(args[0], Console.Out);

    /// <summary>
    /// Several runner processes (this program, <c>deprovision-runner</c>) remove every account through one shared registry,
    /// each offered every account in its own order, all starting together once every one has signed in; returns the measure and how many accounts two runners both reported removed.
    /// </summary>
    private static async Task<(Measured, int)> MeasureRunnersAsync(SandboxHost sandbox, List<CasServiceAccount> accounts, List<CasServiceAccount> warmUp, int warmUpTenantsPerRound, string store, int runners, string folder, PgStats? pg)
    {
        // The runners' CPU time reaches this process's "children" times once each has exited and been waited for.
        var childrenBefore = ProcCpu.ChildrenTicks(Environment.ProcessId);

        // The runners sign in and warm up at the documented limits; the measured scale is set at GO.
        await sandbox.Control.SetThrottlingAsync(scale: 1.0);
        var secrets = System.Text.Json.JsonSerializer.Serialize(sandbox.Tenants.ToDictionary(t => t.TenantId, t => t.AdminAppSecret));
        var removed = new List<Guid>();
        var processes = new List<System.Diagnostics.Process>();
        var ready = 0;
        long jitLines = 0, jitMethods = 0, jitMs = 0;
        var allReady = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        for (var n = 0; n < runners; n++)
        {
            var plan = Path.Combine(folder, $"runner-{n}.json");
            await File.WriteAllTextAsync(plan, System.Text.Json.JsonSerializer.Serialize(new RunnerPlan(sandbox.Url.AbsoluteUri, sandbox.Thumbprint, store,
                sandbox.Tenants.Take(Tenants).Select(t => new RunnerTenant(t.TenantId, t.AdminAppId, accounts.Where(a => a.TenantId == t.TenantId).Select(a => a.AccountId).ToList())).ToList(),
                ThrottleLimit: Math.Max(1, Parallel / runners), Seed: n + 1, WaitForGo: true,
                WarmUp: sandbox.Tenants.Skip(Tenants)
                    .Select(t => new RunnerTenant(t.TenantId, t.AdminAppId, warmUp.Where(a => a.TenantId == t.TenantId).Select(a => a.AccountId).ToList()))
                    .Chunk(warmUpTenantsPerRound).Select(round => (IReadOnlyList<RunnerTenant>)round).ToList())));
            var self = Environment.ProcessPath!;
            var info = new System.Diagnostics.ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
            if (Path.GetFileNameWithoutExtension(self) == "dotnet")
            {
                info.ArgumentList.Add(typeof(DeprovisionBench).Assembly.Location);
            }

            info.ArgumentList.Add("deprovision-runner");
            info.ArgumentList.Add(plan);
            info.Environment[BulkRunner.SecretsVariable] = secrets;
            if (Environment.GetEnvironmentVariable("CASBENCH_JIT_LOG") is { Length: > 0 } jitLog)
            {
                // Every method each runner compiles, in order, with its tier (the runtime's own list): the lines after
                // the count the runner printed at READY are what the measured run still compiled.
                info.Environment["DOTNET_JitStdOutFile"] = $"{jitLog}-{n}.txt";
                info.Environment["DOTNET_JitDisasmSummary"] = "1";
            }
            var process = System.Diagnostics.Process.Start(info)!;
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data == "READY" && Interlocked.Increment(ref ready) == runners)
                {
                    allReady.TrySetResult();
                }
                else if (e.Data is { } line && line.StartsWith("REMOVED ", StringComparison.Ordinal))
                {
                    lock (removed)
                    {
                        removed.Add(Guid.Parse(line["REMOVED ".Length..]));
                    }
                }
                else if (e.Data is { } jit && jit.StartsWith("JIT ", StringComparison.Ordinal))
                {
                    // Printed at READY and at the end: the difference is what the JIT still compiled in the measured run.
                    var parts = jit.Split(' ');
                    var sign = Interlocked.Increment(ref jitLines) <= runners ? -1 : 1;
                    Interlocked.Add(ref jitMethods, sign * long.Parse(parts[1], CultureInfo.InvariantCulture));
                    Interlocked.Add(ref jitMs, sign * long.Parse(parts[2], CultureInfo.InvariantCulture));
                }
                else if (e.Data is { } other && other.StartsWith("FAILED", StringComparison.Ordinal))
                {
                    Console.Error.WriteLine("  runner: " + other);
                }
            };
            process.BeginOutputReadLine();
            processes.Add(process);
        }

        // Every runner has started, signed in to every tenant and warmed up: the measured removal starts now, for all at
        // once, at the measured scale (a new scale starts every tenant's buckets full, as the reset before did).
        await allReady.Task.WaitAsync(TimeSpan.FromMinutes(5));
        await sandbox.Control.SetThrottlingAsync(scale: Scale);
        if (pg is not null)
        {
            // The warm-up's statistics reach pg_stat_database when each backend next reports (at most 10 s after it went
            // idle): wait them out, so the measured transactions are the measured run's.
            await Task.Delay(PgStats.Settle);
        }

        var before = (await sandbox.Control.GetTimelineAsync()).Count;
        var pgBefore = pg is null ? null : await pg.SnapshotAsync(store);
        await Task.Delay(200); // the statistics connection's backend has ended
        var runnersAtGo = processes.Sum(p => ProcCpu.Ticks(p.Id));
        var ownTicks = ProcCpu.Ticks(Environment.ProcessId);
        var server = pg?.ServerTicks();
        var cpu = HostCpu.Read();
        foreach (var process in processes)
        {
            await process.StandardInput.WriteLineAsync("GO");
            await process.StandardInput.FlushAsync();
        }

        foreach (var process in processes)
        {
            await process.WaitForExitAsync();
            process.Dispose();
        }

        var cpuBusy = HostCpu.BusyShare(cpu, HostCpu.Read());
        var selfTicks = ProcCpu.Ticks(Environment.ProcessId) - ownTicks;
        var runnerTicks = ProcCpu.ChildrenTicks(Environment.ProcessId) - childrenBefore - runnersAtGo;

        // The runners' backends end with them (and then report their statistics): give them a moment.
        await Task.Delay(1_000);
        var serverTicks = pg?.ServerTicks() - server;
        var hostTicks = HostCpu.Delta(cpu, HostCpu.Read());
        var cost = pg is null
            ? new Cost(runnerTicks, selfTicks, true, null, hostTicks, null, null, "none (not the throwaway server)", [])
            : await pg.CostAsync(store, pgBefore!, runnerTicks, selfTicks, serverTicks, hostTicks);
        cost = cost with { RunnerJit = (Interlocked.Read(ref jitMethods), Interlocked.Read(ref jitMs)) };

        var timeline = (await sandbox.Control.GetTimelineAsync()).Skip(before).Where(t => t.Path.StartsWith("/v1.0/", StringComparison.Ordinal)).ToArray();
        var seconds = (timeline.Max(t => t.ArrivalMs) - timeline.Min(t => t.ArrivalMs)) / 1000.0;
        var failed = accounts.Count - removed.Distinct().Count();
        return (new Measured(seconds, timeline.Count(t => t.Status is >= 200 and < 300 or 404), failed, timeline, cpuBusy, cost), removed.Count - removed.Distinct().Count());
    }

    private sealed record Measured(double Seconds, int Calls, int Failed, IReadOnlyList<TimelineEntry> Timeline, double CpuBusy = double.NaN, Cost? Cost = null);

    private static async Task<Measured> MeasureAsync(SandboxHost sandbox, CasEngine engine, Dictionary<string, CasConnection> connections, List<CasServiceAccount> accounts, string store, RemovalOptions options)
    {
        var targets = await TargetsAsync(engine, accounts, a => With(connections[a.TenantId], store));
        var before = (await sandbox.Control.GetTimelineAsync()).Count;
        var cpu = HostCpu.Read();
        var self = ProcCpu.Ticks(Environment.ProcessId);
        var (statements, commits) = (Interlocked.Read(ref StoreCounters.Statements), Interlocked.Read(ref StoreCounters.Commits));
        var results = await engine.Deprovisioning.RemoveAsync(targets, options, NullOperationObserver.Instance, CancellationToken.None);
        var cost = new Cost(Runners: null, Self: ProcCpu.Ticks(Environment.ProcessId) - self, SelfIsSandboxOnly: false, Postgres: null, HostCpu.Delta(cpu, HostCpu.Read()),
            Interlocked.Read(ref StoreCounters.Statements) - statements, Interlocked.Read(ref StoreCounters.Commits) - commits, "engine (statements run, group commits)", []);
        var cpuBusy = HostCpu.BusyShare(cpu, HostCpu.Read());
        var timeline = (await sandbox.Control.GetTimelineAsync()).Skip(before).Where(t => t.Path.StartsWith("/v1.0/", StringComparison.Ordinal)).ToArray();
        var seconds = (timeline.Max(t => t.ArrivalMs) - timeline.Min(t => t.ArrivalMs)) / 1000.0;
        return new Measured(seconds, timeline.Count(t => t.Status is >= 200 and < 300 or 404), results.Count(r => !r.Succeeded), timeline, cpuBusy, cost);
    }

    /// <summary>Each account as a removal target, resolved through the engine's tenant resolver as a cmdlet resolves it.</summary>
    private static async Task<IReadOnlyList<RemovalTarget>> TargetsAsync(CasEngine engine, IEnumerable<CasServiceAccount> accounts, Func<CasServiceAccount, CasConnection> connection)
    {
        var targets = new List<RemovalTarget>();
        foreach (var a in accounts)
        {
            targets.Add(await RemovalTarget.ResolveAsync(engine.Tenants, connection(a), a.AccountId, confirmed: true));
        }

        return targets;
    }

    /// <summary>The same connection, pointed at another registry (each run has its own copy).</summary>
    private static CasConnection With(CasConnection connection, string store)
    {
        connection.StorePath = store;
        return connection;
    }

    /// <summary>
    /// T_ideal = max over the tenants' buckets of (W − C)/r (tenants run in parallel) and of the latency-bound time
    /// (calls × latency / concurrency); every capacity and rate is the documented one times the scale. W is the work a
    /// perfect client needs — the requests that were answered — not what throttled attempts also consumed.
    /// </summary>
    private static double IdealSeconds(IReadOnlyList<TimelineEntry> timeline, int calls)
    {
        var worst = 0.0;
        foreach (var client in timeline.Where(t => t.Status is not (429 or 0) && t.TenantId is not null).GroupBy(t => (t.AppId, t.TenantId)))
        {
            // Tenants of fewer than 50 users: 3,500 RU per 10 s; writes 3,000 per 150 s (learn.microsoft.com/graph/throttling-limits).
            var ru = Common.BucketTime(client.Sum(t => t.Cost), 3_500 * Scale, 350 * Scale);
            var writes = Common.BucketTime(client.Count(t => t.Method is "POST" or "PATCH" or "PUT" or "DELETE"), 3_000 * Scale, 20 * Scale);
            worst = Math.Max(worst, Math.Max(ru, writes));
        }

        return Math.Max(worst, calls * (LatencyMs / 1000.0) / Parallel);
    }

    private static long Duplicates(SandboxStats stats) => stats.Totals.DuplicateCreates;

    /// <summary>Accounts whose registry row and tenant objects disagree with "removed".</summary>
    private static async Task<int> StateDiffAsync(CasEngine engine, Dictionary<string, CasConnection> connections, List<CasServiceAccount> accounts, string store)
    {
        var diff = 0;
        var registry = (await engine.Accounts.GetAsync(store, null, null, null, true, CancellationToken.None)).ToDictionary(a => a.AccountId);
        foreach (var a in accounts)
        {
            var c = connections[a.TenantId];
            var directory = new DirectoryClient(c.Context.Graph, c.Permissions);
            var principalLeft = a.AppId is not null && await directory.FindServicePrincipalAsync(a.AppId, CancellationToken.None) is not null;
            var userLeft = a.DelegateAccount is not null && await directory.FindUserAsync(a.DelegateAccount, CancellationToken.None) is not null;
            if (principalLeft || userLeft || registry[a.AccountId].Status != ServiceAccountStatus.Removed)
            {
                diff++;
                Console.Error.WriteLine($"  differs: {a.Service} {a.TenantDomain} {a.AppId ?? a.DelegateAccount}: principal left={principalLeft} user left={userLeft} registry={registry[a.AccountId].Status}");
            }
        }

        return diff;
    }
}

/// <summary>
/// How busy the whole machine's processors were over the measured run (Linux <c>/proc/stat</c>; NaN elsewhere): near
/// 1.0 means the runners, the sandbox and the database shared too few cores, and the run measured them, not the limits.
/// </summary>
internal static class HostCpu
{
    public static (long Busy, long Total)? Read()
    {
        if (!File.Exists("/proc/stat"))
        {
            return null;
        }

        // "cpu  user nice system idle iowait irq softirq steal …": idle and iowait are the idle time.
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(long.Parse).ToArray();
        var total = fields.Sum();
        return (total - fields[3] - fields[4], total);
    }

    /// <summary>Processor time the whole machine spent busy, and in all, between two reads (clock ticks summed over every core).</summary>
    public static (long Busy, long Total)? Delta((long Busy, long Total)? before, (long Busy, long Total)? after) =>
        before is { } b && after is { } a ? (a.Busy - b.Busy, a.Total - b.Total) : null;

    public static double BusyShare((long Busy, long Total)? before, (long Busy, long Total)? after) =>
        before is { } b && after is { } a && a.Total > b.Total ? (a.Busy - b.Busy) / (double)(a.Total - b.Total) : double.NaN;
}
