namespace Tributary.Server.Push;

/// <summary>
/// Asks for an incremental sync of a linked account soon. Push endpoints call it (through
/// <see cref="PushDebouncer"/>); today it queues on the in-process <see cref="Sync.SyncQueue"/>, and
/// the scheduler replaces it when the clustered sync engine lands (registered with TryAdd).
/// </summary>
internal interface ISyncRequests
{
    void Request(Guid linkedAccountId);
}

internal sealed class SyncQueueRequests(Sync.SyncQueue queue) : ISyncRequests
{
    public void Request(Guid linkedAccountId) => queue.Request(linkedAccountId);
}
