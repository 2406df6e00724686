using Microsoft.Extensions.Options;
using Quartz;

namespace Tributary.Server.Sync;

/// <summary>
/// How the rest of Tributary asks for syncs. Each linked account has one durable Quartz job (group
/// <c>sync</c>, named by the account id) that never runs twice at once across the cluster
/// (<c>DisallowConcurrentExecution</c>) and is recovered on another replica when the one running it
/// dies (<c>RequestRecovery</c>). Triggers of the job: its recurring schedule, a debounced
/// "soon" (pushes, writes), immediate runs (initial sync, resync) and retries after a provider's wait.
/// </summary>
internal sealed class SyncScheduler(ISchedulerFactory schedulers, IOptionsMonitor<SyncOptions> options, ILogger<SyncScheduler> logger)
{
    public const string Group = "sync";
    public const string AccountKey = "account";
    public const string FullKey = "full";
    public const string ReasonKey = "reason";

    /// <summary>Job data of housekeeping's catch-up request: run only if the account never started a sync.</summary>
    public const string MissedInitialKey = "missed-initial";

    // Quartz runs on the wall clock (see SchedulerSetup), so trigger times are computed from it too.
    private static readonly TimeProvider Clock = TimeProvider.System;

    public static JobKey JobFor(Guid linkedAccountId) => new(linkedAccountId.ToString("N"), Group);

    internal static TriggerKey Recurring(Guid linkedAccountId) => new(linkedAccountId.ToString("N") + ".every", Group);

    private static TriggerKey Soon(Guid linkedAccountId) => new(linkedAccountId.ToString("N") + ".soon", Group);

    private static TriggerKey Retry(Guid linkedAccountId) => new(linkedAccountId.ToString("N") + ".retry", Group);

    /// <summary>
    /// Asks for an incremental sync of the account within about a second, debounced: requests that
    /// arrive while one is pending fold into it, and a request during a running sync makes one more
    /// run after it. For provider push endpoints and writes.
    /// </summary>
    public async Task RequestSoonAsync(Guid linkedAccountId, string reason, CancellationToken ct = default)
    {
        var scheduler = await schedulers.GetScheduler(ct);
        await EnsureJobAsync(scheduler, linkedAccountId, ct);
        var key = Soon(linkedAccountId);
        if (await scheduler.Exists(key, ct))
        {
            return;
        }
        var trigger = TriggerBuilder.Create(Clock).WithIdentity(key).ForJob(JobFor(linkedAccountId))
            .StartAt(Clock.GetUtcNow().AddMilliseconds(options.CurrentValue.SoonDelayMilliseconds))
            .UsingJobData(ReasonKey, reason)
            .WithSimpleSchedule(s => s.WithMisfireInstruction(SimpleTriggerMisfireInstruction.FireNow)).Build();
        try
        {
            await scheduler.ScheduleJob(trigger, new ScheduleJobOptions(), ct);
        }
        catch (ObjectAlreadyExistsException)
        {
            // A concurrent request scheduled it first: the same debounced run.
        }
    }

    /// <summary>Asks for a run now: the initial sync after linking, or a resync (<paramref name="full"/>: re-read everything and reconcile deletes).</summary>
    public async Task RequestNowAsync(Guid linkedAccountId, string reason, bool full, CancellationToken ct = default)
    {
        var scheduler = await schedulers.GetScheduler(ct);
        await EnsureJobAsync(scheduler, linkedAccountId, ct);
        var trigger = TriggerBuilder.Create(Clock)
            .WithIdentity(new TriggerKey($"{linkedAccountId:N}.now.{Guid.NewGuid():N}", Group)).ForJob(JobFor(linkedAccountId))
            .StartNow().UsingJobData(ReasonKey, reason).UsingJobData(FullKey, full ? "true" : "false")
            .WithSimpleSchedule(s => s.WithMisfireInstruction(SimpleTriggerMisfireInstruction.FireNow)).Build();
        await scheduler.ScheduleJob(trigger, new ScheduleJobOptions(), ct);
        logger.LogInformation("Sync of linked account {LinkedAccountId} requested now ({Reason})", linkedAccountId, reason);
    }

    /// <summary>
    /// Housekeeping's catch-up for an account whose initial sync never started (its request was lost to
    /// a crash right after linking). Nothing is requested while a run of the account is pending or under
    /// way: the request made at linking may be waiting for a thread, and its run stores the account's
    /// sync state only once it starts. The run itself does nothing if a sync of the account started
    /// meanwhile (<see cref="MissedInitialKey"/>), so a catch-up never syncs an account a second time.
    /// </summary>
    /// <returns>Whether a run was requested.</returns>
    public async Task<bool> RequestMissedInitialSyncAsync(Guid linkedAccountId, CancellationToken ct = default)
    {
        if (await HasPendingRunAsync(linkedAccountId, ct))
        {
            return false;
        }
        var scheduler = await schedulers.GetScheduler(ct);
        await EnsureJobAsync(scheduler, linkedAccountId, ct);
        const string reason = "initial sync (not started yet)";
        var trigger = TriggerBuilder.Create(Clock)
            .WithIdentity(new TriggerKey($"{linkedAccountId:N}.now.{Guid.NewGuid():N}", Group)).ForJob(JobFor(linkedAccountId))
            .StartNow().UsingJobData(ReasonKey, reason).UsingJobData(FullKey, "false").UsingJobData(MissedInitialKey, "true")
            .WithSimpleSchedule(s => s.WithMisfireInstruction(SimpleTriggerMisfireInstruction.FireNow)).Build();
        await scheduler.ScheduleJob(trigger, new ScheduleJobOptions(), ct);
        logger.LogInformation("Sync of linked account {LinkedAccountId} requested now ({Reason})", linkedAccountId, reason);
        return true;
    }

