using System.Net.Http.Json;
using System.Text.Json;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.Cli;

public sealed class WebhookCommandsTests
{
    [Fact]
    public async Task RotateKey_FromTheCli_IsTheKeyTheApiShows()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var app = await TributaryApplication.StartAsync(DatabaseKind.Sqlite);
        var org = await app.CreateOrganizationAsync();
        var env = app.ProcessEnvironment();
        using var api = app.CreateApiClient(org.ProductionKey);

        var first = (await TributaryExecutable.RunJsonAsync(env, "webhooks", "signing-key", "--org", org.Id.ToString())).GetProperty("key").GetString();
        Assert.Equal(first, (await api.GetFromJsonAsync<JsonElement>("/api/v1/webhooks/signing-key", ct)).GetProperty("key").GetString());
        var rotated = (await TributaryExecutable.RunJsonAsync(env, "webhooks", "rotate-key", "--org", org.Id.ToString())).GetProperty("key").GetString();
        Assert.NotEqual(first, rotated);
        Assert.Equal(rotated, (await api.GetFromJsonAsync<JsonElement>("/api/v1/webhooks/signing-key", ct)).GetProperty("key").GetString());
    }
}
