namespace CasAdmin.Sandbox.Graph;

/// <summary>
/// Directory replication lag (PUT /_sandbox/replication): applications and service principals created less than
/// <see cref="LagMs"/> ago are invisible — 404 Request_ResourceNotFound, absent from lists — to every call but the
/// create itself, as a freshly created object is on a real directory replica the next call may not reach.
/// </summary>
internal sealed class ReplicationLag
{
    private int _lagMs;

    public int LagMs
    {
        get => Volatile.Read(ref _lagMs);
        set => Volatile.Write(ref _lagMs, Math.Max(0, value));
    }

    public bool IsVisible(DateTimeOffset created, DateTimeOffset now)
    {
        var lag = LagMs;
        return lag <= 0 || now - created >= TimeSpan.FromMilliseconds(lag);
    }
}
