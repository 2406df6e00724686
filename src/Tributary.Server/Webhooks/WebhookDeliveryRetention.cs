using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Tributary.Data;
using Tributary.Data.Entities.Webhooks;

namespace Tributary.Server.Webhooks;

/// <summary>
/// Forgets deliveries (and their attempts) that finished — delivered, failed or discarded — longer than
/// <c>Webhooks:DeliveryRetention</c> ago. A pending delivery, still being retried, is never removed
/// however old it is. Runs from the housekeeping job, in batches so no transaction grows with the backlog.
/// </summary>
internal sealed partial class WebhookDeliveryRetention(
    IServiceScopeFactory scopes, IOptionsMonitor<WebhookOptions> options, TimeProvider time, ILogger<WebhookDeliveryRetention> logger)
{
    internal const int BatchSize = 1000;

    /// <summary>Removes the expired deliveries; returns how many.</summary>
    public async Task<int> PurgeAsync(CancellationToken ct)
    {
        var retention = options.CurrentValue.DeliveryRetention;
        if (retention <= TimeSpan.Zero)
        {
            return 0;
        }
        var cutoff = time.GetUtcNow().UtcDateTime - retention;
        var purged = 0;
        while (true)
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<TributaryDbContext>();
            var deliveries = db.WebhookDeliveries.IgnoreQueryFilters();
            var ids = await deliveries.Where(d => d.Status != WebhookDeliveryStatus.Pending && d.CompletedAt != null && d.CompletedAt < cutoff)
                .OrderBy(d => d.CompletedAt).Select(d => d.Id).Take(BatchSize).ToListAsync(ct);
            if (ids.Count == 0)
            {
                break;
            }
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            // The status is checked again: a redeliver may have made one pending since it was read, and its log stays.
            await db.WebhookAttempts.IgnoreQueryFilters()
                .Where(a => ids.Contains(a.DeliveryId) && deliveries.Any(d => d.Id == a.DeliveryId && d.Status != WebhookDeliveryStatus.Pending))
                .ExecuteDeleteAsync(ct);
            purged += await deliveries.Where(d => ids.Contains(d.Id) && d.Status != WebhookDeliveryStatus.Pending).ExecuteDeleteAsync(ct);
            await transaction.CommitAsync(ct);
            if (ids.Count < BatchSize)
            {
                break;
            }
        }
        if (purged > 0)
        {
            LogPurged(purged, retention);
        }
        return purged;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook delivery log: removed {Count} deliveries finished more than {Retention} ago, with their attempts")]
    private partial void LogPurged(int count, TimeSpan retention);
}
