using System.Globalization;
using System.Text;

namespace CasAdmin.Sandbox.Tenants;

/// <summary>
/// The tenant's Teams chats, computed on demand from (seed, chat number) so 50,000 chats over 5,000 users cost no memory.
/// <para>
/// Formula. Users are numbered 0..N−1 in directory order; chats 0..C−1. Chat k belongs to round r = k / N and has
/// owner o = k mod N. Each round has member offsets d₀ = 0, d₁, …, d₅ (distinct mod N, derived from (seed, r)); chat k's
/// members are (o + dᵢ) mod N for i &lt; size(k), where size(k) ∈ 2..6 comes from (seed, k) (2 = oneOnOne, more = group).
/// So user u is member i of exactly one chat per (round, slot): k = r·N + ((u − dᵢ) mod N), kept when k &lt; C and
/// i &lt; size(k). Listing a user's chats costs O(rounds × 6) = O(C/N); every chat appears under each of its members;
/// there are exactly C distinct chats (given N ≥ 2). d₁ = 1 + (r mod ⌊(N−1)/2⌋) keeps the pair of a 1:1 chat unique for the
/// first ⌊(N−1)/2⌋ rounds, whose 1:1 chats get Teams' "19:{userId}_{userId}@unq.gbl.spaces" ids; every other chat
/// gets "19:{32 hex}@thread.v2" with k in its last 8 hex digits.
/// </para>
/// </summary>
internal sealed class ChatDirectory
{
    public const int MaxMembers = 6;
    private readonly uint _seed;
    private readonly string[] _userIds;
    private readonly Dictionary<string, int> _index = new(StringComparer.OrdinalIgnoreCase);
    private readonly string _threadPrefix; // 24 hex digits
    private readonly int[]?[] _offsets;
    private readonly int _pairRounds;
    private readonly int _slots;

    public ChatDirectory(string tenantId, int seed, int chatCount, IReadOnlyList<string> userIds, DateTimeOffset created)
    {
        _seed = (uint)seed;
        TenantId = tenantId;
        Created = created;
        _userIds = [.. userIds];
        for (var i = 0; i < _userIds.Length; i++)
        {
            _index[_userIds[i]] = i;
        }

        N = _userIds.Length;
        Count = N >= 2 ? Math.Max(0, chatCount) : 0;
        _slots = Math.Min(MaxMembers, N);
        _pairRounds = Math.Max(1, (N - 1) / 2);
        _offsets = new int[]?[N == 0 ? 0 : (Count + N - 1) / N];
        _threadPrefix = DeterministicIds.Guid(tenantId, "chats", seed.ToString(CultureInfo.InvariantCulture)).Replace("-", "", StringComparison.Ordinal)[..24];
    }

    public string TenantId { get; }
    public DateTimeOffset Created { get; }

    /// <summary>Users taking part (the directory at the time the chats were first asked for).</summary>
    public int N { get; }

    /// <summary>Distinct chats in the tenant.</summary>
    public int Count { get; }

    public string UserId(int index) => _userIds[index];

    public int? UserIndex(string userId) => _index.TryGetValue(userId, out var i) ? i : null;

    public int Size(int k)
    {
        if (_slots <= 2)
        {
            return 2;
        }

        var h = Mix(_seed, (uint)k, 1);
        return h % 100 < 60 ? 2 : 3 + (int)((h / 100) % (uint)(_slots - 2));
    }

    public bool IsOneOnOne(int k) => Size(k) == 2;

    public int Member(int k, int slot) => (k % N + Offsets(k / N)[slot]) % N;

    public IEnumerable<int> Members(int k)
    {
        var size = Size(k);
        for (var i = 0; i < size; i++)
        {
            yield return Member(k, i);
        }
    }

    /// <summary>The chats user <paramref name="u"/> is a member of, in a stable order.</summary>
    public IEnumerable<int> ChatsOf(int u)
    {
        if (Count == 0)
        {
            yield break;
        }

        for (var r = 0; r < _offsets.Length; r++)
        {
            var offsets = Offsets(r);
            for (var slot = 0; slot < _slots; slot++)
            {
                var k = r * N + (((u - offsets[slot]) % N) + N) % N;
                if (k < Count && slot < Size(k))
                {
                    yield return k;
                }
            }
        }
    }

