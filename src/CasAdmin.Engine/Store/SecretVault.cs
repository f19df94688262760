using System.Collections.Concurrent;
using System.Security;
using System.Text;
using System.Text.RegularExpressions;
using CasAdmin.Engine.Errors;
using Microsoft.Identity.Client.Extensions.Msal;

namespace CasAdmin.Engine.Store;

/// <summary>
/// Where a client secret may be kept so tokens can be renewed unattended: only the operating system's
/// protection (DPAPI, Keychain, the Secret Service keyring). The registry keeps the reference, never the value.
/// </summary>
internal interface ISecretVault
{
    /// <summary>False where no OS protection works; then nothing is kept and cmdlets ask for -ClientSecret.</summary>
    bool IsAvailable { get; }

    void Save(string reference, string secret);

    string? Read(string reference);

    void Delete(string reference);

    /// <summary>The references of the entries this vault holds on this machine (never their values).</summary>
    IReadOnlyList<StoredEntry> List() => [];

    /// <summary>Where this vault keeps its entries, for messages: the OS store and, where it has one, its folder.</summary>
    string Describe() => "no protected storage";

    /// <summary>Keeps a secret given or created in this session, per app, for the rest of the session.</summary>
    void Remember(string tenantId, string appId, string secret)
    {
    }

    /// <summary>The secret of an app given or created earlier in this session, or null.</summary>
    string? Recall(string tenantId, string? appId) => null;
}

/// <summary>
/// The engine's vault: the OS-protected store where one works, and in any case the session's memory. A secret given
/// or created in a session (New-CasTeamsChatApp's, -ClientSecret once) serves every later command of that session,
/// kept per app as a read-only <see cref="SecureString"/>; on hosts without a keyring (Linux servers, containers,
/// Azure Automation) it is the only copy, and the commands that create one warn that it ends with the session.
/// </summary>
internal sealed class SessionSecretVault(ISecretVault persistent) : ISecretVault
{
    private readonly ConcurrentDictionary<string, SecureString> byApp = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>True where secrets outlive the session (the OS store works).</summary>
    public bool IsAvailable => persistent.IsAvailable;

    public void Save(string reference, string secret) => persistent.Save(SecretReferences.Checked(reference), secret);

    public string? Read(string reference) => persistent.Read(SecretReferences.Checked(reference));

    public void Delete(string reference) => persistent.Delete(SecretReferences.Checked(reference));

    public IReadOnlyList<StoredEntry> List() => persistent.IsAvailable ? persistent.List() : [];

    public string Describe() => persistent.Describe();

    public void Remember(string tenantId, string appId, string secret)
    {
        if (string.IsNullOrWhiteSpace(secret))
        {
            return;
        }

        var kept = SecureStrings.Protect(secret);
        byApp.AddOrUpdate(Key(tenantId, appId), kept, (_, old) =>
        {
            old.Dispose();
            return kept;
        });
    }

    public string? Recall(string tenantId, string? appId) =>
        appId is not null && byApp.TryGetValue(Key(tenantId, appId), out var kept) ? SecureStrings.Reveal(kept) : null;

    private static string Key(string tenantId, string appId) => tenantId + "/" + appId;
}

/// <summary>One vault entry: its reference and when it was last written (null where the store does not say).</summary>
internal sealed record StoredEntry(string Reference, DateTimeOffset? SavedOn);

/// <summary>A registry's secret reference becomes a file and keyring attribute name: only the form CasAdmin writes passes.</summary>
internal static partial class SecretReferences
{
    public static bool IsWellFormed(string? reference) => reference is not null && Form().IsMatch(reference);

    public static string Checked(string reference) =>
        reference is not null && Form().IsMatch(reference) ? reference
            : throw new CasException(ErrorIds.StoreCorrupt, CasErrorCategory.InvalidData,
                "The registry holds a secret reference that CasAdmin never writes; it is not used as a file name.",
                "Restore the registry from a backup, or pass the secret with -ClientSecret and record it again with Update-CasServiceAccountSecret.", null);

    [GeneratedRegex("^[0-9a-f]{32}$", RegexOptions.CultureInvariant)]
    private static partial Regex Form();
}

/// <summary>Keeps nothing: the honest answer where no protected storage exists.</summary>
internal sealed class NoSecretVault : ISecretVault
{
    public static readonly NoSecretVault Instance = new();

