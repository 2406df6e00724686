using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Tributary.Server.OAuthApps;
using Tributary.Server.Push;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.Push;

/// <summary>Records sync requests instead of running syncs, with when each arrived.</summary>
internal sealed class RecordingSyncRequests : ISyncRequests
{
    public ConcurrentQueue<(Guid Account, long At)> Requests { get; } = new();

    public void Request(Guid linkedAccountId) => Requests.Enqueue((linkedAccountId, Environment.TickCount64));

    public int CountFor(Guid account) => Requests.Count(r => r.Account == account);
}

public sealed class PushEndpointsTests
{
    private const string DropboxSecret = "dropbox-app-secret";
    private const string BoxPrimary = "box-primary-key";
    private const string BoxSecondary = "box-secondary-key";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(TributaryApplication App, RecordingSyncRequests Syncs, TestOrganization Org, TestAccount Account)> StartAsync(
        DatabaseKind kind, string window = "00:00:00.500")
    {
        var syncs = new RecordingSyncRequests();
        var app = await TributaryApplication.StartAsync(kind, new Dictionary<string, string?>
        {
            ["Push:DebounceWindow"] = window,
            ["Push:BoxPrimaryKey"] = BoxPrimary,
            ["Push:BoxSecondaryKey"] = BoxSecondary,
            ["Integrations:dropbox:ClientId"] = "dropbox-app",
            ["Integrations:dropbox:ClientSecret"] = DropboxSecret,
        }, services: s =>
        {
            s.RemoveAll<ISyncRequests>();
            s.AddSingleton<ISyncRequests>(syncs);
        });
        var org = await app.CreateOrganizationAsync();
        var account = await app.CreateLinkedAccountAsync(org.Id);
        return (app, syncs, org, account);
    }

    private static Task<int> RegisterAsync(TributaryApplication app, Guid accountId, string provider, string externalId, string? secret) => app.WithDbAsync(async (db, sp) =>
    {
        var account = await db.LinkedAccounts.IgnoreQueryFilters().SingleAsync(a => a.Id == accountId, Ct);
        await sp.GetRequiredService<PushChannels>().RegisterAsync(db, account, provider, externalId, secret, null, null, Ct);
        return await db.SaveChangesAsync(Ct);
    });

