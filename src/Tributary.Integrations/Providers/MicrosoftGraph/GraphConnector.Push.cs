using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tributary.Integrations.FileStorage;

namespace Tributary.Integrations.Providers.MicrosoftGraph;

/// <summary>
/// Change notifications through Graph subscriptions: one per synced drive, on the drive root (the only
/// driveItem resource business drives accept, and <c>updated</c> the only change type). Graph checks the
/// notification URL while creating each one (<c>?validationToken=</c> echo), sends the clientState back with
/// every notification, and drops a subscription that is not renewed before <c>expirationDateTime</c>.
/// </summary>
public abstract partial class GraphConnector
{
    public string PushProvider => "microsoft-graph";

    public async Task<IReadOnlyList<PushSubscription>> SubscribeAsync(ConnectorContext context, PushTarget target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(target);
        var subscriptions = new List<PushSubscription>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            await foreach (var (drive, _) in DiscoverDrivesAsync(context, cancellationToken))
            {
                if (GraphMapper.String(drive, "id") is { } driveId && seen.Add(driveId))
                {
                    subscriptions.Add(await CreateSubscriptionAsync(context, driveId, target, cancellationToken));
                }
            }
        }
        catch (Exception) when (subscriptions.Count > 0)
        {
            // All or nothing: the platform records only what this call returns, so half a set would leak subscriptions.
            foreach (var created in subscriptions)
            {
                await DeleteSubscriptionQuietlyAsync(context, created.ExternalId);
            }
            throw;
        }
        return subscriptions;
    }

    public async Task<PushSubscription> RenewAsync(ConnectorContext context, PushSubscription current, PushTarget target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(current);
        var body = new JsonObject { ["expirationDateTime"] = Timestamp(_time.GetUtcNow() + Options.PushSubscriptionLifetime) };
        using var renewed = await SendJsonAsync(context, () => new HttpRequestMessage(HttpMethod.Patch, $"{Api}/subscriptions/{Escape(current.ExternalId)}")
        {
            Content = JsonContent.Create(body),
        }, cancellationToken);
        return current with { ExpiresAt = Expiry(renewed.RootElement) };
    }

    public async Task UnsubscribeAsync(ConnectorContext context, PushSubscription current, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(current);
        try
        {
            using var _ = await Http.SendAsync(context, () => new HttpRequestMessage(HttpMethod.Delete, $"{Api}/subscriptions/{Escape(current.ExternalId)}"), cancellationToken);
        }
        catch (ProviderException e) when (e.Kind == ProviderErrorKind.NotFound)
        {
            // Already expired or deleted at Graph: nothing left to stop.
        }
    }

    private async Task<PushSubscription> CreateSubscriptionAsync(ConnectorContext context, string driveId, PushTarget target, CancellationToken cancellationToken)
    {
        var body = new JsonObject
        {
            ["changeType"] = "updated",
            ["notificationUrl"] = target.NotificationUrl.AbsoluteUri,
            ["resource"] = $"/drives/{driveId}/root",
            ["expirationDateTime"] = Timestamp(_time.GetUtcNow() + Options.PushSubscriptionLifetime),
            ["clientState"] = target.Secret,
        };
        using var created = await SendJsonAsync(context, () => new HttpRequestMessage(HttpMethod.Post, $"{Api}/subscriptions")
        {
            Content = JsonContent.Create(body),
        }, cancellationToken);
        var id = GraphMapper.String(created.RootElement, "id")
            ?? throw new ProviderException(ProviderErrorKind.Transient, "Microsoft Graph created a subscription without an id.");
        return new PushSubscription(id, driveId, Expiry(created.RootElement));
    }

    private async Task DeleteSubscriptionQuietlyAsync(ConnectorContext context, string subscriptionId)
    {
        try
        {
            await UnsubscribeAsync(context, new PushSubscription(subscriptionId, null, null), CancellationToken.None);
        }
        catch (ProviderException)
        {
            // Best effort: an orphan expires on its own, and its notifications name no known subscription.
        }
    }

    private static DateTimeOffset Expiry(JsonElement subscription) =>
        GraphMapper.String(subscription, "expirationDateTime") is { } raw
        && DateTimeOffset.TryParse(raw, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? at
            : throw new ProviderException(ProviderErrorKind.Transient, "Microsoft Graph answered a subscription without a valid expirationDateTime.");

    private static string Timestamp(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
}
