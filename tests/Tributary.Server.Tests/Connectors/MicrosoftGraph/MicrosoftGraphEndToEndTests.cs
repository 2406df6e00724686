using Tributary.Server.Tests.Connectors.EndToEnd;
using Tributary.Server.Tests.Connectors.Fakes;

namespace Tributary.Server.Tests.Connectors.MicrosoftGraph;

/// <summary>
/// OneDrive and SharePoint end to end: Link UI in Chromium with OAuth against the Graph fake's identity
/// platform (rotating refresh tokens), the real connector syncing, Merge's Node SDK reading it back.
/// </summary>
public sealed class MicrosoftGraphEndToEndTests
{
    [Fact]
    public Task OneDrive_links_syncs_and_serves_through_Merges_SDK() => RunAsync(GraphFlavor.OneDrive, "onedrive", "OneDrive");

    [Fact]
    public Task SharePoint_links_syncs_and_serves_through_Merges_SDK() => RunAsync(GraphFlavor.SharePoint, "sharepoint", "SharePoint");

    private static async Task RunAsync(GraphFlavor flavor, string slug, string name)
    {
        var fake = await GraphFake.StartAsync(flavor, pageSize: 10, GraphSpecValidator.Create());
        await using var host = fake.Host;
        await ProviderEndToEnd.RunAsync(slug, name, fake.Tree, new Dictionary<string, string?>
        {
            [$"Integrations:{slug}:AuthorizationUrl"] = fake.AuthorizeUrl,
            [$"Integrations:{slug}:TokenUrl"] = fake.TokenUrl,
            [$"Integrations:{slug}:ClientId"] = FakeTokens.ClientId,
            [$"Integrations:{slug}:ClientSecret"] = FakeTokens.ClientSecret,
            [$"Integrations:{slug}:ApiBaseUrls:api"] = fake.ApiBase,
            [$"Integrations:{slug}:BatchSize"] = "7",
        });
        Assert.Contains(host.Requests, r => r.Path.StartsWith("/_preauth/download/", StringComparison.Ordinal));
        host.AssertConformant();
    }
}