    public bool IsAvailable => false;

    public void Save(string reference, string secret) => throw new InvalidOperationException("No protected storage is available.");

    public string? Read(string reference) => null;

    public void Delete(string reference)
    {
    }
}

/// <summary>One protected entry per secret through Microsoft.Identity.Client.Extensions.Msal's storage.</summary>
internal sealed class OsSecretVault : ISecretVault
{
    private const string KeychainService = "CasAdmin";
    private const string KeyringSchema = "com.casadmin.secrets";
    private readonly string folder;
    private readonly Lazy<bool> available;

    public OsSecretVault(string folder)
    {
        this.folder = folder;
        available = new Lazy<bool>(Probe);
    }

    public bool IsAvailable => available.Value;

    public void Save(string reference, string secret) => Open(reference).WriteData(Encoding.UTF8.GetBytes(secret));

    public string? Read(string reference)
    {
        if (!IsAvailable)
        {
            return null;
        }

        var data = Open(reference).ReadData();
        return data is { Length: > 0 } ? Encoding.UTF8.GetString(data) : null;
    }

    public void Delete(string reference)
    {
        if (IsAvailable)
        {
            Open(reference).Clear(ignoreExceptions: true);
        }
    }

    /// <summary>
    /// Every entry has a file named after its reference in the vault's folder: with DPAPI the file holds the protected
    /// value; with the Keychain and the Secret Service keyring MSAL's storage keeps an empty file beside the keyring
    /// item and deletes both on Clear. The files are therefore this machine's index of its entries.
    /// </summary>
    public IReadOnlyList<StoredEntry> List()
    {
        if (!IsAvailable || !Directory.Exists(folder))
        {
            return [];
        }

        var entries = new List<StoredEntry>();
        foreach (var file in Directory.EnumerateFiles(folder, "secret-*.bin"))
        {
            var name = Path.GetFileNameWithoutExtension(file)["secret-".Length..];
            if (SecretReferences.IsWellFormed(name))
            {
                entries.Add(new StoredEntry(name, File.GetLastWriteTimeUtc(file) is var t && t.Year > 1601 ? new DateTimeOffset(t, TimeSpan.Zero) : null));
            }
        }

        return entries;
    }

    public string Describe() =>
        (OperatingSystem.IsWindows() ? "DPAPI (the user's profile)" : OperatingSystem.IsMacOS() ? "the login Keychain" : "the Secret Service keyring")
        + " with its index in " + folder;

    private Storage Open(string reference)
    {
        var properties = new StorageCreationPropertiesBuilder("secret-" + reference + ".bin", folder)
            .WithMacKeyChain(KeychainService, reference)
            .WithLinuxKeyring(KeyringSchema, MsalCacheHelper.LinuxKeyRingDefaultCollection, "CasAdmin client secret",
                new KeyValuePair<string, string>("casadmin.reference", reference),
                new KeyValuePair<string, string>("casadmin.kind", "client-secret"))
            .Build();
        return Storage.Create(properties);
    }

    private bool Probe()
    {
        try
        {
            Directory.CreateDirectory(folder);
            Open("probe").VerifyPersistence();
            return true;
        }
        catch (Exception ex) when (ex is MsalCachePersistenceException or IOException or UnauthorizedAccessException or DllNotFoundException or InvalidOperationException)
        {
            return false;
        }
    }
}

/// <summary>For tests that exercise the "secret is kept" paths on machines without a keyring.</summary>
internal sealed class InMemorySecretVault : ISecretVault
{
    private readonly Dictionary<string, string> secrets = [];

    public bool IsAvailable => true;

    public int Count
    {
        get
        {
            lock (secrets)
            {
                return secrets.Count;
            }
        }
    }

    public void Save(string reference, string secret)
    {
        lock (secrets)
        {
            secrets[reference] = secret;
        }
    }

    public string? Read(string reference)
    {
        lock (secrets)
        {
            return secrets.GetValueOrDefault(reference);
        }
    }

    public void Delete(string reference)
    {
        lock (secrets)
        {
            secrets.Remove(reference);
        }
    }

    public IReadOnlyList<StoredEntry> List()
    {
        lock (secrets)
        {
            return secrets.Keys.Select(k => new StoredEntry(k, null)).ToList();
        }
    }

    public string Describe() => "memory (tests)";
}
