using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Tributary.Data;
using Tributary.Data.Entities;
using Tributary.Data.Entities.Webhooks;
using Tributary.Server.Events;

namespace Tributary.Server.Webhooks;

/// <summary>
/// Turns account and sync events into webhook deliveries: one outbox row per subscribed endpoint,
/// added to the caller's context and committed by the caller's save, so an event exists exactly
/// when the change that caused it does. The delivery job sends them.
/// </summary>
internal sealed partial class AccountEventsOutbox(
    WebhookPayloads payloads, SealedPayloads sealedPayloads, TimeProvider time, IOptions<WebhookOptions> options, ILogger<AccountEventsOutbox> logger) : IAccountEvents
{
    public async ValueTask LinkedAsync(TributaryDbContext db, LinkedAccount account, bool isRelink, bool withAccountToken, CancellationToken ct)
    {
        var data = payloads.LinkedAccount(account);
        data["is_relink"] = isRelink;
        var secret = false;
        if (withAccountToken && (await EndpointsAsync(db, account.OrganizationId, ct)).Any(e => WebhookEvents.Subscribes(e.Events, WebhookEvents.Linked)))
        {
            // Tokens are kept only as hashes (ADR 0007): minted here, it exists in the clear only in this
            // event, whose stored body is sealed by the vault.
            var token = Auth.Secrets.Create(Auth.Secrets.AccountTokenPrefix);
            account.AccountTokenHash = Auth.Secrets.Hash(token);
            data["account_token"] = token;
            secret = true;
        }
        await EnqueueAccountEventAsync(db, account, WebhookEvents.Linked, data, ct, secret);
    }

    public ValueTask DeletedAsync(TributaryDbContext db, LinkedAccount account, CancellationToken ct) =>
        EnqueueAccountEventAsync(db, account, WebhookEvents.Deleted, payloads.LinkedAccount(account), ct);

    public ValueTask RelinkNeededAsync(TributaryDbContext db, LinkedAccount account, string reason, CancellationToken ct)
    {
        var data = payloads.LinkedAccount(account);
        data["status"] = "RELINK_NEEDED";
        data["status_detail"] = reason;
        return EnqueueAccountEventAsync(db, account, WebhookEvents.StatusChanged, data, ct);
    }

    public async ValueTask SyncCompletedAsync(TributaryDbContext db, LinkedAccount account, string category, bool succeeded, long records, CancellationToken ct)
    {
        var finished = time.GetUtcNow().UtcDateTime;
        var status = new JsonObject();
        foreach (var model in WebhookEvents.FileStorageModels)
        {
            status[$"{category}.FileStorage{model}"] = new JsonObject
            {
                ["last_sync_result"] = succeeded ? "DONE" : "FAILED",
                ["last_sync_finished"] = finished,
                ["data_fresh_as_of"] = succeeded ? finished : null,
                ["sync_status_reason"] = null,
            };
        }
        var data = new JsonObject
        {
            ["is_initial_sync"] = await IsInitialSyncAsync(db, account.Id, category, ct),
            ["integration_name"] = payloads.IntegrationName(account.IntegrationSlug),
            ["integration_id"] = account.IntegrationSlug,
            ["records"] = records,
            ["sync_status"] = status,
        };
        await EnqueueAccountEventAsync(db, account, WebhookEvents.SyncCompleted, data, ct);
    }

    /// <summary>
    /// Per-record events, one delivery per record and endpoint. Two bounds keep a 1M-row sync from
    /// flooding the outbox: none are sent during an account's initial sync (the receiver learns from
    /// <c>LinkedAccount.sync_completed</c> with <c>is_initial_sync</c> and reads the data in pages, as
    /// with Merge), and none are queued for an endpoint whose backlog already holds
    /// <see cref="WebhookOptions.MaxPendingRecordEvents"/> undelivered deliveries.
    /// </summary>
    public async ValueTask RecordsChangedAsync(
        TributaryDbContext db, LinkedAccount account, string commonModel, IReadOnlyList<Guid> added, IReadOnlyList<Guid> changed, IReadOnlyList<Guid> removed,
        CancellationToken ct)
    {
        if (added.Count + changed.Count + removed.Count == 0 || WebhookEvents.NormalizeModel(commonModel) is not { } model)
        {
            return;
        }
        var endpoints = await EndpointsAsync(db, account.OrganizationId, ct);
        var subscribed = endpoints.Where(e => WebhookEvents.RecordActions.Any(a => WebhookEvents.Subscribes(e.Events, WebhookEvents.RecordEvent(model, a)))).ToList();
        if (subscribed.Count == 0 || await IsInitialSyncAsync(db, account.Id, account.Category, ct))
        {
            return;
        }
        var now = time.GetUtcNow();
        var cap = options.Value.MaxPendingRecordEvents;
        foreach (var endpoint in subscribed)
        {
            var backlog = await db.WebhookDeliveries.IgnoreQueryFilters()
                .CountAsync(d => d.EndpointId == endpoint.Id && d.Status == WebhookDeliveryStatus.Pending, ct);
            if (backlog >= cap)
            {
                LogBacklogFull(endpoint.Id, backlog, added.Count + changed.Count + removed.Count, model);
                continue;
            }
            foreach (var (action, ids) in new[] { ("added", added), ("changed", changed), ("removed", removed) })
            {
                var eventName = WebhookEvents.RecordEvent(model, action);
                if (!WebhookEvents.Subscribes(endpoint.Events, eventName))
                {
                    continue;
                }
                foreach (var id in ids)
                {
                    db.WebhookDeliveries.Add(NewDelivery(endpoint, account.Id, eventName, payload: null, recordId: id, now));
                }
            }
        }
    }

    private async ValueTask EnqueueAccountEventAsync(
        TributaryDbContext db, LinkedAccount account, string eventName, JsonObject data, CancellationToken ct, bool secret = false)
    {
        var endpoints = await EndpointsAsync(db, account.OrganizationId, ct);
        var now = time.GetUtcNow();
        foreach (var endpoint in endpoints.Where(e => WebhookEvents.Subscribes(e.Events, eventName)))
        {
            // The body is frozen now: the account may be gone (deleted) by the time it is sent.
            var body = WebhookPayloads.Envelope(endpoint, eventName, payloads.LinkedAccount(account), data.DeepClone());
            var delivery = NewDelivery(endpoint, account.Id, eventName, body, recordId: null, now);
            if (secret)
            {
                delivery.Payload = await sealedPayloads.SealAsync(db, delivery.Id, body, ct);
            }
            db.WebhookDeliveries.Add(delivery);
        }
    }

    private static WebhookDelivery NewDelivery(WebhookEndpoint endpoint, Guid accountId, string eventName, string? payload, Guid? recordId, DateTimeOffset now) => new()
    {
        Id = Guid.CreateVersion7(now),
        OrganizationId = endpoint.OrganizationId,
        EndpointId = endpoint.Id,
        LinkedAccountId = accountId,
        Event = eventName,
        RecordId = recordId,
        Payload = payload,
        Status = WebhookDeliveryStatus.Pending,
        NextAttemptAt = now.UtcDateTime,
        CreatedAt = now.UtcDateTime,
    };

    private static Task<List<WebhookEndpoint>> EndpointsAsync(TributaryDbContext db, Guid organizationId, CancellationToken ct) =>
        db.WebhookEndpoints.IgnoreQueryFilters().AsNoTracking().Where(e => e.OrganizationId == organizationId && e.IsActive).ToListAsync(ct);

    /// <summary>
    /// Whether the account's first sync of the category is still running. The sync runner flips
    /// <c>InitialSyncDone</c> in the same unit of work that reports completion, so a tracked state's
    /// original value is the truth before that save; otherwise the committed row is.
    /// </summary>
    private static async Task<bool> IsInitialSyncAsync(TributaryDbContext db, Guid accountId, string category, CancellationToken ct)
    {
        var tracked = db.ChangeTracker.Entries<SyncState>().FirstOrDefault(e => e.Entity.LinkedAccountId == accountId && e.Entity.Category == category);
        if (tracked is not null)
        {
            return tracked.State == EntityState.Added || !tracked.OriginalValues.GetValue<bool>(nameof(SyncState.InitialSyncDone));
        }
        var done = await db.SyncStates.IgnoreQueryFilters().AsNoTracking()
            .Where(s => s.LinkedAccountId == accountId && s.Category == category).Select(s => (bool?)s.InitialSyncDone).FirstOrDefaultAsync(ct);
        return done != true;
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Webhook endpoint {EndpointId} has {Backlog} undelivered deliveries; {Skipped} {Model} record events were not queued for it")]
    private partial void LogBacklogFull(Guid endpointId, int backlog, int skipped, string model);
}
