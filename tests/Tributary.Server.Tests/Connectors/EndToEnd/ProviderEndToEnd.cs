using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Tributary.Data.Entities;
using Tributary.Server.Tests.Connectors.Fakes;
using Tributary.Server.Tests.Infrastructure;
using Tributary.Server.Tests.Interop;
using Tributary.Server.Tests.Linking;
using static Microsoft.Playwright.Assertions;

namespace Tributary.Server.Tests.Connectors.EndToEnd;

/// <summary>What the provider holds, which Merge's SDK must see after the sync.</summary>
internal sealed record ExpectedAccount(
    IReadOnlyDictionary<string, (string Name, string? ParentId)> Files, IReadOnlyCollection<string> FolderIds, string? MeEmail, string DownloadId, byte[] DownloadBytes)
{
    public static ExpectedAccount Of(FakeFileTree tree)
    {
        var download = tree.Files.First(f => !f.IsNativeDocument && f.Content is { Length: > 0 });
        return new ExpectedAccount(
            tree.Files.ToDictionary(f => f.Id, f => (f.Name, f.ParentId), StringComparer.Ordinal),
            [.. tree.Folders.Select(f => f.Id)], tree.Me.Email, download.Id, download.Content!.ToArray());
    }
}

/// <summary>
/// The end-to-end proof for one provider: an end user links the account through the embedded Link
/// UI in Chromium, Tributary syncs it through the real connector, and Merge's official Node SDK lists
/// every file, folder, drive, user and group and downloads a file. The SDK's view is compared with
/// what the provider holds: same files (remote ids, names, folders), the folders, the user who
/// linked, and the downloaded bytes.
/// </summary>
internal static class ProviderEndToEnd
{
    /// <summary>For OAuth providers: OAuth runs in a popup, where the end user consents on the provider fake's page.</summary>
    /// <param name="slug">The catalog slug, e.g. <c>google-drive</c>.</param>
    /// <param name="name">The catalog name the Link UI shows, e.g. <c>Google Drive</c>.</param>
    /// <param name="tree">The fake's data (seeded, served by a running fake).</param>
    /// <param name="settings">
    /// Tributary settings pointing the integration at the fake: <c>Integrations:{slug}:AuthorizationUrl</c>,
    /// <c>TokenUrl</c>, <c>ClientId</c>/<c>ClientSecret</c> (<see cref="FakeTokens.ClientId"/>), <c>ApiBaseUrls:{role}</c>
    /// and any connector options.
    /// </param>
    /// <param name="kind">The store Tributary runs on.</param>
    public static Task RunAsync(string slug, string name, FakeFileTree tree, IReadOnlyDictionary<string, string?> settings, DatabaseKind kind = DatabaseKind.Sqlite) =>
        RunAsync(slug, settings, async (page, frame) =>
        {
            await Expect(frame.Locator("h1")).ToHaveTextAsync($"Log in to {name}");
            var popup = await page.RunAndWaitForPopupAsync(() => frame.GetByRole(AriaRole.Link, new() { Name = $"Continue to {name}" }).ClickAsync());
            await popup.ClickAsync("#allow");
            await Expect(popup.Locator("h1")).ToHaveTextAsync($"{name} is connected");
        }, ExpectedAccount.Of(tree), kind);