    private static async Task WaitForAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (!condition())
        {
            Assert.True(Environment.TickCount64 < deadline, $"Timed out waiting for {what}");
            await Task.Delay(20, Ct);
        }
    }

    private static HttpRequestMessage Drive(string channel, string token, string state = "change")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/push/google-drive");
        request.Headers.Add("X-Goog-Channel-ID", channel);
        request.Headers.Add("X-Goog-Channel-Token", token);
        request.Headers.Add("X-Goog-Resource-State", state);
        request.Headers.Add("X-Goog-Resource-ID", "resource-1");
        request.Headers.Add("X-Goog-Message-Number", "2");
        return request;
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task GoogleDrive_ChannelToken_ValidSyncsWithinTheWindow_InvalidIs401AndNoSync(DatabaseKind kind)
    {
        var (app, syncs, _, account) = await StartAsync(kind);
        await using var host = app;
        await RegisterAsync(app, account.Id, PushProviders.GoogleDrive, "channel-1", "channel-token-secret");
        using var client = app.CreateClient();

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(Drive("channel-1", "wrong-token"), Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.SendAsync(Drive("no-such-channel", "channel-token-secret"), Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Drive("channel-1", "channel-token-secret", state: "sync"), Ct)).StatusCode);
        await Task.Delay(700, Ct);
        Assert.Empty(syncs.Requests);

        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Drive("channel-1", "channel-token-secret"), Ct)).StatusCode);
        // The first notification of a window asks for the sync before the provider gets its answer.
        Assert.Equal(1, syncs.CountFor(account.Id));
    }

    [Fact]
    public async Task ABurstOfNotifications_IsDebouncedToOneSyncNowAndOneAfterTheWindow()
    {
        // A window long enough that the whole burst lands in it even on a loaded machine.
        var (app, syncs, _, account) = await StartAsync(DatabaseKind.Sqlite, window: "00:00:06");
        await using var host = app;
        await RegisterAsync(app, account.Id, PushProviders.GoogleDrive, "channel-1", "token");
        using var client = app.CreateClient();

        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Drive("channel-1", "token"), Ct)).StatusCode);
        }
        Assert.Equal(1, syncs.CountFor(account.Id));
        await WaitForAsync(() => syncs.CountFor(account.Id) == 2, TimeSpan.FromSeconds(60), "the trailing sync request");
        await Task.Delay(1500, Ct);
        Assert.Equal(2, syncs.CountFor(account.Id));
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task MicrosoftGraph_EchoesValidationToken_ChecksClientState(DatabaseKind kind)
    {
        var (app, syncs, _, account) = await StartAsync(kind);
        await using var host = app;
        await RegisterAsync(app, account.Id, PushProviders.MicrosoftGraph, "subscription-1", "client-state-secret");
        using var client = app.CreateClient();

        var validation = await client.PostAsync("/api/push/microsoft-graph?validationToken=Validation%3A%20Testing%20client%20application", null, Ct);
        Assert.Equal(HttpStatusCode.OK, validation.StatusCode);
        Assert.Equal("text/plain", validation.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Validation: Testing client application", await validation.Content.ReadAsStringAsync(Ct));

        object Notification(string state) => new
        {
            value = new[] { new { subscriptionId = "subscription-1", clientState = state, changeType = "updated", resource = "drives/d1/root", tenantId = "t" } },
        };
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsJsonAsync("/api/push/microsoft-graph", Notification("forged"), Ct)).StatusCode);
        await Task.Delay(700, Ct);
        Assert.Empty(syncs.Requests);
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsJsonAsync("/api/push/microsoft-graph", Notification("client-state-secret"), Ct)).StatusCode);
        await WaitForAsync(() => syncs.CountFor(account.Id) == 1, TimeSpan.FromSeconds(30), "the sync request");
        await (await client.PostAsync("/api/push/microsoft-graph", new StringContent("not json", Encoding.UTF8, "application/json"), Ct))
            .AssertDetailAsync(HttpStatusCode.BadRequest);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Dropbox_Challenge_AndSignatureWithTheAppSecret(DatabaseKind kind)
    {
        var (app, syncs, org, account) = await StartAsync(kind);
        await using var host = app;
        await RegisterAsync(app, account.Id, PushProviders.Dropbox, "dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc", null);
        using var client = app.CreateClient();

        var challenge = await client.GetAsync("/api/push/dropbox?challenge=abc123XYZ", Ct);
        Assert.Equal("abc123XYZ", await challenge.Content.ReadAsStringAsync(Ct));
        Assert.Equal("text/plain", challenge.Content.Headers.ContentType?.MediaType);
        Assert.Equal("nosniff", challenge.Headers.GetValues("X-Content-Type-Options").Single());

        const string body = """{"list_folder": {"accounts": ["dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc"]}, "delta": {"users": [12345]}}""";
        HttpRequestMessage Notification(string secret, string path = "/api/push/dropbox")
        {
            var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Add("X-Dropbox-Signature", Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(body))));
            return request;
        }
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(Notification("not-the-secret"), Ct)).StatusCode);
        await Task.Delay(700, Ct);
        Assert.Empty(syncs.Requests);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Notification(DropboxSecret), Ct)).StatusCode);
        await WaitForAsync(() => syncs.CountFor(account.Id) == 1, TimeSpan.FromSeconds(30), "the sync request");

        // An organization's own Dropbox app signs with its own secret, at its own URL.
        await app.WithDbAsync(async (db, sp) =>
        {
            await sp.GetRequiredService<OAuthAppStore>().SetAsync(db, org.Id, "dropbox", "org-app", "org-app-secret", null, Ct);
            return await db.SaveChangesAsync(Ct);
        });
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(Notification(DropboxSecret, $"/api/push/dropbox/{org.Id}"), Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Notification("org-app-secret", $"/api/push/dropbox/{org.Id}"), Ct)).StatusCode);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Box_PrimaryOrSecondarySignature_FreshTimestampOnly(DatabaseKind kind)
    {
        var (app, syncs, _, account) = await StartAsync(kind);
        await using var host = app;
        await RegisterAsync(app, account.Id, PushProviders.Box, "webhook-42", null);
        using var client = app.CreateClient();
        const string body = """{"type":"webhook_event","id":"e1","trigger":"FILE.UPLOADED","webhook":{"id":"webhook-42","type":"webhook"},"source":{"id":"f1","type":"file"}}""";

        HttpRequestMessage Delivery(string? primaryKey, string? secondaryKey, DateTimeOffset at)
        {
            var timestamp = at.ToString("yyyy-MM-ddTHH:mm:sszzz", CultureInfo.InvariantCulture);
            string Sign(string key) => Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(body + timestamp)));
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/push/box") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Add("BOX-DELIVERY-ID", "d1");
            request.Headers.Add("BOX-DELIVERY-TIMESTAMP", timestamp);
            request.Headers.Add("BOX-SIGNATURE-VERSION", "1");
            request.Headers.Add("BOX-SIGNATURE-ALGORITHM", "HmacSHA256");
            request.Headers.Add("BOX-SIGNATURE-PRIMARY", primaryKey is null ? "bm9wZQ==" : Sign(primaryKey));
            request.Headers.Add("BOX-SIGNATURE-SECONDARY", secondaryKey is null ? "bm9wZQ==" : Sign(secondaryKey));
            return request;
        }
        var now = TimeProvider.System.GetUtcNow();
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(Delivery("wrong", "also-wrong", now), Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(Delivery(BoxPrimary, null, now.AddMinutes(-11)), Ct)).StatusCode);
        await Task.Delay(700, Ct);
        Assert.Empty(syncs.Requests);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Delivery(BoxPrimary, null, now), Ct)).StatusCode);
        await WaitForAsync(() => syncs.CountFor(account.Id) == 1, TimeSpan.FromSeconds(30), "the sync request");
        // A delivery signed only with the secondary key (the primary being rotated) passes too.
        await Task.Delay(700, Ct);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Delivery(null, BoxSecondary, now), Ct)).StatusCode);
        await WaitForAsync(() => syncs.CountFor(account.Id) == 2, TimeSpan.FromSeconds(30), "the second sync request");
    }
}
