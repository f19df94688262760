using System.Collections.Concurrent;
using System.Globalization;
using CasAdmin.Engine;
using CasAdmin.Engine.Connections;
using CasAdmin.Engine.Sandbox;

namespace CasAdmin.Commands.Sandbox;

/// <summary>
/// The sandboxes Start-CasSandbox started in this process and the connections its -Connect made, so that
/// Stop-CasSandbox can close exactly those. Process-wide, like the engine's connections and the launcher's processes.
/// </summary>
/// <remarks>
/// A <see cref="CasConnection"/> does not say which sandbox URL it signed in to, and sandbox tenant ids are the same in
/// every sandbox of a scenario: a connection made by hand to a sandbox tenant is only closed when no other running
/// sandbox of this process serves that tenant.
/// </remarks>
internal static class SandboxSessions
{
    private static readonly ConcurrentDictionary<int, Session> Sessions = new();

    /// <summary>The sandboxes started here that still run, by process id.</summary>
    public static IReadOnlyList<int> Running => SandboxLauncher.Running;

    /// <summary>Every sandbox started here that Stop-CasSandbox has not stopped yet, running or not.</summary>
    public static IReadOnlyList<int> Known => [.. Sessions.Keys.Union(Running).Order()];

    public static void Add(CasSandbox sandbox) => Sessions[sandbox.ProcessId] = new Session(sandbox);

    public static CasSandbox? Find(int processId) => Sessions.TryGetValue(processId, out var session) ? session.Sandbox : null;

    public static void AddConnection(int processId, CasConnection connection)
    {
        if (Sessions.TryGetValue(processId, out var session))
        {
            session.ConnectionIds[connection.ConnectionId] = 0;
        }
    }

    /// <summary>The open connections to the sandbox: those its -Connect made, and sandbox connections to its tenants that no other running sandbox serves.</summary>
    public static IReadOnlyList<CasConnection> ConnectionsOf(int processId)
    {
        if (!Sessions.TryGetValue(processId, out var session))
        {
            return [];
        }

        var tenants = session.Sandbox.Tenants.Select(t => t.TenantId).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var shared = Sessions.Values
            .Where(s => s.Sandbox.ProcessId != processId && Running.Contains(s.Sandbox.ProcessId))
            .SelectMany(s => s.Sandbox.Tenants.Select(t => t.TenantId))
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        return CasEngine.Shared.Connections.GetConnections()
            .Where(c => session.ConnectionIds.ContainsKey(c.ConnectionId)
                || (c.Environment == CasCloud.Sandbox && tenants.Contains(c.TenantId) && !shared.Contains(c.TenantId)))
            .ToArray();
    }

    public static void Remove(int processId) => Sessions.TryRemove(processId, out _);

    /// <summary>The process id of the session's sandbox a connection points at, or null.</summary>
    public static int? ProcessOf(CasConnection connection) =>
        connection.SandboxUrl is { } url
            ? Sessions.Values.Where(s => Uri.Compare(s.Sandbox.Url, url, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0)
                .Select(s => (int?)s.Sandbox.ProcessId).FirstOrDefault()
            : null;

    /// <summary>
    /// A registry of the sandbox's own, in the temporary folder: a sandbox starts from its seed every time, so its
    /// accounts must not mix with those of real tenants or of earlier sandboxes.
    /// </summary>
    public static string DefaultStorePath(CasSandbox sandbox)
    {
        var folder = Path.Combine(Path.GetTempPath(), "CasAdmin");
        Directory.CreateDirectory(folder);
        var stamp = DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        return Path.Combine(folder, $"sandbox-{sandbox.ProcessId.ToString(CultureInfo.InvariantCulture)}-{stamp}.db");
    }

    private sealed record Session(CasSandbox Sandbox)
    {
        public ConcurrentDictionary<Guid, byte> ConnectionIds { get; } = new();
    }
}
