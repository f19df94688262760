using System.Globalization;
using CasAdmin.Testing;
using Npgsql;

namespace CasAdmin.Bench;

/// <summary>
/// Processor time of single processes from Linux's <c>/proc/PID/stat</c> (zero elsewhere): a process's own user and
/// system time, and its "children" time, which the kernel adds up for every child it has waited for. A process's
/// whole cost over an interval is then its own time plus its children's, whether a child ended in between or not.
/// </summary>
internal static class ProcCpu
{
    /// <summary>The unit of /proc's times (USER_HZ): 100 per second on every Linux architecture .NET runs on.</summary>
    public const double TicksPerSecond = 100;

    /// <summary>utime + stime: what the process itself has spent.</summary>
    public static long Ticks(int pid) => Fields(pid) is { } f ? f[11] + f[12] : 0;

    /// <summary>cutime + cstime: what its children that ended (and were waited for) spent.</summary>
    public static long ChildrenTicks(int pid) => Fields(pid) is { } f ? f[13] + f[14] : 0;

    /// <summary>The processes whose parent is <paramref name="pid"/>, now.</summary>
    public static IEnumerable<int> Children(int pid)
    {
        if (!Directory.Exists("/proc"))
        {
            yield break;
        }

        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var child) && Fields(child) is { } f && f[1] == pid)
            {
                yield return child;
            }
        }
    }

    /// <summary>A process and all its children, ended or running: a server such as PostgreSQL's postmaster and its backends.</summary>
    public static long TreeTicks(int pid) => Ticks(pid) + ChildrenTicks(pid) + Children(pid).Sum(c => Ticks(c) + ChildrenTicks(c));

    /// <summary>The fields after "(comm)", from the state on (field 3 of proc(5) is index 0); the state itself reads as 0.</summary>
    private static long[]? Fields(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");

            // The command name may hold spaces and parentheses: everything after its last ')' is numbers.
            return text[(text.LastIndexOf(')') + 2)..].Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .Select(v => long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? n : 0).ToArray();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Gone meanwhile (a backend that just ended), or not Linux.
            return null;
        }
    }
}

/// <summary>What the measured run cost: processor time per process (clock ticks) and the registry's statements and transactions.</summary>
/// <param name="Runners">The runner processes together (null: the engine ran in this process).</param>
/// <param name="Self">This process: the sandbox alone (<paramref name="SelfIsSandboxOnly"/>), or the engine and the sandbox.</param>
/// <param name="Postgres">The PostgreSQL server: the postmaster and every backend.</param>
/// <param name="SelfIsSandboxOnly">True when the engine ran in the runners, so that this process is the sandbox alone.</param>
/// <param name="Host">The whole machine's busy and total ticks, to tell what other processes took meanwhile.</param>
/// <param name="Statements">Statements the registry ran (BEGIN and COMMIT not counted), null when unknown.</param>
/// <param name="Transactions">Transactions the registry committed or rolled back (SQLite: group commits).</param>
/// <param name="CountedBy">Where the statement and transaction counts come from.</param>
/// <param name="TopStatements">The most frequent statements, shown with CASBENCH_STATEMENTS=1.</param>
internal sealed record Cost(long? Runners, long Self, bool SelfIsSandboxOnly, long? Postgres, (long Busy, long Total)? Host,
    long? Statements, long? Transactions, string CountedBy, IReadOnlyList<(long Calls, string Query)> TopStatements)
{
    /// <summary>Methods the runners' JIT compiled during the measured run, and the milliseconds it took (after the warm-up: few).</summary>
    public (long Methods, long Ms)? RunnerJit { get; init; }

    public static readonly Cost Unknown = new(null, 0, false, null, null, null, null, "none", []);

    private static string Ms(long? ticks, int accounts) =>
        ticks is { } t && accounts > 0 ? (t * 1000 / ProcCpu.TicksPerSecond / accounts).ToString("0.0", CultureInfo.InvariantCulture) : "n/a";

    private static string PerJob(long? n, int accounts) => n is { } v && accounts > 0 ? (v / (double)accounts).ToString("0.0", CultureInfo.InvariantCulture) : "n/a";

    /// <summary>The detail line's cost fields: milliseconds of processor time and statements per removed account.</summary>
    public string Describe(int accounts)
    {
        var ours = (Runners ?? 0) + Self + (Postgres ?? 0);
        var others = Host is { } h ? Math.Max(0, h.Busy - ours) : (long?)null;
        var cpu = SelfIsSandboxOnly
            ? $"runners_cpu_ms_per_account={Ms(Runners, accounts)} sandbox_cpu_ms_per_account={Ms(Self, accounts)} postgres_cpu_ms_per_account={Ms(Postgres, accounts)}"
            : $"engine_and_sandbox_cpu_ms_per_account={Ms(Self, accounts)}";
        if (RunnerJit is { } jit)
        {
            cpu += $" runners_jit_in_run={jit.Methods}methods/{jit.Ms}ms";
        }

        return $"{cpu} other_processes_cpu_ms_per_account={Ms(others, accounts)} statements_per_job={PerJob(Statements, accounts)} transactions_per_job={PerJob(Transactions, accounts)} counted_by={CountedBy}";
    }
}

