using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.Organization;

public sealed class KeysEndpointsTests
{
    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task RegenerateKey_OldKeyStopsWorkingAtOnce_NewKeyWorks(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        var org = await app.CreateOrganizationAsync();
        using var old = app.CreateApiClient(org.ProductionKey);

        var response = await old.PostAsJsonAsync("/api/filestorage/v1/regenerate-key", new { name = "rotated" }, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        Assert.Equal("rotated", body.GetProperty("name").GetString());
        var newKey = body.GetProperty("key").GetString()!;
        Assert.StartsWith("trb_live_", newKey, StringComparison.Ordinal);

        var rejected = await old.GetAsync("/api/filestorage/v1/audit-trail", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, rejected.StatusCode);

        using var fresh = app.CreateApiClient(newKey);
        var trail = await fresh.GetFromJsonAsync<JsonElement>("/api/filestorage/v1/audit-trail", TestContext.Current.CancellationToken);
        var newest = trail.GetProperty("results")[0];
        Assert.Equal("REGENERATED_PRODUCTION_API_KEY", newest.GetProperty("event_type").GetString());
        Assert.Equal("API", newest.GetProperty("role").GetString());
    }
}
