namespace CasAdmin.Engine.Operations;

/// <summary>
/// The observer of the operation running on this async flow, so deep layers (the resilience handler
/// waiting out a 429) can say what they are doing without every method passing the observer along.
/// </summary>
internal static class OperationScope
{
    private static readonly AsyncLocal<IOperationObserver?> CurrentObserver = new();

    public static IOperationObserver Observer => CurrentObserver.Value ?? NullOperationObserver.Instance;

    public static IDisposable Enter(IOperationObserver observer)
    {
        var previous = CurrentObserver.Value;
        CurrentObserver.Value = observer;
        return new Restore(previous);
    }

    private sealed class Restore(IOperationObserver? previous) : IDisposable
    {
        public void Dispose() => CurrentObserver.Value = previous;
    }
}
