using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Tributary.Server.Tests.Connectors.Fakes;

namespace Tributary.Server.Tests.Connectors.Box;

/// <summary>A webhook the Box fake holds.</summary>
internal sealed class FakeBoxWebhook(string id, string folderId)
{
    public string Id { get; } = id;
    public string FolderId { get; } = folderId;
    public required Uri Address { get; set; }
    public required List<string> Triggers { get; set; }
    public DateTimeOffset CreatedAt { get; init; }
}

/// <summary>
/// Box webhooks v2, as Box runs them: <c>POST/GET/PUT/DELETE /webhooks</c>, no webhook on the root folder
/// <c>0</c>, 409 for a second webhook of the application on the same target, and a change anywhere in a
/// target folder's subtree delivered to its address when the trigger was asked for, signed as Box signs:
/// <c>BOX-SIGNATURE-PRIMARY</c>/<c>SECONDARY</c> = base64 HMAC-SHA256(key, body bytes + <c>BOX-DELIVERY-TIMESTAMP</c>).
/// </summary>
internal sealed partial class BoxFake
{
    private readonly ConcurrentDictionary<string, (string Name, string? Parent)> _webhookSeen = new(StringComparer.Ordinal);
    private long _nextWebhookId = 2_000_000;

    public ConcurrentDictionary<string, FakeBoxWebhook> Webhooks { get; } = new(StringComparer.Ordinal);

    public FakeNotifier Notifier { get; } = new();

    /// <summary>The application's signature keys (Developer Console → Webhooks → Manage signature keys).</summary>
    public string PrimarySignatureKey { get; set; } = "box-fake-primary-signature-key";

    public string SecondarySignatureKey { get; set; } = "box-fake-secondary-signature-key";

    private void MapWebhooks(WebApplication app)
    {
        app.MapPost("/2.0/webhooks", Authorized(CreateWebhookAsync));
        app.MapGet("/2.0/webhooks", AuthorizedJson(ListWebhooks));
        app.MapGet("/2.0/webhooks/{id}", AuthorizedJson(c => Webhooks.TryGetValue((string)c.Request.RouteValues["id"]!, out var w) ? WebhookJson(w) : NotFound(c)));
        app.MapPut("/2.0/webhooks/{id}", Authorized(UpdateWebhookAsync));
        app.MapDelete("/2.0/webhooks/{id}", Authorized(DeleteWebhook));
    }

    private async Task CreateWebhookAsync(HttpContext context)
    {
        var body = await JsonNode.ParseAsync(context.Request.Body) as JsonObject;
        var targetId = body?["target"]?["id"]?.GetValue<string>();
        var targetType = body?["target"]?["type"]?.GetValue<string>();
        var address = body?["address"]?.GetValue<string>();
        var triggers = (body?["triggers"] as JsonArray)?.Select(t => t!.GetValue<string>()).ToList();
        if (targetId is null || targetType is null || address is null || triggers is not { Count: > 0 }
            || !Uri.TryCreate(address, UriKind.Absolute, out var url))
        {
            await WriteErrorAsync(context, 400, "bad_request", "target, address and triggers are required; address must be an absolute URL.");
            return;
        }
        if (targetType == "folder" && targetId == "0")
        {
            await WriteErrorAsync(context, 400, "bad_request", "Webhooks cannot be created on the root folder.");
            return;
        }
        if (targetType != "folder" || Tree.Find(targetId) is not { IsFolder: true, Deleted: false })
        {
            await NotFound(context);
            return;
        }
        if (Webhooks.Values.Any(w => w.FolderId == targetId))
        {
            await WriteErrorAsync(context, 409, "conflict", "Webhook:" + Webhooks.Values.First(w => w.FolderId == targetId).Id + " already exists on the requested target.");
            return;
        }
        var webhook = new FakeBoxWebhook(Interlocked.Increment(ref _nextWebhookId).ToString(CultureInfo.InvariantCulture), targetId)
        {
            Address = url, Triggers = triggers, CreatedAt = TimeProvider.System.GetUtcNow(),
        };
        Webhooks[webhook.Id] = webhook;
        context.Response.StatusCode = 201;
        await context.Response.WriteAsJsonAsync(WebhookJson(webhook));
    }

    private JsonObject ListWebhooks(HttpContext context)
    {
        var all = Webhooks.Values.OrderBy(w => w.Id, StringComparer.Ordinal).ToList();
        var limit = Math.Min(Int(context, "limit", 100), 1000);
        var start = context.Request.Query["marker"] is { Count: > 0 } m ? DecodeMarker(m.ToString()) : 0;
        var page = all.Skip(start).Take(limit).ToList();
        return new JsonObject
        {
            ["limit"] = limit,
            ["next_marker"] = start + page.Count < all.Count ? EncodeMarker(start + page.Count) : null,
            ["entries"] = new JsonArray([.. page.Select(w => (JsonNode)new JsonObject
            {
                ["id"] = w.Id, ["type"] = "webhook", ["target"] = new JsonObject { ["id"] = w.FolderId, ["type"] = "folder" },
            })]),
        };
    }