    /// <summary>
    /// Whether a run of the account is requested and has not finished: any trigger of its job but the
    /// recurring one (a one-off trigger stays in the store until the run it fired completes).
    /// </summary>
    public async Task<bool> HasPendingRunAsync(Guid linkedAccountId, CancellationToken ct = default)
    {
        var scheduler = await schedulers.GetScheduler(ct);
        var triggers = await scheduler.GetTriggersOfJob(JobFor(linkedAccountId), ct);
        return triggers.Any(t => !t.Key.Equals(Recurring(linkedAccountId)));
    }

    /// <summary>Runs the account's sync again after <paramref name="wait"/> (a provider's rate-limit wait, a back-off, a busy lease).</summary>
    public async Task RetryAfterAsync(Guid linkedAccountId, TimeSpan wait, string reason, bool full, CancellationToken ct = default)
    {
        var scheduler = await schedulers.GetScheduler(ct);
        await EnsureJobAsync(scheduler, linkedAccountId, ct);
        var trigger = TriggerBuilder.Create(Clock).WithIdentity(Retry(linkedAccountId)).ForJob(JobFor(linkedAccountId))
            .StartAt(Clock.GetUtcNow() + wait).UsingJobData(ReasonKey, reason).UsingJobData(FullKey, full ? "true" : "false")
            .WithSimpleSchedule(s => s.WithMisfireInstruction(SimpleTriggerMisfireInstruction.FireNow)).Build();
        await scheduler.ScheduleJob(trigger, new ScheduleJobOptions { Replace = true }, ct);
    }

    /// <summary>The time the account's recurring sync fires next, if it has one.</summary>
    public async Task<DateTimeOffset?> NextRunAsync(Guid linkedAccountId, CancellationToken ct = default)
    {
        var scheduler = await schedulers.GetScheduler(ct);
        var trigger = await scheduler.GetTrigger(Recurring(linkedAccountId), ct);
        return trigger?.NextFireTimeUtc;
    }

    /// <summary>Creates or updates the account's recurring schedule; false when it already fires every <paramref name="interval"/>.</summary>
    public async Task<bool> EnsureRecurringAsync(Guid linkedAccountId, TimeSpan interval, CancellationToken ct = default)
    {
        var scheduler = await schedulers.GetScheduler(ct);
        var key = Recurring(linkedAccountId);
        if (await scheduler.GetTrigger(key, ct) is ISimpleTrigger existing && existing.RepeatInterval == interval)
        {
            return false;
        }
        await EnsureJobAsync(scheduler, linkedAccountId, ct);
        // Spread first runs over the interval so accounts linked together do not all sync together.
        var offset = TimeSpan.FromTicks((long)(interval.Ticks * Random.Shared.NextDouble()));
        var trigger = TriggerBuilder.Create(Clock).WithIdentity(key).ForJob(JobFor(linkedAccountId))
            .StartAt(Clock.GetUtcNow() + offset).UsingJobData(ReasonKey, "schedule")
            .WithSimpleSchedule(s => s.WithInterval(interval).RepeatForever().WithMisfireInstruction(SimpleTriggerMisfireInstruction.NextWithRemainingCount)).Build();
        await scheduler.ScheduleJob(trigger, new ScheduleJobOptions { Replace = true }, ct);
        return true;
    }

    /// <summary>Forgets the account's job and triggers (the account was deleted or needs relinking).</summary>
    public async Task RemoveAsync(Guid linkedAccountId, CancellationToken ct = default)
    {
        var scheduler = await schedulers.GetScheduler(ct);
        await scheduler.DeleteJob(JobFor(linkedAccountId), ct);
    }

    /// <summary>Stops the account's recurring schedule (it needs relinking); a relink requests a run again.</summary>
    public async Task StopRecurringAsync(Guid linkedAccountId, CancellationToken ct = default)
    {
        var scheduler = await schedulers.GetScheduler(ct);
        await scheduler.UnscheduleJob(Recurring(linkedAccountId), ct);
    }

    /// <summary>The accounts that have a sync job.</summary>
    public async Task<IReadOnlyCollection<Guid>> ScheduledAccountsAsync(CancellationToken ct = default)
    {
        var scheduler = await schedulers.GetScheduler(ct);
        var keys = await scheduler.GetJobKeys(GroupMatcher<JobKey>.GroupEquals(Group), ct);
        return keys.Select(k => Guid.TryParseExact(k.Name, "N", out var id) ? id : Guid.Empty).Where(id => id != Guid.Empty).ToList();
    }

    private static async Task EnsureJobAsync(IScheduler scheduler, Guid linkedAccountId, CancellationToken ct)
    {
        var key = JobFor(linkedAccountId);
        if (await scheduler.Exists(key, ct))
        {
            return;
        }
        var job = JobBuilder.Create<AccountSyncJob>().WithIdentity(key).StoreDurably().RequestRecovery().DisallowConcurrentExecution()
            .UsingJobData(AccountKey, linkedAccountId.ToString("N")).Build();
        try
        {
            await scheduler.AddJob(job, new AddJobOptions(), ct);
        }
        catch (ObjectAlreadyExistsException)
        {
        }
    }
}
