using System.Collections.Concurrent;
using System.Threading.Channels;

namespace Tributary.Server.Sync;

/// <summary>
/// Asks for a linked account to be synced soon (after linking, on resync). This in-process queue is
/// the interim trigger until the clustered Quartz scheduler lands (issue 6): it runs one sync per
/// account at a time in this process, and a request made while one runs is coalesced into one rerun.
/// </summary>
internal sealed class SyncQueue
{
    private readonly Channel<Guid> _requests = Channel.CreateUnbounded<Guid>();
    private readonly ConcurrentDictionary<Guid, byte> _pending = new();

    public void Request(Guid linkedAccountId)
    {
        if (_pending.TryAdd(linkedAccountId, 0))
        {
            _requests.Writer.TryWrite(linkedAccountId);
        }
    }

    internal ChannelReader<Guid> Reader => _requests.Reader;

    internal void Started(Guid linkedAccountId) => _pending.TryRemove(linkedAccountId, out _);
}

internal sealed class SyncWorker(SyncQueue queue, IServiceScopeFactory scopes, ILogger<SyncWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var accountId in queue.Reader.ReadAllAsync(stoppingToken))
        {
            queue.Started(accountId);
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var outcome = await scope.ServiceProvider.GetRequiredService<SyncRunner>().RunAsync(accountId, fullResync: false, stoppingToken);
                logger.LogInformation("Synced linked account {LinkedAccountId}: {Result}, {Records} records", accountId, outcome.Result, outcome.Records);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is InvalidOperationException or Microsoft.EntityFrameworkCore.DbUpdateException or System.Security.Cryptography.CryptographicException)
            {
                logger.LogError(e, "Sync of linked account {LinkedAccountId} failed", accountId);
            }
        }
    }
}
