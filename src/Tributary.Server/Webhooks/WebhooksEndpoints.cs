using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Tributary.Data;
using Tributary.Data.Entities;
using Tributary.Data.Entities.Webhooks;
using Tributary.Server.Auth;
using Tributary.Server.Conventions;
using Tributary.Server.Errors;
using Tributary.Server.Linking;
using Tributary.Server.Organization;

namespace Tributary.Server.Webhooks;

/// <summary>Body of <c>POST /api/v1/webhooks</c> and <c>PATCH /api/v1/webhooks/{id}</c>.</summary>
internal sealed record WebhookEndpointRequest(string? Url, List<string>? Events, bool? IsActive);

internal sealed record WebhookEndpointDto(Guid Id, string Url, IReadOnlyList<string> Events, bool IsActive, DateTime CreatedAt, DateTime UpdatedAt)
{
    public static WebhookEndpointDto From(WebhookEndpoint e) => new(e.Id, e.Url, e.Events.Split(','), e.IsActive, e.CreatedAt, e.UpdatedAt);
}

/// <summary>The organization's signature key. <c>previous_key_signs_until</c>: the rotated key's overlap end, if any.</summary>
internal sealed record WebhookSigningKeyDto(string Key, DateTime CreatedAt, string Header, DateTime? PreviousKeySignsUntil);

internal sealed record WebhookDeliveryDto(
    Guid Id, Guid WebhookId, string Event, Guid? LinkedAccountId, string Status, int Attempts, DateTime NextAttemptAt,
    int? LastResponseStatus, string? LastError, DateTime CreatedAt, DateTime? CompletedAt, JsonElement? Payload)
{
    public static WebhookDeliveryDto From(WebhookDelivery d, bool withPayload) => new(
        d.Id, d.EndpointId, d.Event, d.LinkedAccountId, d.Status.ToString().ToUpperInvariant(), d.Attempts, d.NextAttemptAt,
        d.LastResponseStatus, d.LastError, d.CreatedAt, d.CompletedAt,
        withPayload && d.Payload is not null ? JsonDocument.Parse(d.Payload).RootElement.Clone() : null);
}

internal sealed record WebhookAttemptDto(
    Guid Id, Guid DeliveryId, Guid WebhookId, int Attempt, DateTime StartedAt, int DurationMs, int? ResponseStatus, string? Error, bool Succeeded)
{
    public static WebhookAttemptDto From(WebhookAttempt a) =>
        new(a.Id, a.DeliveryId, a.EndpointId, a.Number, a.StartedAt, a.DurationMs, a.ResponseStatus, a.Error, a.Succeeded);
}

/// <summary>
/// <c>/api/v1/webhooks</c>: the organization's webhook endpoints (Merge's dashboard webhooks), its
/// signature key and rotation, and the delivery log. Any key reads; changes need a production key.
/// </summary>
internal static class WebhooksEndpoints
{
    private static readonly string[] Statuses = ["PENDING", "DELIVERED", "FAILED", "DISCARDED"];

    public static IEndpointRouteBuilder MapWebhooks(this IEndpointRouteBuilder app)
    {
        var hooks = app.MapGroup("/api/v1/webhooks").WithTags("Webhooks").RequireApiKey();
        hooks.MapGet("", ListAsync).WithName("ListWebhooks").WithSummary("The organization's webhook endpoints");
        hooks.MapPost("", CreateAsync).WithName("CreateWebhook")
            .WithSummary("Add a webhook endpoint: a URL and the events it receives (production key only)")
            .WithDescription("Body: {\"url\": \"https://…\", \"events\": [\"LinkedAccount.linked\", \"FileStorageFile.added\", …] or [\"*\"], \"is_active\": true}.");
        hooks.MapGet("/signing-key", SigningKeyAsync).WithName("GetWebhookSigningKey")
            .WithSummary("The key that signs X-Merge-Webhook-Signature (production key only)");
        hooks.MapPost("/signing-key/rotate", RotateAsync).WithName("RotateWebhookSigningKey")
            .WithSummary("Replace the signature key; the old one also signs X-Tributary-Webhook-Signature-Previous during the overlap (production key only)");
        hooks.MapGet("/deliveries", DeliveriesAsync).WithName("ListWebhookDeliveries")
            .WithSummary("Deliveries, newest first: filters webhook_id, status, event, linked_account_id; cursor pagination");
        hooks.MapGet("/deliveries/{deliveryId:guid}", DeliveryAsync).WithName("RetrieveWebhookDelivery")
            .WithSummary("One delivery with the exact body sent");
        hooks.MapPost("/deliveries/{deliveryId:guid}/redeliver", RedeliverAsync).WithName("RedeliverWebhook")
            .WithSummary("Send a failed or discarded delivery again now (production key only)");
        hooks.MapGet("/attempts", AttemptsAsync).WithName("ListWebhookAttempts")
            .WithSummary("Every attempt (status, response code, latency, error), newest first: filters delivery_id, webhook_id; cursor pagination");
        hooks.MapGet("/{id:guid}", RetrieveAsync).WithName("RetrieveWebhook").WithSummary("One webhook endpoint");
        hooks.MapPatch("/{id:guid}", UpdateAsync).WithName("UpdateWebhook").WithSummary("Change a webhook endpoint's URL, events or is_active (production key only)");
        hooks.MapDelete("/{id:guid}", DeleteAsync).WithName("DeleteWebhook")
            .WithSummary("Remove a webhook endpoint with its undelivered events and delivery log (production key only)");
        return app;
    }

