using System.Net;
using System.Net.Http.Json;
using System.Web;
using Microsoft.EntityFrameworkCore;
using Tributary.Data.Entities;
using Tributary.Server.Tests.Infrastructure;
using static Tributary.Server.Tests.AgentHandler.AgentHandlerKit;

namespace Tributary.Server.Tests.AgentHandler.LinkTokens;

/// <summary>The callback redirect and the authorization-code exchange (seed agent-handler-magic-link.txt).</summary>
public sealed class CodeExchangeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task WithState_TheCredentialWaitsForTheExchange_WhichIsSingleUseProductionOnlySameOrgAndExpires(DatabaseKind kind)
    {
        var time = new ManualTimeProvider();
        await using var app = await TributaryApplication.StartAsync(kind, time: time);
        var org = await app.CreateOrganizationAsync();
        var other = await app.CreateOrganizationAsync("Other");
        using var api = app.CreateApiClient(org.ProductionKey);
        var user = await CreateUserAsync(api, "carol");
        await SendAsync(api, HttpMethod.Post, "/api/v1/allowed-callback-origins", new { origin = "https://app.example.com" }, 201);

        async Task<(string Code, string State)> AuthenticateAsync(string state)
        {
            var link = await SendAsync(api, HttpMethod.Post, $"/api/v1/registered-users/{user}/link-token",
                new { connector = "sandbox", callback_url = "https://app.example.com/integrations/done?tab=files", state }, 201);
            using var done = await ConnectSandboxAsync(app, link.GetProperty("link_token").GetString()!);
            var location = await CallbackFromAsync(done);
            Assert.Equal("https://app.example.com/integrations/done", location.GetLeftPart(UriPartial.Path));
            var query = HttpUtility.ParseQueryString(location.Query);
            Assert.Equal("files", query["tab"]);
            Assert.Equal("success", query["status"]);
            return (query["code"]!, query["state"]!);
        }

        var (code, state) = await AuthenticateAsync("state-1");
        Assert.Equal("state-1", state);
        Assert.StartsWith("trb_code_", code);
        // Nothing is stored until the backend exchanges the code.
        Assert.Equal(0, await app.WithDbAsync((db, _) => db.LinkedAccounts.IgnoreQueryFilters().CountAsync(a => a.OrganizationId == org.Id, Ct)));

        using var testApi = app.CreateApiClient(org.TestKey);
        var testKey = await SendAsync(testApi, HttpMethod.Post, "/api/v1/link-token/confirm", new { code }, 403);
        Assert.Contains("production", testKey.GetProperty("detail").GetString());
        using var otherApi = app.CreateApiClient(other.ProductionKey);
        await SendAsync(otherApi, HttpMethod.Post, "/api/v1/link-token/confirm", new { code }, 400);

        // Of concurrent exchanges exactly one wins.
        var attempts = await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            using var client = app.CreateApiClient(org.ProductionKey);
            using var response = await client.PostAsJsonAsync("/api/v1/link-token/confirm", new { code }, Ct);
            return (response.StatusCode, Body: await response.Content.ReadAsStringAsync(Ct));
        }));
        var winner = Assert.Single(attempts, a => a.StatusCode == HttpStatusCode.OK);
        Assert.All(attempts.Where(a => a.StatusCode != HttpStatusCode.OK), a => Assert.Equal(HttpStatusCode.BadRequest, a.StatusCode));
        var credential = System.Text.Json.JsonDocument.Parse(winner.Body).RootElement;
        Assert.Equal(user, credential.GetProperty("registered_user_id").GetGuid());
        Assert.Equal("sandbox", credential.GetProperty("connector").GetString());
        Assert.Equal("state-1", credential.GetProperty("state").GetString());
        var account = await app.WithDbAsync((db, _) => db.LinkedAccounts.IgnoreQueryFilters().SingleAsync(a => a.OrganizationId == org.Id, Ct));
        Assert.Equal(user, account.RegisteredUserId);
        Assert.Equal(LinkedAccountStatus.Complete, account.Status);
        Assert.Equal(credential.GetProperty("id").GetGuid(), account.Id);
        var me = await SendAsync(api, HttpMethod.Get, $"/api/v1/registered-users/{user}");
        Assert.Equal(["sandbox"], me.GetProperty("authenticated_connectors").EnumerateArray().Select(c => c.GetString()));
        await SendAsync(api, HttpMethod.Post, "/api/v1/link-token/confirm", new { code }, 400);

        // A code older than 5 minutes is refused.
        var (late, _) = await AuthenticateAsync("state-2");
        time.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1));
        var expired = await SendAsync(api, HttpMethod.Post, "/api/v1/link-token/confirm", new { code = late }, 400);
        Assert.Contains("expired", expired.GetProperty("code")[0].GetString());

        // Disconnecting deletes the user's credential.
        await SendAsync(api, HttpMethod.Delete, $"/api/v1/credentials/registered-users/{user}/connectors/sandbox");
        Assert.Empty((await SendAsync(api, HttpMethod.Get, $"/api/v1/registered-users/{user}")).GetProperty("authenticated_connectors").EnumerateArray());
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task WithoutState_TheCredentialIsCreatedAtOnce_AndExitRedirectsWithStatusExit(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        var org = await app.CreateOrganizationAsync();
        using var api = app.CreateApiClient(org.ProductionKey);
        var user = await CreateUserAsync(api, "dave");
        await SendAsync(api, HttpMethod.Post, "/api/v1/allowed-callback-origins", new { origin = "https://app.example.com" }, 201);
        var link = await SendAsync(api, HttpMethod.Post, $"/api/v1/registered-users/{user}/link-token",
            new { connector = "sandbox", callback_url = "https://app.example.com/done" }, 201);
        using var done = await ConnectSandboxAsync(app, link.GetProperty("link_token").GetString()!);
        Assert.Equal(new Uri("https://app.example.com/done?status=success"), await CallbackFromAsync(done));
        var me = await SendAsync(api, HttpMethod.Get, $"/api/v1/registered-users/{user}");
        Assert.Equal(["sandbox"], me.GetProperty("authenticated_connectors").EnumerateArray().Select(c => c.GetString()));

        var exitLink = await SendAsync(api, HttpMethod.Post, $"/api/v1/registered-users/{user}/link-token",
            new { connector = "sandbox", callback_url = "https://app.example.com/done", state = "xyz" }, 201);
        var token = exitLink.GetProperty("link_token").GetString()!;
        var client = app.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var page = await client.GetStringAsync($"/magic-link/{token}", Ct);
        using var exit = await Linking.LinkTestKit.PostFormAsync(client, $"/link/{token}/exit",
            new Dictionary<string, string> { ["__csrf"] = Linking.LinkTestKit.Csrf(page) });
        Assert.Equal(new Uri("https://app.example.com/done?status=exit&state=xyz"), await CallbackFromAsync(exit));
    }
}
