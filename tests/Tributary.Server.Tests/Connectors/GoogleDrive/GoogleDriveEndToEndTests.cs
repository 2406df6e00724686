using Tributary.Server.Tests.Connectors.EndToEnd;
using Tributary.Server.Tests.Connectors.Fakes;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.Connectors.GoogleDrive;

/// <summary>
/// Google Drive end to end: OAuth through the Link UI in Chromium against the Drive fake's consent page,
/// Tributary's sync through the real connector (small pages), then Merge's official Node SDK lists and downloads.
/// </summary>
public sealed class GoogleDriveEndToEndTests
{
    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Linked_with_OAuth_synced_and_listed_and_downloaded_by_the_official_sdk(DatabaseKind kind)
    {
        var (bed, fake) = await GoogleDriveFake.StartAsync(tree => tree.SeedStandard(25), GoogleDriveComplianceTests.TestOptions);
        await using var _ = bed;
        var origin = fake.Host.Origin;

        await ProviderEndToEnd.RunAsync("google-drive", "Google Drive", fake.Tree, new Dictionary<string, string?>
        {
            ["Integrations:google-drive:AuthorizationUrl"] = origin + "/o/oauth2/v2/auth",
            ["Integrations:google-drive:TokenUrl"] = origin + "/token",
            ["Integrations:google-drive:ClientId"] = FakeTokens.ClientId,
            ["Integrations:google-drive:ClientSecret"] = FakeTokens.ClientSecret,
            ["Integrations:google-drive:ApiBaseUrls:api"] = origin + "/drive/v3",
            ["Integrations:google-drive:ApiBaseUrls:upload"] = origin + "/upload/drive/v3",
            ["Integrations:google-drive:PageSize"] = "10",
            ["Integrations:google-drive:SmallPageSize"] = "10",
        }, kind);

        Assert.Contains("drive.readonly", fake.Tokens.LastRequestedScope, StringComparison.Ordinal);
        Assert.Contains(fake.Host.Requests, r => r.Path == "/drive/v3/changes/startPageToken");
        Assert.True(fake.Host.Requests.Count(r => r.Path == "/drive/v3/files") >= 3, "the sync read several pages of files.list");
        fake.Host.AssertConformant();
    }
}
