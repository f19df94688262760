using System.Globalization;
using Npgsql;

namespace CasAdmin.Engine.Tests.Store;

/// <summary>The throwaway server's helpers that the deprovisioning benchmark reads its cost from.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresClusterTests(PostgresFixture postgres)
{
    [Fact]
    public async Task PostmasterPid_IsTheParentOfEveryBackend()
    {
        Assert.True(OperatingSystem.IsLinux(), "The throwaway server runs on Linux only (initdb, /proc).");
        await using var connection = new NpgsqlConnection(postgres.Cluster.ConnectionString("postgres") + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT pg_backend_pid()", connection);
        var backend = (int)(await command.ExecuteScalarAsync())!;

        // /proc/PID/stat: "pid (comm) state ppid …": the parent is the second field after the command name.
        var stat = await File.ReadAllTextAsync($"/proc/{backend.ToString(CultureInfo.InvariantCulture)}/stat");
        var parent = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);

        Assert.NotNull(postgres.Cluster.PostmasterPid);
        Assert.Equal(parent, postgres.Cluster.PostmasterPid);
    }
}
