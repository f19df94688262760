using System.Globalization;
using System.Text.RegularExpressions;

namespace CasAdmin.Sandbox.Faults;

/// <summary>Holds the active fault rules and the latency setting; thread-safe.</summary>
internal sealed class FaultInjector
{
    private readonly Lock _sync = new();
    private readonly List<ActiveRule> _rules = [];
    private int _nextId;
    private LatencySettings _latency = new(0, 0);

    public LatencySettings Latency { get { lock (_sync) { return _latency; } } set { lock (_sync) { _latency = value; } } }

    public FaultRule Add(FaultRule rule)
    {
        if (rule.Probability is < 0 or > 1)
        {
            throw new ArgumentException("probability must be between 0 and 1.");
        }

        if (rule.Kind == FaultKind.Status && (rule.Status < 400 || rule.Status > 599))
        {
            throw new ArgumentException("status must be 400-599.");
        }

        if (rule.Kind == FaultKind.Headers && (rule.Headers is null || rule.Headers.Count == 0))
        {
            throw new ArgumentException("a headers fault needs at least one header.");
        }

        if (rule.RetryAfterSeconds is < 0)
        {
            throw new ArgumentException("retryAfterSeconds must be zero or positive.");
        }

        foreach (var (name, value) in rule.Headers ?? new Dictionary<string, string>())
        {
            // What Kestrel would refuse to send (RFC 9110 token names; no control characters in values) is refused here,
            // with a 400 to the test, rather than as a 500 on the Graph request it was meant for.
            if (name.Length == 0 || !name.All(c => c is > ' ' and < (char)127 && !"\"(),/:;<=>?@[\\]{}".Contains(c, StringComparison.Ordinal)))
            {
                throw new ArgumentException($"'{name}' is not a valid header name.");
            }

            if (value.Any(c => char.IsControl(c) && c != '\t') || value.Any(c => c > (char)126))
            {
                throw new ArgumentException($"The value of '{name}' has characters HTTP does not allow.");
            }
        }
        lock (_sync)
        {
            var id = (++_nextId).ToString(CultureInfo.InvariantCulture);
            var stored = rule with { Id = id };
            // A seeded generator per rule keeps probabilistic runs reproducible.
            _rules.Add(new ActiveRule(stored, Glob(stored.Path), new Random(1000 + _nextId)));
            return stored;
        }
    }

    public void Clear()
    {
        lock (_sync)
        {
            _rules.Clear();
        }
    }

    public void Reset()
    {
        lock (_sync)
        {
            _rules.Clear();
            _latency = new LatencySettings(0, 0);
        }
    }

    public IReadOnlyList<FaultRule> Rules { get { lock (_sync) { return _rules.Select(r => r.Rule).ToList(); } } }

    /// <summary>The rule that fires for this request, if any (its counters advance).</summary>
    public FaultRule? Match(string method, string path, string? appId, string? tenantId)
    {
        lock (_sync)
        {
            foreach (var r in _rules)
            {
                var rule = r.Rule;
                if (rule.Method is { } m && !m.Equals(method, StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                if (!r.Pattern.IsMatch(path))
                {
                    continue;
                }

                if (rule.AppId is { } a && !a.Equals(appId, StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                if (rule.TenantId is { } t && !t.Equals(tenantId, StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                r.Matched++;
                if (r.Matched < (rule.Nth ?? 1))
                {
                    continue;
                }

                if (rule.Times is { } times && r.Fired >= times)
                {
                    continue;
                }

                if (rule.Probability is { } p && r.Random.NextDouble() >= p)
                {
                    continue;
                }

                r.Fired++;
                return rule;
            }
            return null;
        }
    }

    public TimeSpan NextLatency()
    {
        var l = Latency;
        if (l.FixedMs <= 0 && l.JitterMs <= 0)
        {
            return TimeSpan.Zero;
        }

        return TimeSpan.FromMilliseconds(Math.Max(0, l.FixedMs) + (l.JitterMs > 0 ? Random.Shared.Next(0, l.JitterMs + 1) : 0));
    }

    private static Regex Glob(string pattern) =>
        new("^" + Regex.Escape(pattern).Replace("\\*", ".*", StringComparison.Ordinal).Replace("\\?", ".", StringComparison.Ordinal) + "$",
            RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    private sealed class ActiveRule(FaultRule rule, Regex pattern, Random random)
    {
        public FaultRule Rule { get; } = rule;
        public Regex Pattern { get; } = pattern;
        public Random Random { get; } = random;
        public int Matched { get; set; }
        public int Fired { get; set; }
    }
}
