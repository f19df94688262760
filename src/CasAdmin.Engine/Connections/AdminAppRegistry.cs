using System.Text.Json;
using System.Text.Json.Serialization;
using CasAdmin.Engine.Errors;

namespace CasAdmin.Engine.Connections;

/// <summary>
/// Which client id a person's sign-in uses when -ClientId is left out: the app Register-CasAdminApp created for the
/// tenant (remembered per user in <c>admin-apps.json</c>), else the CASADMIN_CLIENT_ID environment variable. The file
/// holds tenant ids, domains and app ids only: a public client has no secret, and nothing in it grants access.
/// </summary>
/// <remarks>
/// A file in the user's configuration folder rather than the registry: the registry can be a shared PostgreSQL
/// database or a per-runbook file chosen by -StorePath, while the sign-in app belongs to the person and the tenant.
/// </remarks>
public static class AdminAppRegistry
{
    /// <summary>The folder of the file; default: %APPDATA%\CasAdmin, or $XDG_CONFIG_HOME/casadmin (~/.config/casadmin).</summary>
    public const string FolderVariable = "CASADMIN_CONFIG";

    /// <summary>A client id for every tenant without a remembered app (like PnP's ENTRAID_APP_ID).</summary>
    public const string ClientIdVariable = "CASADMIN_CLIENT_ID";

    public const string FileName = "admin-apps.json";

    private static readonly object Gate = new();
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase, Converters = { new JsonStringEnumConverter() } };

    public static string FilePath
    {
        get
        {
            var named = Environment.GetEnvironmentVariable(FolderVariable);
            if (!string.IsNullOrWhiteSpace(named))
            {
                return Path.Combine(Path.GetFullPath(named), FileName);
            }

            if (OperatingSystem.IsWindows())
            {
                return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData), "CasAdmin", FileName);
            }

            var xdg = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME");
            var root = string.IsNullOrWhiteSpace(xdg) ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config") : xdg;
            return Path.Combine(root, "casadmin", FileName);
        }
    }

    /// <summary>The client id for a person's sign-in to the tenant, and where it came from; null when there is none.</summary>
    internal static (string ClientId, string Source)? Resolve(CasCloud cloud, string tenant)
    {
        if (Find(cloud, tenant) is { } remembered)
        {
            return (remembered.ClientId, $"the app '{remembered.DisplayName}' registered for the tenant on {remembered.RegisteredOn:yyyy-MM-dd} ({FilePath})");
        }

        var fromEnvironment = Environment.GetEnvironmentVariable(ClientIdVariable);
        return string.IsNullOrWhiteSpace(fromEnvironment) ? null : (fromEnvironment.Trim(), $"the {ClientIdVariable} environment variable");
    }

    internal static Entry? Find(CasCloud cloud, string tenant)
    {
        lock (Gate)
        {
            return Load().Apps.LastOrDefault(a => a.Cloud == cloud
                && (string.Equals(a.TenantId, tenant, StringComparison.OrdinalIgnoreCase) || a.Domains.Contains(tenant, StringComparer.OrdinalIgnoreCase)));
        }
    }

    /// <summary>Remembers the tenant's app, replacing what was remembered for the same tenant and cloud.</summary>
    internal static void Remember(Entry entry)
    {
        lock (Gate)
        {
            var file = Load();
            file.Apps.RemoveAll(a => a.Cloud == entry.Cloud && string.Equals(a.TenantId, entry.TenantId, StringComparison.OrdinalIgnoreCase));
            file.Apps.Add(entry);
            var path = FilePath;
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);

                // Write beside, then move: a crash never leaves a half-written file that would forget every tenant.
                var temporary = $"{path}.{Environment.ProcessId}.tmp";
                File.WriteAllText(temporary, JsonSerializer.Serialize(file, Json));
                File.Move(temporary, path, overwrite: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new CasException(ErrorIds.AdminAppNotRemembered, CasErrorCategory.WriteError,
                    $"The app {entry.ClientId} was registered, but CasAdmin could not remember it in {path}: {ex.Message}",
                    $"Connect with Connect-CasTenant -TenantId {entry.TenantId} -ClientId {entry.ClientId}, or set {FolderVariable} to a folder you may write to and run Register-CasAdminApp again (it finds the app it created).",
                    path, ex);
            }
        }
    }

    private static FileModel Load()
    {
        var path = FilePath;
        if (!File.Exists(path))
        {
            return new FileModel();
        }

        try
        {
            return JsonSerializer.Deserialize<FileModel>(File.ReadAllText(path), Json) ?? new FileModel();
        }
        catch (Exception ex) when (ex is JsonException or IOException or UnauthorizedAccessException)
        {
            // A damaged file only costs the remembered ids: the sign-in then explains how to register again.
            return new FileModel();
        }
    }

    internal sealed class FileModel
    {
        public List<Entry> Apps { get; set; } = [];
    }

    internal sealed record Entry(CasCloud Cloud, string TenantId, IReadOnlyList<string> Domains, string ClientId, string DisplayName, DateTimeOffset RegisteredOn);
}
