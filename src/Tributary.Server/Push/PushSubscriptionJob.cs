using Quartz;

namespace Tributary.Server.Push;

/// <summary>
/// Keeps provider push subscriptions alive, as Quartz runs it: without job data, a sweep over every
/// account that has none or whose subscription expires soon (every <c>Push:SubscriptionCheckInterval</c>,
/// one replica at a time); with an account in its data, that account alone (right after linking).
/// A provider failure is recorded on the account and retried at the next sweep; syncs never wait on it.
/// </summary>
[DisallowConcurrentExecution]
internal sealed class PushSubscriptionJob(PushSubscriptionManager manager, ILogger<PushSubscriptionJob> logger) : IJob
{
    public const string Group = "push";
    public const string AccountKey = "account";
    public static readonly JobKey SweepKey = new("push-subscriptions", "tributary");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        if (!manager.Enabled)
        {
            return;
        }
        var data = context.MergedJobDataMap;
        if (data.TryGetString(AccountKey, out var named))
        {
            if (Guid.TryParseExact(named, "N", out var accountId))
            {
                var outcome = await TryMaintainAsync(accountId, cancellationToken);
                logger.LogInformation("Push subscription of linked account {LinkedAccountId}: {Outcome}", accountId, outcome);
            }
            return;
        }

        var due = await manager.DueAsync(cancellationToken);
        var outcomes = new Dictionary<PushMaintenance, int>();
        foreach (var accountId in due)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var outcome = await TryMaintainAsync(accountId, cancellationToken);
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
        }
        if (due.Count > 0)
        {
            logger.LogInformation("Push subscriptions: {Due} accounts due, {Outcomes}", due.Count,
                string.Join(", ", outcomes.Select(o => $"{o.Value} {o.Key}")));
        }
    }

    /// <summary>One account's pass; a store or vault failure is logged and the sweep goes on with the next account.</summary>
    private async Task<PushMaintenance> TryMaintainAsync(Guid accountId, CancellationToken cancellationToken)
    {
        try
        {
            return await manager.MaintainAsync(accountId, cancellationToken);
        }
        catch (Exception e) when (e is InvalidOperationException or Microsoft.EntityFrameworkCore.DbUpdateException or System.Data.Common.DbException
                                     or System.Security.Cryptography.CryptographicException or TimeoutException or System.Text.Json.JsonException)
        {
            logger.LogError(e, "Push subscription pass of linked account {LinkedAccountId} failed", accountId);
            return PushMaintenance.Failed;
        }
    }
}

/// <summary>Asks for one account's push subscription pass now (after linking), on whichever replica runs jobs.</summary>
internal sealed class PushSubscriptionRequests(ISchedulerFactory schedulers, PushSubscriptionManager manager, ILogger<PushSubscriptionRequests> logger)
{
    public static JobKey JobFor(Guid linkedAccountId) => new(linkedAccountId.ToString("N"), PushSubscriptionJob.Group);

    /// <summary>Schedules the pass if push is on and the account's provider pushes; otherwise does nothing.</summary>
    public async Task RequestAsync(Data.Entities.LinkedAccount account, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(account);
        if (!manager.Enabled || manager.Find(account.IntegrationSlug) is null)
        {
            return;
        }
        var linkedAccountId = account.Id;
        var job = JobBuilder.Create<PushSubscriptionJob>().WithIdentity(JobFor(linkedAccountId)).DisallowConcurrentExecution()
            .UsingJobData(PushSubscriptionJob.AccountKey, linkedAccountId.ToString("N")).Build();
        var trigger = TriggerBuilder.Create(TimeProvider.System).WithIdentity(new TriggerKey($"{linkedAccountId:N}.{Guid.NewGuid():N}", PushSubscriptionJob.Group))
            .ForJob(job.Key).StartNow().WithSimpleSchedule(s => s.WithMisfireInstruction(SimpleTriggerMisfireInstruction.FireNow)).Build();
        try
        {
            var scheduler = await schedulers.GetScheduler(ct);
            // The job goes when its last trigger has fired (not durable); a pending one is replaced, which is the same request.
            await scheduler.ScheduleJob(job, [trigger], new ScheduleJobOptions { Replace = true }, ct);
        }
        catch (SchedulerException e)
        {
            // The sweep picks the account up anyway: it has no subscription yet.
            logger.LogWarning(e, "Could not schedule the push subscription of linked account {LinkedAccountId}", linkedAccountId);
        }
    }
}
