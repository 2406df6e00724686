using System.Globalization;
using System.Text.Json;
using Tributary.Integrations.FileStorage;
using Tributary.Integrations.Providers.MicrosoftGraph;
using Tributary.Server.Tests.Connectors.Fakes;
using Tributary.Server.Tests.Infrastructure;
using Tributary.Server.Tests.Push;

namespace Tributary.Server.Tests.Connectors.MicrosoftGraph;

/// <summary>
/// Graph subscriptions through the real connector against the Graph fake, with the fake calling a live
/// Tributary: creation passes Graph's validation handshake at <c>/api/push/microsoft-graph</c>, a change in a
/// drive comes back as a notification whose clientState the endpoint verifies, and renew/unsubscribe send
/// what Graph documents. Every Graph exchange is checked against Graph's OpenAPI description.
/// </summary>
public sealed class GraphPushTests
{
    private const string Secret = "client-state-secret-0123456789";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Subscribes_one_per_drive_root_and_a_change_notifies_the_live_endpoint_which_requests_a_sync(DatabaseKind kind)
    {
        await using var server = await PushTestServer.StartAsync(kind);
        var (bed, fake) = await GraphTestBed.StartAsync(GraphFlavor.SharePoint, 10);
        await using var _ = bed;
        var connector = (IPushSubscriptions)bed.Connector;
        var target = new PushTarget(server.Endpoint("microsoft-graph"), Secret);
        var before = TimeProvider.System.GetUtcNow();

        var subscriptions = await connector.SubscribeAsync(bed.Context, target, Ct);

        Assert.Equal("microsoft-graph", connector.PushProvider);
        Assert.Equal(fake.Tree.Drives.Select(d => d.Id).Order(StringComparer.Ordinal), subscriptions.Select(s => s.ResourceId!).Order(StringComparer.Ordinal));
        Assert.Equal(2, fake.Validations.Count);
        Assert.All(fake.Validations, v => Assert.Equal((200, "text/plain"), (v.Status, v.ContentType)));
        foreach (var create in fake.Host.Requests.Where(r => r.Method == "POST" && r.Path == "/v1.0/subscriptions"))
        {
            using var body = JsonDocument.Parse(create.Body!);
            var root = body.RootElement;
            Assert.Equal("updated", root.GetProperty("changeType").GetString());
            Assert.Equal(target.NotificationUrl.AbsoluteUri, root.GetProperty("notificationUrl").GetString());
            Assert.Equal(Secret, root.GetProperty("clientState").GetString());
            Assert.Matches("^/drives/[^/]+/root$", root.GetProperty("resource").GetString());
            var expires = DateTimeOffset.Parse(root.GetProperty("expirationDateTime").GetString()!, CultureInfo.InvariantCulture);
            Assert.InRange(expires, before.AddDays(29), before.AddMinutes(GraphConnectorOptions.MaxDriveItemSubscriptionMinutes));
        }
        Assert.All(subscriptions, s => Assert.True(s.ExpiresAt > before.AddDays(29)));
        await server.RegisterAsync("microsoft-graph", subscriptions, Secret);

        // A change in the second library notifies only that library's subscription; the endpoint verifies it and asks for a sync.
        var library = fake.Tree.Drives[1].Id;
        fake.Tree.AddFile("pushed.txt", FakeContent.Of("pushed\n"u8.ToArray()), driveId: library, id: GraphItemId.Format(library, "01PUSHED"));
        var delivery = await fake.Notifier.WaitForAsync(_ => true, TimeSpan.FromSeconds(10), Ct);
        Assert.Equal(202, delivery.Status);
        Assert.Contains(subscriptions.Single(s => s.ResourceId == library).ExternalId, delivery.Body, StringComparison.Ordinal);
        await server.WaitForSyncRequestsAsync(1, TimeSpan.FromSeconds(5));

        // Renew: PATCH with a new expiry only.
        var renewed = await connector.RenewAsync(bed.Context, subscriptions[0], target, Ct);
        Assert.Equal(subscriptions[0].ExternalId, renewed.ExternalId);
        Assert.True(renewed.ExpiresAt >= subscriptions[0].ExpiresAt);
        var patch = fake.Host.Requests.Single(r => r.Method == "PATCH");
        Assert.Equal($"/v1.0/subscriptions/{subscriptions[0].ExternalId}", patch.Path);
        using (var body = JsonDocument.Parse(patch.Body!))
        {
            Assert.Equal(["expirationDateTime"], body.RootElement.EnumerateObject().Select(p => p.Name));
        }

        // Unsubscribe deletes each; afterwards Graph no longer knows them: renew is NotFound, a second unsubscribe is fine.
        foreach (var subscription in subscriptions)
        {
            await connector.UnsubscribeAsync(bed.Context, subscription, Ct);
        }
        Assert.Empty(fake.Subscriptions);
        var gone = await Assert.ThrowsAsync<ProviderException>(() => connector.RenewAsync(bed.Context, subscriptions[0], target, Ct));
        Assert.Equal(ProviderErrorKind.NotFound, gone.Kind);
        await connector.UnsubscribeAsync(bed.Context, subscriptions[0], Ct);
        fake.Host.AssertConformant();
    }

    [Fact]
    public async Task Creation_fails_when_the_endpoint_does_not_echo_the_validation_token_in_time_and_leaves_no_subscription()
    {
        await using var server = await PushTestServer.StartAsync(DatabaseKind.Sqlite);
        var (bed, fake) = await GraphTestBed.StartAsync(GraphFlavor.SharePoint, 10);
        await using var _ = bed;
        var connector = (IPushSubscriptions)bed.Connector;

        // Not the push endpoint: Graph gets a 404 instead of its token back.
        var wrong = await Assert.ThrowsAsync<ProviderException>(() =>
            connector.SubscribeAsync(bed.Context, new PushTarget(new Uri(server.Endpoint("microsoft-graph"), "/api/push/nowhere"), Secret), Ct));
        Assert.Equal(ProviderErrorKind.InvalidRequest, wrong.Kind);
        Assert.Contains("validation", wrong.Message, StringComparison.OrdinalIgnoreCase);

        // The right endpoint, but slower than Graph waits: also refused. Graph waits no time at all
        // here, so the answer is late however fast the loopback is (1 ms was sometimes enough).
        fake.ValidationTimeout = TimeSpan.Zero;
        var slow = await Assert.ThrowsAsync<ProviderException>(() =>
            connector.SubscribeAsync(bed.Context, new PushTarget(server.Endpoint("microsoft-graph"), Secret), Ct));
        Assert.Equal(ProviderErrorKind.InvalidRequest, slow.Kind);
        Assert.Empty(fake.Subscriptions);

        // When the second library's creation fails, the first one's subscription is deleted again (all or nothing).
        fake.ValidationTimeout = TimeSpan.FromSeconds(10);
        var creations = 0;
        fake.Host.Inject(FaultKind.ServerError, 10, match: r => r.Method == "POST" && r.Path == "/v1.0/subscriptions" && Interlocked.Increment(ref creations) > 1);
        await Assert.ThrowsAsync<ProviderException>(() => connector.SubscribeAsync(bed.Context, new PushTarget(server.Endpoint("microsoft-graph"), Secret), Ct));
        Assert.Empty(fake.Subscriptions);
        Assert.Contains(fake.Host.Requests, r => r.Method == "DELETE" && r.Path.StartsWith("/v1.0/subscriptions/", StringComparison.Ordinal));
        fake.Host.AssertConformant();
    }
}
