using System.Collections.Concurrent;
using System.Net;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Quartz;
using Tributary.Data.Entities;
using Tributary.Data.Entities.Webhooks;
using Tributary.Integrations.Catalog;
using Tributary.Integrations.FileStorage;
using Tributary.Server.Linking;
using Tributary.Server.Push;
using Tributary.Server.Sync;
using Tributary.Server.Tests.Infrastructure;
using Tributary.Server.Tests.Sync;

namespace Tributary.Server.Tests.Push;

/// <summary>
/// The loopback connector with a scriptable push side: what the platform asked the provider
/// (subscribe, renew, stop) and how the provider answers (expiry, renew in place or as a new
/// subscription, forgotten subscriptions, failures, a provider that hangs).
/// </summary>
internal sealed class ScriptedPushConnector : IFileStorageConnector, IPushSubscriptions
{
    private IFileStorageConnector _inner = null!;
    private TimeProvider _clock = TimeProvider.System;
    private int _next;

    public string PushProvider => "scripted";
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Graph-like: renewal extends the same subscription. Otherwise Drive-like: a new one.</summary>
    public bool RenewInPlace { get; set; }

    public bool ForgetOnRenew { get; set; }
    public ProviderErrorKind? FailSubscribe { get; set; }
    public ProviderErrorKind? FailUnsubscribe { get; set; }
    public bool HangUnsubscribe { get; set; }

    public ConcurrentQueue<PushTarget> Subscribed { get; } = new();
    public ConcurrentQueue<(PushSubscription Current, PushTarget Target)> Renewed { get; } = new();
    public ConcurrentQueue<PushSubscription> Unsubscribed { get; } = new();

    /// <summary>Takes the place of the loopback connector, delegating its sync side to it.</summary>
    public Action<IServiceCollection> Install => services =>
    {
        var original = services.Last(d => d.ServiceType == typeof(IFileStorageConnector) && Equals(d.ServiceKey, LoopbackConnectorSlug));
        services.AddKeyedSingleton<IFileStorageConnector>(LoopbackConnectorSlug, (sp, key) =>
        {
            _inner = (IFileStorageConnector)original.KeyedImplementationFactory!(sp, key);
            _clock = sp.GetRequiredService<TimeProvider>();
            return this;
        });
    };

    private const string LoopbackConnectorSlug = "loopback";

    public Task<IReadOnlyList<PushSubscription>> SubscribeAsync(ConnectorContext context, PushTarget target, CancellationToken cancellationToken)
    {
        if (FailSubscribe is { } kind)
        {
            throw new ProviderException(kind, "the scripted provider refuses to subscribe");
        }
        Subscribed.Enqueue(target);
        return Task.FromResult<IReadOnlyList<PushSubscription>>([NewSubscription()]);
    }

    public Task<PushSubscription> RenewAsync(ConnectorContext context, PushSubscription current, PushTarget target, CancellationToken cancellationToken)
    {
        Renewed.Enqueue((current, target));
        if (ForgetOnRenew)
        {
            throw new ProviderException(ProviderErrorKind.NotFound, "no such subscription");
        }
        return Task.FromResult(RenewInPlace ? current with { ExpiresAt = _clock.GetUtcNow() + Lifetime } : NewSubscription());
    }

    public async Task UnsubscribeAsync(ConnectorContext context, PushSubscription current, CancellationToken cancellationToken)
    {
        if (HangUnsubscribe)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        if (FailUnsubscribe is { } kind)
        {
            throw new ProviderException(kind, "the scripted provider fails to stop it");
        }
        Unsubscribed.Enqueue(current);
    }

    private PushSubscription NewSubscription() =>
        new($"sub-{Interlocked.Increment(ref _next)}", "resource-1", _clock.GetUtcNow() + Lifetime);

    public IAsyncEnumerable<ChangePage> ReadChangesAsync(ConnectorContext context, string? cursor, CancellationToken cancellationToken) =>
        _inner.ReadChangesAsync(context, cursor, cancellationToken);

