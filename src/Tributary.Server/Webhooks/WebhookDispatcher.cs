using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Tributary.Data;
using Tributary.Data.Entities.Webhooks;

namespace Tributary.Server.Webhooks;

/// <summary>
/// One pass over the outbox: claim due deliveries with a database lease (two replicas never send the
/// same attempt at once), render record events on first send, sign, post in parallel, and record
/// every attempt. A failure is retried later with exponential backoff until it succeeds or runs out
/// of attempts.
/// </summary>
internal sealed partial class WebhookDispatcher(
    IServiceScopeFactory scopes, WebhookSender sender, WebhookSigningKeys signingKeys, WebhookPayloads payloads, SealedPayloads sealedPayloads,
    TimeProvider time, IOptions<WebhookOptions> options, ILogger<WebhookDispatcher> logger)
{
    /// <summary>Sends what is due now; returns how many deliveries it claimed (a full batch means more may be waiting).</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var o = options.Value;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TributaryDbContext>();
        var now = time.GetUtcNow().UtcDateTime;

        var due = await db.WebhookDeliveries.IgnoreQueryFilters().AsNoTracking()
            .Where(d => d.Status == WebhookDeliveryStatus.Pending && d.NextAttemptAt <= now && (d.LeaseExpiresAt == null || d.LeaseExpiresAt < now))
            .OrderBy(d => d.NextAttemptAt).Select(d => d.Id).Take(o.BatchSize).ToListAsync(ct);
        if (due.Count == 0)
        {
            return 0;
        }
        // The claim re-checks the lease in the UPDATE itself: of two replicas racing for a row, the
        // database lets exactly one set its token (PostgreSQL re-evaluates the WHERE after the first commits).
        var token = Guid.NewGuid();
        var leaseUntil = now + o.LeaseDuration;
        await db.WebhookDeliveries.IgnoreQueryFilters()
            .Where(d => due.Contains(d.Id) && d.Status == WebhookDeliveryStatus.Pending && (d.LeaseExpiresAt == null || d.LeaseExpiresAt < now))
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.LeaseToken, token).SetProperty(d => d.LeaseExpiresAt, leaseUntil), ct);
        var claimed = await db.WebhookDeliveries.IgnoreQueryFilters().Where(d => d.LeaseToken == token).ToListAsync(ct);
        if (claimed.Count == 0)
        {
            return 0;
        }

        var endpointIds = claimed.Select(d => d.EndpointId).Distinct().ToList();
        var endpoints = await db.WebhookEndpoints.IgnoreQueryFilters().AsNoTracking().Where(e => endpointIds.Contains(e.Id)).ToDictionaryAsync(e => e.Id, ct);
        await RenderRecordEventsAsync(db, claimed, endpoints, ct);

        var keys = new Dictionary<Guid, IReadOnlyList<ActiveSigningKey>>();
        foreach (var organizationId in claimed.Select(d => d.OrganizationId).Distinct())
        {
            var active = await signingKeys.SigningAsync(db, organizationId, ct);
            if (active.Count == 0)
            {
                await signingKeys.CurrentAsync(db, organizationId, ct);
                await db.SaveChangesAsync(ct);
                active = await signingKeys.SigningAsync(db, organizationId, ct);
            }
            keys[organizationId] = active;
        }

        var sendable = new List<(WebhookDelivery Delivery, WebhookEndpoint Endpoint)>();
        foreach (var delivery in claimed)
        {
            if (delivery.Status != WebhookDeliveryStatus.Pending)
            {
                continue;
            }
            if (!endpoints.TryGetValue(delivery.EndpointId, out var endpoint) || !endpoint.IsActive)
            {
                Finish(delivery, WebhookDeliveryStatus.Discarded, "The endpoint was deactivated before this event was sent.");
                continue;
            }
            sendable.Add((delivery, endpoint));
        }

        var bodies = new string[sendable.Count];
        for (var i = 0; i < sendable.Count; i++)
        {
            bodies[i] = await sealedPayloads.OpenAsync(db, sendable[i].Delivery.Id, sendable[i].Delivery.Payload!, ct);
        }
        var results = new AttemptResult[sendable.Count];
        var startedAt = new DateTime[sendable.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, sendable.Count), new ParallelOptions { MaxDegreeOfParallelism = o.Concurrency, CancellationToken = ct },
            async (i, token) =>
            {
                var (delivery, endpoint) = sendable[i];
                startedAt[i] = time.GetUtcNow().UtcDateTime;
                results[i] = await sender.SendAsync(endpoint.Url, bodies[i], keys[delivery.OrganizationId], delivery.Id, delivery.Attempts + 1, token);
            });

        for (var i = 0; i < sendable.Count; i++)
        {
            var (delivery, _) = sendable[i];
            var result = results[i];
            delivery.Attempts++;
            db.WebhookAttempts.Add(new WebhookAttempt
            {
                Id = Guid.CreateVersion7(time.GetUtcNow()),
                OrganizationId = delivery.OrganizationId,
                DeliveryId = delivery.Id,
                EndpointId = delivery.EndpointId,
                Number = delivery.Attempts,
                StartedAt = startedAt[i],
                DurationMs = (int)Math.Min(int.MaxValue, result.Duration.TotalMilliseconds),
                ResponseStatus = result.ResponseStatus,
                Error = result.Error,
                Succeeded = result.Succeeded,
            });
            delivery.LastResponseStatus = result.ResponseStatus;
            delivery.LastError = result.Error;
            if (result.Succeeded)
            {
                Finish(delivery, WebhookDeliveryStatus.Delivered, null);
            }
            else if (delivery.Attempts >= o.MaxAttempts)
            {
                Finish(delivery, WebhookDeliveryStatus.Failed, result.Error);
                LogGaveUp(delivery.Id, delivery.EndpointId, delivery.Attempts);
            }
            else
            {
                delivery.NextAttemptAt = time.GetUtcNow().UtcDateTime + Backoff(delivery.Attempts, o);
                delivery.LeaseToken = null;
                delivery.LeaseExpiresAt = null;
            }
        }

        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            // Our lease ran out mid-pass and another replica claimed the rows: it owns their state now.
            LogLeaseLost(claimed.Count);
        }
        return claimed.Count;
    }

    /// <summary>base × 2^(n−1), capped, ±20 % jitter so a recovered receiver is not hit by every retry at once.</summary>
    internal static TimeSpan Backoff(int failedAttempts, WebhookOptions o)
    {
        var exponential = o.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(failedAttempts - 1, 30));
        var capped = Math.Min(exponential, o.RetryMaxDelay.TotalMilliseconds);
        var jitter = 0.8 + (RandomNumberGenerator.GetInt32(0, 401) / 1000.0);
        return TimeSpan.FromMilliseconds(capped * jitter);
    }

    private void Finish(WebhookDelivery delivery, WebhookDeliveryStatus status, string? error)
    {
        delivery.Status = status;
        delivery.CompletedAt = time.GetUtcNow().UtcDateTime;
        delivery.LeaseToken = null;
        delivery.LeaseExpiresAt = null;
        if (error is not null)
        {
            delivery.LastError = error;
        }
    }

    /// <summary>Record events carry only the store id until first sent; the body is then frozen, so every retry sends the same bytes.</summary>
    private async Task RenderRecordEventsAsync(TributaryDbContext db, List<WebhookDelivery> claimed, Dictionary<Guid, WebhookEndpoint> endpoints, CancellationToken ct)
    {
        var unrendered = claimed.Where(d => d.Payload is null && d.RecordId is not null).ToList();
        if (unrendered.Count == 0)
        {
            return;
        }
        var accountIds = unrendered.Select(d => d.LinkedAccountId).OfType<Guid>().Distinct().ToList();
        var accounts = await db.LinkedAccounts.IgnoreQueryFilters().AsNoTracking().Where(a => accountIds.Contains(a.Id)).ToDictionaryAsync(a => a.Id, ct);
        var records = new Dictionary<Guid, JsonNode>();
        foreach (var group in unrendered.GroupBy(d => WebhookEvents.ModelOf(d.Event)))
        {
            if (group.Key is { } model)
            {
                foreach (var (id, node) in await WebhookPayloads.RecordsAsync(db, model, group.Select(d => d.RecordId!.Value).Distinct().ToList(), ct))
                {
                    records[id] = node;
                }
            }
        }
        foreach (var delivery in unrendered)
        {
            if (delivery.LinkedAccountId is not { } accountId || !accounts.TryGetValue(accountId, out var account)
                || !records.TryGetValue(delivery.RecordId!.Value, out var record) || !endpoints.TryGetValue(delivery.EndpointId, out var endpoint))
            {
                Finish(delivery, WebhookDeliveryStatus.Discarded, "The record or its linked account was deleted before this event was sent.");
                continue;
            }
            delivery.Payload = WebhookPayloads.Envelope(endpoint, delivery.Event, payloads.LinkedAccount(account), record.DeepClone());
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook delivery {DeliveryId} to endpoint {EndpointId} failed {Attempts} times; giving up")]
    private partial void LogGaveUp(Guid deliveryId, Guid endpointId, int attempts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A webhook dispatcher pass lost its lease on {Count} deliveries to another replica; their state is that replica's now")]
    private partial void LogLeaseLost(int count);
}
