using Tributary.Server.Tests.Connectors.EndToEnd;
using Tributary.Server.Tests.Connectors.Fakes;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.Connectors.Dropbox;

/// <summary>Dropbox end to end: OAuth through the Link UI in Chromium against the Dropbox fake, sync, Merge's official SDK.</summary>
public sealed class DropboxEndToEndTests
{
    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Linked_with_oauth_synced_and_listed_and_downloaded_by_the_official_sdk(DatabaseKind kind)
    {
        var fake = await DropboxFake.StartAsync();
        await using var _ = fake.Host;
        fake.Tree.SeedStandard(12);

        await ProviderEndToEnd.RunAsync("dropbox", "Dropbox", fake.Tree, new Dictionary<string, string?>
        {
            ["Integrations:dropbox:AuthorizationUrl"] = fake.AuthorizationUrl,
            ["Integrations:dropbox:TokenUrl"] = fake.TokenUrl,
            ["Integrations:dropbox:ClientId"] = FakeTokens.ClientId,
            ["Integrations:dropbox:ClientSecret"] = FakeTokens.ClientSecret,
            ["Integrations:dropbox:ApiBaseUrls:api"] = fake.ApiBaseUrls["api"],
            ["Integrations:dropbox:ApiBaseUrls:content"] = fake.ApiBaseUrls["content"],
            ["Integrations:dropbox:ApiBaseUrls:notify"] = fake.ApiBaseUrls["notify"],
            ["Integrations:dropbox:PageSize"] = "5",
        }, kind);

        Assert.Contains(FakeTokens.ClientId, fake.Host.Requests.Where(r => r.Path == "/www/oauth2/authorize").Select(r => r.Query.GetValueOrDefault("client_id")));
        Assert.Contains(fake.Host.Requests, r => r.Path == "/www/oauth2/authorize" && r.Query.GetValueOrDefault("token_access_type") == "offline");
        fake.Host.AssertConformant();
    }
}
