using Tributary.Integrations.FileStorage;
using Tributary.Server.Tests.Connectors.Fakes;
using Tributary.Server.Tests.Infrastructure;
using Tributary.Server.Tests.Push;

namespace Tributary.Server.Tests.Connectors.Dropbox;

/// <summary>
/// Dropbox push through the real connector against the Dropbox fake: "subscribing" learns the account id
/// (Dropbox webhooks are per app, set in the App Console, so the test plays the console and sets the fake's
/// webhook URI), and the fake's signed notification passes the live <c>/api/push/dropbox</c> and requests a sync.
/// </summary>
public sealed class DropboxPushTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Subscribing_returns_the_account_id_and_a_signed_notification_naming_it_requests_a_sync(DatabaseKind kind)
    {
        var bed = await DropboxTestBed.StartAsync(10);
        await using var _ = bed.Bed;
        bed.Fake.Tree.SeedStandard(5);
        await using var server = await PushTestServer.StartAsync(kind, new Dictionary<string, string?>
        {
            ["Integrations:dropbox:ClientId"] = FakeTokens.ClientId,
            ["Integrations:dropbox:ClientSecret"] = FakeTokens.ClientSecret,
        });
        var connector = (IPushSubscriptions)bed.Bed.Connector;
        var target = new PushTarget(server.Endpoint("dropbox"), "unused-by-dropbox");

        var subscription = Assert.Single(await connector.SubscribeAsync(bed.Bed.Context, target, Ct));

        Assert.Equal("dropbox", connector.PushProvider);
        Assert.Equal(DropboxFake.AccountId(bed.Fake.Tree.Me.Id), subscription.ExternalId);
        Assert.Null(subscription.ExpiresAt);
        Assert.Equal(["/api/2/users/get_current_account"], bed.Fake.Host.Requests.Select(r => r.Path));
        await server.RegisterAsync("dropbox", [subscription], null);

        bed.Fake.WebhookUri = server.Endpoint("dropbox");
        bed.Fake.Tree.AddFile("pushed.txt", FakeContent.Of("pushed\n"u8.ToArray()), null, "text/plain");
        var delivery = await bed.Fake.Notifier.WaitForAsync(_ => true, TimeSpan.FromSeconds(10), Ct);
        Assert.Equal(200, delivery.Status);
        Assert.Contains(subscription.ExternalId, delivery.Body, StringComparison.Ordinal);
        await server.WaitForSyncRequestsAsync(1, TimeSpan.FromSeconds(5));

        // Signed with another app's secret: refused.
        bed.Fake.AppSecret = "another-apps-secret";
        bed.Fake.Tree.AddFolder("Unsigned");
        Assert.Equal(401, (await bed.Fake.Notifier.WaitForAsync(d => d.Status != 200, TimeSpan.FromSeconds(10), Ct)).Status);

        // Nothing to renew or stop at Dropbox, and no call is made for either.
        var calls = bed.Fake.Host.Requests.Count;
        Assert.Equal(subscription, await connector.RenewAsync(bed.Bed.Context, subscription, target, Ct));
        await connector.UnsubscribeAsync(bed.Bed.Context, subscription, Ct);
        Assert.Equal(calls, bed.Fake.Host.Requests.Count);
        bed.Fake.Host.AssertConformant();
    }
}