    public Task<RemoteContent> DownloadAsync(ConnectorContext context, string fileRemoteId, string? exportMimeType, ByteRange? range, CancellationToken cancellationToken) =>
        _inner.DownloadAsync(context, fileRemoteId, exportMimeType, range, cancellationToken);

    public Task<UploadedFile> UploadAsync(ConnectorContext context, FileUpload upload, Stream content, CancellationToken cancellationToken) =>
        _inner.UploadAsync(context, upload, content, cancellationToken);

    public Task<RemoteFolder> CreateFolderAsync(ConnectorContext context, string name, string? parentRemoteId, string? driveRemoteId, CancellationToken cancellationToken) =>
        _inner.CreateFolderAsync(context, name, parentRemoteId, driveRemoteId, cancellationToken);

    public IReadOnlyList<string> ExportFormats(string nativeMimeType) => _inner.ExportFormats(nativeMimeType);
}

/// <summary>
/// The provider-side subscription lifecycle (PushSubscriptionManager and its Quartz job) over both
/// databases: subscribe after linking, renew within the window only, subscribe anew when the provider
/// forgot a subscription or it lapsed, unsubscribe on deletion without ever blocking it, failures
/// that leave polling alone, one pass per account at a time, and nothing at all without a public URL.
/// </summary>
public sealed class PushSubscriptionManagerTests
{
    private const string PublicBaseUrl = "https://tributary.example.com";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed record Setup(LoopbackAccount Linked, LoopbackProvider Provider, ScriptedPushConnector Script, ManualTimeProvider? Clock) : IAsyncDisposable
    {
        public TributaryApplication App => Linked.App;

        public async Task<PushMaintenance> MaintainAsync() => await App.Services.GetRequiredService<PushSubscriptionManager>().MaintainAsync(Linked.AccountId, Ct);

        public Task<List<PushChannel>> ChannelsAsync() => App.WithDbAsync((db, _) =>
            db.PushChannels.IgnoreQueryFilters().AsNoTracking().Where(c => c.LinkedAccountId == Linked.AccountId).OrderBy(c => c.CreatedAt).ToListAsync(Ct));

        public Task<List<Issue>> IssuesAsync() => App.WithDbAsync((db, _) =>
            db.Issues.IgnoreQueryFilters().AsNoTracking().Where(i => i.ErrorDescription == PushSubscriptionManager.IssueDescription).ToListAsync(Ct));

        public async ValueTask DisposeAsync()
        {
            await App.DisposeAsync();
            await Provider.DisposeAsync();
        }
    }

    private static async Task<Setup> LinkAsync(
        DatabaseKind kind, bool runJobs = false, string? publicBaseUrl = PublicBaseUrl, bool manualClock = false, Dictionary<string, string?>? settings = null)
    {
        var provider = await LoopbackProvider.StartAsync(files: 5, folders: 2);
        var script = new ScriptedPushConnector();
        var clock = manualClock ? new ManualTimeProvider(TimeProvider.System.GetUtcNow()) : null;
        var all = new Dictionary<string, string?>(settings ?? []) { ["Push:PublicBaseUrl"] = publicBaseUrl };
        var linked = await LoopbackAccount.LinkAsync(kind, provider, runJobs, services =>
        {
            script.Install(services);
            if (clock is not null)
            {
                services.RemoveAll<TimeProvider>();
                services.AddSingleton<TimeProvider>(clock);
            }
        }, all);
        return new Setup(linked, provider, script, clock);
    }

