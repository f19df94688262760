using System.Globalization;

namespace CasAdmin.Sandbox.Tenants;

/// <summary>
/// The users of one tenant: explicit users from the scenario plus, for generated tenants, a range of users
/// computed on demand from (seed, index) so a tenant of 100,000 users costs no memory until a user is changed.
/// </summary>
internal sealed class UserDirectory
{
    private static readonly string[] GivenNames = ["Ava", "Ben", "Chloe", "Dan", "Elif", "Femi", "Grace", "Hiro", "Ines", "Jonas", "Kira", "Luca", "Maya", "Nils", "Olga", "Pavel", "Quinn", "Rosa", "Sami", "Tara"];
    private static readonly string[] Surnames = ["Novak", "Okafor", "Silva", "Tanaka", "Müller", "Haddad", "Kowalski", "Larsen", "Moreau", "Rossi", "Schmidt", "Yilmaz", "Walsh", "Ivanova", "Costa", "Berg"];
    private static readonly string[] Departments = ["Sales", "Finance", "Engineering", "Marketing", "Legal", "Operations", "Support"];

    private readonly List<DirectoryUser> _explicit = [];
    private readonly Dictionary<string, DirectoryUser> _byId = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, DirectoryUser> _byUpn = new(StringComparer.OrdinalIgnoreCase);
    private readonly string _domain;
    private readonly string _idPrefix; // first 24 hex digits shared by every generated user id of this tenant
    private readonly int _seed;
    private readonly DateTimeOffset _created;

    // Generated users changed (PATCH) or deleted: the only generated users that cost memory.
    private readonly Dictionary<int, DirectoryUser> _changed = [];
    private readonly SortedSet<int> _deleted = [];

    public UserDirectory(string tenantId, string domain, int generatedCount, int seed, DateTimeOffset created)
    {
        _domain = domain;
        _seed = seed;
        _created = created;
        GeneratedCount = generatedCount;
        _idPrefix = DeterministicIds.Guid(tenantId, "generated-users", seed.ToString(CultureInfo.InvariantCulture)).Replace("-", "", StringComparison.Ordinal)[..20];
    }

    public int GeneratedCount { get; }

    public int Count => _explicit.Count + GeneratedCount - _deleted.Count;

    /// <summary>Users held in memory (scenario, created, delegate users), in directory order.</summary>
    public int ExplicitCount => _explicit.Count;

    public IReadOnlyList<DirectoryUser> Explicit => _explicit;

    /// <summary>Generated users that were changed and are no longer what (seed, index) would build.</summary>
    public IEnumerable<DirectoryUser> ChangedGenerated => _changed.Values;

    /// <summary>True when a generated user's principal name was changed, so prefix shortcuts must scan every user.</summary>
    public bool GeneratedRenamed { get; private set; }

    /// <summary>Every generated principal name has this shape: "user{000001}@{domain}".</summary>
    public const string GeneratedPrefix = "user";

    /// <summary>Records a change to a user returned by <see cref="Find"/>: generated users are pinned, renames re-indexed.</summary>
    public void Save(DirectoryUser user, string previousUserPrincipalName)
    {
        if (_byId.ContainsKey(user.Id))
        {
            if (!previousUserPrincipalName.Equals(user.UserPrincipalName, StringComparison.OrdinalIgnoreCase))
            {
                _byUpn.Remove(previousUserPrincipalName);
                _byUpn[user.UserPrincipalName] = user;
            }
            return;
        }
        if (TryParseGenerated(user.Id) is { } i)
        {
            _changed[i] = user;
            if (!previousUserPrincipalName.Equals(user.UserPrincipalName, StringComparison.OrdinalIgnoreCase))
            {
                GeneratedRenamed = true;
            }
        }
    }

    /// <summary>Removes a user (explicit or generated); the removed object, or null when there was none.</summary>
    public DirectoryUser? Remove(string idOrUpn)
    {
        var user = Find(idOrUpn);
        if (user is null)
        {
            return null;
        }

        if (_byId.Remove(user.Id))
        {
            _byUpn.Remove(user.UserPrincipalName);
            _explicit.Remove(user);
            return user;
        }
        if (TryParseGenerated(user.Id) is { } i)
        {
            _changed.Remove(i);
            _deleted.Add(i);
        }
        return user;
    }

    /// <summary>Puts a removed user back (restore from deleted items).</summary>
    public void Restore(DirectoryUser user)
    {
        if (TryParseGenerated(user.Id) is { } i && _deleted.Remove(i))
        {
            _changed[i] = user;
            if (!user.UserPrincipalName.Equals(Build(i).UserPrincipalName, StringComparison.OrdinalIgnoreCase))
            {
                GeneratedRenamed = true;
            }

            return;
        }
        if (!_byId.ContainsKey(user.Id))
        {
            Add(user);
        }
    }

    public void Add(DirectoryUser user)
    {
        _explicit.Add(user);
        _byId[user.Id] = user;
        _byUpn[user.UserPrincipalName] = user;
    }