    private async Task UpdateWebhookAsync(HttpContext context)
    {
        if (!Webhooks.TryGetValue((string)context.Request.RouteValues["id"]!, out var webhook))
        {
            await NotFound(context);
            return;
        }
        var body = await JsonNode.ParseAsync(context.Request.Body) as JsonObject;
        if (body?["address"]?.GetValue<string>() is { } address && Uri.TryCreate(address, UriKind.Absolute, out var url))
        {
            webhook.Address = url;
        }
        if (body?["triggers"] is JsonArray triggers)
        {
            webhook.Triggers = [.. triggers.Select(t => t!.GetValue<string>())];
        }
        await context.Response.WriteAsJsonAsync(WebhookJson(webhook));
    }

    private Task DeleteWebhook(HttpContext context)
    {
        if (!Webhooks.TryRemove((string)context.Request.RouteValues["id"]!, out _))
        {
            return NotFound(context);
        }
        context.Response.StatusCode = 204;
        return Task.CompletedTask;
    }

    private JsonObject WebhookJson(FakeBoxWebhook webhook) => new()
    {
        ["id"] = webhook.Id, ["type"] = "webhook",
        ["target"] = new JsonObject { ["id"] = webhook.FolderId, ["type"] = "folder" },
        ["created_by"] = User(Tree.Me, full: false),
        ["created_at"] = Date(webhook.CreatedAt),
        ["address"] = webhook.Address.AbsoluteUri,
        ["triggers"] = new JsonArray([.. webhook.Triggers.Select(t => (JsonNode)t)]),
    };

    /// <summary>Turns a change in the tree into a signed delivery to every webhook whose folder contains the item.</summary>
    private void DeliverWebhooks(FakeChange change, FakeItem item)
    {
        var kind = item.IsFolder ? "FOLDER" : "FILE";
        var before = _webhookSeen.TryGetValue(item.Id, out var seen) ? seen : ((string Name, string? Parent)?)null;
        _webhookSeen[item.Id] = (item.Name, item.ParentId);
        var trigger = change.Removed ? $"{kind}.TRASHED"
            : before is null && item.Version == 1 ? (item.IsFolder ? "FOLDER.CREATED" : "FILE.UPLOADED")
            : before is { } b && b.Parent != item.ParentId ? $"{kind}.MOVED"
            : before is { } n && n.Name != item.Name ? $"{kind}.RENAMED"
            : item.IsFolder ? "FOLDER.RENAMED" : "FILE.UPLOADED";
        if (Webhooks.IsEmpty)
        {
            return;
        }
        var ancestors = new HashSet<string>(StringComparer.Ordinal) { item.Id };
        for (var parent = item.ParentId; parent is not null && Tree.Find(parent) is { } folder; parent = folder.ParentId)
        {
            ancestors.Add(parent);
        }
        foreach (var webhook in Webhooks.Values.Where(w => ancestors.Contains(w.FolderId) && w.Triggers.Contains(trigger)))
        {
            var body = new JsonObject
            {
                ["type"] = "webhook_event",
                ["id"] = Guid.NewGuid().ToString(),
                ["created_at"] = Date(TimeProvider.System.GetUtcNow()),
                ["trigger"] = trigger,
                ["webhook"] = new JsonObject { ["id"] = webhook.Id, ["type"] = "webhook" },
                ["created_by"] = User(Tree.Me, full: false),
                ["source"] = new JsonObject { ["id"] = item.Id, ["type"] = item.IsFolder ? "folder" : "file", ["name"] = item.Name },
            }.ToJsonString();
            var timestamp = TimeProvider.System.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);
            Notifier.Send(webhook.Address, body, "application/json", request =>
            {
                request.Headers.Add("BOX-DELIVERY-ID", Guid.NewGuid().ToString());
                request.Headers.Add("BOX-DELIVERY-TIMESTAMP", timestamp);
                request.Headers.Add("BOX-SIGNATURE-VERSION", "1");
                request.Headers.Add("BOX-SIGNATURE-ALGORITHM", "HmacSHA256");
                request.Headers.Add("BOX-SIGNATURE-PRIMARY", Sign(PrimarySignatureKey, body, timestamp));
                request.Headers.Add("BOX-SIGNATURE-SECONDARY", Sign(SecondarySignatureKey, body, timestamp));
            });
        }
    }

    public static string Sign(string key, string body, string timestamp) =>
        Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(body + timestamp)));
}
