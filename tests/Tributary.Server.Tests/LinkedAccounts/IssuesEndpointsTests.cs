using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.LinkedAccounts;

public sealed class IssuesEndpointsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task ListIssues_FiltersAndIsolatesOrganizations(DatabaseKind kind)
    {
        var time = new ManualTimeProvider();
        await using var app = await TributaryApplication.StartAsync(kind, time: time);
        var org = await app.CreateOrganizationAsync();
        var other = await app.CreateOrganizationAsync("Other");
        using var api = app.CreateApiClient(org.ProductionKey);
        var (firstId, firstToken) = await app.LinkAccountAsync(api, "user-1");
        var (secondId, _) = await app.LinkAccountAsync(api, "user-2");
        var otherAccount = await app.CreateLinkedAccountAsync(other.Id);

        var early = await app.AddIssueAsync(org.Id, firstId, "Missing Permissions");
        time.Advance(TimeSpan.FromHours(1));
        var muted = await app.AddIssueAsync(org.Id, secondId, "Rate limited", muted: true);
        time.Advance(TimeSpan.FromHours(1));
        var resolved = await app.AddIssueAsync(org.Id, secondId, "Relink needed", resolved: true);
        await app.AddIssueAsync(other.Id, otherAccount.Id, "Not yours");

        async Task<List<Guid>> Ids(string query)
        {
            var page = await api.GetFromJsonAsync<JsonElement>("/api/filestorage/v1/issues" + query, Ct);
            return page.GetProperty("results").EnumerateArray().Select(i => i.GetProperty("id").GetGuid()).ToList();
        }

        Assert.Equal([early, resolved], await Ids(""));
        Assert.Equal([early, muted, resolved], await Ids("?include_muted=true"));
        Assert.Equal([early], await Ids("?status=ONGOING"));
        Assert.Equal([resolved], await Ids("?status=RESOLVED"));
        Assert.Equal([early], await Ids($"?account_token={Uri.EscapeDataString(firstToken)}"));
        Assert.Equal([muted, resolved], await Ids($"?linked_account_id={secondId}&include_muted=true"));
        Assert.Equal([resolved], await Ids($"?first_incident_time_after={Uri.EscapeDataString(time.GetUtcNow().AddMinutes(-1).ToString("O"))}"));
        Assert.Equal([early], await Ids($"?first_incident_time_before={Uri.EscapeDataString(time.GetUtcNow().AddMinutes(-90).ToString("O"))}"));
        Assert.Equal([early, resolved], await Ids("?integration_name=Sandbox"));
        Assert.Empty(await Ids("?end_user_organization_name=Nobody"));

        var one = await api.GetFromJsonAsync<JsonElement>($"/api/filestorage/v1/issues/{early}", Ct);
        Assert.Equal("ONGOING", one.GetProperty("status").GetString());
        Assert.Equal("Missing Permissions", one.GetProperty("error_description").GetString());
        Assert.Equal("user-1", one.GetProperty("end_user").GetProperty("end_user_origin_id").GetString());
        Assert.False(one.GetProperty("is_muted").GetBoolean());

        using var otherApi = app.CreateApiClient(other.ProductionKey);
        Assert.Equal(HttpStatusCode.NotFound, (await otherApi.GetAsync($"/api/filestorage/v1/issues/{early}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await api.GetAsync("/api/filestorage/v1/issues?status=BROKEN", Ct)).StatusCode);
    }
}
