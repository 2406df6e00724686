using Tributary.Server.Tests.Connectors.EndToEnd;
using Tributary.Server.Tests.Connectors.Fakes;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.Connectors.Box;

/// <summary>Box push end to end: link in Chromium, the job creates a webhook per top-level folder, a signed delivery, the file is listed within seconds.</summary>
public sealed class BoxPushEndToEndTests
{
    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task A_new_file_in_a_top_level_folder_is_listed_within_seconds_through_a_signed_webhook_delivery(DatabaseKind kind)
    {
        var tree = new FakeFileTree(BoxFake.NumericIds()).SeedStandard(12);
        await using var fake = await BoxFake.StartAsync(tree);
        var name = $"pushed-{Guid.NewGuid():N}.txt";

        await PushEndToEnd.RunAsync("box", "Box", "box", new Dictionary<string, string?>
        {
            ["Integrations:box:AuthorizationUrl"] = fake.AuthorizeUrl,
            ["Integrations:box:TokenUrl"] = fake.TokenUrl,
            ["Integrations:box:ClientId"] = FakeTokens.ClientId,
            ["Integrations:box:ClientSecret"] = FakeTokens.ClientSecret,
            ["Integrations:box:ApiBaseUrls:api"] = fake.ApiBase,
            ["Integrations:box:ApiBaseUrls:upload"] = fake.UploadBase,
            ["Push:BoxPrimaryKey"] = fake.PrimarySignatureKey,
            ["Push:BoxSecondaryKey"] = fake.SecondarySignatureKey,
        }, atProvider: null, () =>
        {
            tree.AddFile(name, FakeContent.Of("pushed\n"u8.ToArray()), tree.Folders.Single(f => f.Name == "Projects").Id, "text/plain");
            return name;
        }, kind);

        Assert.Equal(tree.Folders.Where(f => f.ParentId is null).Select(f => f.Id).Order(), fake.Webhooks.Values.Select(w => w.FolderId).Order());
        Assert.Contains(fake.Notifier.Deliveries, d => d.Status == 200 && d.Body.Contains(name, StringComparison.Ordinal));
        Assert.Contains("manage_webhook", fake.Tokens.LastRequestedScope, StringComparison.Ordinal);
        fake.Host.AssertConformant();
    }
}