    /// <summary>Links with <paramref name="connect"/> (given the host page and Link's iframe, after the requested-data screen), then syncs and checks.</summary>
    public static async Task RunAsync(
        string slug, IReadOnlyDictionary<string, string?> settings, Func<IPage, IFrameLocator, Task> connect, ExpectedAccount expected, DatabaseKind kind = DatabaseKind.Sqlite)
    {
        await NodeClientFolder.PrepareAsync();
        var all = new Dictionary<string, string?>(settings) { ["Tributary:RateLimitPerMinute"] = "1000000" };
        await using var app = await TributaryApplication.StartAsync(kind, all, kestrel: true);
        var org = await app.CreateOrganizationAsync();
        var link = await LinkTestKit.CreateLinkTokenAsync(app, org, integration: slug);

        await using var host = await LinkTestKit.StartHostPageAsync(app.ClientOptions.BaseAddress);
        await using var browser = await Browser.NewContextAsync();
        var page = await browser.NewPageAsync();
        await page.GotoAsync($"{host.Origin}/?token={Uri.EscapeDataString(link.LinkToken)}");
        await WaitForEventAsync(page, "ready");
        await page.ClickAsync("#connect");
        var frame = page.FrameLocator("#tributary-link-iframe");
        await frame.Locator("[data-action=continue]").ClickAsync();
        await connect(page, frame);
        var success = await WaitForEventAsync(page, "success");
        var (accountToken, accountId) = await LinkTestKit.ExchangeAsync(app, org, success.GetProperty("publicToken").GetString()!);

        await WaitForInitialSyncAsync(app, accountId);

        var (sdk, run) = await NodeScript.RunAsync(["provider.mjs"], new Dictionary<string, string?>
        {
            ["TRIBUTARY_BASE_URL"] = app.ClientOptions.BaseAddress.ToString().TrimEnd('/'),
            ["TRIBUTARY_API_KEY"] = org.ProductionKey,
            ["TRIBUTARY_ACCOUNT_TOKEN"] = accountToken,
            ["TRIBUTARY_DOWNLOAD_REMOTE_ID"] = expected.DownloadId,
        }, TimeSpan.FromMinutes(3));
        var context = $"{Environment.NewLine}{run}";

        var files = sdk.GetProperty("files").EnumerateArray().ToList();
        Assert.True(expected.Files.Keys.Order(StringComparer.Ordinal).SequenceEqual(
            files.Select(f => f.GetProperty("remote_id").GetString()!).Order(StringComparer.Ordinal)), $"The SDK's files differ from the provider's.{context}");
        foreach (var (id, (name, parent)) in expected.Files)
        {
            var seen = files.Single(f => f.GetProperty("remote_id").GetString() == id);
            Assert.Equal(name, seen.GetProperty("name").GetString());
            if (parent is not null)
            {
                Assert.Equal(parent, seen.GetProperty("folder_remote_id").GetString());
            }
        }
        var folders = sdk.GetProperty("folders").EnumerateArray().Select(f => f.GetProperty("remote_id").GetString()!).ToHashSet();
        Assert.Superset(expected.FolderIds.ToHashSet(), folders);
        Assert.NotEmpty(sdk.GetProperty("drives").EnumerateArray());
        Assert.Contains(sdk.GetProperty("users").EnumerateArray(), u => u.GetProperty("is_me").GetBoolean()
            && (expected.MeEmail is null || u.GetProperty("email_address").GetString() == expected.MeEmail));
        var downloaded = sdk.GetProperty("download");
        Assert.Equal(expected.DownloadBytes.Length, downloaded.GetProperty("size").GetInt64());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(expected.DownloadBytes)), downloaded.GetProperty("sha256").GetString());
    }

    internal static async Task WaitForInitialSyncAsync(TributaryApplication app, Guid accountId)
    {
        var deadline = TimeProvider.System.GetUtcNow().AddSeconds(120);
        while (true)
        {
            var state = await app.WithDbAsync((db, _) => db.SyncStates.IgnoreQueryFilters().AsNoTracking()
                .SingleOrDefaultAsync(s => s.LinkedAccountId == accountId, TestContext.Current.CancellationToken));
            if (state is { InitialSyncDone: true } && state.Status != SyncStatusValue.Syncing)
            {
                Assert.True(state.LastError is null, $"The initial sync failed: {state.LastError}");
                return;
            }
            Assert.True(state?.Status != SyncStatusValue.Failed, $"The initial sync failed: {state?.LastError}");
            Assert.True(TimeProvider.System.GetUtcNow() < deadline,
                $"The initial sync of {accountId} did not finish within 120 s (status {state?.Status}, error {state?.LastError}).");
            await Task.Delay(200, TestContext.Current.CancellationToken);
        }
    }

    internal static async Task<JsonElement> WaitForEventAsync(IPage page, string type)
    {
        await page.WaitForFunctionAsync("type => (window.linkEvents || []).some(e => e.type === type)", type);
        var events = await page.EvaluateAsync<JsonElement>("() => window.linkEvents || []");
        return events.EnumerateArray().First(e => e.GetProperty("type").GetString() == type);
    }
}
