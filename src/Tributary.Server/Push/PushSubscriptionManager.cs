using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Tributary.Data;
using Tributary.Data.Entities;
using Tributary.Data.Entities.Webhooks;
using Tributary.Integrations.FileStorage;
using Tributary.Server.Sync;

namespace Tributary.Server.Push;

/// <summary>What one maintenance pass did for an account.</summary>
internal enum PushMaintenance
{
    /// <summary>Push subscriptions are off (no <c>Push:PublicBaseUrl</c>), or the account's provider does not push.</summary>
    NotApplicable,

    /// <summary>The account's subscriptions are live and not due for renewal.</summary>
    Unchanged,

    Subscribed,
    Renewed,

    /// <summary>Another replica maintains this account right now.</summary>
    Busy,

    /// <summary>The provider asked this account's callers to wait (the shared provider budget); the next sweep tries again.</summary>
    RateLimited,

    /// <summary>The provider refused or failed; the account keeps being polled and an issue is open.</summary>
    Failed,

    /// <summary>The account is gone, not linked yet, or needs relinking.</summary>
    Skipped,
}

/// <summary>
/// The provider side of push: creates the subscriptions (Drive watch channels, Graph subscriptions,
/// Box webhooks, a Dropbox account id) of accounts whose connector implements
/// <see cref="IPushSubscriptions"/>, renews them before they expire, subscribes anew when the provider
/// forgot them and stops them when the account is deleted. Everything is recorded in
/// <c>push_channels</c> through <see cref="PushChannels"/>, which the push endpoints read. A provider
/// failure never affects syncs: the account is polled as before, and an issue says why push is off.
/// One pass per account at a time across replicas (the <c>push:{account}</c> lease).
/// </summary>
internal sealed class PushSubscriptionManager(
    IServiceScopeFactory scopes, ConnectorResolver connectors, PushChannels channels, Leases leases, ProviderBudget budget, TimeProvider time,
    IOptionsMonitor<PushOptions> options, ILogger<PushSubscriptionManager> logger)
{
    public const string IssueDescription = "Push notifications unavailable";
    private static readonly TimeSpan LeaseDuration = TimeSpan.FromMinutes(2);
    private int _offLogged;

    /// <summary>Whether push subscriptions are on (<c>Push:PublicBaseUrl</c> is set); logs once per process when they are off.</summary>
    public bool Enabled
    {
        get
        {
            if (options.CurrentValue.PublicBaseUrl is not null)
            {
                return true;
            }
            if (Interlocked.Exchange(ref _offLogged, 1) == 0)
            {
                logger.LogInformation("Push:PublicBaseUrl is not set: no provider push subscriptions are created, linked accounts are polled at their sync frequency");
            }
            return false;
        }
    }

    /// <summary>The connector of <paramref name="integration"/> if its provider pushes.</summary>
    public IPushSubscriptions? Find(string integration) => connectors.Find(integration) as IPushSubscriptions;

    /// <summary>
    /// Accounts that need a pass now: linked, of a provider that pushes, and without a live
    /// subscription or with one expiring within <see cref="PushOptions.RenewBefore"/>.
    /// </summary>
    public async Task<IReadOnlyList<Guid>> DueAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TributaryDbContext>();
        var pushing = (await db.LinkedAccounts.IgnoreQueryFilters().Select(a => a.IntegrationSlug).Distinct().ToListAsync(ct))
            .Where(slug => Find(slug) is not null).ToList();
        if (pushing.Count == 0)
        {
            return [];
        }
        var renewBy = time.GetUtcNow().UtcDateTime + options.CurrentValue.RenewBefore;
        return await db.LinkedAccounts.IgnoreQueryFilters()
            .Where(a => a.Category == SyncRunner.Category && a.Status == LinkedAccountStatus.Complete && pushing.Contains(a.IntegrationSlug))
            .Where(a => !db.PushChannels.IgnoreQueryFilters().Any(c => c.LinkedAccountId == a.Id)
                        || db.PushChannels.IgnoreQueryFilters().Any(c => c.LinkedAccountId == a.Id && c.ExpiresAt != null && c.ExpiresAt < renewBy))
            .OrderBy(a => a.Id).Select(a => a.Id).ToListAsync(ct);
    }

    /// <summary>
    /// Subscribes the account if it has no subscription, renews those expiring soon, and subscribes
    /// anew when the provider no longer knows one. Never throws for a provider failure.
    /// </summary>
    public async Task<PushMaintenance> MaintainAsync(Guid linkedAccountId, CancellationToken ct)
    {
        if (!Enabled)
        {
            return PushMaintenance.NotApplicable;
        }
        var lease = await leases.TryAcquireAsync(Leases.Push(linkedAccountId), LeaseDuration, ct);
        if (lease is null)
        {
            return PushMaintenance.Busy;
        }
        await using (lease)
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<TributaryDbContext>();
            var account = await db.LinkedAccounts.IgnoreQueryFilters().SingleOrDefaultAsync(a => a.Id == linkedAccountId, ct);
            if (account is null || account.Status != LinkedAccountStatus.Complete || account.Category != SyncRunner.Category)
            {
                return PushMaintenance.Skipped;
            }
            if (Find(account.IntegrationSlug) is not { } connector)
            {
                return PushMaintenance.NotApplicable;
            }
            if (await budget.RemainingWaitAsync(account.Id, ct) is not null)
            {
                // Syncs, live calls and agent calls share the account's budget: push waits like them.
                return PushMaintenance.RateLimited;
            }
            var target = options.CurrentValue.NotificationUrl(connector.PushProvider)!;
            try
            {
                var context = await scope.ServiceProvider.GetRequiredService<SyncRunner>().ContextAsync(account.Id, ct);
                var outcome = await MaintainAsync(db, account, connector, context, target, ct);
                await ResolveIssueAsync(db, account, ct);
                await db.SaveChangesAsync(ct);
                return outcome;
            }
            catch (ProviderException e) when (e.Kind == ProviderErrorKind.RateLimited)
            {
                if (e.RetryAfter is { } wait)
                {
                    await budget.RecordWaitAsync(account.Id, wait, CancellationToken.None);
                }
                logger.LogInformation("Push subscription of linked account {LinkedAccountId} deferred: the provider asked to wait", account.Id);
                return PushMaintenance.RateLimited;
            }
            catch (ProviderException e)
            {
                db.ChangeTracker.Clear();
                logger.LogWarning("Push subscription of linked account {LinkedAccountId} ({Integration}) failed: {Kind} {Message}. The account keeps being polled.",
                    account.Id, account.IntegrationSlug, e.Kind, e.Message);
                var fresh = await db.LinkedAccounts.IgnoreQueryFilters().SingleOrDefaultAsync(a => a.Id == linkedAccountId, CancellationToken.None);
                // A refused credential already opened "Relink needed"; a second issue would say nothing new.
                if (fresh is { Status: LinkedAccountStatus.Complete })
                {
                    await scope.ServiceProvider.GetRequiredService<SyncIssues>().OpenAsync(db, fresh,
                        IssueDescription, $"Subscribing to {account.IntegrationSlug} change notifications failed ({e.Kind}): {e.Message}", CancellationToken.None);
                    await db.SaveChangesAsync(CancellationToken.None);
                }
                return PushMaintenance.Failed;
            }
        }
    }

    private async Task<PushMaintenance> MaintainAsync(
        TributaryDbContext db, LinkedAccount account, IPushSubscriptions connector, ConnectorContext context, Uri target, CancellationToken ct)
    {
        var existing = await db.PushChannels.IgnoreQueryFilters()
            .Where(c => c.LinkedAccountId == account.Id && c.Provider == connector.PushProvider).OrderBy(c => c.CreatedAt).ToListAsync(ct);
        var now = time.GetUtcNow().UtcDateTime;
        var renewBy = now + options.CurrentValue.RenewBefore;
        var live = existing.Where(c => c.ExpiresAt is null || c.ExpiresAt > now).ToList();
        // Expired channels are gone at the provider: forget them.
        db.PushChannels.RemoveRange(existing.Except(live));

        if (live.Count == 0)
        {
            await SubscribeAsync(db, account, connector, context, target, ct);
            return PushMaintenance.Subscribed;
        }

        var renewed = false;
        foreach (var channel in live.Where(c => c.ExpiresAt is { } expires && expires < renewBy))
        {
            var secret = channel.Secret is null ? PushChannels.NewSecret() : await channels.OpenSecretAsync(db, channel, ct);
            PushSubscription fresh;
            try
            {
                fresh = await connector.RenewAsync(context, ToSubscription(channel), new PushTarget(target, secret), ct);
            }
            catch (ProviderException e) when (e.Kind == ProviderErrorKind.NotFound)
            {
                // The provider forgot one: start over, stopping the others so none is doubled.
                logger.LogInformation("The {Provider} subscription {ExternalId} of linked account {LinkedAccountId} is gone at the provider; subscribing anew",
                    connector.PushProvider, channel.ExternalId, account.Id);
                foreach (var other in live.Where(c => c != channel))
                {
                    await StopQuietlyAsync(connector, context, other, account.Id, ct);
                }
                db.PushChannels.RemoveRange(live);
                await SubscribeAsync(db, account, connector, context, target, ct);
                return PushMaintenance.Subscribed;
            }
            if (fresh.ExternalId != channel.ExternalId)
            {
                // Drive cannot extend a channel: the renewal is a new one, and the old row goes.
                db.PushChannels.Remove(channel);
            }
            await channels.RegisterAsync(db, account, connector.PushProvider, fresh.ExternalId, secret, fresh.ResourceId, fresh.ExpiresAt?.UtcDateTime, ct);
            renewed = true;
        }
        if (renewed)
        {
            logger.LogInformation("Renewed the {Provider} push subscription of linked account {LinkedAccountId}", connector.PushProvider, account.Id);
        }
        return renewed ? PushMaintenance.Renewed : PushMaintenance.Unchanged;
    }

    private async Task SubscribeAsync(
        TributaryDbContext db, LinkedAccount account, IPushSubscriptions connector, ConnectorContext context, Uri target, CancellationToken ct)
    {
        var secret = PushChannels.NewSecret();
        var created = await connector.SubscribeAsync(context, new PushTarget(target, secret), ct);
        foreach (var subscription in created)
        {
            await channels.RegisterAsync(db, account, connector.PushProvider, subscription.ExternalId, secret, subscription.ResourceId, subscription.ExpiresAt?.UtcDateTime, ct);
        }
        logger.LogInformation("Subscribed linked account {LinkedAccountId} to {Provider} push notifications ({Count} subscriptions) at {Target}",
            account.Id, connector.PushProvider, created.Count, target);
    }

    /// <summary>
    /// Stops the account's subscriptions at the provider and forgets them, before the account is
    /// deleted. Best effort within <see cref="PushOptions.UnsubscribeTimeout"/>: a provider that fails
    /// or hangs never blocks the deletion (its subscriptions expire on their own, and notifications for
    /// a deleted account find no channel).
    /// </summary>
    public async Task StopAllAsync(IReadOnlyCollection<LinkedAccount> accounts, CancellationToken ct)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(options.CurrentValue.UnsubscribeTimeout);
        foreach (var account in accounts)
        {
            if (Find(account.IntegrationSlug) is not { } connector)
            {
                continue;
            }
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<TributaryDbContext>();
                var existing = await db.PushChannels.IgnoreQueryFilters().Where(c => c.LinkedAccountId == account.Id).ToListAsync(limit.Token);
                if (existing.Count == 0)
                {
                    continue;
                }
                var context = await scope.ServiceProvider.GetRequiredService<SyncRunner>().ContextAsync(account.Id, limit.Token);
                foreach (var channel in existing.Where(c => c.Provider == connector.PushProvider))
                {
                    await StopQuietlyAsync(connector, context, channel, account.Id, limit.Token);
                }
                db.PushChannels.RemoveRange(existing);
                await db.SaveChangesAsync(limit.Token);
            }
            catch (OperationCanceledException) when (limit.IsCancellationRequested && !ct.IsCancellationRequested)
            {
                logger.LogWarning("Stopping the push subscriptions of linked account {LinkedAccountId} took longer than {Timeout}; deleting it anyway",
                    account.Id, options.CurrentValue.UnsubscribeTimeout);
            }
        }
    }

    private async Task StopQuietlyAsync(IPushSubscriptions connector, ConnectorContext context, PushChannel channel, Guid linkedAccountId, CancellationToken ct)
    {
        try
        {
            await connector.UnsubscribeAsync(context, ToSubscription(channel), ct);
        }
        catch (ProviderException e)
        {
            logger.LogWarning("Could not stop the {Provider} subscription {ExternalId} of linked account {LinkedAccountId} ({Kind}: {Message}); it lapses at its expiry",
                channel.Provider, channel.ExternalId, linkedAccountId, e.Kind, e.Message);
        }
    }

    private static PushSubscription ToSubscription(PushChannel channel) =>
        new(channel.ExternalId, channel.ResourceId, channel.ExpiresAt is { } expires ? new DateTimeOffset(DateTime.SpecifyKind(expires, DateTimeKind.Utc)) : null);

    private static async Task ResolveIssueAsync(TributaryDbContext db, LinkedAccount account, CancellationToken ct)
    {
        var ongoing = await db.Issues.IgnoreQueryFilters()
            .Where(i => i.LinkedAccountId == account.Id && i.Status == IssueStatus.Ongoing && i.ErrorDescription == IssueDescription).ToListAsync(ct);
        foreach (var issue in ongoing)
        {
            issue.Status = IssueStatus.Resolved;
        }
    }
}
