using Tributary.Server.Tests.Connectors.EndToEnd;
using Tributary.Server.Tests.Connectors.Fakes;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.Connectors.MicrosoftGraph;

/// <summary>OneDrive push end to end: link in Chromium, the job creates the Graph subscription (validation handshake through the public URL), a change notifies, the file is listed within seconds.</summary>
public sealed class MicrosoftGraphPushEndToEndTests
{
    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task A_change_in_OneDrive_is_listed_within_seconds_through_a_graph_notification(DatabaseKind kind)
    {
        var fake = await GraphFake.StartAsync(GraphFlavor.OneDrive, pageSize: 10, GraphSpecValidator.Create());
        await using var host = fake.Host;
        var name = $"pushed-{Guid.NewGuid():N}.txt";

        await PushEndToEnd.RunAsync("onedrive", "OneDrive", "microsoft-graph", new Dictionary<string, string?>
        {
            ["Integrations:onedrive:AuthorizationUrl"] = fake.AuthorizeUrl,
            ["Integrations:onedrive:TokenUrl"] = fake.TokenUrl,
            ["Integrations:onedrive:ClientId"] = FakeTokens.ClientId,
            ["Integrations:onedrive:ClientSecret"] = FakeTokens.ClientSecret,
            ["Integrations:onedrive:ApiBaseUrls:api"] = fake.ApiBase,
        }, atProvider: null, () =>
        {
            fake.Tree.AddFile(name, FakeContent.Of("pushed\n"u8.ToArray()), null, "text/plain");
            return name;
        }, kind);

        var subscription = Assert.Single(fake.Subscriptions.Values);
        Assert.Equal(200, Assert.Single(fake.Validations).Status);
        Assert.Contains(fake.Notifier.Deliveries, d => d.Status == 202 && d.Body.Contains(subscription.Id, StringComparison.Ordinal));
        host.AssertConformant();
    }
}
