using CasAdmin.Sandbox.Control;
using CasAdmin.Sandbox.Faults;
using CasAdmin.Sandbox.Graph;
using CasAdmin.Sandbox.Identity;
using CasAdmin.Sandbox.Scenarios;
using CasAdmin.Sandbox.Tenants;
using CasAdmin.Sandbox.Throttling;

namespace CasAdmin.Sandbox.Hosting;

/// <summary>The composition root: every piece of sandbox state, shared by the identity, Graph and control endpoints.</summary>
internal sealed class SandboxRuntime : IDisposable
{
    private readonly ScenarioDocument _scenario;
    private volatile TenantStore _store;

    public SandboxRuntime(SandboxOptions options, TimeProvider time)
    {
        Options = options;
        Time = time;
        _scenario = ScenarioLoader.Resolve(options.Scenario);
        _store = new TenantStore(ScenarioLoader.Build(_scenario));
        Throttler = new Throttler(time);
        Throttler.Reset(options.Scale);
        Ledger = new RetryAfterLedger(time);
        Stats = new StatsCollector(time);
        Graph = GraphRouter.CreateDefault();
        Replication = new ReplicationLag(options.ReplicationLagMs);
    }

    public SandboxOptions Options { get; }
    public TimeProvider Time { get; }
    public TenantStore Store => _store;
    public TokenIssuer Tokens { get; } = new();
    public Throttler Throttler { get; }
    public RetryAfterLedger Ledger { get; }
    public FaultInjector Faults { get; } = new();
    public StatsCollector Stats { get; }
    public IdentityFlows Flows { get; } = new();
    public GraphRouter Graph { get; }

    /// <summary>PUT /_sandbox/replication: the upper bound of every replication delay (new objects, secrets, role assignments, deletes).</summary>
    public ReplicationLag Replication { get; }

    /// <summary>PUT /_sandbox/teams: metering (off since August 2025) and protected-API approval (on by default).</summary>
    public TeamsApiAccess TeamsApis { get; } = new();

    /// <summary>POST /_sandbox/clock: how far the subscription service's clock has been moved ahead.</summary>
    public SubscriptionClock SubscriptionClock { get; } = new();

    /// <summary>What the built-in receivers under /_sandbox/receiver/… were sent (lifecycle notifications).</summary>
    public NotificationRecorder Recorder { get; } = new();

    /// <summary>The HTTP client that runs subscription validation handshakes.</summary>
    public SubscriptionHandshake Handshake { get; } = new();

    /// <summary>Reseeds every tenant from the scenario (ids are deterministic, so they do not change) and clears faults, stats, throttling state and pending sign-ins.</summary>
    public void Reset()
    {
        _store = new TenantStore(ScenarioLoader.Build(_scenario));
        Faults.Reset();
        Stats.Clear();
        Ledger.Clear();
        Throttler.Reset(Options.Scale);
        Flows.Clear();
        Replication.LagMs = Options.ReplicationLagMs;
        TeamsApis.Reset();
        SubscriptionClock.Reset();
        Recorder.Clear();
    }

    public void Dispose()
    {
        Tokens.Dispose();
        Handshake.Dispose();
    }
}
