using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Quartz;
using Tributary.Data;
using Tributary.Server.Webhooks;

namespace Tributary.Server.Sync;

/// <summary>
/// Every few minutes, on one replica: gives every linked account its recurring sync at its frequency,
/// starts the initial sync of accounts that never had one (a request lost to a crash right after
/// linking), starts the full reconciliation of accounts whose last full read is too old, forgets the
/// jobs of deleted accounts, purges long-expired leases and removes webhook deliveries older than
/// <c>Webhooks:DeliveryRetention</c> from the delivery log.
/// </summary>
[DisallowConcurrentExecution]
internal sealed class HousekeepingJob(
    IServiceScopeFactory scopes, SyncScheduler scheduler, SyncFrequencies frequencies, Leases leases, WebhookDeliveryRetention deliveryRetention,
    TimeProvider time, IOptionsMonitor<SyncOptions> options, ILogger<HousekeepingJob> logger) : IJob
{
    public static readonly JobKey Key = new("housekeeping", "tributary");
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(5);

    public ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default) => RunAsync(cancellationToken);

    /// <summary>One housekeeping pass, as the scheduler runs it every <see cref="Interval"/>.</summary>
    public async ValueTask RunAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TributaryDbContext>();
        var accounts = await SyncFrequencies.Scheduled(db).AsNoTracking().ToListAsync(cancellationToken);
        var intervals = await frequencies.ForAsync(db, accounts, cancellationToken);
        var states = await db.SyncStates.IgnoreQueryFilters().AsNoTracking().Where(s => s.Category == SyncRunner.Category)
            .ToDictionaryAsync(s => s.LinkedAccountId, cancellationToken);
        var reconcileBefore = time.GetUtcNow().UtcDateTime.AddHours(-options.CurrentValue.FullReconciliationHours);
        var changed = 0;
        foreach (var account in accounts)
        {
            if (await scheduler.EnsureRecurringAsync(account.Id, intervals[account.Id], cancellationToken))
            {
                changed++;
            }
            if (!states.TryGetValue(account.Id, out var state))
            {
                await scheduler.RequestMissedInitialSyncAsync(account.Id, cancellationToken);
            }
            else if (state.InitialSyncDone && !state.InFullRead && (state.LastFullReadFinished ?? DateTime.MinValue) < reconcileBefore)
            {
                await scheduler.RequestNowAsync(account.Id, "full reconciliation", full: true, cancellationToken);
            }
        }

        var existing = (await db.LinkedAccounts.IgnoreQueryFilters().Select(a => a.Id).ToListAsync(cancellationToken)).ToHashSet();
        foreach (var orphan in (await scheduler.ScheduledAccountsAsync(cancellationToken)).Where(id => !existing.Contains(id)))
        {
            await scheduler.RemoveAsync(orphan, cancellationToken);
        }
        var purged = await leases.PurgeExpiredAsync(cancellationToken);
        var deliveries = await deliveryRetention.PurgeAsync(cancellationToken);
        logger.LogInformation("Housekeeping: {Accounts} accounts scheduled ({Changed} schedules set), {Purged} expired leases purged, {Deliveries} old webhook deliveries removed",
            accounts.Count, changed, purged, deliveries);
    }
}