    /// <summary>
    /// Users in directory order: explicit first, then generated. Generated users are built lazily; the changes and deletions
    /// are captured when this is called (under the tenant lock), so the sequence may be walked after the lock is released.
    /// </summary>
    public IEnumerable<DirectoryUser> Enumerate(int skip = 0)
    {
        var head = skip < _explicit.Count ? _explicit.GetRange(skip, _explicit.Count - skip) : [];
        var deleted = _deleted.Count == 0 ? [] : _deleted.ToArray();
        var changed = _changed.Count == 0 ? null : new Dictionary<int, DirectoryUser>(_changed);
        // Skip past deleted generated users: the n-th visible one is n plus the deleted indices at or below it.
        var start = Math.Max(0, skip - _explicit.Count);
        foreach (var d in deleted)
        {
            if (d <= start)
            {
                start++;
            }
            else
            {
                break;
            }
        }
        return Walk(head, start, deleted, changed);
    }

    private IEnumerable<DirectoryUser> Walk(List<DirectoryUser> head, int start, int[] deleted, Dictionary<int, DirectoryUser>? changed)
    {
        foreach (var u in head)
        {
            yield return u;
        }

        var next = Array.FindIndex(deleted, d => d >= start);
        for (var i = start; i < GeneratedCount; i++)
        {
            if (next >= 0 && next < deleted.Length && deleted[next] == i)
            {
                next++;
                continue;
            }
            yield return changed is not null && changed.TryGetValue(i, out var c) ? c : Build(i);
        }
    }

    public DirectoryUser? Find(string idOrUpn)
    {
        if (_byId.TryGetValue(idOrUpn, out var u) || _byUpn.TryGetValue(idOrUpn, out u))
        {
            return u;
        }

        var index = TryParseGenerated(idOrUpn);
        if (index is { } i && !_deleted.Contains(i))
        {
            // A renamed generated user answers to its new name only.
            var user = Generate(i);
            return _changed.ContainsKey(i) && !idOrUpn.Equals(user.Id, StringComparison.OrdinalIgnoreCase) && !idOrUpn.Equals(user.UserPrincipalName, StringComparison.OrdinalIgnoreCase) ? null : user;
        }
        if (GeneratedRenamed)
        {
            foreach (var c in _changed.Values)
            {
                if (c.UserPrincipalName.Equals(idOrUpn, StringComparison.OrdinalIgnoreCase))
                {
                    return c;
                }
            }
        }
        return null;
    }

    private int? TryParseGenerated(string key)
    {
        if (GeneratedCount == 0)
        {
            return null;
        }

        var hex = key.Replace("-", "", StringComparison.Ordinal);
        if (hex.Length == 32 && hex.StartsWith(_idPrefix, StringComparison.OrdinalIgnoreCase)
            && int.TryParse(hex.AsSpan(20), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var i) && i >= 0 && i < GeneratedCount)
        {
            return i;
        }
        var at = key.IndexOf('@', StringComparison.Ordinal);
        if (at > 5 && key.StartsWith("user", StringComparison.OrdinalIgnoreCase) && key[(at + 1)..].Equals(_domain, StringComparison.OrdinalIgnoreCase)
            && int.TryParse(key.AsSpan(4, at - 4), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1 && n <= GeneratedCount)
        {
            return n - 1;
        }
        return null;
    }

    private DirectoryUser Generate(int index) => _changed.TryGetValue(index, out var changed) ? changed : Build(index);

    private DirectoryUser Build(int index)
    {
        // A cheap deterministic mix of (seed, index); no Random instance so any user can be built alone.
        // A fixed mixing function (HashCode.Combine is randomised per process), so the same seed gives the same users on every run.
        var h = Mix((uint)_seed * 0x9E3779B1u ^ (uint)index) ^ (uint)(index * 2654435761u);
        var given = GivenNames[h % (uint)GivenNames.Length];
        var surname = Surnames[(h / 31) % (uint)Surnames.Length];
        var number = (index + 1).ToString("D6", CultureInfo.InvariantCulture);
        var upn = $"user{number}@{_domain}";
        var hex = _idPrefix + index.ToString("x12", CultureInfo.InvariantCulture);
        return new DirectoryUser
        {
            Id = $"{hex[..8]}-{hex[8..12]}-{hex[12..16]}-{hex[16..20]}-{hex[20..]}",
            UserPrincipalName = upn,
            DisplayName = $"{given} {surname} {number}",
            GivenName = given,
            Surname = surname,
            Mail = upn,
            MailNickname = $"user{number}",
            Department = Departments[(h / 977) % (uint)Departments.Length],
            JobTitle = "Staff",
            UsageLocation = "US",
            PreferredLanguage = "en-US",
            AccountEnabled = h % 50 != 0, // about 2 % disabled, like a real tenant
            CreatedDateTime = _created,
        };
    }

    /// <summary>murmur3's 32-bit finalizer: cheap, well mixed and stable everywhere.</summary>
    private static uint Mix(uint x)
    {
        x ^= x >> 16;
        x *= 0x85EBCA6Bu;
        x ^= x >> 13;
        x *= 0xC2B2AE35u;
        x ^= x >> 16;
        return x;
    }
}
