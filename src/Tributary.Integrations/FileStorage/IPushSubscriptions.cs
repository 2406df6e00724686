namespace Tributary.Integrations.FileStorage;

/// <summary>
/// Where a provider should send change notifications for one account, and the secret it must echo
/// (Drive channel token, Graph clientState) so the push endpoint can tell a real notification from a
/// forged one. Providers that sign with an app-level key (Box, Dropbox) ignore the secret.
/// </summary>
public sealed record PushTarget(Uri NotificationUrl, string Secret);

/// <summary>
/// One provider-side subscription: a Drive watch channel, a Graph subscription (one per drive), a Box
/// webhook, or a Dropbox account id (Dropbox webhooks are configured once per app; the account id is
/// what its notifications name). <see cref="ExternalId"/> is what a notification carries to identify it;
/// <see cref="ResourceId"/> is whatever else the provider needs to renew or stop it; null
/// <see cref="ExpiresAt"/> means it does not expire.
/// </summary>
public sealed record PushSubscription(string ExternalId, string? ResourceId, DateTimeOffset? ExpiresAt);

/// <summary>
/// Implemented by connectors whose provider pushes change notifications. The platform calls these
/// after linking, before expiry and when the account is deleted, records what they return, and turns
/// each verified notification into a debounced incremental sync; the change feed stays the source of
/// truth, a notification only says "read it now". Connectors never see the database: they only call
/// the provider.
/// </summary>
public interface IPushSubscriptions
{
    /// <summary>The push endpoint's provider name under <c>/api/push/{provider}</c> (e.g. <c>google-drive</c>).</summary>
    string PushProvider { get; }

    /// <summary>Starts notifications for the whole account (one subscription per drive where the provider needs that).</summary>
    Task<IReadOnlyList<PushSubscription>> SubscribeAsync(ConnectorContext context, PushTarget target, CancellationToken cancellationToken);

    /// <summary>
    /// Extends <paramref name="current"/>. Returns the subscription as it now stands (a provider that cannot
    /// extend in place may return a new one). Throws <see cref="ProviderException"/> NotFound when the
    /// provider no longer knows it; the platform then subscribes anew.
    /// </summary>
    Task<PushSubscription> RenewAsync(ConnectorContext context, PushSubscription current, PushTarget target, CancellationToken cancellationToken);

    /// <summary>Stops <paramref name="current"/>; a subscription the provider no longer knows is not an error.</summary>
    Task UnsubscribeAsync(ConnectorContext context, PushSubscription current, CancellationToken cancellationToken);
}
