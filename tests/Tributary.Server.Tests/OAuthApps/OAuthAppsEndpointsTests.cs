using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.OAuthApps;

public sealed class OAuthAppsEndpointsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task SetListDelete_ShowsRedirectUri_NeverTheSecret(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        var org = await app.CreateOrganizationAsync();
        using var api = app.CreateApiClient(org.ProductionKey);

        var set = await api.PutAsJsonAsync("/api/v1/oauth-apps/box", new { client_id = "box-client", client_secret = "box-secret-value", scopes = "root_readwrite" }, Ct);
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        var body = await set.Content.ReadAsStringAsync(Ct);
        Assert.DoesNotContain("box-secret-value", body, StringComparison.Ordinal);
        var json = JsonDocument.Parse(body).RootElement;
        Assert.Equal($"{app.Server.BaseAddress.ToString().TrimEnd('/')}/link/oauth/box/callback", json.GetProperty("redirect_uri").GetString());

        var list = await api.GetFromJsonAsync<JsonElement>("/api/v1/oauth-apps", Ct);
        Assert.Equal("box-client", list[0].GetProperty("client_id").GetString());

        using var other = app.CreateApiClient((await app.CreateOrganizationAsync("Other")).ProductionKey);
        Assert.Equal(0, (await other.GetFromJsonAsync<JsonElement>("/api/v1/oauth-apps", Ct)).GetArrayLength());

        Assert.Equal(HttpStatusCode.OK, (await api.DeleteAsync("/api/v1/oauth-apps/box", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await api.DeleteAsync("/api/v1/oauth-apps/box", Ct)).StatusCode);
    }

    [Fact]
    public async Task Set_RejectsTestKeysUnknownIntegrationsAndMissingFields()
    {
        await using var app = await TributaryApplication.StartAsync(DatabaseKind.Sqlite);
        var org = await app.CreateOrganizationAsync();
        using var api = app.CreateApiClient(org.ProductionKey);
        using var test = app.CreateApiClient(org.TestKey);

        Assert.Equal(HttpStatusCode.Forbidden, (await test.PutAsJsonAsync("/api/v1/oauth-apps/box", new { client_id = "a", client_secret = "b" }, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await api.PutAsJsonAsync("/api/v1/oauth-apps/myspace", new { client_id = "a", client_secret = "b" }, Ct)).StatusCode);
        var missing = await api.PutAsJsonAsync("/api/v1/oauth-apps/box", new { client_id = "a" }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.True((await missing.Content.ReadFromJsonAsync<JsonElement>(Ct)).TryGetProperty("client_secret", out _));
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.CreateApiClient(null).GetAsync("/api/v1/oauth-apps", Ct)).StatusCode);
    }
}
