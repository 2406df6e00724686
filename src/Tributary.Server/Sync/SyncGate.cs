using System.Collections.Concurrent;

namespace Tributary.Server.Sync;

/// <summary>
/// One sync per linked account at a time in this process. Finishing Link queues a sync on the background
/// worker while callers may run <see cref="SyncRunner"/> themselves; two runs of one account at once both insert
/// its sync state (a unique-key violation on PostgreSQL) and upsert the same rows.
/// </summary>
internal sealed class SyncGate
{
    private readonly ConcurrentDictionary<Guid, SemaphoreSlim> _accounts = new();

    public async Task<IDisposable> EnterAsync(Guid linkedAccountId, CancellationToken ct)
    {
        var gate = _accounts.GetOrAdd(linkedAccountId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        return new Release(gate);
    }

    private sealed class Release(SemaphoreSlim gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                gate.Release();
            }
        }
    }
}
