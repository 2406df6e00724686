namespace Tributary.Server.Push;

/// <summary>
/// Asks for an incremental sync of a linked account now. Push endpoints call it through
/// <see cref="PushDebouncer"/>, which already folds bursts into one request per window.
/// </summary>
internal interface ISyncRequests
{
    void Request(Guid linkedAccountId);
}

/// <summary>Hands the request to the clustered scheduler; a notification must never wait on it or fail because of it.</summary>
internal sealed class SchedulerSyncRequests(Sync.SyncScheduler scheduler, ILogger<SchedulerSyncRequests> logger) : ISyncRequests
{
    public void Request(Guid linkedAccountId) => _ = RequestAsync(linkedAccountId);

    private async Task RequestAsync(Guid linkedAccountId)
    {
        try
        {
            await scheduler.RequestNowAsync(linkedAccountId, "push", full: false);
        }
        catch (Exception e) when (e is Quartz.SchedulerException or InvalidOperationException)
        {
            logger.LogWarning(e, "Could not schedule the pushed sync of linked account {LinkedAccountId}", linkedAccountId);
        }
    }
}
