using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.LinkedAccounts;

public sealed class AccountTokenEndpointsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Exchange_ReturnsAccountTokenAndIntegration_Once(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        var org = await app.CreateOrganizationAsync();
        using var api = app.CreateApiClient(org.ProductionKey);
        var linkToken = await api.CreateLinkTokenAsync(integration: "google-drive");
        var publicToken = await app.CompleteLinkAsync(linkToken, "google-drive");

        var response = await api.GetAsync($"/api/filestorage/v1/account-token/{publicToken}", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.StartsWith("trb_acct_", json.GetProperty("account_token").GetString(), StringComparison.Ordinal);
        var integration = json.GetProperty("integration");
        Assert.Equal("Google Drive", integration.GetProperty("name").GetString());
        Assert.Equal("google-drive", integration.GetProperty("slug").GetString());
        Assert.Equal("filestorage", integration.GetProperty("categories")[0].GetString());
        Assert.Equal(JsonValueKind.String, json.GetProperty("id").ValueKind);

        var again = await api.GetAsync($"/api/filestorage/v1/account-token/{publicToken}", Ct);
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        Assert.Contains("already exchanged", (await again.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Exchange_ConcurrentCalls_ExactlyOneWins(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        var org = await app.CreateOrganizationAsync();
        using var api = app.CreateApiClient(org.ProductionKey);
        var publicToken = await app.CompleteLinkAsync(await api.CreateLinkTokenAsync());

        var attempts = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => api.GetAsync($"/api/filestorage/v1/account-token/{publicToken}", Ct)));

        Assert.Equal(1, attempts.Count(r => r.StatusCode == HttpStatusCode.OK));
        Assert.All(attempts.Where(r => r.StatusCode != HttpStatusCode.OK), r => Assert.Equal(HttpStatusCode.NotFound, r.StatusCode));
    }

    [Fact]
    public async Task Exchange_Rejects_ExpiredPublicToken()
    {
        var time = new ManualTimeProvider();
        await using var app = await TributaryApplication.StartAsync(DatabaseKind.Sqlite, time: time);
        var org = await app.CreateOrganizationAsync();
        using var api = app.CreateApiClient(org.ProductionKey);
        var publicToken = await app.CompleteLinkAsync(await api.CreateLinkTokenAsync());

        time.Advance(TimeSpan.FromMinutes(11));

        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync($"/api/filestorage/v1/account-token/{publicToken}", Ct)).StatusCode);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Exchange_AnotherOrganizationsPublicToken_IsNotFound(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        var owner = await app.CreateOrganizationAsync("Owner");
        var intruder = await app.CreateOrganizationAsync("Intruder");
        using var ownerApi = app.CreateApiClient(owner.ProductionKey);
        using var intruderApi = app.CreateApiClient(intruder.ProductionKey);
        var publicToken = await app.CompleteLinkAsync(await ownerApi.CreateLinkTokenAsync());

        Assert.Equal(HttpStatusCode.NotFound, (await intruderApi.GetAsync($"/api/filestorage/v1/account-token/{publicToken}", Ct)).StatusCode);
        // The failed attempt consumed nothing: the owner can still exchange it.
        Assert.Equal(HttpStatusCode.OK, (await ownerApi.GetAsync($"/api/filestorage/v1/account-token/{publicToken}", Ct)).StatusCode);
    }

    [Fact]
    public async Task Exchange_PercentEncodedGarbage_IsNotFound()
    {
        await using var app = await TributaryApplication.StartAsync(DatabaseKind.Sqlite);
        var org = await app.CreateOrganizationAsync();
        using var api = app.CreateApiClient(org.ProductionKey);
        var response = await api.GetAsync("/api/filestorage/v1/account-token/pub_tok%2Fwith%20space", Ct);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Regenerate_ReplacesTheAccountToken(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        var org = await app.CreateOrganizationAsync();
        using var api = app.CreateApiClient(org.ProductionKey);
        var (id, token) = await app.LinkAccountAsync(api);
        using var old = app.CreateApiClient(org.ProductionKey, token);

        // Merge's SDK sends this POST with no body and no Content-Type.
        var response = await old.PostAsync("/api/filestorage/v1/account-token/regenerate", null, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(id, json.GetProperty("linked_account_id").GetGuid());
        var fresh = json.GetProperty("account_token").GetString()!;

        Assert.Equal(HttpStatusCode.Unauthorized, (await old.GetAsync("/api/filestorage/v1/account-details", Ct)).StatusCode);
        using var renewed = app.CreateApiClient(org.ProductionKey, fresh);
        Assert.Equal(HttpStatusCode.OK, (await renewed.GetAsync("/api/filestorage/v1/account-details", Ct)).StatusCode);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task DeleteAccount_RemovesAccountCredentialAndIssues_AndIsAudited(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        var org = await app.CreateOrganizationAsync();
        using var api = app.CreateApiClient(org.ProductionKey);
        var (id, token) = await app.LinkAccountAsync(api);
        await app.AddIssueAsync(org.Id, id);
        var (keptId, _) = await app.LinkAccountAsync(api, "someone-else");
        using var account = app.CreateApiClient(org.ProductionKey, token);

        var response = await account.PostAsync("/api/filestorage/v1/delete-account", null, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var remaining = await app.WithDbAsync(async (db, _) => new
        {
            Accounts = await db.LinkedAccounts.IgnoreQueryFilters().Select(a => a.Id).ToListAsync(Ct),
            Credentials = await db.Credentials.IgnoreQueryFilters().CountAsync(c => c.LinkedAccountId == id, Ct),
            Issues = await db.Issues.IgnoreQueryFilters().CountAsync(i => i.LinkedAccountId == id, Ct),
        });
        Assert.Equal([keptId], remaining.Accounts);
        Assert.Equal(0, remaining.Credentials);
        Assert.Equal(0, remaining.Issues);

        // Repeating the call changes nothing: the token no longer names an account.
        Assert.Equal(HttpStatusCode.Unauthorized, (await account.PostAsync("/api/filestorage/v1/delete-account", null, Ct)).StatusCode);
        var trail = await api.GetFromJsonAsync<JsonElement>("/api/filestorage/v1/audit-trail?event_type=DELETED_LINKED_ACCOUNT", Ct);
        Assert.Equal(1, trail.GetProperty("results").GetArrayLength());
    }
}
