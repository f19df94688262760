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

    public UserDirectory(string tenantId, string domain, int generatedCount, int seed, DateTimeOffset created)
    {
        _domain = domain;
        _seed = seed;
        _created = created;
        GeneratedCount = generatedCount;
        _idPrefix = DeterministicIds.Guid(tenantId, "generated-users", seed.ToString(CultureInfo.InvariantCulture)).Replace("-", "", StringComparison.Ordinal)[..20];
    }

    public int GeneratedCount { get; }

    public int Count => _explicit.Count + GeneratedCount;

    public void Add(DirectoryUser user)
    {
        _explicit.Add(user);
        _byId[user.Id] = user;
        _byUpn[user.UserPrincipalName] = user;
    }

    /// <summary>Users in directory order: explicit first, then generated. Generated users are built lazily.</summary>
    public IEnumerable<DirectoryUser> Enumerate(int skip = 0)
    {
        for (var i = skip; i < _explicit.Count; i++) yield return _explicit[i];
        for (var i = Math.Max(0, skip - _explicit.Count); i < GeneratedCount; i++) yield return Generate(i);
    }

    public DirectoryUser? Find(string idOrUpn)
    {
        if (_byId.TryGetValue(idOrUpn, out var u) || _byUpn.TryGetValue(idOrUpn, out u)) return u;
        var index = TryParseGenerated(idOrUpn);
        return index is { } i ? Generate(i) : null;
    }

    private int? TryParseGenerated(string key)
    {
        if (GeneratedCount == 0) return null;
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

    private DirectoryUser Generate(int index)
    {
        // A cheap deterministic mix of (seed, index); no Random instance so any user can be built alone.
        var h = (uint)HashCode.Combine(_seed, index) ^ (uint)(index * 2654435761u);
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
}