/// <summary>
/// The throwaway PostgreSQL server's own account of the run: pg_stat_statements (loaded at start through
/// shared_preload_libraries) counts every statement the registry database ran, pg_stat_database its committed and
/// rolled-back transactions, and /proc the postmaster's and its backends' processor time. Every statistics query runs
/// on the <c>postgres</c> database, so it is not counted in the registry's.
/// </summary>
internal sealed class PgStats(PostgresCluster cluster, bool statements)
{
    /// <summary>How long an idle backend may keep its transaction counts before it reports them (PGSTAT_IDLE_INTERVAL, 10 s), and a second more.</summary>
    public static readonly TimeSpan Settle = TimeSpan.FromSeconds(11);

    public sealed record Snapshot(uint DatabaseOid, long Transactions);

    public static async Task<PgStats> LoadAsync(PostgresCluster cluster)
    {
        bool loaded;
        try
        {
            await using (var c = await OpenAsync(cluster))
            {
                await using var alter = new NpgsqlCommand("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'", c);
                await alter.ExecuteNonQueryAsync();
            }

            await cluster.RestartAsync();
            await using (var c = await OpenAsync(cluster))
            {
                await using var create = new NpgsqlCommand("CREATE EXTENSION IF NOT EXISTS pg_stat_statements", c);
                await create.ExecuteNonQueryAsync();
            }

            loaded = true;
        }
        catch (PostgresException ex)
        {
            // Without the contrib module the run still measures; only the statement count reads n/a.
            Console.Error.WriteLine($"  pg_stat_statements not available ({ex.SqlState}: {ex.MessageText}); statements_per_job reads n/a");
            loaded = false;
        }

        return new PgStats(cluster, loaded);
    }

    /// <summary>The postmaster's and every backend's processor time so far.</summary>
    public long? ServerTicks() => cluster.PostmasterPid is { } pid ? ProcCpu.TreeTicks(pid) : null;

    /// <summary>The registry database's transactions so far; the statement counts start again from zero.</summary>
    public async Task<Snapshot> SnapshotAsync(string store)
    {
        await using var c = await OpenAsync(cluster);
        var (oid, transactions) = await TransactionsAsync(c, store);
        if (statements)
        {
            await using var reset = new NpgsqlCommand("SELECT pg_stat_statements_reset()", c);
            await reset.ExecuteNonQueryAsync();
        }

        return new Snapshot(oid, transactions);
    }

    public async Task<Cost> CostAsync(string store, Snapshot before, long runners, long sandbox, long? server, (long Busy, long Total)? host)
    {
        await using var c = await OpenAsync(cluster);
        var (_, transactions) = await TransactionsAsync(c, store);
        long? total = null;
        var top = new List<(long, string)>();
        if (statements)
        {
            // BEGIN, COMMIT and ROLLBACK are the transactions, counted apart (\\y: a word's end in PostgreSQL's regular expressions).
            await using var query = new NpgsqlCommand(
                "SELECT calls, query FROM pg_stat_statements WHERE dbid = @db AND query !~* '^\\s*(BEGIN|COMMIT|ROLLBACK|START TRANSACTION)\\y' ORDER BY calls DESC", c);
            query.Parameters.AddWithValue("db", NpgsqlTypes.NpgsqlDbType.Oid, before.DatabaseOid);
            await using var reader = await query.ExecuteReaderAsync();
            total = 0;
            while (await reader.ReadAsync())
            {
                var calls = reader.GetInt64(0);
                total += calls;
                if (top.Count < 40)
                {
                    top.Add((calls, string.Join(' ', reader.GetString(1).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))));
                }
            }
        }

        var show = Environment.GetEnvironmentVariable("CASBENCH_STATEMENTS") == "1" ? top : [];
        return new Cost(runners, sandbox, true, server, host, total, transactions - before.Transactions,
            statements ? "pg_stat_statements+pg_stat_database" : "pg_stat_database", show);
    }

    private static async Task<(uint Oid, long Transactions)> TransactionsAsync(NpgsqlConnection c, string store)
    {
        await using var command = new NpgsqlCommand("SELECT datid, xact_commit + xact_rollback FROM pg_stat_database WHERE datname = @name", c);
        command.Parameters.AddWithValue("name", new NpgsqlConnectionStringBuilder(store).Database!);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetFieldValue<uint>(0), reader.GetInt64(1));
    }

    private static async Task<NpgsqlConnection> OpenAsync(PostgresCluster cluster)
    {
        var c = new NpgsqlConnection(cluster.ConnectionString("postgres") + ";Pooling=false");
        await c.OpenAsync();
        return c;
    }
}
