using Microsoft.Extensions.Options;

namespace Tributary.Server.Push;

/// <summary>
/// Leading- and trailing-edge debounce per linked account: the first notification requests a sync
/// at once (lowest latency); notifications during the following window are folded into one more
/// request when the window ends. Per process; across replicas the scheduler's one-sync-per-account
/// rule absorbs duplicates.
/// </summary>
internal sealed class PushDebouncer(ISyncRequests syncs, TimeProvider time, IOptions<PushOptions> options) : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, Window> _windows = [];

    public void Notify(Guid linkedAccountId)
    {
        lock (_gate)
        {
            if (_windows.TryGetValue(linkedAccountId, out var open))
            {
                open.Again = true;
                return;
            }
            var window = new Window();
            _windows[linkedAccountId] = window;
            window.Timer = time.CreateTimer(_ => Close(linkedAccountId), null, options.Value.DebounceWindow, Timeout.InfiniteTimeSpan);
        }
        syncs.Request(linkedAccountId);
    }

    private void Close(Guid linkedAccountId)
    {
        bool again;
        lock (_gate)
        {
            if (!_windows.Remove(linkedAccountId, out var window))
            {
                return;
            }
            again = window.Again;
            window.Timer?.Dispose();
        }
        if (again)
        {
            Notify(linkedAccountId);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var window in _windows.Values)
            {
                window.Timer?.Dispose();
            }
            _windows.Clear();
        }
    }

    private sealed class Window
    {
        public bool Again { get; set; }
        public ITimer? Timer { get; set; }
    }
}
