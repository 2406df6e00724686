using Quartz;

namespace Tributary.Server.Sync;

/// <summary>
/// One linked account's sync, as Quartz runs it: never twice at once for one account across the
/// cluster, re-run on another replica if the one running it dies. What happens after a run depends
/// on why it stopped: a provider's wait or a back-off schedules a retry; a credential refused for good
/// stops the schedule until the end user relinks.
/// </summary>
[DisallowConcurrentExecution]
internal sealed class AccountSyncJob(IServiceScopeFactory scopes, SyncScheduler scheduler, ILogger<AccountSyncJob> logger) : IJob
{
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        var data = context.MergedJobDataMap;
        if (!Guid.TryParseExact(data.GetString(SyncScheduler.AccountKey), "N", out var accountId))
        {
            logger.LogError("Sync job {JobKey} names no linked account", context.JobDetail.Key);
            return;
        }
        var full = data.TryGetValue(SyncScheduler.FullKey, out var f) && f as string == "true";
        var missedInitial = data.TryGetValue(SyncScheduler.MissedInitialKey, out var m) && m as string == "true";
        if (context.Recovering)
        {
            logger.LogInformation("Taking over the sync of linked account {LinkedAccountId} from a replica that stopped", accountId);
        }

        SyncOutcome outcome;
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var runner = scope.ServiceProvider.GetRequiredService<SyncRunner>();
            if (missedInitial && await runner.HasStartedAsync(accountId, cancellationToken))
            {
                // Housekeeping's catch-up, queued behind the initial sync it was meant to replace.
                logger.LogInformation("Sync of linked account {LinkedAccountId} skipped: its initial sync already started", accountId);
                return;
            }
            outcome = await runner.TryRunAsync(accountId, full, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutting down: the checkpoint is committed, and the next run (or recovery) resumes from it.
            return;
        }
        catch (LeaseLostException e)
        {
            logger.LogWarning("{Message}", e.Message);
            return;
        }
        catch (Exception e) when (e is InvalidOperationException or Microsoft.EntityFrameworkCore.DbUpdateException
                                     or System.Data.Common.DbException or System.Security.Cryptography.CryptographicException or TimeoutException)
        {
            logger.LogError(e, "Sync of linked account {LinkedAccountId} failed", accountId);
            await scheduler.RetryAfterAsync(accountId, TimeSpan.FromMinutes(1), "error", full, CancellationToken.None);
            return;
        }

        logger.LogInformation("Sync of linked account {LinkedAccountId} stopped: {Stop}, {Records} records", accountId, outcome.Stop, outcome.Records);
        switch (outcome.Stop)
        {
            case SyncStop.AccountGone:
                await scheduler.RemoveAsync(accountId, CancellationToken.None);
                break;
            case SyncStop.RelinkNeeded:
                await scheduler.StopRecurringAsync(accountId, CancellationToken.None);
                break;
            case SyncStop.Busy or SyncStop.RateLimited or SyncStop.Failed when outcome.RetryAfter is { } wait:
                // A busy account is retried, not queued behind: the thread goes to another account meanwhile.
                await scheduler.RetryAfterAsync(accountId, wait, outcome.Stop.ToString(), full && outcome.Stop == SyncStop.Busy, CancellationToken.None);
                break;
        }
    }
}
