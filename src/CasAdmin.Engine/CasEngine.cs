using CasAdmin.Engine.Connections;

namespace CasAdmin.Engine;

/// <summary>The engine of one process: what the cmdlets of every runspace share.</summary>
public sealed class CasEngine
{
    public static CasEngine Shared { get; } = new();

    public ConnectionManager Connections { get; } = new();
}
