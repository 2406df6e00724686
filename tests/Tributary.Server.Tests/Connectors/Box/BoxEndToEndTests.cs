using Tributary.Server.Tests.Connectors.EndToEnd;
using Tributary.Server.Tests.Connectors.Fakes;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.Connectors.Box;

/// <summary>Box end to end: Link UI in Chromium with OAuth against the Box fake, sync through the connector, Merge's SDK lists and downloads.</summary>
public sealed class BoxEndToEndTests
{
    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Linked_with_OAuth_synced_and_listed_and_downloaded_by_the_official_sdk(DatabaseKind kind)
    {
        var tree = new FakeFileTree(BoxFake.NumericIds()).SeedStandard(12);
        await using var fake = await BoxFake.StartAsync(tree);

        await ProviderEndToEnd.RunAsync("box", "Box", tree, new Dictionary<string, string?>
        {
            ["Integrations:box:AuthorizationUrl"] = fake.AuthorizeUrl,
            ["Integrations:box:TokenUrl"] = fake.TokenUrl,
            ["Integrations:box:ClientId"] = FakeTokens.ClientId,
            ["Integrations:box:ClientSecret"] = FakeTokens.ClientSecret,
            ["Integrations:box:ApiBaseUrls:api"] = fake.ApiBase,
            ["Integrations:box:ApiBaseUrls:upload"] = fake.UploadBase,
            ["Integrations:box:PageSize"] = "5",
        }, kind);

        fake.Host.AssertConformant();
        Assert.All(fake.Downloads, d => Assert.Null(d.Authorization));
    }
}
