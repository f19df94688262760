using CasAdmin.Engine.Errors;
using CasAdmin.Engine.Store;

namespace CasAdmin.Engine.Accounts;

/// <summary>
/// This machine's vault entries against a registry: which ones an account names, and removing those none does. A
/// shared registry (PostgreSQL) is used from several machines, but each secret is kept only in the vault of the
/// machine, and user, that saved it; an entry is left behind when its account was removed elsewhere or a run stopped
/// between keeping a secret and recording it.
/// </summary>
public sealed class StoredSecretService
{
    private readonly ISecretVault vault;

    internal StoredSecretService(ISecretVault vault) => this.vault = vault;

    /// <summary>False where this machine has no protected storage: nothing is kept, so there is nothing to list.</summary>
    public bool IsAvailable => vault.IsAvailable;

    /// <summary>Where the entries are kept, for messages.</summary>
    public string Location => vault.Describe();

    /// <summary>This machine's entries, each with the account of the registry that names it (if any).</summary>
    public async Task<IReadOnlyList<CasStoredSecret>> GetAsync(string? storePath, bool unreferencedOnly, CancellationToken cancellationToken)
    {
        var entries = vault.List();
        if (entries.Count == 0)
        {
            return [];
        }

        var (store, byReference) = await ReferencesAsync(storePath, cancellationToken).ConfigureAwait(false);
        return entries
            .Select(e => Describe(e, byReference.GetValueOrDefault(e.Reference), store))
            .Where(s => !unreferencedOnly || !s.Referenced)
            .OrderBy(s => s.SavedOn ?? DateTimeOffset.MinValue).ThenBy(s => s.Reference, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// Deletes an entry no account of the registry names (asked again right before deleting). An entry an account
    /// names is refused: it may be the only copy of that account's secret.
    /// </summary>
    public async Task<CasStoredSecret> RemoveAsync(string? storePath, string reference, CancellationToken cancellationToken)
    {
        CheckReference(reference);
        if (!vault.IsAvailable)
        {
            throw new CasException(ErrorIds.StoredSecretNotFound, CasErrorCategory.ObjectNotFound,
                $"This machine has no protected storage that works for this user, so CasAdmin keeps no secret here and holds no entry {reference}; nothing was changed.",
                "Run the command on the machine that saved the secret (Get-CasStoredSecret lists its entries there).", reference);
        }

        var entry = vault.List().FirstOrDefault(e => string.Equals(e.Reference, reference, StringComparison.Ordinal))
            ?? throw new CasException(ErrorIds.StoredSecretNotFound, CasErrorCategory.ObjectNotFound,
                $"This machine's vault ({vault.Describe()}) holds no entry {reference}; nothing was changed.",
                "List this machine's entries with Get-CasStoredSecret. An entry saved on another machine can only be removed there.", reference);
        var (store, byReference) = await ReferencesAsync(storePath, cancellationToken).ConfigureAwait(false);
        if (byReference.TryGetValue(reference, out var account))
        {
            throw new CasException(ErrorIds.StoredSecretInUse, CasErrorCategory.InvalidOperation,
                $"Entry {reference} is the stored secret of {account.Service} account {account.AccountId} (app {account.AppId}) in registry '{store}'; it was kept.",
                "Remove the account (Remove-CasServiceAccount) or record another secret (Update-CasServiceAccountSecret); CasAdmin then deletes the entry itself.", reference);
        }

        vault.Delete(reference);
        return Describe(entry, null, store);
    }

    /// <summary>Bad input is refused before anything is asked or changed: a reference is 32 lower-case hexadecimal digits.</summary>
    public static void CheckReference(string? reference)
    {
        if (!SecretReferences.IsWellFormed(reference))
        {
            throw CasException.InvalidArgument($"'{reference}' is not a vault reference; references are 32 hexadecimal digits (lower case).",
                "Pass the Reference of an entry listed by Get-CasStoredSecret, or pipe Get-CasStoredSecret -Unreferenced to this command.", reference);
        }
    }

    private static async Task<(string Store, Dictionary<string, CasServiceAccount> ByReference)> ReferencesAsync(string? storePath, CancellationToken cancellationToken)
    {
        // A registry that does not exist names nothing, and would make every entry look unused: refuse instead of guessing.
        if (RegistryStore.NotCreatedYet(storePath))
        {
            throw new CasException(ErrorIds.StoreUnavailable, CasErrorCategory.ObjectNotFound,
                $"The registry '{StoreLocator.Resolve(storePath)}' does not exist, so it cannot say which stored secrets its accounts use; nothing was changed.",
                "Point -StorePath (or CASADMIN_STORE) at the registry whose accounts use this machine's vault.", storePath);
        }

        var store = RegistryStore.Open(storePath, create: false);
        var accounts = await new AccountRepository(store).ListAsync(null, null, null, includeRemoved: true, cancellationToken).ConfigureAwait(false);
        var byReference = new Dictionary<string, CasServiceAccount>(StringComparer.Ordinal);
        foreach (var a in accounts)
        {
            if (a.SecretReference is { } r)
            {
                byReference.TryAdd(r, a);
            }
        }

        return (store.Path, byReference);
    }

    private CasStoredSecret Describe(StoredEntry entry, CasServiceAccount? account, string store) => new()
    {
        Reference = entry.Reference,
        ComputerName = Environment.MachineName,
        Location = vault.Describe(),
        SavedOn = entry.SavedOn,
        Referenced = account is not null,
        AccountId = account?.AccountId,
        TenantId = account?.TenantId,
        AppId = account?.AppId,
        StorePath = store,
    };
}
