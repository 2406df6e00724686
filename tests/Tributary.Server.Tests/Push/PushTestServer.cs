using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Tributary.Integrations.FileStorage;
using Tributary.Server.Push;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.Push;

/// <summary>
/// A live Tributary (Kestrel on loopback, so a provider fake can call it) with one linked account, whose push
/// endpoints turn verified notifications into recorded sync requests: what connector-level push tests need
/// to prove that a fake's notification passes the real verification.
/// </summary>
internal sealed class PushTestServer : IAsyncDisposable
{
    private PushTestServer(TributaryApplication app, RecordingSyncRequests syncs, TestAccount account)
    {
        App = app;
        Syncs = syncs;
        Account = account;
    }

    public TributaryApplication App { get; }
    public RecordingSyncRequests Syncs { get; }
    public TestAccount Account { get; }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static async Task<PushTestServer> StartAsync(DatabaseKind kind, IDictionary<string, string?>? settings = null)
    {
        var syncs = new RecordingSyncRequests();
        var all = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>()) { ["Push:DebounceWindow"] = "00:00:00.200" };
        var app = await TributaryApplication.StartAsync(kind, all, kestrel: true, services: s =>
        {
            s.RemoveAll<ISyncRequests>();
            s.AddSingleton<ISyncRequests>(syncs);
        });
        var org = await app.CreateOrganizationAsync();
        var account = await app.CreateLinkedAccountAsync(org.Id);
        return new PushTestServer(app, syncs, account);
    }

    /// <summary>The absolute URL of <c>/api/push/{provider}</c> on this server.</summary>
    public Uri Endpoint(string provider) => new(App.ClientOptions.BaseAddress, $"/api/push/{provider}");

    /// <summary>Records what a connector's subscribe returned, as the platform's subscription job does.</summary>
    public Task RegisterAsync(string provider, IEnumerable<PushSubscription> subscriptions, string? secret) => App.WithDbAsync(async (db, sp) =>
    {
        var account = await db.LinkedAccounts.IgnoreQueryFilters().SingleAsync(a => a.Id == Account.Id, Ct);
        foreach (var subscription in subscriptions)
        {
            await sp.GetRequiredService<PushChannels>().RegisterAsync(
                db, account, provider, subscription.ExternalId, secret, subscription.ResourceId, subscription.ExpiresAt?.UtcDateTime, Ct);
        }
        return await db.SaveChangesAsync(Ct);
    });

    /// <summary>Waits until the account has had at least <paramref name="count"/> sync requests.</summary>
    public async Task WaitForSyncRequestsAsync(int count, TimeSpan timeout)
    {
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (Syncs.CountFor(Account.Id) < count)
        {
            Assert.True(Environment.TickCount64 < deadline, $"Expected {count} sync requests for the account within {timeout}, saw {Syncs.CountFor(Account.Id)}.");
            await Task.Delay(20, Ct);
        }
    }

    public ValueTask DisposeAsync() => App.DisposeAsync();
}
