namespace CasAdmin.Engine.Store;

/// <summary>
/// One client secret kept in this machine's protected storage (DPAPI, the Keychain or the Secret Service keyring) for
/// the current user, and whether an account of the registry still names it. It never holds the secret's value.
/// </summary>
public sealed class CasStoredSecret
{
    /// <summary>The vault reference the registry records for an account (its secret_ref): 32 hexadecimal digits.</summary>
    public string Reference { get; init; } = string.Empty;

    /// <summary>The machine whose vault holds the entry; no other machine can read or delete it.</summary>
    public string ComputerName { get; init; } = string.Empty;

    /// <summary>The protected storage and the folder of its index, for example "the Secret Service keyring with its index in /home/u/.local/share/CasAdmin/secrets".</summary>
    public string Location { get; init; } = string.Empty;

    /// <summary>When the entry was last written, where the storage says (UTC).</summary>
    public DateTimeOffset? SavedOn { get; init; }

    /// <summary>True when an account of the registry names this entry; false for a leftover that no account uses.</summary>
    public bool Referenced { get; init; }

    /// <summary>The account that names the entry, when one does.</summary>
    public Guid? AccountId { get; init; }

    public string? TenantId { get; init; }

    public string? AppId { get; init; }

    /// <summary>The registry that was asked which entries its accounts name.</summary>
    public string StorePath { get; init; } = string.Empty;
}
