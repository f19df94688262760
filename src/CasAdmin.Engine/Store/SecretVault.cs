using System.Text;
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
}