    private static async Task EventuallyAsync(Func<Task<bool>> done, string what, [CallerArgumentExpression(nameof(done))] string? expression = null)
    {
        var deadline = TimeProvider.System.GetUtcNow().AddSeconds(30);
        while (!await done())
        {
            Assert.True(TimeProvider.System.GetUtcNow() < deadline, $"Timed out after 30 s waiting for {what} ({expression}).");
            await Task.Delay(100, Ct);
        }
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Linking_schedules_a_pass_that_subscribes_and_records_the_channel_with_its_sealed_secret(DatabaseKind kind)
    {
        await using var setup = await LinkAsync(kind, runJobs: true);

        await EventuallyAsync(async () => (await setup.ChannelsAsync()).Count == 1, "the channel of the new account");

        var target = Assert.Single(setup.Script.Subscribed);
        Assert.Equal(new Uri(PublicBaseUrl + "/api/push/scripted"), target.NotificationUrl);
        var channel = Assert.Single(await setup.ChannelsAsync());
        Assert.Equal(("scripted", "sub-1", "resource-1"), (channel.Provider, channel.ExternalId, channel.ResourceId));
        Assert.NotNull(channel.ExpiresAt);
        Assert.DoesNotContain(target.Secret, System.Text.Encoding.UTF8.GetString(channel.Secret!), StringComparison.Ordinal);
        Assert.True(await setup.App.WithDbAsync((db, sp) => sp.GetRequiredService<PushChannels>().SecretMatchesAsync(db, channel, target.Secret, Ct)));
        Assert.Empty(await setup.IssuesAsync());
        // The account's own sync is untouched by it.
        await EventuallyAsync(async () => (await setup.Linked.StateAsync()) is { InitialSyncDone: true }, "the initial sync");
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Renews_only_within_the_window_replacing_a_subscription_the_provider_could_not_extend(DatabaseKind kind)
    {
        await using var setup = await LinkAsync(kind, manualClock: true);
        var manager = setup.App.Services.GetRequiredService<PushSubscriptionManager>();
        Assert.Equal(PushMaintenance.Subscribed, await setup.MaintainAsync());
        var first = Assert.Single(await setup.ChannelsAsync());
        var secret = Assert.Single(setup.Script.Subscribed).Secret;

        Assert.Equal(PushMaintenance.Unchanged, await setup.MaintainAsync());
        setup.Clock!.Advance(TimeSpan.FromDays(5));
        Assert.Empty(await manager.DueAsync(Ct));
        Assert.Equal(PushMaintenance.Unchanged, await setup.MaintainAsync());
        Assert.Empty(setup.Script.Renewed);

        // Within a day of expiry (Push:RenewBefore): Drive-like, the renewal is a new channel and the old row goes.
        setup.Clock.Advance(TimeSpan.FromDays(1.5));
        Assert.Equal([setup.Linked.AccountId], await manager.DueAsync(Ct));
        Assert.Equal(PushMaintenance.Renewed, await setup.MaintainAsync());
        var (current, target) = Assert.Single(setup.Script.Renewed);
        Assert.Equal((first.ExternalId, first.ResourceId), (current.ExternalId, current.ResourceId));
        Assert.Equal(secret, target.Secret);
        var second = Assert.Single(await setup.ChannelsAsync());
        Assert.Equal("sub-2", second.ExternalId);
        Assert.True(second.ExpiresAt > first.ExpiresAt);
        Assert.True(await setup.App.WithDbAsync((db, sp) => sp.GetRequiredService<PushChannels>().SecretMatchesAsync(db, second, secret, Ct)));

        // Graph-like: extended in place, the same row with a later expiry.
        setup.Script.RenewInPlace = true;
        setup.Clock.Advance(TimeSpan.FromDays(6.5));
        Assert.Equal(PushMaintenance.Renewed, await setup.MaintainAsync());
        var third = Assert.Single(await setup.ChannelsAsync());
        Assert.Equal((second.Id, "sub-2"), (third.Id, third.ExternalId));
        Assert.True(third.ExpiresAt > second.ExpiresAt);
        Assert.Single(setup.Script.Subscribed);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Subscribes_anew_when_the_provider_forgot_the_subscription_or_it_lapsed(DatabaseKind kind)
    {
        await using var setup = await LinkAsync(kind, manualClock: true);
        Assert.Equal(PushMaintenance.Subscribed, await setup.MaintainAsync());

        setup.Script.ForgetOnRenew = true;
        setup.Clock!.Advance(TimeSpan.FromDays(6.5));
        Assert.Equal(PushMaintenance.Subscribed, await setup.MaintainAsync());
        Assert.Single(setup.Script.Renewed);
        Assert.Equal(2, setup.Script.Subscribed.Count);
        Assert.Equal("sub-2", Assert.Single(await setup.ChannelsAsync()).ExternalId);

        // Down for longer than the subscription lived: it is gone at the provider, so no renewal is tried.
        setup.Clock.Advance(TimeSpan.FromDays(8));
        Assert.Equal(PushMaintenance.Subscribed, await setup.MaintainAsync());
        Assert.Single(setup.Script.Renewed);
        Assert.Equal("sub-3", Assert.Single(await setup.ChannelsAsync()).ExternalId);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task A_provider_failure_opens_an_issue_leaves_syncs_alone_and_is_resolved_by_the_next_success(DatabaseKind kind)
    {
        await using var setup = await LinkAsync(kind);
        // A rate limit is a wait, not a failure: no issue, the next sweep tries again.
        setup.Script.FailSubscribe = ProviderErrorKind.RateLimited;
        Assert.Equal(PushMaintenance.RateLimited, await setup.MaintainAsync());
        Assert.Empty(await setup.IssuesAsync());
        setup.Script.FailSubscribe = ProviderErrorKind.Transient;

        Assert.Equal(PushMaintenance.Failed, await setup.MaintainAsync());
        Assert.Empty(await setup.ChannelsAsync());
        var issue = Assert.Single(await setup.IssuesAsync());
        Assert.Equal(IssueStatus.Ongoing, issue.Status);
        Assert.Contains("refuses to subscribe", issue.ErrorDetailsJson, StringComparison.Ordinal);
        Assert.Equal(LinkedAccountStatus.Complete, (await setup.Linked.AccountAsync()).Status);
        await using (var scope = setup.App.Services.CreateAsyncScope())
        {
            var outcome = await scope.ServiceProvider.GetRequiredService<SyncRunner>().RunAsync(setup.Linked.AccountId, false, Ct);
            Assert.Equal(SyncStop.Completed, outcome.Stop);
        }

        // Still due at the next sweep; success resolves the issue.
        Assert.Equal([setup.Linked.AccountId], await setup.App.Services.GetRequiredService<PushSubscriptionManager>().DueAsync(Ct));
        setup.Script.FailSubscribe = null;
        Assert.Equal(PushMaintenance.Subscribed, await setup.MaintainAsync());
        Assert.Equal(IssueStatus.Resolved, Assert.Single(await setup.IssuesAsync()).Status);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task One_pass_per_account_at_a_time(DatabaseKind kind)
    {
        await using var setup = await LinkAsync(kind);
        var leases = setup.App.Services.GetRequiredService<Leases>();
        await using (await leases.TryAcquireAsync(Leases.Push(setup.Linked.AccountId), TimeSpan.FromMinutes(1), Ct))
        {
            Assert.Equal(PushMaintenance.Busy, await setup.MaintainAsync());
        }
        Assert.Empty(setup.Script.Subscribed);
        Assert.Equal(PushMaintenance.Subscribed, await setup.MaintainAsync());
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Deleting_accounts_stops_their_subscriptions_and_a_failing_or_hanging_provider_never_blocks_it(DatabaseKind kind)
    {
        await using var setup = await LinkAsync(kind, settings: new() { ["Push:UnsubscribeTimeout"] = "00:00:01" });
        Assert.Equal(PushMaintenance.Subscribed, await setup.MaintainAsync());
        var channel = Assert.Single(await setup.ChannelsAsync());

        using (var api = setup.App.CreateApiClient(setup.Linked.Organization.ProductionKey, setup.Linked.AccountToken))
        {
            Assert.Equal(HttpStatusCode.OK, (await api.PostAsync("/api/filestorage/v1/delete-account", null, Ct)).StatusCode);
        }
        var stopped = Assert.Single(setup.Script.Unsubscribed);
        Assert.Equal((channel.ExternalId, channel.ResourceId), (stopped.ExternalId, stopped.ResourceId));
        Assert.Empty(await setup.ChannelsAsync());

        foreach (var (origin, fail, hang) in new[] { ("failing", (ProviderErrorKind?)ProviderErrorKind.Transient, false), ("hanging", null, true) })
        {
            var (accountId, token) = await LinkAnotherAsync(setup, origin);
            setup.Script.FailUnsubscribe = null;
            setup.Script.HangUnsubscribe = false;
            Assert.Equal(PushMaintenance.Subscribed,
                await setup.App.Services.GetRequiredService<PushSubscriptionManager>().MaintainAsync(accountId, Ct));
            setup.Script.FailUnsubscribe = fail;
            setup.Script.HangUnsubscribe = hang;
            var started = TimeProvider.System.GetTimestamp();
            using var api = setup.App.CreateApiClient(setup.Linked.Organization.ProductionKey, token);
            Assert.Equal(HttpStatusCode.OK, (await api.PostAsync("/api/filestorage/v1/delete-account", null, Ct)).StatusCode);
            Assert.True(TimeProvider.System.GetElapsedTime(started) < TimeSpan.FromSeconds(15), $"the {origin} provider held the deletion up");
            var left = await setup.App.WithDbAsync(async (db, _) => (
                Accounts: await db.LinkedAccounts.IgnoreQueryFilters().CountAsync(a => a.Id == accountId, Ct),
                Channels: await db.PushChannels.IgnoreQueryFilters().CountAsync(c => c.LinkedAccountId == accountId, Ct)));
            Assert.Equal((0, 0), left);
        }
    }

    private static Task<(Guid Id, string Token)> LinkAnotherAsync(Setup setup, string originId) => setup.App.WithDbAsync(async (_, sp) =>
    {
        var loopback = sp.GetRequiredService<IntegrationCatalog>().Find("loopback")!;
        var (account, token) = await sp.GetRequiredService<LinkFlow>().LinkDirectlyAsync(
            setup.Linked.Organization.Id, loopback, originId, $"{originId}@example.com", "Loopback Co", setup.Provider.Credential(), Ct);
        return (account.Id, token);
    });

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Without_a_public_base_url_nothing_is_subscribed_and_accounts_are_polled(DatabaseKind kind)
    {
        await using var setup = await LinkAsync(kind, runJobs: true, publicBaseUrl: null);
        var manager = setup.App.Services.GetRequiredService<PushSubscriptionManager>();

        await EventuallyAsync(async () => (await setup.Linked.StateAsync()) is { InitialSyncDone: true }, "the initial sync");
        var scheduler = await setup.App.Services.GetRequiredService<ISchedulerFactory>().GetScheduler(Ct);

        Assert.False(manager.Enabled);
        Assert.Equal(PushMaintenance.NotApplicable, await setup.MaintainAsync());
        Assert.Empty(await scheduler.GetJobKeys(GroupMatcher<JobKey>.GroupEquals(PushSubscriptionJob.Group), Ct));
        Assert.Empty(setup.Script.Subscribed);
        Assert.Empty(await setup.ChannelsAsync());
    }

    [Theory]
    [InlineData("ftp://example.com/")]
    [InlineData("tributary.example.com")]
    [InlineData("https://tributary.example.com/?x=1")]
    public async Task A_public_base_url_that_is_not_an_absolute_http_address_stops_the_server_at_start_naming_the_setting(string url)
    {
        var data = Directory.CreateTempSubdirectory("tributary-push-").FullName;
        try
        {
            var e = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(async () =>
            {
                await using var app = global::Tributary.Server.Hosting.TributaryServer.Build(
                    ["--urls=http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning", $"--Tributary:DataDirectory={data}", $"--Push:PublicBaseUrl={url}"]);
                await app.StartAsync(Ct);
                await app.StopAsync(Ct);
            });
            Assert.Contains("Push:PublicBaseUrl must be an absolute https:// address", e.Message, StringComparison.Ordinal);
            Assert.Contains("Push__PublicBaseUrl=", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }
}
