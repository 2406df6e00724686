using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Tributary.Integrations.FileStorage;
using Tributary.Integrations.Providers.GoogleDrive;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.Connectors.GoogleDrive;

/// <summary>
/// The Drive connector's push subscriptions against the Drive fake (every exchange checked against the
/// Discovery document): changes.watch over the user-wide feed with a fresh start token, renewal as a
/// new channel plus channels.stop of the old, and the notifications Google posts to a channel.
/// </summary>
public sealed class GoogleDrivePushTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static IPushSubscriptions Push(Compliance.ConnectorTestBed bed) => (IPushSubscriptions)bed.Connector;

    [Fact]
    public async Task Watch_opens_a_channel_on_the_change_feed_and_the_fake_posts_sync_then_change()
    {
        var (bed, fake) = await GoogleDriveFake.StartAsync(tree => tree.SeedStandard(3), GoogleDriveComplianceTests.TestOptions);
        await using var testBed = bed;
        var received = new ConcurrentQueue<IHeaderDictionary>();
        await using var receiver = await LoopbackServer.StartAsync(app => app.MapPost("/api/push/google-drive", (HttpRequest request) =>
        {
            received.Enqueue(new HeaderDictionary(request.Headers.ToDictionary(h => h.Key, h => h.Value)));
            return Results.Ok();
        }));
        var target = new PushTarget(new Uri(receiver.Origin + "/api/push/google-drive"), "the-secret");

        var created = await Push(bed).SubscribeAsync(bed.Context, target, Ct);

        Assert.Equal("google-drive", Push(bed).PushProvider);
        var subscription = Assert.Single(created);
        var channel = Assert.Single(fake.Channels);
        Assert.Equal((channel.Id, channel.ResourceId), (subscription.ExternalId, subscription.ResourceId));
        Assert.Equal((target.NotificationUrl, "the-secret"), (channel.Address, channel.Token));
        Assert.InRange(subscription.ExpiresAt!.Value, TimeProvider.System.GetUtcNow().AddDays(6.9), TimeProvider.System.GetUtcNow().AddDays(7));
        var watch = Assert.Single(bed.World.Requests, r => r.Path == "/drive/v3/changes/watch");
        Assert.Equal(("true", "true"), (watch.Query["supportsAllDrives"], watch.Query["includeItemsFromAllDrives"]));
        Assert.False(string.IsNullOrEmpty(watch.Query["pageToken"]));

        fake.Tree.Rename(fake.Tree.Files[0].Id, "renamed.txt");
        await WaitAsync(() => received.Count >= 2, "the sync and change notifications");
        var messages = received.ToList();
        Assert.Equal(["sync", "change"], messages.Take(2).Select(h => h["X-Goog-Resource-State"].ToString()));
        Assert.Equal(["1", "2"], messages.Take(2).Select(h => h["X-Goog-Message-Number"].ToString()));
        Assert.All(messages, h =>
        {
            Assert.Equal(channel.Id, h["X-Goog-Channel-ID"].ToString());
            Assert.Equal("the-secret", h["X-Goog-Channel-Token"].ToString());
            Assert.Equal(channel.ResourceId, h["X-Goog-Resource-ID"].ToString());
            Assert.True(DateTimeOffset.TryParseExact(h["X-Goog-Channel-Expiration"].ToString(), "r", CultureInfo.InvariantCulture, DateTimeStyles.None, out _));
        });
        bed.World.AssertConformant();
    }

    [Fact]
    public async Task Renewal_opens_a_new_channel_and_stops_the_old_and_unsubscribe_stops_quietly_twice()
    {
        var (bed, fake) = await GoogleDriveFake.StartAsync(tree => tree.SeedStandard(2), GoogleDriveComplianceTests.TestOptions);
        await using var testBed = bed;
        var target = new PushTarget(new Uri("http://127.0.0.1:9/api/push/google-drive"), "s3cret");
        var first = (await Push(bed).SubscribeAsync(bed.Context, target, Ct))[0];

        var renewed = await Push(bed).RenewAsync(bed.Context, first, target, Ct);

        Assert.NotEqual(first.ExternalId, renewed.ExternalId);
        Assert.Equal(renewed.ExternalId, Assert.Single(fake.Channels).Id);
        var stop = Assert.Single(bed.World.Requests, r => r.Path == "/drive/v3/channels/stop");
        Assert.Contains(first.ExternalId, stop.Body, StringComparison.Ordinal);
        Assert.Contains(first.ResourceId!, stop.Body, StringComparison.Ordinal);

        await Push(bed).UnsubscribeAsync(bed.Context, renewed, Ct);
        Assert.Empty(fake.Channels);
        // Already stopped: Drive answers 404, which is not an error to the caller.
        await Push(bed).UnsubscribeAsync(bed.Context, renewed, Ct);
        Assert.Equal(404, bed.World.Requests.Last(r => r.Path == "/drive/v3/channels/stop").Status);
        bed.World.AssertConformant();
    }

    [Fact]
    public void Channel_lifetime_beyond_googles_week_is_refused_naming_the_setting()
    {
        var e = Assert.Throws<InvalidOperationException>(() => new GoogleDriveOptions { ChannelLifetime = TimeSpan.FromDays(8) }.Validated());
        Assert.Contains("Integrations:google-drive:ChannelLifetime", e.Message, StringComparison.Ordinal);
    }

    private static async Task WaitAsync(Func<bool> done, string what)
    {
        var deadline = TimeProvider.System.GetUtcNow().AddSeconds(10);
        while (!done())
        {
            Assert.True(TimeProvider.System.GetUtcNow() < deadline, $"Timed out waiting for {what}.");
            await Task.Delay(20, Ct);
        }
    }
}
