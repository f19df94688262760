using CasAdmin.Engine.Operations;

namespace CasAdmin.Base;

/// <summary>
/// The engine's observer for one cmdlet operation: every event is posted to the operation's pump and
/// written on the pipeline thread. Thread-safe (the pump's queue is).
/// </summary>
/// <remarks>Kept apart from <see cref="OperationPump{TProgress}"/> so the pump compiles without the engine (its tests do).</remarks>
internal sealed class PumpObserver(OperationPump<CasProgress> pump) : IOperationObserver
{
    public void Progress(CasProgress progress) => pump.PostProgress(progress);

    public void Verbose(string message) => pump.PostVerbose(message);

    public void Debug(string message) => pump.PostDebug(message);

    public void Warning(string message) => pump.PostWarning(message);

    public void Information(string message) => pump.PostInformation(message);

    public void Output(object item) => pump.PostObject(item);

    public Task<bool> ShouldContinueAsync(string query, string caption, CancellationToken cancellationToken) =>
        pump.ShouldContinueAsync(query, caption, cancellationToken);
}
