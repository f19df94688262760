using System.Text.RegularExpressions;
using CasAdmin.Engine.Errors;

namespace CasAdmin.Engine.Store;

/// <summary>
/// Where the registry lives: the connection's -StorePath, else CASADMIN_STORE, else the per-user data folder. Either
/// a file path (SQLite) or a PostgreSQL connection string such as <c>Host=db;Database=casadmin;Username=casadmin</c>,
/// whose password comes from PGPASSWORD or a PGPASSFILE, never from the string itself (it would be shown with the
/// connection and kept in the session's history).
/// </summary>
public static partial class StoreLocator
{
    public const string EnvironmentVariable = "CASADMIN_STORE";
    public const string FileName = "registry.db";

    public static string Resolve(string? explicitPath = null)
    {
        var named = !string.IsNullOrWhiteSpace(explicitPath) ? explicitPath : Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrWhiteSpace(named))
        {
            return Path.Combine(DefaultFolder(), FileName);
        }

        if (IsConnectionString(named))
        {
            if (SecretKeyIn(named) is { } key)
            {
                throw CasException.InvalidArgument(
                    $"The PostgreSQL connection string of the registry holds a secret ({key}=); CasAdmin does not take it there, so that it is never shown (StorePath) or kept in history. Nothing was changed.",
                    "Remove it from the connection string: set the PGPASSWORD environment variable or a PGPASSFILE for the password, and keep an SSL key that needs no password where only the runner's account can read it.",
                    "StorePath");
            }

            return named.Trim();
        }

        return Path.GetFullPath(named);
    }

    /// <summary>Refuses, before anything is shown or kept, a PostgreSQL connection string that holds a secret.</summary>
    public static void Check(string? storePath)
    {
        if (IsConnectionString(storePath))
        {
            _ = Resolve(storePath);
        }
    }

    /// <summary>
    /// The key of the first secret in a connection string: any key Npgsql reads a secret from (Password and its
    /// synonyms Pwd and Psw, SSL Password), however spaced or cased, and any other key that names a password. A string
    /// that cannot be parsed is judged by its text, so nothing that looks like a password slips through.
    /// </summary>
    internal static string? SecretKeyIn(string connectionString)
    {
        try
        {
            var keys = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString }.Keys.Cast<string>();
            return keys.FirstOrDefault(k => k.Replace(" ", string.Empty, StringComparison.Ordinal).ToUpperInvariant() is var n
                && (n is "PWD" or "PSW" || n.Contains("PASSWORD", StringComparison.Ordinal)));
        }
        catch (ArgumentException)
        {
            return PasswordKey().Match(connectionString) is { Success: true } m ? m.Groups["key"].Value.Trim() : null;
        }
    }

    /// <summary>True for a PostgreSQL connection string (<c>Host=…;…</c>), false for a file path.</summary>
    public static bool IsConnectionString(string? store) => store is not null && HostKey().IsMatch(store);

    /// <summary>True when the registry was named (-StorePath or CASADMIN_STORE) rather than left to the default location.</summary>
    internal static bool IsExplicit(string? explicitPath) =>
        !string.IsNullOrWhiteSpace(explicitPath) || !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(EnvironmentVariable));

    public static string DefaultFolder()
    {
        if (OperatingSystem.IsWindows())
        {
            return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "CasAdmin");
        }

        var xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        var root = string.IsNullOrWhiteSpace(xdg)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share")
            : xdg;
        return Path.Combine(root, "casadmin");
    }

    [GeneratedRegex(@"(^|;)\s*(Host|Server)\s*=", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex HostKey();

    [GeneratedRegex(@"(?<key>[A-Za-z ]*(Password|Pwd|Psw))\s*=", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex PasswordKey();
}
