namespace CasAdmin.Sandbox.Control;

/// <summary>What the built-in receiver /_sandbox/receiver/echo was POSTed besides validation requests (lifecycle notifications), in order.</summary>
internal sealed class NotificationRecorder
{
    private const int Capacity = 10_000;
    private readonly List<ReceivedNotification> _items = [];

    public void Add(ReceivedNotification item)
    {
        lock (_items)
        {
            if (_items.Count >= Capacity)
            {
                _items.RemoveAt(0);
            }

            _items.Add(item);
        }
    }

    public IReadOnlyList<ReceivedNotification> Snapshot()
    {
        lock (_items)
        {
            return _items.ToList();
        }
    }

    public void Clear()
    {
        lock (_items)
        {
            _items.Clear();
        }
    }
}
