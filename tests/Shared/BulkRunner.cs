using System.Text.Json;
using CasAdmin.Engine;
using CasAdmin.Engine.Connections;
using CasAdmin.Engine.Deprovisioning;
using CasAdmin.Engine.Errors;
using CasAdmin.Engine.Operations;
using CasAdmin.Engine.Store;

namespace CasAdmin.Testing;

/// <summary>
/// What one runner process removes: every account of every tenant listed, against one shared registry. With WaitForGo it
/// connects first, prints "READY", then waits for a line on standard input before removing anything (a benchmark's start
/// line: it measures the removal, not each process's start and sign-ins). WarmUp is rounds of accounts of other tenants,
/// removed before "READY" through the same code path and registry, each round followed by a pause until the JIT has
/// finished compiling what the round made hot: a benchmark then measures a warm runner (code compiled, registry
/// connections pooled), not the JIT. The warm-up is not reported.
/// </summary>
public sealed record RunnerPlan(string SandboxUrl, string Thumbprint, string Store, IReadOnlyList<RunnerTenant> Tenants, int ThrottleLimit, int Seed, bool WaitForGo = false,
    IReadOnlyList<IReadOnlyList<RunnerTenant>>? WarmUp = null);

public sealed record RunnerTenant(string TenantId, string AdminAppId, IReadOnlyList<Guid> Accounts);

/// <summary>
/// One of several runner processes sharing a registry, as automation workers do: it offers every account of the plan
/// to the engine, in its own order, and again later for each one another runner held (RemovalInProgress), lost
/// (LeaseLost) or could not record (a registry restarting), until every account is removed by someone. It prints
/// "REMOVED {account}" for each job it finished itself and "DONE" at the end. The admin apps' secrets come from the
/// environment (<see cref="SecretsVariable"/>, JSON tenant id → secret), never from the command line.
/// </summary>
public static class BulkRunner
{
    public const string SecretsVariable = "CASADMIN_RUNNER_SECRETS";

    private static readonly string[] TryAgain = [ErrorIds.RemovalInProgress, ErrorIds.LeaseLost, ErrorIds.StoreUnavailable, ErrorIds.RemovalFailed];

    public static async Task<int> RunAsync(string planFile, TextWriter output)
    {
        var plan = JsonSerializer.Deserialize<RunnerPlan>(await File.ReadAllTextAsync(planFile))!;
        var secrets = JsonSerializer.Deserialize<Dictionary<string, string>>(Environment.GetEnvironmentVariable(SecretsVariable)
            ?? throw new ArgumentException($"The {SecretsVariable} environment variable is required."))!;
        var engine = new CasEngine(new InMemorySecretVault());
        async Task<List<RemovalTarget>> ConnectAsync(RunnerTenant tenant)
        {
            var connection = await engine.Connections.ConnectAsync(new ConnectionRequest
            {
                Mode = SignInMode.ClientSecret, Tenant = tenant.TenantId, ClientId = tenant.AdminAppId, ClientSecret = SecureStrings.Protect(secrets[tenant.TenantId]),
                Environment = CasCloud.Sandbox, SandboxUrl = new Uri(plan.SandboxUrl), SandboxThumbprint = plan.Thumbprint, StorePath = plan.Store,
            }, NullOperationObserver.Instance, CancellationToken.None);
            var resolved = new List<RemovalTarget>();
            foreach (var account in tenant.Accounts)
            {
                resolved.Add(await RemovalTarget.ResolveAsync(engine.Tenants, connection, account, confirmed: true));
            }

            return resolved;
        }

        var targets = new List<RemovalTarget>();
        foreach (var tenant in plan.Tenants)
        {
            targets.AddRange(await ConnectAsync(tenant));
        }

        var options = new RemovalOptions { ThrottleLimit = plan.ThrottleLimit, RemoveDelegateAccount = true, LeaseDuration = TimeSpan.FromSeconds(30) };
        foreach (var round in plan.WarmUp ?? [])
        {
            var warmUp = new List<RemovalTarget>();
            foreach (var tenant in round)
            {
                warmUp.AddRange(await ConnectAsync(tenant));
            }

            await RemoveAllAsync(engine, warmUp, options, plan.Seed, TextWriter.Null);

            // Tiered compilation counts calls only once no new method has been compiled for a moment, then recompiles
            // the hot ones in the background (twice with dynamic PGO): a pause lets both happen before the next round.
            await JitQuietAsync();
        }

        if (plan.WaitForGo)
        {
            // For the benchmark: how much the JIT compiled so far, to tell how much of it the measured run still pays.
            output.WriteLine(Jit());
            output.WriteLine("READY");
            output.Flush();
            await Console.In.ReadLineAsync();
        }

        await RemoveAllAsync(engine, targets, options, plan.Seed, output);
        if (plan.WaitForGo)
        {
            output.WriteLine(Jit());
        }

        output.WriteLine("DONE");
        output.Flush();
        return 0;
    }

    /// <summary>Waits until the JIT has compiled nothing for half a second (ten seconds at most).</summary>
    private static async Task JitQuietAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        var count = System.Runtime.JitInfo.GetCompiledMethodCount();
        while (DateTime.UtcNow < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(500));
            var now = System.Runtime.JitInfo.GetCompiledMethodCount();
            if (now == count)
            {
                return;
            }

            count = now;
        }
    }

    /// <summary>"JIT {methods compiled} {milliseconds compiling}" of this process so far.</summary>
    private static string Jit() => FormattableString.Invariant(
        $"JIT {System.Runtime.JitInfo.GetCompiledMethodCount()} {System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds:0}");

    private static async Task RemoveAllAsync(CasEngine engine, List<RemovalTarget> targets, RemovalOptions options, int seed, TextWriter output)
    {
        // Each runner its own order, so that the runners meet on some jobs and not on others.
        var random = new Random(seed);
        var pending = targets.OrderBy(_ => random.Next()).ToList();
        for (var round = 0; pending.Count > 0; round++)
        {
            var results = await engine.Deprovisioning.RemoveAsync(pending, options, NullOperationObserver.Instance, CancellationToken.None);
            var again = new List<RemovalTarget>();
            for (var i = 0; i < results.Count; i++)
            {
                var r = results[i];
                if (r.Succeeded)
                {
                    output.WriteLine($"REMOVED {r.AccountId}");
                }
                else if (r.Error?.ErrorId == ErrorIds.AlreadyRemoved)
                {
                    // Another runner finished it.
                }
                else if (TryAgain.Contains(r.Error?.ErrorId ?? r.Job?.ErrorId) || r.Job?.Status == RemovalJobStatus.Failed)
                {
                    again.Add(pending[i]);
                }
                else
                {
                    output.WriteLine($"FAILED {r.AccountId} {r.Error?.ErrorId ?? r.Job?.ErrorId} {r.Error?.Message ?? r.Job?.Error}");
                }
            }

            output.Flush();
            pending = again;
            if (pending.Count > 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(2_000, 200 * (round + 1))));
            }
        }
    }
}
