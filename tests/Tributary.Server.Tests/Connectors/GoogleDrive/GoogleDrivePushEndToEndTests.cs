using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Tributary.Data.Entities;
using Tributary.Integrations.Catalog;
using Tributary.Server.Linking;
using Tributary.Server.Push;
using Tributary.Server.Tests.Connectors.Fakes;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.Connectors.GoogleDrive;

/// <summary>
/// Google Drive push end to end, on a server with jobs running on a real port: linking opens a
/// changes.watch channel at the Drive fake (through the subscription job), a change at the fake
/// makes the fake post Google's notification to <c>/api/push/google-drive</c>, and the incremental sync
/// it triggers makes the change visible through <c>GET /files</c> within seconds, long before the
/// 15-minute polling interval.
/// </summary>
public sealed class GoogleDrivePushEndToEndTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task A_change_at_drive_is_visible_through_the_api_within_seconds_of_googles_notification(DatabaseKind kind)
    {
        var (bed, fake) = await GoogleDriveFake.StartAsync(tree => tree.SeedStandard(8), GoogleDriveComplianceTests.TestOptions);
        await using var testBed = bed;
        var origin = fake.Host.Origin;
        await using var app = await TributaryApplication.StartAsync(kind, new Dictionary<string, string?>
        {
            ["Integrations:google-drive:TokenUrl"] = origin + "/token",
            ["Integrations:google-drive:ClientId"] = FakeTokens.ClientId,
            ["Integrations:google-drive:ClientSecret"] = FakeTokens.ClientSecret,
            ["Integrations:google-drive:ApiBaseUrls:api"] = origin + "/drive/v3",
            ["Integrations:google-drive:ApiBaseUrls:upload"] = origin + "/upload/drive/v3",
            ["Sync:RunJobs"] = "true",
            ["Tributary:RateLimitPerMinute"] = "1000000",
        }, kestrel: true);
        UsePublicBaseUrl(app, app.ClientOptions.BaseAddress.GetLeftPart(UriPartial.Authority));
        var org = await app.CreateOrganizationAsync();

        var (accountId, token) = await app.WithDbAsync(async (_, sp) =>
        {
            var drive = sp.GetRequiredService<IntegrationCatalog>().Find("google-drive")!;
            var (account, accountToken) = await sp.GetRequiredService<LinkFlow>().LinkDirectlyAsync(
                org.Id, drive, "drive-user", "ada@example.com", "Example Corp", fake.Tokens.Grant(), Ct);
            return (account.Id, accountToken);
        });

        await EventuallyAsync(async () => await app.WithDbAsync((db, _) =>
            db.SyncStates.IgnoreQueryFilters().AnyAsync(s => s.LinkedAccountId == accountId && s.InitialSyncDone && s.Status != SyncStatusValue.Syncing, Ct)),
            "the initial sync", TimeSpan.FromSeconds(60));
        await EventuallyAsync(async () => await app.WithDbAsync((db, _) =>
            db.PushChannels.IgnoreQueryFilters().AnyAsync(c => c.LinkedAccountId == accountId && c.Provider == PushProviders.GoogleDrive, Ct)),
            "the Drive channel to be recorded", TimeSpan.FromSeconds(30));
        var channel = Assert.Single(fake.Channels);
        Assert.Equal(new Uri(app.ClientOptions.BaseAddress, "/api/push/google-drive"), channel.Address);
        await EventuallyAsync(() => Task.FromResult(fake.Deliveries.Any(d => d.State == "sync")), "Google's sync message", TimeSpan.FromSeconds(10));

        using var api = app.CreateApiClient(org.ProductionKey, token);
        var file = fake.Tree.Files.First(f => !f.IsNativeDocument);
        var newName = $"pushed-{Guid.NewGuid():N}.txt";
        var started = TimeProvider.System.GetTimestamp();
        fake.Tree.Rename(file.Id, newName);

        await EventuallyAsync(async () => await NameThroughApiAsync(api, file.Id) == newName, "the renamed file through GET /files", TimeSpan.FromSeconds(10));
        var visibleAfter = TimeProvider.System.GetElapsedTime(started);
        TestContext.Current.TestOutputHelper?.WriteLine($"Change at Drive → visible through the API: {visibleAfter.TotalMilliseconds:0} ms ({kind})");
        Assert.True(visibleAfter < TimeSpan.FromSeconds(5), $"the change took {visibleAfter.TotalSeconds:0.0} s to be visible");
        Assert.Contains(fake.Deliveries, d => d.ChannelId == channel.Id && d.State == "change" && d.Status == 200);
        fake.Host.AssertConformant();
    }

    /// <summary>The server's port is known only once it listens: the setting is changed under the running server, as a config reload would.</summary>
    private static void UsePublicBaseUrl(TributaryApplication app, string url)
    {
        app.Services.GetRequiredService<IConfiguration>()["Push:PublicBaseUrl"] = url;
        app.Services.GetRequiredService<IOptionsMonitorCache<PushOptions>>().Clear();
        Assert.Equal(new Uri(url), app.Services.GetRequiredService<IOptionsMonitor<PushOptions>>().CurrentValue.PublicBaseUrl);
    }

    private static async Task<string?> NameThroughApiAsync(HttpClient api, string remoteId)
    {
        string? cursor = null;
        do
        {
            var page = await api.GetFromJsonAsync<JsonElement>(
                "/api/filestorage/v1/files?page_size=100" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor)), Ct);
            foreach (var file in page.GetProperty("results").EnumerateArray())
            {
                if (file.GetProperty("remote_id").GetString() == remoteId)
                {
                    return file.GetProperty("name").GetString();
                }
            }
            cursor = page.GetProperty("next").GetString();
        }
        while (cursor is not null);
        return null;
    }

    private static async Task EventuallyAsync(Func<Task<bool>> done, string what, TimeSpan patience)
    {
        var deadline = TimeProvider.System.GetUtcNow() + patience;
        while (!await done())
        {
            Assert.True(TimeProvider.System.GetUtcNow() < deadline, $"Timed out after {patience.TotalSeconds:0} s waiting for {what}.");
            await Task.Delay(50, Ct);
        }
    }
}
