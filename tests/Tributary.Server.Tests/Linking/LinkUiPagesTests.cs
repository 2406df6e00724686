using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Tributary.Server.Tests.Infrastructure;
using Tributary.Server.Vault;

namespace Tributary.Server.Tests.Linking;

/// <summary>The Link screens' content over plain HTTP.</summary>
public sealed class LinkUiPagesTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Picker_ListsTheCategorysIntegrationsWithLogos_ServerSideSearchWorksWithoutScript()
    {
        await using var app = await TributaryApplication.StartAsync(DatabaseKind.Sqlite);
        var org = await app.CreateOrganizationAsync();
        var link = await LinkTestKit.CreateLinkTokenAsync(app, org);
        using var client = app.CreateClient();

        var html = await client.GetStringAsync($"/link/{link.LinkToken}", Ct);
        foreach (var slug in new[] { "box", "dropbox", "google-drive", "onedrive", "sharepoint", "webdav", "sandbox" })
        {
            Assert.Contains($"data-integration=\"{slug}\"", html, StringComparison.Ordinal);
            Assert.Contains($"/link/assets/logos/{slug}.svg?v=", html, StringComparison.Ordinal);
        }
        var logo = await client.GetAsync("/link/assets/logos/dropbox.svg", Ct);
        Assert.Equal("image/svg+xml", logo.Content.Headers.ContentType!.MediaType);

        var searched = await client.GetStringAsync($"/link/{link.LinkToken}?q=drop", Ct);
        Assert.Matches("<li data-search=\"dropbox [^\"]*\">", searched);
        Assert.Matches("<li data-search=\"box [^\"]*\" hidden=\"hidden\">", searched);
    }

    [Fact]
    public async Task PreselectedIntegration_SkipsThePicker()
    {
        await using var app = await TributaryApplication.StartAsync(DatabaseKind.Sqlite);
        var org = await app.CreateOrganizationAsync();
        var link = await LinkTestKit.CreateLinkTokenAsync(app, org, integration: "sandbox");
        using var client = app.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

        var response = await client.GetAsync($"/link/{link.LinkToken}?origin=https%3A%2F%2Fapp.example.com", Ct);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal($"/link/{link.LinkToken}/sandbox?origin=https%3A%2F%2Fapp.example.com", response.Headers.Location!.ToString());
        // Integrations the token does not offer are refused.
        var other = await client.GetAsync($"/link/{link.LinkToken}/dropbox", Ct);
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
    }

    [Fact]
    public async Task RequestedData_ShowsTheTokensCommonModelScopes()
    {
        await using var app = await TributaryApplication.StartAsync(DatabaseKind.Sqlite);
        var org = await app.CreateOrganizationAsync();
        var scopes = JsonNode.Parse("""
            {"filestorage": [
              {"model_name": "File", "model_permissions": {"READ": {"is_enabled": true}, "WRITE": {"is_enabled": true}},
               "field_permissions": {"enabled_fields": ["name"], "disabled_fields": ["size"]}},
              {"model_name": "Folder", "model_permissions": {"READ": {"is_enabled": false}}}
            ]}
            """)!.AsObject();
        var link = await LinkTestKit.CreateLinkTokenAsync(app, org, scopes: scopes);
        using var client = app.CreateClient();

        var html = await client.GetStringAsync($"/link/{link.LinkToken}/sandbox", Ct);
        Assert.Contains(">Files<", html, StringComparison.Ordinal);
        Assert.Contains("Some fields excluded", html, StringComparison.Ordinal);
        Assert.Contains("Read and write", html, StringComparison.Ordinal);
        Assert.DoesNotContain(">Folders<", html, StringComparison.Ordinal);
        Assert.Contains(">Drives<", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OAuthIntegrationWithoutAnOAuthApp_ShowsNotConfigured_AndTellsTheEmbeddingPage()
    {
        await using var app = await TributaryApplication.StartAsync(DatabaseKind.Sqlite);
        var org = await app.CreateOrganizationAsync();
        var link = await LinkTestKit.CreateLinkTokenAsync(app, org);
        using var client = app.CreateClient();

        var response = await client.GetAsync($"/link/{link.LinkToken}/box?origin=https%3A%2F%2Fapp.example.com", Ct);
        var html = await response.Content.ReadAsStringAsync(Ct);
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("Box isn&#x27;t set up yet", html, StringComparison.Ordinal);
        Assert.Contains("ask Acme to register an OAuth app for Box", html, StringComparison.Ordinal);
        var message = JsonDocument.Parse(WebUtility.HtmlDecode(System.Text.RegularExpressions.Regex.Match(html, "data-message=\"([^\"]+)\"").Groups[1].Value)).RootElement;
        Assert.Equal("validation-error", message.GetProperty("type").GetString());
        var error = message.GetProperty("errors")[0];
        Assert.Equal("integration_not_configured", error.GetProperty("problem_type").GetString());
        Assert.Contains("PUT /api/v1/oauth-apps/box", error.GetProperty("detail").GetString(), StringComparison.Ordinal);

        // The organization registers its app: the same link now offers the sign-in.
        using var api = app.CreateApiClient(org.ProductionKey);
        var put = await api.PutAsJsonAsync("/api/v1/oauth-apps/box", new { client_id = "acme-box", client_secret = "s3cret" }, Ct);
        put.EnsureSuccessStatusCode();
        var connect = await client.GetStringAsync($"/link/{link.LinkToken}/box/connect", Ct);
        Assert.Contains("Log in to Box", connect, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AdminScreen_OffersTheMagicLink_UnlessHidden()
    {
        await using var app = await TributaryApplication.StartAsync(DatabaseKind.Sqlite);
        var org = await app.CreateOrganizationAsync();
        var shown = await LinkTestKit.CreateLinkTokenAsync(app, org);
        var hidden = await LinkTestKit.CreateLinkTokenAsync(app, org, originId: "other", hideAdminMagicLink: true);
        using var client = app.CreateClient();

        var page = await client.GetStringAsync($"/link/{shown.LinkToken}/webdav/admin", Ct);
        Assert.Contains("Ask an admin to connect WebDAV", page, StringComparison.Ordinal);
        Assert.Contains($"value=\"http://localhost/magic-link/{shown.LinkToken}\"", page, StringComparison.Ordinal);
        Assert.Contains("The link works until 2026", page, StringComparison.Ordinal);

        var withoutLink = await client.GetStringAsync($"/link/{hidden.LinkToken}/webdav/admin", Ct);
        Assert.DoesNotContain("/magic-link/", withoutLink, StringComparison.Ordinal);
        Assert.Contains("Please ask your WebDAV admin", withoutLink, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancel_EndsTheSession_ExitPage_ThenTheLinkSaysSo()
    {
        await using var app = await TributaryApplication.StartAsync(DatabaseKind.Sqlite);
        var org = await app.CreateOrganizationAsync();
        var link = await LinkTestKit.CreateLinkTokenAsync(app, org, magicLink: true);
        using var client = app.CreateClient();
        var csrf = LinkTestKit.Csrf(await client.GetStringAsync($"/link/{link.LinkToken}/sandbox/connect", Ct));

        var exit = await LinkTestKit.PostFormAsync(client, $"/link/{link.LinkToken}/exit", new Dictionary<string, string> { ["__csrf"] = csrf });
        Assert.Equal(HttpStatusCode.OK, exit.StatusCode);
        Assert.Contains("Nothing was connected", await exit.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        var again = await client.GetAsync($"/link/{link.LinkToken}", Ct);
        Assert.Equal(HttpStatusCode.Gone, again.StatusCode);
        Assert.Contains("Nothing was connected", await again.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        var session = await app.WithDbAsync((db, _) => db.LinkSessions.IgnoreQueryFilters().SingleAsync(Ct));
        Assert.Equal(Tributary.Data.Entities.LinkSessionStatus.Exited, session.Status);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task WebDav_FormIsValidatedLiveWithPropfindDepth0_WrongPasswordShownOnTheForm(DatabaseKind kind)
    {
        var seen = new List<(string Method, string Depth)>();
        await using var dav = await LinkTestKit.StartFakeWebDavAsync("pat", "correct horse", seen);
        await using var app = await TributaryApplication.StartAsync(kind);
        var org = await app.CreateOrganizationAsync();
        var link = await LinkTestKit.CreateLinkTokenAsync(app, org);
        using var client = app.CreateClient();
        var connect = $"/link/{link.LinkToken}/webdav/connect";
        var csrf = LinkTestKit.Csrf(await client.GetStringAsync(connect, Ct));
        var url = $"{dav.Origin}/dav/files/pat/";

        var empty = await LinkTestKit.PostFormAsync(client, connect, new Dictionary<string, string> { ["__csrf"] = csrf, ["url"] = "not a url" });
        var emptyHtml = await empty.Content.ReadAsStringAsync(Ct);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, empty.StatusCode);
        Assert.Contains("Enter a full address that starts with https:// or http://.", emptyHtml, StringComparison.Ordinal);
        Assert.Contains("This field is required.", emptyHtml, StringComparison.Ordinal);
        Assert.Empty(seen);

        var wrong = await LinkTestKit.PostFormAsync(client, connect, new Dictionary<string, string>
        {
            ["__csrf"] = csrf, ["url"] = url, ["username"] = "pat", ["password"] = "wrong",
        });
        var wrongHtml = await wrong.Content.ReadAsStringAsync(Ct);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, wrong.StatusCode);
        Assert.Contains("The server rejected this username and password.", wrongHtml, StringComparison.Ordinal);
        Assert.Contains($"value=\"{url}\"", wrongHtml, StringComparison.Ordinal);
        Assert.DoesNotContain("value=\"wrong\"", wrongHtml, StringComparison.Ordinal);
        Assert.Empty(await app.WithDbAsync((db, _) => db.LinkedAccounts.IgnoreQueryFilters().ToListAsync(Ct)));
        // No account exists yet, so nothing but the form has talked to the server.
        lock (seen)
        {
            Assert.Equal([("PROPFIND", "0")], seen);
        }

        var right = await LinkTestKit.PostFormAsync(client, connect, new Dictionary<string, string>
        {
            ["__csrf"] = csrf, ["url"] = url, ["username"] = "pat", ["password"] = "correct horse",
        });
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        Assert.Contains("WebDAV is connected", await right.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        // The form's check is the first request after the wrong password's: the account (and so its
        // initial sync, which lists with Depth 1 in the background) exists only once that check passed.
        lock (seen)
        {
            Assert.True(seen.Count >= 2, $"the form sent {seen.Count} requests");
            Assert.Equal(("PROPFIND", "0"), seen[1]);
        }

        var credential = await app.WithDbAsync(async (db, sp) =>
        {
            var stored = await db.Credentials.IgnoreQueryFilters().SingleAsync(Ct);
            return await sp.GetRequiredService<CredentialVault>().OpenStringAsync(db, stored.Secret, CredentialVault.CredentialPurpose(stored.LinkedAccountId), Ct);
        });
        var json = JsonDocument.Parse(credential).RootElement;
        Assert.Equal(url, json.GetProperty("url").GetString());
        Assert.Equal("pat", json.GetProperty("username").GetString());
        Assert.Equal("correct horse", json.GetProperty("password").GetString());
    }

    [Fact]
    public async Task WebDav_AgainstARealRcloneServer()
    {
        await using var dav = await RcloneWebDav.StartAsync("pat", "s3cret");
        await using var app = await TributaryApplication.StartAsync(DatabaseKind.Sqlite);
        var org = await app.CreateOrganizationAsync();
        var link = await LinkTestKit.CreateLinkTokenAsync(app, org);
        using var client = app.CreateClient();
        var connect = $"/link/{link.LinkToken}/webdav/connect";
        var csrf = LinkTestKit.Csrf(await client.GetStringAsync(connect, Ct));
        var fields = new Dictionary<string, string> { ["__csrf"] = csrf, ["url"] = dav.Url, ["username"] = "pat", ["password"] = "nope" };

        var wrong = await LinkTestKit.PostFormAsync(client, connect, fields);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, wrong.StatusCode);
        Assert.Contains("rejected this username and password", await wrong.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);

        fields["password"] = "s3cret";
        var right = await LinkTestKit.PostFormAsync(client, connect, fields);
        Assert.Contains("WebDAV is connected", await right.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }
}
