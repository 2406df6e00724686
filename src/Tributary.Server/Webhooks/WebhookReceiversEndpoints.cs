using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Tributary.Data;
using Tributary.Data.Entities.Webhooks;
using Tributary.Server.Auth;
using Tributary.Server.Conventions;
using Tributary.Server.Linking;
using Tributary.Server.Vault;

namespace Tributary.Server.Webhooks;

/// <summary>Body of <c>POST /webhook-receivers</c>: Merge's <c>WebhookReceiverRequest</c>.</summary>
internal sealed record WebhookReceiverRequest(string? Event, bool? IsActive, string? Key);

/// <summary>Merge's <c>WebhookReceiver</c>.</summary>
internal sealed record WebhookReceiverDto(string Event, bool IsActive, string? Key);

/// <summary>
/// Merge's per-linked-account <c>GET/POST /webhook-receivers</c> (account token): the third-party
/// events the account listens for on its <c>webhook_listener_url</c>, each with an optional key to
/// verify them. POST upserts by event. The key is sealed by the vault at rest.
/// </summary>
internal static class WebhookReceiversEndpoints
{
    public static RouteGroupBuilder MapWebhookReceivers(this RouteGroupBuilder category)
    {
        category.MapGet("/webhook-receivers", ListAsync).RequireAccountToken()
            .WithName("ListWebhookReceivers").WithTags("Webhook receivers")
            .WithSummary("The linked account's webhook receivers (a JSON array)");
        category.MapPost("/webhook-receivers", CreateAsync).RequireAccountToken()
            .WithName("CreateWebhookReceiver").WithTags("Webhook receivers")
            .WithSummary("Add or update the receiver for a third-party event: {\"event\", \"is_active\", \"key\"?}");
        return category;
    }

    internal static async Task<Ok<List<WebhookReceiverDto>>> ListAsync(
        TenantContext tenant, TributaryDbContext db, CredentialVault vault, CancellationToken ct)
    {
        var rows = await db.WebhookReceivers.AsNoTracking().OrderBy(r => r.CreatedAt).ThenBy(r => r.Id).ToListAsync(ct);
        var result = new List<WebhookReceiverDto>(rows.Count);
        foreach (var row in rows)
        {
            result.Add(await ToDtoAsync(db, vault, row, ct));
        }
        return TypedResults.Ok(result);
    }

    internal static async Task<Created<WebhookReceiverDto>> CreateAsync(
        HttpContext http, TenantContext tenant, TributaryDbContext db, CredentialVault vault, TimeProvider time, CancellationToken ct)
    {
        var body = await JsonBody.ReadAsync<WebhookReceiverRequest>(http.Request, ct);
        var errors = new FieldErrors();
        var eventName = errors.Required("event", body.Event, 200);
        if (body.IsActive is null)
        {
            errors.Add("is_active", "This field is required.");
        }
        if (body.Key is { Length: > 2000 })
        {
            errors.Add("key", "Ensure this field has no more than 2000 characters.");
        }
        errors.ThrowIfAny();

        var accountId = tenant.RequiredLinkedAccountId;
        var now = time.GetUtcNow();
        var receiver = await db.WebhookReceivers.SingleOrDefaultAsync(r => r.Event == eventName, ct);
        if (receiver is null)
        {
            receiver = new WebhookReceiver
            {
                Id = Guid.CreateVersion7(now),
                OrganizationId = tenant.RequiredOrganizationId,
                LinkedAccountId = accountId,
                Event = eventName!,
                CreatedAt = now.UtcDateTime,
            };
            db.WebhookReceivers.Add(receiver);
        }
        receiver.IsActive = body.IsActive!.Value;
        receiver.UpdatedAt = now.UtcDateTime;
        if (body.Key is not null)
        {
            var sealedKey = await vault.SealStringAsync(db, body.Key, Purpose(accountId, receiver.Id), ct);
            receiver.Key = sealedKey.Ciphertext;
            receiver.VaultKeyId = sealedKey.KeyId;
        }
        await db.SaveChangesAsync(ct);
        return TypedResults.Created((string?)null, new WebhookReceiverDto(receiver.Event, receiver.IsActive, body.Key ?? await KeyAsync(db, vault, receiver, ct)));
    }

    public static string Purpose(Guid linkedAccountId, Guid receiverId) => $"webhook-receiver:{linkedAccountId:N}:{receiverId:N}";

    private static async Task<WebhookReceiverDto> ToDtoAsync(TributaryDbContext db, CredentialVault vault, WebhookReceiver row, CancellationToken ct) =>
        new(row.Event, row.IsActive, await KeyAsync(db, vault, row, ct));

    private static async Task<string?> KeyAsync(TributaryDbContext db, CredentialVault vault, WebhookReceiver row, CancellationToken ct) =>
        row.Key is null ? null : await vault.OpenStringAsync(db, row.Key, Purpose(row.LinkedAccountId, row.Id), ct);
}
