using Microsoft.Kiota.Abstractions;

namespace CasAdmin.Engine.Resilience;

/// <summary>
/// Per-request hints for the resilience handler, carried through Kiota's request options (Kiota copies
/// each option into <see cref="HttpRequestMessage.Options"/> under its type's full name).
/// </summary>
internal sealed class CasRequestOption : IRequestOption
{
    public static readonly HttpRequestOptionsKey<IRequestOption> Key = new(typeof(CasRequestOption).FullName!);

    /// <summary>A POST that is safe to repeat (a batch of reads, an action with no side effect).</summary>
    public bool Idempotent { get; init; }

    public static CasRequestOption? From(HttpRequestMessage request) =>
        request.Options.TryGetValue(Key, out var option) ? option as CasRequestOption : null;
}
