using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tributary.Integrations.FileStorage;

namespace Tributary.Integrations.Providers.Box;

/// <summary>
/// Change notifications through Box webhooks v2. Box refuses a webhook on the root folder <c>0</c>, so each
/// top-level folder gets one (a folder webhook covers its subtree), up to <see cref="BoxOptions.MaxPushWebhooks"/>.
/// Deliveries are signed with the application's signature keys, not a per-webhook secret, so
/// <see cref="PushTarget.Secret"/> is not used. Webhooks do not expire.
/// </summary>
/// <remarks>
/// Not covered, and left to the scheduled syncs: files directly in the root, top-level folders beyond the
/// cap, and top-level folders created after subscribing (until the next subscribe, e.g. after relinking).
/// </remarks>
public sealed partial class BoxConnector
{
    /// <summary>What changes the synced data; previews, downloads, comments and tasks do not.</summary>
    internal static readonly string[] WebhookTriggers =
    [
        "FILE.UPLOADED", "FILE.TRASHED", "FILE.DELETED", "FILE.RESTORED", "FILE.COPIED", "FILE.MOVED", "FILE.RENAMED",
        "FOLDER.CREATED", "FOLDER.RENAMED", "FOLDER.RESTORED", "FOLDER.DELETED", "FOLDER.COPIED", "FOLDER.MOVED", "FOLDER.TRASHED",
        "COLLABORATION.CREATED", "COLLABORATION.ACCEPTED", "COLLABORATION.REMOVED", "COLLABORATION.UPDATED",
        "SHARED_LINK.CREATED", "SHARED_LINK.UPDATED", "SHARED_LINK.DELETED",
    ];

    public string PushProvider => "box";

    public async Task<IReadOnlyList<PushSubscription>> SubscribeAsync(ConnectorContext context, PushTarget target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(target);
        var subscriptions = new List<PushSubscription>();
        try
        {
            foreach (var folderId in await TopLevelFoldersAsync(context, cancellationToken))
            {
                subscriptions.Add(await CreateWebhookAsync(context, folderId, target.NotificationUrl, cancellationToken));
            }
        }
        catch (Exception) when (subscriptions.Count > 0)
        {
            // All or nothing: the platform records only what this call returns, so half a set would leak webhooks.
            foreach (var created in subscriptions)
            {
                await DeleteWebhookQuietlyAsync(context, created.ExternalId);
            }
            throw;
        }
        return subscriptions;
    }

    /// <summary>Box webhooks do not expire; this checks the webhook still exists (NotFound makes the platform subscribe anew).</summary>
    public async Task<PushSubscription> RenewAsync(ConnectorContext context, PushSubscription current, PushTarget target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(current);
        using var _ = await GetJsonAsync(context, $"{_api}/webhooks/{Uri.EscapeDataString(current.ExternalId)}", cancellationToken);
        return current;
    }

    public async Task UnsubscribeAsync(ConnectorContext context, PushSubscription current, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(current);
        try
        {
            using var _ = await _http.SendAsync(context, () => new HttpRequestMessage(HttpMethod.Delete, $"{_api}/webhooks/{Uri.EscapeDataString(current.ExternalId)}"), cancellationToken);
        }
        catch (ProviderException e) when (e.Kind == ProviderErrorKind.NotFound)
        {
            // Already gone at Box.
        }
    }

    private async Task<List<string>> TopLevelFoldersAsync(ConnectorContext context, CancellationToken ct)
    {
        var folders = new List<string>();
        string? marker = null;
        do
        {
            var url = $"{_api}/folders/{BoxMapper.RootFolderId}/items?fields=type,id&limit=1000&usemarker=true"
                + (marker is null ? "" : "&marker=" + Uri.EscapeDataString(marker));
            using var page = await GetJsonAsync(context, url, ct);
            folders.AddRange(Entries(page.RootElement).Where(e => BoxMapper.TypeOf(e) == "folder").Select(e => BoxMapper.Text(e, "id")).OfType<string>());
            marker = NextMarker(page.RootElement);
        }
        while (marker is not null && folders.Count < _options.MaxPushWebhooks);
        return [.. folders.Take(_options.MaxPushWebhooks)];
    }

    private async Task<PushSubscription> CreateWebhookAsync(ConnectorContext context, string folderId, Uri address, CancellationToken ct)
    {
        var body = new JsonObject
        {
            ["target"] = new JsonObject { ["id"] = folderId, ["type"] = "folder" },
            ["address"] = address.AbsoluteUri,
            ["triggers"] = new JsonArray([.. WebhookTriggers.Select(t => (JsonNode)t)]),
        };
        try
        {
            using var created = await _http.SendForJsonAsync(context, () => new HttpRequestMessage(HttpMethod.Post, $"{_api}/webhooks")
            {
                Content = JsonContent.Create(body),
            }, ct);
            return Subscription(created.RootElement, folderId);
        }
        catch (ProviderException e) when (e.HttpStatus == 409)
        {
            // This application already has a webhook on the folder for this user (an earlier link, or a subscribe
            // whose answer was lost): take it over, pointed at the current address.
            if (await FindWebhookAsync(context, folderId, ct) is not { } existing)
            {
                throw;
            }
            var update = new JsonObject { ["address"] = address.AbsoluteUri, ["triggers"] = new JsonArray([.. WebhookTriggers.Select(t => (JsonNode)t)]) };
            using var updated = await _http.SendForJsonAsync(context, () => new HttpRequestMessage(HttpMethod.Put, $"{_api}/webhooks/{Uri.EscapeDataString(existing)}")
            {
                Content = JsonContent.Create(update),
            }, ct);
            return Subscription(updated.RootElement, folderId);
        }
    }

    private async Task<string?> FindWebhookAsync(ConnectorContext context, string folderId, CancellationToken ct)
    {
        string? marker = null;
        do
        {
            var url = $"{_api}/webhooks?limit=100" + (marker is null ? "" : "&marker=" + Uri.EscapeDataString(marker));
            using var page = await GetJsonAsync(context, url, ct);
            foreach (var webhook in Entries(page.RootElement))
            {
                if (webhook.TryGetProperty("target", out var target) && BoxMapper.Text(target, "id") == folderId && BoxMapper.Text(target, "type") == "folder")
                {
                    return BoxMapper.Text(webhook, "id");
                }
            }
            marker = NextMarker(page.RootElement);
        }
        while (marker is not null);
        return null;
    }

    private async Task DeleteWebhookQuietlyAsync(ConnectorContext context, string webhookId)
    {
        try
        {
            await UnsubscribeAsync(context, new PushSubscription(webhookId, null, null), CancellationToken.None);
        }
        catch (ProviderException)
        {
            // Best effort: an orphan's deliveries name no known webhook and are ignored.
        }
    }

    private static PushSubscription Subscription(JsonElement webhook, string folderId) =>
        new(BoxMapper.Text(webhook, "id") ?? throw new ProviderException(ProviderErrorKind.Transient, "Box answered a webhook without an id."), folderId, null);

    private static string? NextMarker(JsonElement page) =>
        page.TryGetProperty("next_marker", out var m) && m.ValueKind == JsonValueKind.String && m.GetString() is { Length: > 0 } next ? next : null;
}
