using Tributary.Integrations.FileStorage;

namespace Tributary.Integrations.Providers.Dropbox;

/// <summary>
/// Dropbox webhooks are configured once per app in the App Console (one URL for every user of the app),
/// not through the API, and each notification lists the account ids whose files changed. So "subscribing"
/// only learns the account id (<c>users/get_current_account</c>) that notifications will name; there is
/// nothing to renew or stop, and <see cref="PushTarget"/> is not used.
/// </summary>
public sealed partial class DropboxConnector
{
    public string PushProvider => "dropbox";

    public async Task<IReadOnlyList<PushSubscription>> SubscribeAsync(ConnectorContext context, PushTarget target, CancellationToken cancellationToken)
    {
        var run = new Run(this, context, _options, cancellationToken);
        await run.StartAsync();
        return [new PushSubscription(run.MeId, null, null)];
    }

    public Task<PushSubscription> RenewAsync(ConnectorContext context, PushSubscription current, PushTarget target, CancellationToken cancellationToken) =>
        Task.FromResult(current);

    /// <summary>The app-wide webhook stays; notifications for an account nobody links any more match no channel and are ignored.</summary>
    public Task UnsubscribeAsync(ConnectorContext context, PushSubscription current, CancellationToken cancellationToken) => Task.CompletedTask;
}
