using Quartz;
using Tributary.Server.Hosting;

namespace Tributary.Server.Sync;

/// <summary>
/// Starts the Quartz scheduler in the background once the database schema is ready, retrying with
/// backoff while the database cannot be reached, so a server started with its database down keeps
/// serving (and answering <c>/health/ready</c> with 503) instead of stopping. Replaces Quartz's own
/// hosted service, which fails the host's start when the job store's database is down. It starts
/// only after the host has (a server that fails to listen must not leave a scheduler running).
/// </summary>
internal sealed partial class SchedulerHost(
    ISchedulerFactory schedulers, DatabaseStartup database, IHostApplicationLifetime lifetime, ILogger<SchedulerHost> logger) : IHostedService, IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private Task _starting = Task.CompletedTask;
    private IScheduler? _scheduler;
    private int _disposed;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _starting = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        try
        {
            await database.Ready.WaitAsync(stopping);
            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
            {
                await started.Task.WaitAsync(stopping);
            }
        }
        catch (OperationCanceledException)
        {
            return;
        }
        await database.RetryUntilDoneAsync("start the job scheduler", async ct =>
        {
            var scheduler = await schedulers.GetScheduler(ct);
            // Known before it starts, so a stop that interrupts the start still shuts it down.
            _scheduler = scheduler;
            await scheduler.Start(ct);
            LogStarted(scheduler.SchedulerInstanceId);
        }, stopping);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _disposed) == 0)
        {
            await _stopping.CancelAsync();
        }
        await _starting.WaitAsync(cancellationToken);
        if (Interlocked.Exchange(ref _scheduler, null) is { } scheduler)
        {
            // A killed sync resumes from its checkpoint, so shutdown does not wait for running syncs.
            await scheduler.Shutdown(waitForJobsToComplete: false, cancellationToken);
        }
    }

    // Also when the host failed to start, and so never stops its hosted services.
    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None);
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _stopping.Dispose();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job scheduler started (instance {InstanceId})")]
    private partial void LogStarted(string instanceId);
}