    public string ChatId(int k)
    {
        if (IsOneOnOne(k) && k / N < _pairRounds)
        {
            return $"19:{_userIds[Member(k, 0)]}_{_userIds[Member(k, 1)]}@unq.gbl.spaces";
        }

        return $"19:{_threadPrefix}{k.ToString("x8", CultureInfo.InvariantCulture)}@thread.v2";
    }

    /// <summary>The chat number for an id this directory issued, or null.</summary>
    public int? Parse(string chatId)
    {
        if (!chatId.StartsWith("19:", StringComparison.Ordinal))
        {
            return null;
        }

        if (chatId.EndsWith("@thread.v2", StringComparison.OrdinalIgnoreCase))
        {
            var hex = chatId[3..^"@thread.v2".Length];
            if (hex.Length == 32 && hex.StartsWith(_threadPrefix, StringComparison.OrdinalIgnoreCase)
                && int.TryParse(hex.AsSpan(24), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var k) && k >= 0 && k < Count && ChatId(k) == $"19:{hex.ToLowerInvariant()}@thread.v2")
            {
                return k;
            }
            return null;
        }
        if (chatId.EndsWith("@unq.gbl.spaces", StringComparison.OrdinalIgnoreCase))
        {
            var pair = chatId[3..^"@unq.gbl.spaces".Length].Split('_');
            if (pair.Length != 2 || UserIndex(pair[0]) is not { } a || UserIndex(pair[1]) is not { } b)
            {
                return null;
            }

            var d = ((b - a) % N + N) % N;
            var k = (d - 1) * N + a;
            if (d >= 1 && d - 1 < _pairRounds && k < Count && IsOneOnOne(k) && ChatId(k).Equals(chatId, StringComparison.OrdinalIgnoreCase))
            {
                return k;
            }
        }
        return null;
    }

    /// <summary>Messages in chat k (1–4).</summary>
    public int MessageCount(int k) => 1 + (int)(Mix(_seed, (uint)k, 7) % 4);

    public DateTimeOffset ChatCreated(int k) => Created.AddMinutes(k % 200_000).AddSeconds(Mix(_seed, (uint)k, 3) % 60);

    public DateTimeOffset MessageCreated(int k, int m) => ChatCreated(k).AddMinutes(5 * (m + 1));

    /// <summary>Who sent message m of chat k (a member, round robin from a chat-specific start).</summary>
    public int MessageSender(int k, int m) => Member(k, (int)((Mix(_seed, (uint)k, 11) + (uint)m) % (uint)Size(k)));

    private static readonly string[] Phrases =
    [
        "Can you review the Q3 numbers before the call?", "Lunch at noon?", "The customer confirmed the renewal.",
        "I pushed the fix, please retest.", "Sharing the deck in a minute.", "Who owns the onboarding checklist?",
        "Reminder: security training is due Friday.", "Thanks, looks good to me!", "Let's move the sync to 3 pm.",
        "Budget approved for the offsite.",
    ];

    public string MessageText(int k, int m) => Phrases[Mix(_seed, (uint)k, (uint)(100 + m)) % (uint)Phrases.Length];

    private int[] Offsets(int round)
    {
        var cached = _offsets[round];
        if (cached is not null)
        {
            return cached;
        }

        var d = new int[_slots];
        d[0] = 0;
        if (_slots > 1)
        {
            d[1] = (1 + round % _pairRounds) % N;
        }

        for (var i = 2; i < _slots; i++)
        {
            var c = 1 + (int)(Mix(_seed, (uint)round, (uint)(20 + i)) % (uint)(N - 1));
            while (Array.IndexOf(d, c, 0, i) >= 0)
            {
                c = c % (N - 1) + 1;
            }

            d[i] = c;
        }
        _offsets[round] = d; // benign race: every thread computes the same array
        return d;
    }

    /// <summary>A stable 32-bit mix (no per-process randomization, unlike HashCode).</summary>
    public static uint Mix(uint a, uint b, uint c)
    {
        ulong x = a * 0x9E3779B97F4A7C15UL ^ (b + 0x632BE59BD9B4E019UL) * 0xBF58476D1CE4E5B9UL ^ c * 0x94D049BB133111EBUL;
        x ^= x >> 31;
        x *= 0xD6E8FEB86659FD93UL;
        x ^= x >> 32;
        return (uint)x;
    }

    /// <summary>Teams' conversationMember id: base64 of "0##1##{tenant}##{chat}##{user}" style.</summary>
    public string MembershipId(int k, int userIndex) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"0##1##{TenantId}##{ChatId(k)}##{_userIds[userIndex]}"));
}
