using Tributary.Server.Tests.Connectors.EndToEnd;
using Tributary.Server.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Tributary.Server.Tests.Connectors.WebDav;

/// <summary>WebDAV end to end: the Link UI's form in Chromium against a real rclone server, sync, Merge's SDK.</summary>
public sealed class WebDavEndToEndTests
{
    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Linked_through_the_form_synced_and_listed_and_downloaded_by_the_official_sdk(DatabaseKind kind)
    {
        await using var world = (await WebDavWorld.StartAsync()).SeedStandard(12);
        var files = world.FileIds.ToDictionary(id => id, id => (id[(id.LastIndexOf('/') + 1)..], ParentOf(id)), StringComparer.Ordinal);
        var download = files.Keys.Order(StringComparer.Ordinal).First();
        var expected = new ExpectedAccount(files, world.FolderIds, MeEmail: null, download, await world.ReadAsync(download));

        await ProviderEndToEnd.RunAsync("webdav", new Dictionary<string, string?> { ["Integrations:webdav:PageSize"] = "5" }, async (_, frame) =>
        {
            await Expect(frame.Locator("h1")).ToHaveTextAsync("Enter your WebDAV details");
            await frame.Locator("#field-url").FillAsync(world.Url);
            await frame.Locator("#field-username").FillAsync(world.Username);
            await frame.Locator("#field-password").FillAsync(world.Password);
            await frame.Locator("button[type=submit]").First.ClickAsync();
        }, expected, kind);
    }

    private static string? ParentOf(string id) => id.LastIndexOf('/') is var slash and > 0 ? id[..slash] : null;
}
