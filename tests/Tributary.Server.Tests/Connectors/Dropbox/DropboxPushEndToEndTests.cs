using Tributary.Server.Tests.Connectors.EndToEnd;
using Tributary.Server.Tests.Connectors.Fakes;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.Connectors.Dropbox;

/// <summary>Dropbox push end to end: link in Chromium, the job records the account id, the app webhook (set as in the App Console) is signed with the app secret, the file is listed within seconds.</summary>
public sealed class DropboxPushEndToEndTests
{
    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task A_new_file_is_listed_within_seconds_through_the_apps_signed_webhook(DatabaseKind kind)
    {
        var fake = await DropboxFake.StartAsync();
        await using var _ = fake.Host;
        fake.Tree.SeedStandard(12);
        var name = $"pushed-{Guid.NewGuid():N}.txt";

        await PushEndToEnd.RunAsync("dropbox", "Dropbox", "dropbox", new Dictionary<string, string?>
        {
            ["Integrations:dropbox:AuthorizationUrl"] = fake.AuthorizationUrl,
            ["Integrations:dropbox:TokenUrl"] = fake.TokenUrl,
            ["Integrations:dropbox:ClientId"] = FakeTokens.ClientId,
            ["Integrations:dropbox:ClientSecret"] = FakeTokens.ClientSecret,
            ["Integrations:dropbox:ApiBaseUrls:api"] = fake.ApiBaseUrls["api"],
            ["Integrations:dropbox:ApiBaseUrls:content"] = fake.ApiBaseUrls["content"],
            ["Integrations:dropbox:ApiBaseUrls:notify"] = fake.ApiBaseUrls["notify"],
        }, publicUrl => fake.WebhookUri = new Uri(publicUrl, "/api/push/dropbox"), () =>
        {
            fake.Tree.AddFile(name, FakeContent.Of("pushed\n"u8.ToArray()), null, "text/plain");
            return name;
        }, kind);

        Assert.Contains(fake.Notifier.Deliveries, d => d.Status == 200 && d.Body.Contains(DropboxFake.AccountId(fake.Tree.Me.Id), StringComparison.Ordinal));
        fake.Host.AssertConformant();
    }
}