    internal static async Task<Ok<List<WebhookEndpointDto>>> ListAsync(TributaryDbContext db, CancellationToken ct)
    {
        var all = await db.WebhookEndpoints.AsNoTracking().OrderBy(e => e.CreatedAt).ThenBy(e => e.Id).ToListAsync(ct);
        return TypedResults.Ok(all.Select(WebhookEndpointDto.From).ToList());
    }

    internal static async Task<Ok<WebhookEndpointDto>> RetrieveAsync(Guid id, TributaryDbContext db, CancellationToken ct) =>
        TypedResults.Ok(WebhookEndpointDto.From(await FindAsync(db, id, ct)));

    internal static async Task<Created<WebhookEndpointDto>> CreateAsync(
        HttpContext http, TenantContext tenant, TributaryDbContext db, WebhookSigningKeys keys, IOptions<WebhookOptions> options,
        AuditTrail audit, TimeProvider time, CancellationToken ct)
    {
        RequireProductionKey(tenant);
        var body = await JsonBody.ReadAsync<WebhookEndpointRequest>(http.Request, ct);
        var errors = new FieldErrors();
        var url = ValidUrl(errors, body.Url, options.Value, required: true);
        var events = ValidEvents(errors, body.Events, required: true);
        errors.ThrowIfAny();
        var now = time.GetUtcNow();
        var endpoint = new WebhookEndpoint
        {
            Id = Guid.CreateVersion7(now),
            OrganizationId = tenant.RequiredOrganizationId,
            Url = url!,
            Events = events!,
            IsActive = body.IsActive ?? true,
            CreatedAt = now.UtcDateTime,
            UpdatedAt = now.UtcDateTime,
        };
        db.WebhookEndpoints.Add(endpoint);
        // The organization gets its signature key with its first endpoint, so the key can be read before any event is sent.
        await keys.CurrentAsync(db, tenant.RequiredOrganizationId, ct);
        audit.Record(db, tenant.RequiredOrganizationId, AuditActor.ApiKey(http, tenant.ApiKeyName!), "ENABLED_MERGE_WEBHOOK",
            $"Added webhook endpoint {endpoint.Id} for {endpoint.Events}.");
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/api/v1/webhooks/{endpoint.Id}", WebhookEndpointDto.From(endpoint));
    }

    internal static async Task<Ok<WebhookEndpointDto>> UpdateAsync(
        Guid id, HttpContext http, TenantContext tenant, TributaryDbContext db, IOptions<WebhookOptions> options,
        AuditTrail audit, TimeProvider time, CancellationToken ct)
    {
        RequireProductionKey(tenant);
        var endpoint = await FindAsync(db, id, ct);
        var body = await JsonBody.ReadAsync<WebhookEndpointRequest>(http.Request, ct);
        var errors = new FieldErrors();
        var url = ValidUrl(errors, body.Url, options.Value, required: false);
        var events = ValidEvents(errors, body.Events, required: false);
        errors.ThrowIfAny();
        var changes = new List<string>();
        if (url is not null && url != endpoint.Url)
        {
            endpoint.Url = url;
            changes.Add("MERGE_WEBHOOK_TARGET_CHANGED");
        }
        if (events is not null)
        {
            endpoint.Events = events;
        }
        if (body.IsActive is { } active && active != endpoint.IsActive)
        {
            endpoint.IsActive = active;
            changes.Add(active ? "ENABLED_MERGE_WEBHOOK" : "DISABLED_MERGE_WEBHOOK");
        }
        endpoint.UpdatedAt = time.GetUtcNow().UtcDateTime;
        foreach (var change in changes.DefaultIfEmpty(AuditEventTypes.ChangedOrganizationSettings))
        {
            audit.Record(db, tenant.RequiredOrganizationId, AuditActor.ApiKey(http, tenant.ApiKeyName!), change, $"Changed webhook endpoint {endpoint.Id}.");
        }
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(WebhookEndpointDto.From(endpoint));
    }

