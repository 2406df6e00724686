using System.Data.Common;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace Tributary.Server.Hosting;

/// <summary>
/// The database at start. With <c>Tributary:MigrateOnStart</c> the schema is migrated before the server
/// listens, as before; but a database that cannot be reached then no longer stops the server: it
/// serves (<c>/health/ready</c> answers 503), logs what to fix, and migrates in the background with
/// backoff until the database answers. <see cref="Ready"/> completes when the schema is ready, and
/// the job scheduler waits for it.
/// </summary>
internal sealed partial class DatabaseStartup(
    IServiceProvider services, IOptions<TributaryOptions> options, EffectiveSettings settings, IHostApplicationLifetime lifetime, ILogger<DatabaseStartup> logger)
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LongestRetry = TimeSpan.FromSeconds(30);
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once the schema is migrated (at once when the server does not migrate at start).</summary>
    public Task Ready => _ready.Task;

    public bool IsReady => _ready.Task.IsCompletedSuccessfully;

    public async Task MigrateAtStartAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.MigrateOnStart)
        {
            _ready.TrySetResult();
            return;
        }
        try
        {
            await TributaryServices.MigrateAsync(services, cancellationToken);
            _ready.TrySetResult();
        }
        catch (Exception e) when (IsUnreachable(e) && !cancellationToken.IsCancellationRequested)
        {
            _ = Task.Run(() => RetryUntilDoneAsync("migrate the database", async ct =>
            {
                await TributaryServices.MigrateAsync(services, ct);
                _ready.TrySetResult();
            }, lifetime.ApplicationStopping, firstFailure: e), CancellationToken.None);
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> until it succeeds or the server stops, waiting 1 s, 2 s, 4 s … up to
    /// 30 s between attempts while the database cannot be reached; each failure is logged with what to check.
    /// </summary>
    public async Task RetryUntilDoneAsync(string what, Func<CancellationToken, Task> work, CancellationToken stopping, Exception? firstFailure = null)
    {
        var delay = FirstRetry;
        var failure = firstFailure;
        for (var attempt = 1; !stopping.IsCancellationRequested; attempt++)
        {
            if (failure is not null)
            {
                LogWaiting(failure, what, Cause(failure), settings.Provider, delay.TotalSeconds);
                try
                {
                    await Task.Delay(delay, stopping);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, LongestRetry.Ticks));
            }
            try
            {
                await work(stopping);
                if (attempt > 1 || firstFailure is not null)
                {
                    LogRecovered(what);
                }
                return;
            }
            catch (Exception) when (stopping.IsCancellationRequested)
            {
                // Stopping: libraries wrap the cancellation in their own exceptions (Quartz: JobPersistenceException).
                return;
            }
            catch (Exception e) when (IsUnreachable(e))
            {
                failure = e;
            }
        }
    }

    /// <summary>A database that does not answer (refused, timed out, DNS), as opposed to one that answers with an error.</summary>
    public static bool IsUnreachable(Exception e)
    {
        for (var cause = e; cause is not null; cause = cause.InnerException)
        {
            if (cause is SocketException or TimeoutException || (cause is DbException db && db.IsTransient))
            {
                return true;
            }
        }
        return false;
    }

    private static string Cause(Exception e)
    {
        var innermost = e;
        while (innermost.InnerException is not null && innermost is not DbException)
        {
            innermost = innermost.InnerException;
        }
        return innermost.Message;
    }

    [LoggerMessage(Level = LogLevel.Error,
        Message = "Could not {What}: the database is unreachable ({Cause}; {Provider}: check Database:ConnectionString and that the database server is up). The server keeps running and /health/ready answers 503; retrying in {Seconds} s")]
    private partial void LogWaiting(Exception exception, string what, string cause, Data.DatabaseProvider provider, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "The database answers again: did {What}")]
    private partial void LogRecovered(string what);
}
