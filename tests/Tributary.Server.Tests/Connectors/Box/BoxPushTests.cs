using System.Text.Json;
using Tributary.Integrations.FileStorage;
using Tributary.Server.Tests.Connectors.Fakes;
using Tributary.Server.Tests.Infrastructure;
using Tributary.Server.Tests.Push;

namespace Tributary.Server.Tests.Connectors.Box;

/// <summary>
/// Box webhooks through the real connector against the Box fake, with the fake delivering to a live
/// Tributary: one webhook per top-level folder (Box refuses the root), deliveries signed with the app's
/// keys pass <c>/api/push/box</c> and request a sync, and renew/unsubscribe use the webhook endpoints.
/// Every Box exchange is checked against Box's OpenAPI description.
/// </summary>
public sealed class BoxPushTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Dictionary<string, string?> Keys(BoxFake fake) => new()
    {
        ["Push:BoxPrimaryKey"] = fake.PrimarySignatureKey,
        ["Push:BoxSecondaryKey"] = fake.SecondarySignatureKey,
    };

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Subscribes_each_top_level_folder_and_a_signed_delivery_requests_a_sync(DatabaseKind kind)
    {
        var (bed, fake) = await BoxTestBed.StartAsync(10);
        await using var _ = bed;
        await using var server = await PushTestServer.StartAsync(kind, Keys(fake));
        var connector = (IPushSubscriptions)bed.Connector;
        var target = new PushTarget(server.Endpoint("box"), "unused-by-box");

        var subscriptions = await connector.SubscribeAsync(bed.Context, target, Ct);

        Assert.Equal("box", connector.PushProvider);
        var topLevel = fake.Tree.Folders.Where(f => f.ParentId is null).Select(f => f.Id).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(topLevel, subscriptions.Select(s => s.ResourceId!).Order(StringComparer.Ordinal));
        Assert.All(subscriptions, s => Assert.Null(s.ExpiresAt));
        foreach (var create in fake.Host.Requests.Where(r => r.Method == "POST" && r.Path == "/2.0/webhooks"))
        {
            using var body = JsonDocument.Parse(create.Body!);
            Assert.Equal("folder", body.RootElement.GetProperty("target").GetProperty("type").GetString());
            Assert.NotEqual("0", body.RootElement.GetProperty("target").GetProperty("id").GetString());
            Assert.Equal(target.NotificationUrl.AbsoluteUri, body.RootElement.GetProperty("address").GetString());
            var triggers = body.RootElement.GetProperty("triggers").EnumerateArray().Select(t => t.GetString()).ToList();
            Assert.Contains("FILE.UPLOADED", triggers);
            Assert.Contains("FILE.TRASHED", triggers);
            Assert.Contains("FOLDER.CREATED", triggers);
        }
        await server.RegisterAsync("box", subscriptions, null);

        // A file deep under a top-level folder: that folder's webhook fires, signed with both keys.
        var alpha = fake.Tree.Folders.Single(f => f.Name == "Alpha");
        fake.Tree.AddFile("pushed.txt", FakeContent.Of("pushed\n"u8.ToArray()), alpha.Id, "text/plain");
        var delivery = await fake.Notifier.WaitForAsync(_ => true, TimeSpan.FromSeconds(10), Ct);
        Assert.Equal(200, delivery.Status);
        Assert.Contains("FILE.UPLOADED", delivery.Body, StringComparison.Ordinal);
        await server.WaitForSyncRequestsAsync(1, TimeSpan.FromSeconds(5));

        // The primary key being rotated: the secondary still verifies. A forged delivery does not.
        fake.PrimarySignatureKey = "the-new-primary-not-yet-configured";
        fake.Tree.Rename(fake.Tree.Files.First(f => f.ParentId == alpha.Id).Id, "renamed.txt");
        Assert.Equal(200, (await fake.Notifier.WaitForAsync(d => d.Body.Contains("FILE.RENAMED", StringComparison.Ordinal), TimeSpan.FromSeconds(10), Ct)).Status);
        fake.SecondarySignatureKey = "forged";
        fake.Tree.AddFolder("Beta", alpha.Id);
        Assert.Equal(401, (await fake.Notifier.WaitForAsync(d => d.Body.Contains("FOLDER.CREATED", StringComparison.Ordinal), TimeSpan.FromSeconds(10), Ct)).Status);

        // Renew checks the webhook still exists; after unsubscribing it is NotFound, and a second unsubscribe is fine.
        Assert.Equal(subscriptions[0], await connector.RenewAsync(bed.Context, subscriptions[0], target, Ct));
        foreach (var subscription in subscriptions)
        {
            await connector.UnsubscribeAsync(bed.Context, subscription, Ct);
        }
        Assert.Empty(fake.Webhooks);
        var gone = await Assert.ThrowsAsync<ProviderException>(() => connector.RenewAsync(bed.Context, subscriptions[0], target, Ct));
        Assert.Equal(ProviderErrorKind.NotFound, gone.Kind);
        await connector.UnsubscribeAsync(bed.Context, subscriptions[0], Ct);
        fake.Host.AssertConformant();
    }

    [Fact]
    public async Task An_existing_webhook_on_a_folder_is_taken_over_and_the_number_of_webhooks_is_capped()
    {
        var (bed, fake) = await BoxTestBed.StartAsync(10);
        await using var _ = bed;
        var connector = (IPushSubscriptions)bed.Connector;
        var first = await connector.SubscribeAsync(bed.Context, new PushTarget(new Uri("https://old.example.com/api/push/box"), "s"), Ct);

        // Subscribing again (a relink, or a lost answer) meets Box's 409 and repoints the existing webhooks.
        var again = await connector.SubscribeAsync(bed.Context, new PushTarget(new Uri("https://new.example.com/api/push/box"), "s"), Ct);

        Assert.Equal(first.Select(s => s.ExternalId).Order(), again.Select(s => s.ExternalId).Order());
        Assert.Contains(fake.Host.Requests, r => r.Method == "POST" && r.Path == "/2.0/webhooks" && r.Status == 409);
        Assert.All(fake.Webhooks.Values, w => Assert.Equal("new.example.com", w.Address.Host));
        fake.Host.AssertConformant();

        var (cappedBed, cappedFake) = await BoxTestBed.StartAsync(10, maxPushWebhooks: 1);
        await using var __ = cappedBed;
        var capped = await ((IPushSubscriptions)cappedBed.Connector).SubscribeAsync(cappedBed.Context, new PushTarget(new Uri("https://example.com/p"), "s"), Ct);
        Assert.Single(capped);
        Assert.Single(cappedFake.Webhooks);
    }
}