    internal static async Task<Ok<Dictionary<string, object>>> DeleteAsync(
        Guid id, HttpContext http, TenantContext tenant, TributaryDbContext db, AuditTrail audit, CancellationToken ct)
    {
        RequireProductionKey(tenant);
        var endpoint = await FindAsync(db, id, ct);
        db.WebhookEndpoints.Remove(endpoint);
        audit.Record(db, tenant.RequiredOrganizationId, AuditActor.ApiKey(http, tenant.ApiKeyName!), "DISABLED_MERGE_WEBHOOK",
            $"Removed webhook endpoint {endpoint.Id}.");
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(new Dictionary<string, object> { ["id"] = id, ["deleted"] = true });
    }

    internal static async Task<Ok<WebhookSigningKeyDto>> SigningKeyAsync(
        TenantContext tenant, TributaryDbContext db, WebhookSigningKeys keys, IOptions<WebhookOptions> options, CancellationToken ct)
    {
        RequireProductionKey(tenant);
        var current = await keys.CurrentAsync(db, tenant.RequiredOrganizationId, ct);
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(await KeyDtoAsync(db, keys, tenant.RequiredOrganizationId, current, options.Value, ct));
    }

    internal static async Task<Ok<WebhookSigningKeyDto>> RotateAsync(
        HttpContext http, TenantContext tenant, TributaryDbContext db, WebhookSigningKeys keys, IOptions<WebhookOptions> options,
        AuditTrail audit, CancellationToken ct)
    {
        RequireProductionKey(tenant);
        var fresh = await keys.RotateAsync(db, tenant.RequiredOrganizationId, ct);
        audit.Record(db, tenant.RequiredOrganizationId, AuditActor.ApiKey(http, tenant.ApiKeyName!), "REGENERATED_WEBHOOK_SIGNATURE",
            "Rotated the webhook signature key.");
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(await KeyDtoAsync(db, keys, tenant.RequiredOrganizationId, fresh, options.Value, ct));
    }

    internal static async Task<Ok<Paginated<WebhookDeliveryDto>>> DeliveriesAsync(
        HttpRequest request, TributaryDbContext db, CursorCodec cursors, CancellationToken ct)
    {
        var query = QueryReader.From(request);
        var cursor = query.String("cursor", 500);
        var pageSize = query.PageSize();
        var endpointId = query.Guid("webhook_id");
        var status = query.Choice("status", Statuses);
        var eventName = query.String("event", 100);
        var accountId = query.Guid("linked_account_id");
        query.ThrowIfInvalid();
        var deliveries = db.WebhookDeliveries.AsNoTracking();
        if (endpointId is { } e)
        {
            deliveries = deliveries.Where(d => d.EndpointId == e);
        }
        if (status is not null)
        {
            var wanted = Enum.Parse<WebhookDeliveryStatus>(status, ignoreCase: true);
            deliveries = deliveries.Where(d => d.Status == wanted);
        }
        if (eventName is not null)
        {
            deliveries = deliveries.Where(d => d.Event == eventName);
        }
        if (accountId is { } a)
        {
            deliveries = deliveries.Where(d => d.LinkedAccountId == a);
        }
        return TypedResults.Ok(await deliveries.ToPageAsync(cursors, "webhook-deliveries", cursor, pageSize,
            d => d.CreatedAt, d => d.Id, descending: true, d => WebhookDeliveryDto.From(d, withPayload: false), ct));
    }

    internal static async Task<Ok<WebhookDeliveryDto>> DeliveryAsync(Guid deliveryId, TributaryDbContext db, SealedPayloads sealedPayloads, CancellationToken ct)
    {
        var delivery = await db.WebhookDeliveries.AsNoTracking().SingleOrDefaultAsync(d => d.Id == deliveryId, ct)
            ?? throw ApiException.NotFound("No webhook delivery with this id.");
        if (delivery.Payload is not null && SealedPayloads.IsSealed(delivery.Payload))
        {
            // The log shows what was sent, except the account token it carried.
            var body = System.Text.Json.Nodes.JsonNode.Parse(await sealedPayloads.OpenAsync(db, delivery.Id, delivery.Payload, ct))!;
            body["data"]!["account_token"] = "[redacted]";
            delivery.Payload = body.ToJsonString();
        }
        return TypedResults.Ok(WebhookDeliveryDto.From(delivery, withPayload: true));
    }

