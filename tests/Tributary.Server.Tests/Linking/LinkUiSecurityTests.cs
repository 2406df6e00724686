using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Tributary.Data.Entities;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.Linking;

/// <summary>The Link UI's security properties over plain HTTP, on both databases.</summary>
public sealed class LinkUiSecurityTests
{
    private const string HostOrigin = "https://app.example.com";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task OAuthCallback_TamperedForeignOrReplayedState_Is400AndStoresNothing(DatabaseKind kind)
    {
        await using var provider = await FakeOAuthProvider.StartAsync();
        await using var app = await TributaryApplication.StartAsync(kind, provider.SettingsFor("google-drive"));
        var org = await app.CreateOrganizationAsync();
        var link = await LinkTestKit.CreateLinkTokenAsync(app, org, integration: "google-drive");
        using var client = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

        var authorize = await SameOriginGetAsync(client, $"/link/{link.LinkToken}/google-drive/connect?handler=authorize&mode=page");
        Assert.Equal(HttpStatusCode.Redirect, authorize.StatusCode);
        var providerUrl = authorize.Headers.Location!;
        Assert.StartsWith(provider.AuthorizationUrl + "?", providerUrl.ToString(), StringComparison.Ordinal);
        var query = QueryHelpers.ParseQuery(providerUrl.Query);
        var state = query["state"].ToString();
        Assert.Equal(43, state.Length);

        foreach (var (path, badState) in new[]
        {
            ("/link/oauth/google-drive/callback", state[..^2] + (state[^2] == 'A' ? "BA" : "AA")), // tampered
            ("/link/oauth/google-drive/callback", ""),                                              // missing
            ("/link/oauth/dropbox/callback", state),                                                // issued for another provider
            ("/link/oauth/not-an-integration/callback", state),
        })
        {
            var response = await client.GetAsync($"{path}?code=stolen-code&state={Uri.EscapeDataString(badState)}", Ct);
            var html = await response.Content.ReadAsStringAsync(Ct);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("This sign-in can&#x27;t be completed", html, StringComparison.Ordinal);
        }
        Assert.Empty(provider.TokenRequests);
        await AssertNothingLinkedAsync(app);

        // The genuine answer still completes (the failed attempts did not burn the state)…
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        var consent = await browser.PostAsync(new Uri(provider.AuthorizationUrl.Replace("/authorize", "/consent", StringComparison.Ordinal)),
            new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["decision"] = "allow", ["redirect_uri"] = query["redirect_uri"]!, ["state"] = state,
                ["code_challenge"] = query["code_challenge"]!, ["code_challenge_method"] = query["code_challenge_method"]!, ["client_id"] = query["client_id"]!,
            }), Ct);
        var callback = consent.Headers.Location!;
        var done = await client.GetAsync(callback.PathAndQuery, Ct);
        Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        Assert.Contains("Google Drive is connected", await done.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);

        // …and exactly once: replaying it is refused.
        var replay = await client.GetAsync(callback.PathAndQuery, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, replay.StatusCode);
        Assert.Single(provider.TokenRequests);
    }

    [Fact]
    public async Task OAuthDeniedAtTheProvider_ShowsTryAgain_WhichIssuesAFreshStateAndRetiresTheOld()
    {
        await using var provider = await FakeOAuthProvider.StartAsync();
        await using var app = await TributaryApplication.StartAsync(DatabaseKind.Sqlite, provider.SettingsFor("onedrive"));
        var org = await app.CreateOrganizationAsync();
        var link = await LinkTestKit.CreateLinkTokenAsync(app, org, integration: "onedrive", language: "de");
        using var client = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var authorize = await SameOriginGetAsync(client, $"/link/{link.LinkToken}/onedrive/connect?handler=authorize&mode=page");
        var state = QueryHelpers.ParseQuery(authorize.Headers.Location!.Query)["state"].ToString();

        var denied = await client.GetAsync($"/link/oauth/onedrive/callback?error=access_denied&state={Uri.EscapeDataString(state)}", Ct);
        var html = await denied.Content.ReadAsStringAsync(Ct);
        Assert.Equal(HttpStatusCode.BadRequest, denied.StatusCode);
        Assert.Contains("Der Zugriff wurde nicht gewährt", html, StringComparison.Ordinal);
        var retryUrl = WebUtility.HtmlDecode(System.Text.RegularExpressions.Regex.Match(html, "href=\"(/link/oauth/onedrive/callback\\?handler=retry[^\"]+)\"").Groups[1].Value);
        Assert.NotEmpty(retryUrl);

        // A cross-site page cannot push the end user into a new sign-in.
        using (var crossSite = new HttpRequestMessage(HttpMethod.Get, retryUrl))
        {
            crossSite.Headers.Add("Sec-Fetch-Site", "cross-site");
            Assert.Equal(HttpStatusCode.BadRequest, (await client.SendAsync(crossSite, Ct)).StatusCode);
        }
        var retry = await SameOriginGetAsync(client, retryUrl);
        Assert.Equal(HttpStatusCode.Redirect, retry.StatusCode);
        var fresh = QueryHelpers.ParseQuery(retry.Headers.Location!.Query)["state"].ToString();
        Assert.NotEqual(state, fresh);
        var stale = await client.GetAsync($"/link/oauth/onedrive/callback?code=x&state={Uri.EscapeDataString(state)}", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, stale.StatusCode);
        Assert.Contains("This sign-in can&#x27;t be completed", await stale.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        await AssertNothingLinkedAsync(app);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task ExpiredLinkToken_IsRefusedEverywhere_NothingLinked(DatabaseKind kind)
    {
        var time = new ManualTimeProvider();
        await using var app = await TributaryApplication.StartAsync(kind, time: time);
        var org = await app.CreateOrganizationAsync();
        var link = await LinkTestKit.CreateLinkTokenAsync(app, org, magicLink: true);
        using var client = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var connect = $"/link/{link.LinkToken}/sandbox/connect";
        var csrf = LinkTestKit.Csrf(await client.GetStringAsync(connect, Ct));

        time.Advance(TimeSpan.FromMinutes(30));

        var post = await LinkTestKit.PostFormAsync(client, connect, new Dictionary<string, string> { ["__csrf"] = csrf });
        Assert.Equal(HttpStatusCode.Gone, post.StatusCode);
        Assert.Contains("This link has expired", await post.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Gone, (await client.GetAsync($"/link/{link.LinkToken}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Gone, (await client.GetAsync($"/magic-link/{link.LinkToken}", Ct)).StatusCode);
        var magicPost = await LinkTestKit.PostFormAsync(client, $"/magic-link/{link.LinkToken}", new Dictionary<string, string> { ["__csrf"] = csrf });
        Assert.Equal(HttpStatusCode.Gone, magicPost.StatusCode);
        var status = await client.GetFromJsonAsync<JsonElement>($"/link/{link.LinkToken}/status", Ct);
        Assert.Equal("expired", status.GetProperty("status").GetString());
        await AssertNothingLinkedAsync(app);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Forms_WithoutTheSessionsFormTokenOrFromAnotherSite_AreRejected(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        var org = await app.CreateOrganizationAsync();
        var link = await LinkTestKit.CreateLinkTokenAsync(app, org);
        var other = await LinkTestKit.CreateLinkTokenAsync(app, org, originId: "someone-else");
        using var client = app.CreateClient();
        var connect = $"/link/{link.LinkToken}/sandbox/connect";
        var csrf = LinkTestKit.Csrf(await client.GetStringAsync(connect, Ct));
        var otherCsrf = LinkTestKit.Csrf(await client.GetStringAsync($"/link/{other.LinkToken}/sandbox/connect", Ct));
        Assert.NotEqual(csrf, otherCsrf);

        var missing = await LinkTestKit.PostFormAsync(client, connect, new Dictionary<string, string>());
        var wrongSession = await LinkTestKit.PostFormAsync(client, connect, new Dictionary<string, string> { ["__csrf"] = otherCsrf });
        using var crossSite = new HttpRequestMessage(HttpMethod.Post, connect)
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["__csrf"] = csrf }),
        };
        crossSite.Headers.Add("Sec-Fetch-Site", "cross-site");
        var forged = await client.SendAsync(crossSite, Ct);
        using var foreignOrigin = new HttpRequestMessage(HttpMethod.Post, connect)
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["__csrf"] = csrf }),
        };
        foreignOrigin.Headers.Add("Origin", "https://evil.example");
        var forgedOrigin = await client.SendAsync(foreignOrigin, Ct);

        foreach (var response in new[] { missing, wrongSession, forged, forgedOrigin })
        {
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Contains("Please try again", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        }
        await AssertNothingLinkedAsync(app);

        var genuine = await LinkTestKit.PostFormAsync(client, connect, new Dictionary<string, string> { ["__csrf"] = csrf });
        Assert.Equal(HttpStatusCode.OK, genuine.StatusCode);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task RelinkThroughUi_SameEndUserOriginId_UpdatesTheSameLinkedAccount(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        var org = await app.CreateOrganizationAsync();
        using var client = app.CreateClient();

        var first = await LinkTestKit.CreateLinkTokenAsync(app, org, originId: "customer-42");
        var firstToken = PublicToken(await ConnectEmbeddedSandboxAsync(client, first.LinkToken));
        var (_, firstId) = await LinkTestKit.ExchangeAsync(app, org, firstToken);

        var second = await LinkTestKit.CreateLinkTokenAsync(app, org, originId: "customer-42");
        var picker = await client.GetStringAsync($"/link/{second.LinkToken}", Ct);
        Assert.Contains("You connected Sandbox before", picker, StringComparison.Ordinal);
        var secondToken = PublicToken(await ConnectEmbeddedSandboxAsync(client, second.LinkToken));
        var (accountToken, secondId) = await LinkTestKit.ExchangeAsync(app, org, secondToken);

        Assert.Equal(firstId, secondId);
        var accounts = await app.WithDbAsync((db, _) => db.LinkedAccounts.IgnoreQueryFilters().ToListAsync(Ct));
        var account = Assert.Single(accounts);
        Assert.Equal(LinkedAccountStatus.Complete, account.Status);
        Assert.Single(await app.WithDbAsync((db, _) => db.Credentials.IgnoreQueryFilters().ToListAsync(Ct)));
        using var api = app.CreateApiClient(org.ProductionKey, accountToken);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/filestorage/v1/account-details", Ct)).StatusCode);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task MagicLink_GetConsumesNothing_PostWithFormTokenStartsTheFlow(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind);
        var org = await app.CreateOrganizationAsync();
        var link = await LinkTestKit.CreateLinkTokenAsync(app, org, magicLink: true);
        Assert.EndsWith($"/magic-link/{link.LinkToken}", link.MagicLinkUrl, StringComparison.Ordinal);
        using var client = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var path = new Uri(link.MagicLinkUrl!).AbsolutePath;

        // A mail scanner fetching the link (twice) changes nothing.
        var first = await client.GetStringAsync(path, Ct);
        var second = await client.GetStringAsync(path, Ct);
        Assert.Contains("Acme asks you to connect your file storage", first, StringComparison.Ordinal);
        Assert.Contains("pat@example.com", first, StringComparison.Ordinal);
        Assert.Contains("Example Corp", first, StringComparison.Ordinal);
        Assert.Equal(LinkTestKit.Csrf(first), LinkTestKit.Csrf(second));
        var session = await app.WithDbAsync((db, _) => db.LinkSessions.IgnoreQueryFilters().SingleAsync(Ct));
        Assert.Equal(LinkSessionStatus.Open, session.Status);

        var unconfirmed = await LinkTestKit.PostFormAsync(client, path, new Dictionary<string, string>());
        Assert.Equal(HttpStatusCode.Forbidden, unconfirmed.StatusCode);
        var confirmed = await LinkTestKit.PostFormAsync(client, path, new Dictionary<string, string> { ["__csrf"] = LinkTestKit.Csrf(first) });
        Assert.Equal(HttpStatusCode.SeeOther, confirmed.StatusCode);
        Assert.Equal($"/link/{link.LinkToken}", confirmed.Headers.Location!.ToString());
    }

    [Fact]
    public async Task LinkPages_SendStrictSecurityHeaders_FrameAncestorsOnlyTheEmbeddingOrigin_NoCookies()
    {
        await using var app = await TributaryApplication.StartAsync(DatabaseKind.Sqlite);
        var org = await app.CreateOrganizationAsync();
        var link = await LinkTestKit.CreateLinkTokenAsync(app, org);
        using var client = app.CreateClient();

        var embedded = await client.GetAsync($"/link/{link.LinkToken}?origin={Uri.EscapeDataString(HostOrigin)}", Ct);
        var csp = embedded.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("default-src 'self'", csp, StringComparison.Ordinal);
        Assert.Contains("script-src 'self';", csp, StringComparison.Ordinal);
        Assert.Contains("form-action 'self';", csp, StringComparison.Ordinal);
        Assert.Contains($"frame-ancestors {HostOrigin}", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe", csp, StringComparison.Ordinal);
        Assert.Equal("nosniff", embedded.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("no-referrer", embedded.Headers.GetValues("Referrer-Policy").Single());
        Assert.Equal("no-store", embedded.Headers.CacheControl!.ToString());
        Assert.False(embedded.Headers.Contains("X-Frame-Options"));
        var html = await embedded.Content.ReadAsStringAsync(Ct);
        Assert.Contains($"data-host-origin=\"{HostOrigin}\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);
        Assert.DoesNotContain(" style=", html, StringComparison.Ordinal);

        foreach (var origin in new[] { "", "javascript:alert(1)", "https://app.example.com/path", "https://user@app.example.com", "null" })
        {
            var page = await client.GetAsync($"/link/{link.LinkToken}?origin={Uri.EscapeDataString(origin)}", Ct);
            Assert.Contains("frame-ancestors 'none'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
            Assert.Equal("DENY", page.Headers.GetValues("X-Frame-Options").Single());
        }

        var done = await ConnectEmbeddedSandboxAsync(client, link.LinkToken);
        Assert.Contains("Sandbox is connected", done, StringComparison.Ordinal);
        foreach (var response in new[] { embedded })
        {
            Assert.False(response.Headers.Contains("Set-Cookie"));
        }

        var script = await client.GetAsync("/link/embed.js", Ct);
        Assert.Equal("text/javascript", script.Content.Headers.ContentType!.MediaType);
        Assert.Equal("nosniff", script.Headers.GetValues("X-Content-Type-Options").Single());
        var source = await script.Content.ReadAsStringAsync(Ct);
        Assert.Contains("event.origin !== tributaryOrigin", source, StringComparison.Ordinal);
        Assert.Contains("event.source !== state.iframe.contentWindow", source, StringComparison.Ordinal);
        Assert.Contains("window.MergeLink = api", source, StringComparison.Ordinal);
        Assert.DoesNotContain("'*'", source, StringComparison.Ordinal);
        var pageScript = await client.GetStringAsync("/link/assets/link.js", Ct);
        Assert.Contains("window.parent.postMessage(message, hostOrigin)", pageScript, StringComparison.Ordinal);
        Assert.DoesNotContain("'*'", pageScript, StringComparison.Ordinal);
    }

    /// <summary>Completes the Sandbox in embedded mode (origin set), where the done page carries the public token for the host.</summary>
    internal static async Task<string> ConnectEmbeddedSandboxAsync(HttpClient client, string linkToken)
    {
        var connect = $"/link/{linkToken}/sandbox/connect?origin={Uri.EscapeDataString(HostOrigin)}";
        var page = await client.GetStringAsync(connect, Ct);
        var response = await LinkTestKit.PostFormAsync(client, connect, new Dictionary<string, string> { ["__csrf"] = LinkTestKit.Csrf(page) });
        var html = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, html);
        return html;
    }

    /// <summary>The public token in a done page's message for the embedding page.</summary>
    internal static string PublicToken(string donePage)
    {
        var match = System.Text.RegularExpressions.Regex.Match(donePage, "data-message=\"([^\"]+)\"");
        Assert.True(match.Success, donePage);
        var message = JsonDocument.Parse(WebUtility.HtmlDecode(match.Groups[1].Value)).RootElement;
        Assert.Equal("success", message.GetProperty("type").GetString());
        return message.GetProperty("publicToken").GetString()!;
    }

    private static Task<HttpResponseMessage> SameOriginGetAsync(HttpClient client, string url)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Add("Sec-Fetch-Site", "same-origin");
        return client.SendAsync(request, Ct);
    }

    private static async Task AssertNothingLinkedAsync(TributaryApplication app)
    {
        Assert.Empty(await app.WithDbAsync((db, _) => db.LinkedAccounts.IgnoreQueryFilters().ToListAsync(Ct)));
        Assert.Empty(await app.WithDbAsync((db, _) => db.Credentials.IgnoreQueryFilters().ToListAsync(Ct)));
        var sessions = await app.WithDbAsync((db, _) => db.LinkSessions.IgnoreQueryFilters().ToListAsync(Ct));
        Assert.All(sessions, s => Assert.Equal(LinkSessionStatus.Open, s.Status));
    }
}
