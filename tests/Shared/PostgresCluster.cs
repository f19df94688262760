using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Npgsql;

namespace CasAdmin.Testing;

/// <summary>
/// A throwaway PostgreSQL server for tests and benchmarks: a new cluster (initdb) in a temporary folder, listening on
/// 127.0.0.1 at a free port, password sign-in (SCRAM) for one superuser whose password reaches Npgsql through
/// PGPASSWORD, torn down (stopped and deleted) on dispose. As root (CI), initdb and postgres refuse to run, so they run
/// as the <c>postgres</c> user through runuser. Durability is switched off (fsync): a throwaway cluster needs speed,
/// not crash safety, and a restart here is always a clean one.
/// </summary>
public sealed class PostgresCluster : IAsyncDisposable
{
    public const string User = "casadmin";

    private readonly string bin;
    private readonly string folder;
    private readonly bool asPostgresUser;
    private int databases;

    private PostgresCluster(string bin, string folder, int port, string password, bool asPostgresUser)
    {
        this.bin = bin;
        this.folder = folder;
        Port = port;
        Password = password;
        this.asPostgresUser = asPostgresUser;
    }

    public int Port { get; }

    /// <summary>The superuser's password (set as PGPASSWORD for this process; never put in a connection string).</summary>
    public string Password { get; }

    public string DataFolder => Path.Combine(folder, "data");

    /// <summary>
    /// The running server's postmaster (the first line of postmaster.pid), whose children are every backend; null when
    /// the server is not running. Benchmarks read the server's CPU time from it in /proc.
    /// </summary>
    public int? PostmasterPid
    {
        get
        {
            var file = Path.Combine(DataFolder, "postmaster.pid");
            try
            {
                return File.Exists(file) && int.TryParse(File.ReadLines(file).FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;
            }
            catch (IOException)
            {
                return null;
            }
        }
    }

    /// <summary>A connection string without the password, as users give it to -StorePath.</summary>
    public string ConnectionString(string database) => $"Host=127.0.0.1;Port={Port.ToString(CultureInfo.InvariantCulture)};Database={database};Username={User}";

    /// <summary>Where the server binaries are: CASADMIN_PG_BIN, else pg_config's answer, else the newest /usr/lib/postgresql/N/bin.</summary>
    public static string? FindBin()
    {
        if (Environment.GetEnvironmentVariable("CASADMIN_PG_BIN") is { Length: > 0 } configured)
        {
            return configured;
        }

        var versions = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0).ToList()
            : [];
        return versions.FirstOrDefault();
    }

    public static async Task<PostgresCluster> StartAsync()
    {
        var bin = FindBin() ?? throw new InvalidOperationException(
            "PostgreSQL's server binaries were not found (initdb, postgres). Install them (apt-get install postgresql) or set CASADMIN_PG_BIN; .ci/run installs them.");
        var root = Environment.UserName == "root";
        var folder = Path.Combine(Path.GetTempPath(), "casadmin-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(folder);
        var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var cluster = new PostgresCluster(bin, folder, FreePort(), password, root);
        try
        {
            var pwfile = Path.Combine(folder, "pwfile");
            await File.WriteAllTextAsync(pwfile, password);
            if (root)
            {
                await RunAsync("chown", ["-R", "postgres:postgres", folder]);
            }

            await cluster.RunPgAsync("initdb", "-D", cluster.DataFolder, "-U", User, "--pwfile=" + pwfile, "--auth=scram-sha-256", "-E", "UTF8", "--no-sync", "--no-instructions");
            File.Delete(pwfile);
            Environment.SetEnvironmentVariable("PGPASSWORD", password);
            await cluster.StartServerAsync();
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private Task StartServerAsync() =>
        RunPgAsync("pg_ctl", "-D", DataFolder, "-l", Path.Combine(folder, "server.log"), "-w", "-t", "60", "-o",
            $"-p {Port.ToString(CultureInfo.InvariantCulture)} -c listen_addresses=127.0.0.1 -k {folder} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200", "start");

    /// <summary>Stops the server (fast: open connections are cut, as in a real restart) and starts it again.</summary>
    public async Task RestartAsync()
    {
        await RunPgAsync("pg_ctl", "-D", DataFolder, "-w", "-t", "60", "-m", "fast", "stop");
        await StartServerAsync();
    }

    /// <summary>Stops the server (fast: open connections are cut) until <see cref="StartAgainAsync"/>: the registry is down.</summary>
    public Task StopAsync() => RunPgAsync("pg_ctl", "-D", DataFolder, "-w", "-t", "60", "-m", "fast", "stop");

    /// <summary>Starts the server that <see cref="StopAsync"/> stopped.</summary>
    public Task StartAgainAsync() => StartServerAsync();

    /// <summary>A new, empty database on this server.</summary>
    public async Task<string> CreateDatabaseAsync(string? name = null)
    {
        name ??= "casadmin_" + Interlocked.Increment(ref databases).ToString(CultureInfo.InvariantCulture) + "_" + Guid.NewGuid().ToString("N")[..6];
        await using var connection = new NpgsqlConnection(ConnectionString("postgres") + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync();
        return name;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (Directory.Exists(Path.Combine(DataFolder, "global")))
            {
                await RunPgAsync("pg_ctl", "-D", DataFolder, "-w", "-t", "60", "-m", "immediate", "stop");
            }
        }
        catch (InvalidOperationException)
        {
            // Not running (a failed start): nothing to stop.
        }

        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private Task RunPgAsync(string tool, params string[] args) =>
        asPostgresUser
            ? RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(bin, tool), .. args])
            : RunAsync(Path.Combine(bin, tool), args);

    private static async Task RunAsync(string file, string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', args.Take(2))}… failed ({process.ExitCode}): {await output}{await error}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