    internal static async Task<Ok<WebhookDeliveryDto>> RedeliverAsync(
        Guid deliveryId, TenantContext tenant, TributaryDbContext db, TimeProvider time, CancellationToken ct)
    {
        RequireProductionKey(tenant);
        var delivery = await db.WebhookDeliveries.SingleOrDefaultAsync(d => d.Id == deliveryId, ct)
            ?? throw ApiException.NotFound("No webhook delivery with this id.");
        if (delivery.Status == WebhookDeliveryStatus.Pending)
        {
            throw ApiException.Detail(System.Net.HttpStatusCode.Conflict, "This delivery is still pending: it is retried on its own.");
        }
        // A fresh series of attempts, now; the earlier attempts stay in the log.
        delivery.Status = WebhookDeliveryStatus.Pending;
        delivery.Attempts = 0;
        delivery.NextAttemptAt = time.GetUtcNow().UtcDateTime;
        delivery.CompletedAt = null;
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(WebhookDeliveryDto.From(delivery, withPayload: false));
    }

    internal static async Task<Ok<Paginated<WebhookAttemptDto>>> AttemptsAsync(
        HttpRequest request, TributaryDbContext db, CursorCodec cursors, CancellationToken ct)
    {
        var query = QueryReader.From(request);
        var cursor = query.String("cursor", 500);
        var pageSize = query.PageSize();
        var deliveryId = query.Guid("delivery_id");
        var endpointId = query.Guid("webhook_id");
        query.ThrowIfInvalid();
        var attempts = db.WebhookAttempts.AsNoTracking();
        if (deliveryId is { } d)
        {
            attempts = attempts.Where(a => a.DeliveryId == d);
        }
        if (endpointId is { } e)
        {
            attempts = attempts.Where(a => a.EndpointId == e);
        }
        return TypedResults.Ok(await attempts.ToPageAsync(cursors, "webhook-attempts", cursor, pageSize,
            a => a.StartedAt, a => a.Id, descending: true, WebhookAttemptDto.From, ct));
    }

    private static async Task<WebhookSigningKeyDto> KeyDtoAsync(
        TributaryDbContext db, WebhookSigningKeys keys, Guid organizationId, ActiveSigningKey current, WebhookOptions options, CancellationToken ct)
    {
        var signing = await keys.SigningAsync(db, organizationId, ct);
        var previous = signing.FirstOrDefault(k => !k.IsCurrent);
        DateTime? previousUntil = previous is null ? null : current.CreatedAt + options.KeyRotationOverlap;
        return new WebhookSigningKeyDto(current.Key, current.CreatedAt, WebhookSignature.Header, previousUntil);
    }

    private static async Task<WebhookEndpoint> FindAsync(TributaryDbContext db, Guid id, CancellationToken ct) =>
        await db.WebhookEndpoints.SingleOrDefaultAsync(e => e.Id == id, ct) ?? throw ApiException.NotFound("No webhook endpoint with this id.");

    private static string? ValidUrl(FieldErrors errors, string? url, WebhookOptions options, bool required)
    {
        if (url is null && !required)
        {
            return null;
        }
        var value = errors.Required("url", url, 2000);
        if (value is not null && WebhookTargets.Problem(value, options.AllowPrivateTargets) is { } problem)
        {
            errors.Add("url", problem);
            return null;
        }
        return value;
    }

    private static string? ValidEvents(FieldErrors errors, List<string>? events, bool required)
    {
        if (events is null)
        {
            if (required)
            {
                errors.Add("events", $"This field is required: a list of events, or [\"*\"] for all. Events: {string.Join(", ", WebhookEvents.Known)}.");
            }
            return null;
        }
        if (events.Count == 0)
        {
            errors.Add("events", "Name at least one event, or [\"*\"] for all.");
            return null;
        }
        if (events.Contains(WebhookEvents.All))
        {
            return WebhookEvents.All;
        }
        var unknown = events.Where(e => !WebhookEvents.Known.Contains(e)).ToList();
        if (unknown.Count > 0)
        {
            errors.Add("events", $"Unknown events: {string.Join(", ", unknown)}. Use any of: {string.Join(", ", WebhookEvents.Known)}, or \"*\".");
            return null;
        }
        return string.Join(',', events.Distinct(StringComparer.Ordinal));
    }

    private static void RequireProductionKey(TenantContext tenant)
    {
        if (tenant.Environment != ApiEnvironment.Production)
        {
            throw ApiException.Forbidden("Webhooks are organization settings: change them and read the signature key with a production API key.");
        }
    }
}
