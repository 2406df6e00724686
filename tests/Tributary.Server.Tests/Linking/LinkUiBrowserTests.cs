using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Tributary.Server.Tests.Infrastructure;
using Tributary.Server.Vault;
using static Microsoft.Playwright.Assertions;

namespace Tributary.Server.Tests.Linking;

/// <summary>
/// The end user's Link, driven in Debian's Chromium. The two end-to-end flows (embedded Sandbox,
/// magic-link OAuth) run on both databases; the rest touch the database only through those same
/// code paths and run on SQLite to keep the suite quick on two cores.
/// </summary>
public sealed class LinkUiBrowserTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task EmbeddedLink_HostOnAnotherOrigin_PicksSandbox_OnSuccessTokenExchangesForWorkingAccountToken(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind, kestrel: true);
        var org = await app.CreateOrganizationAsync();
        var link = await LinkTestKit.CreateLinkTokenAsync(app, org);
        await using var host = await LinkTestKit.StartHostPageAsync(app.ClientOptions.BaseAddress);
        await using var context = await Browser.NewContextAsync();
        var page = await context.NewPageAsync();

        await page.GotoAsync($"{host.Origin}/?token={Uri.EscapeDataString(link.LinkToken)}");
        await WaitForEventAsync(page, "ready");
        var iframe = page.Locator("#tributary-link-iframe");
        await Expect(iframe).ToBeHiddenAsync();
        await page.ClickAsync("#connect");
        await Expect(iframe).ToBeVisibleAsync();

        var frame = page.FrameLocator("#tributary-link-iframe");
        await Expect(frame.Locator("h1")).ToHaveTextAsync("Choose your app");
        await Expect(frame.Locator("html")).ToHaveAttributeAsync("lang", "en");
        if (kind == DatabaseKind.Sqlite)
        {
            await Browser.ScreenshotAsync(page, "picker-embedded");
        }
        await frame.Locator("[data-integration=sandbox]").ClickAsync();
        await Expect(frame.Locator("h1")).ToHaveTextAsync("Acme wants to access Sandbox");
        await Expect(frame.Locator(".model-name").First).ToHaveTextAsync("Files");
        if (kind == DatabaseKind.Sqlite)
        {
            await Browser.ScreenshotAsync(page, "requested-data-embedded");
        }
        await frame.Locator("[data-action=continue]").ClickAsync();
        await Expect(frame.Locator("h1")).ToHaveTextAsync("Connect the Sandbox");
        if (kind == DatabaseKind.Sqlite)
        {
            await Browser.ScreenshotAsync(page, "connect-sandbox-embedded");
        }
        await frame.GetByRole(AriaRole.Button, new() { Name = "Connect Sandbox" }).ClickAsync();

        var success = await WaitForEventAsync(page, "success");
        var publicToken = success.GetProperty("publicToken").GetString()!;
        Assert.StartsWith("trb_pub_", publicToken, StringComparison.Ordinal);
        await Expect(frame.Locator("h1")).ToHaveTextAsync("Sandbox is connected");
        await frame.GetByRole(AriaRole.Button, new() { Name = "Done" }).ClickAsync();
        await Expect(iframe).ToBeHiddenAsync();
        Assert.DoesNotContain(await EventsAsync(page), e => e.GetProperty("type").GetString() == "exit");

        var (accountToken, accountId) = await LinkTestKit.ExchangeAsync(app, org, publicToken);
        using var api = app.CreateApiClient(org.ProductionKey, accountToken);
        var details = await api.GetFromJsonAsync<JsonElement>("/api/filestorage/v1/account-details", Ct);
        Assert.Equal(accountId, details.GetProperty("id").GetGuid());
        Assert.Equal("sandbox", details.GetProperty("integration_slug").GetString());
        Assert.Equal("end-user-1", details.GetProperty("end_user_origin_id").GetString());
    }

    [Fact]
    public async Task EmbedScript_IgnoresMessagesFromForeignOriginsAndFromOtherTributaryFrames()
    {
        await using var app = await TributaryApplication.StartAsync(DatabaseKind.Sqlite, kestrel: true);
        var org = await app.CreateOrganizationAsync();
        var link = await LinkTestKit.CreateLinkTokenAsync(app, org);
        await using var host = await LinkTestKit.StartHostPageAsync(app.ClientOptions.BaseAddress, globalName: "TributaryLink");
        await using var foreign = await LinkTestKit.StartHostPageAsync(app.ClientOptions.BaseAddress);
        await using var context = await Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync($"{host.Origin}/?token={Uri.EscapeDataString(link.LinkToken)}");
        await WaitForEventAsync(page, "ready");

        // A frame of another origin forges Link's messages, including the exact shape of a success.
        await AddFrameAsync(page, "foreign", $"{foreign.Origin}/foreign");
        var foreignFrame = page.Frames.Single(f => f.Url.StartsWith(foreign.Origin, StringComparison.Ordinal));
        await foreignFrame.EvaluateAsync("() => parent.postMessage({ source: 'tributary-link', type: 'success', publicToken: 'trb_pub_forged_foreign' }, '*')");
        // The host page's own window (e.g. a compromised third-party script on it) does the same.
        await page.EvaluateAsync("() => window.postMessage({ source: 'tributary-link', type: 'success', publicToken: 'trb_pub_forged_self' }, '*')");
        // A genuine Tributary page that is not the embed script's iframe: right origin, wrong window.
        var tributary = app.ClientOptions.BaseAddress.GetLeftPart(UriPartial.Authority);
        await AddFrameAsync(page, "other-tributary", $"{tributary}/link/trb_link_not_a_token?origin={Uri.EscapeDataString(host.Origin)}");
        var otherFrame = page.Frames.Single(f => f.Url.Contains("trb_link_not_a_token", StringComparison.Ordinal));
        await otherFrame.EvaluateAsync("() => parent.postMessage({ source: 'tributary-link', type: 'success', publicToken: 'trb_pub_forged_tributary' }, '*')");
        await otherFrame.EvaluateAsync("() => parent.postMessage({ source: 'tributary-link', type: 'exit' }, '*')");

        // The real flow still works, and its success is the only one the host sees.
        await page.ClickAsync("#connect");
        var frame = page.FrameLocator("#tributary-link-iframe");
        await frame.Locator("[data-integration=sandbox]").ClickAsync();
        await frame.Locator("[data-action=continue]").ClickAsync();
        await frame.GetByRole(AriaRole.Button, new() { Name = "Connect Sandbox" }).ClickAsync();
        var success = await WaitForEventAsync(page, "success");

        var events = await EventsAsync(page);
        var successes = events.Where(e => e.GetProperty("type").GetString() == "success").ToList();
        Assert.Single(successes);
        Assert.Equal(success.GetProperty("publicToken").GetString(), successes[0].GetProperty("publicToken").GetString());
        Assert.DoesNotContain("forged", successes[0].GetProperty("publicToken").GetString(), StringComparison.Ordinal);
        // The other Tributary frame's own messages (its ready, its validation error, the fake exit) were ignored too.
        Assert.DoesNotContain(events, e => e.GetProperty("type").GetString() is "exit" or "validation-error");
        Assert.Single(events, e => e.GetProperty("type").GetString() == "ready");
        await LinkTestKit.ExchangeAsync(app, org, successes[0].GetProperty("publicToken").GetString()!);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task MagicLink_OAuthWithPkceAgainstProviderFake_EndsOnDonePage_CredentialStoredEncrypted(DatabaseKind kind)
    {
        await using var provider = await FakeOAuthProvider.StartAsync();
        await using var app = await TributaryApplication.StartAsync(kind, provider.SettingsFor("google-drive"), kestrel: true);
        var org = await app.CreateOrganizationAsync();
        var link = await LinkTestKit.CreateLinkTokenAsync(app, org, integration: "google-drive", magicLink: true);
        Assert.NotNull(link.MagicLinkUrl);
        await using var context = await Browser.NewContextAsync();
        var page = await context.NewPageAsync();

        // The magic link's GET only shows who asks whom; nothing is consumed until the click.
        var response = await page.GotoAsync(link.MagicLinkUrl);
        Assert.Equal(200, response!.Status);
        await Expect(page.Locator("h1")).ToHaveTextAsync("Acme asks you to connect Google Drive");
        await Expect(page.Locator(".lead")).ToContainTextAsync("pat@example.com");
        await Expect(page.Locator(".lead")).ToContainTextAsync("Example Corp");
        if (kind == DatabaseKind.Sqlite)
        {
            await Browser.ScreenshotAsync(page, "magic-link-confirm");
        }
        await page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();

        // Preselected integration: no picker, straight to the requested data.
        await Expect(page.Locator("h1")).ToHaveTextAsync("Acme wants to access Google Drive");
        await page.Locator("[data-action=continue]").ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("Log in to Google Drive");
        if (kind == DatabaseKind.Sqlite)
        {
            await Browser.ScreenshotAsync(page, "connect-oauth-magic-link");
        }
        await page.GetByRole(AriaRole.Link, new() { Name = "Continue to Google Drive" }).ClickAsync();

        await Expect(page.Locator("h1")).ToHaveTextAsync("Allow Tributary to read your files?");
        var authorization = provider.LastAuthorization;
        Assert.Equal("S256", authorization["code_challenge_method"]);
        Assert.Equal(43, authorization["code_challenge"].Length);
        Assert.Equal("offline", authorization["access_type"]);
        Assert.Equal("consent", authorization["prompt"]);
        Assert.Contains("https://www.googleapis.com/auth/drive.readonly", authorization["scope"].Split(' '));
        Assert.Equal($"{app.ClientOptions.BaseAddress.GetLeftPart(UriPartial.Authority)}/link/oauth/google-drive/callback", authorization["redirect_uri"]);
        await page.ClickAsync("#allow");

        await Expect(page.Locator("h1")).ToHaveTextAsync("Google Drive is connected");
        Assert.StartsWith($"{app.ClientOptions.BaseAddress.GetLeftPart(UriPartial.Authority)}/link/oauth/google-drive/callback?", page.Url, StringComparison.Ordinal);
        Assert.Contains($"state={authorization["state"]}", page.Url, StringComparison.Ordinal);
        var tokenRequest = Assert.Single(provider.TokenRequests);
        Assert.Equal(FakeOAuthProvider.ClientSecret, tokenRequest["client_secret"]);
        Assert.True(tokenRequest.ContainsKey("code_verifier"));

        var accessToken = Assert.Single(provider.IssuedAccessTokens);
        var stored = await app.WithDbAsync(async (db, sp) =>
        {
            var session = await db.LinkSessions.IgnoreQueryFilters().SingleAsync(Ct);
            var credential = await db.Credentials.IgnoreQueryFilters().SingleAsync(c => c.LinkedAccountId == session.LinkedAccountId, Ct);
            var plain = await sp.GetRequiredService<CredentialVault>().OpenAsync(db, credential.Secret, CredentialVault.CredentialPurpose(credential.LinkedAccountId), Ct);
            return (session, credential, plain);
        });
        Assert.DoesNotContain(accessToken, Encoding.UTF8.GetString(stored.credential.Secret), StringComparison.Ordinal);
        var json = JsonDocument.Parse(stored.plain).RootElement;
        Assert.Equal(accessToken, json.GetProperty("access_token").GetString());
        Assert.StartsWith("fake-refresh-", json.GetProperty("refresh_token").GetString(), StringComparison.Ordinal);
        Assert.Equal("Bearer", json.GetProperty("token_type").GetString());
        Assert.True(json.TryGetProperty("expires_at", out _));
        Assert.NotNull(stored.credential.AccessTokenExpiresAt);
        Assert.Null(stored.session.OAuthStateHash);
        Assert.Null(stored.session.OAuthCodeVerifier);
    }

    [Fact]
    public async Task EmbeddedLink_OAuthRunsInPopup_IframeCollectsPublicToken()
    {
        await using var provider = await FakeOAuthProvider.StartAsync();
        await using var app = await TributaryApplication.StartAsync(DatabaseKind.Sqlite, provider.SettingsFor("dropbox"), kestrel: true);
        var org = await app.CreateOrganizationAsync();
        var link = await LinkTestKit.CreateLinkTokenAsync(app, org, integration: "dropbox");
        await using var host = await LinkTestKit.StartHostPageAsync(app.ClientOptions.BaseAddress);
        await using var context = await Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync($"{host.Origin}/?token={Uri.EscapeDataString(link.LinkToken)}");
        await WaitForEventAsync(page, "ready");
        await page.ClickAsync("#connect");
        var frame = page.FrameLocator("#tributary-link-iframe");
        await frame.Locator("[data-action=continue]").ClickAsync();
        await Expect(frame.Locator("h1")).ToHaveTextAsync("Log in to Dropbox");
        await Browser.ScreenshotAsync(page, "connect-oauth-embedded");

        var popup = await page.RunAndWaitForPopupAsync(() => frame.GetByRole(AriaRole.Link, new() { Name = "Continue to Dropbox" }).ClickAsync());
        await Expect(frame.Locator("[data-waiting]")).ToBeVisibleAsync();
        await Browser.ScreenshotAsync(page, "oauth-popup-waiting");
        await Expect(popup.Locator("h1")).ToHaveTextAsync("Allow Tributary to read your files?");
        Assert.Equal("offline", provider.LastAuthorization["token_access_type"]);
        await popup.ClickAsync("#allow");
        await Expect(popup.Locator("h1")).ToHaveTextAsync("Dropbox is connected");
        await Expect(popup.Locator(".muted")).ToHaveTextAsync("You can close this window and return to Acme.");

        var success = await WaitForEventAsync(page, "success");
        await Expect(frame.Locator("h1")).ToHaveTextAsync("Dropbox is connected");
        var (accountToken, _) = await LinkTestKit.ExchangeAsync(app, org, success.GetProperty("publicToken").GetString()!);
        using var api = app.CreateApiClient(org.ProductionKey, accountToken);
        var details = await api.GetFromJsonAsync<JsonElement>("/api/filestorage/v1/account-details", Ct);
        Assert.Equal("dropbox", details.GetProperty("integration_slug").GetString());
    }

    [Fact]
    public async Task ExpiredUsedAndUnknownLinkTokens_ShowClearPages()
    {
        var time = new ManualTimeProvider();
        await using var app = await TributaryApplication.StartAsync(DatabaseKind.Sqlite, time: time, kestrel: true);
        var org = await app.CreateOrganizationAsync();
        var expired = await LinkTestKit.CreateLinkTokenAsync(app, org, originId: "late", magicLink: true);
        var used = await LinkTestKit.CreateLinkTokenAsync(app, org, originId: "done");
        using var client = app.CreateClient();
        await LinkTestKit.ConnectSandboxAsync(client, used.LinkToken);
        time.Advance(TimeSpan.FromMinutes(31));
        var tributary = app.ClientOptions.BaseAddress.GetLeftPart(UriPartial.Authority);
        await using var context = await Browser.NewContextAsync();
        var page = await context.NewPageAsync();

        var response = await page.GotoAsync($"{tributary}/link/{expired.LinkToken}");
        Assert.Equal(410, response!.Status);
        await Expect(page.Locator("h1")).ToHaveTextAsync("This link has expired");
        await Expect(page.Locator(".lead")).ToContainTextAsync("ask Acme for a new link");
        await Browser.ScreenshotAsync(page, "problem-expired");
        response = await page.GotoAsync(expired.MagicLinkUrl!);
        Assert.Equal(410, response!.Status);
        await Expect(page.Locator("h1")).ToHaveTextAsync("This link has expired");

        response = await page.GotoAsync($"{tributary}/link/{used.LinkToken}");
        Assert.Equal(410, response!.Status);
        await Expect(page.Locator("h1")).ToHaveTextAsync("This link was already used");

        response = await page.GotoAsync($"{tributary}/link/trb_link_this-was-never-issued");
        Assert.Equal(404, response!.Status);
        await Expect(page.Locator("h1")).ToHaveTextAsync("This link doesn't work");
    }

    [Fact]
    public async Task GermanLink_MagicLinkToDone_AllScreensInGerman()
    {
        await using var app = await TributaryApplication.StartAsync(DatabaseKind.Sqlite, kestrel: true);
        var org = await app.CreateOrganizationAsync();
        var link = await LinkTestKit.CreateLinkTokenAsync(app, org, magicLink: true, language: "de");
        await using var context = await Browser.NewContextAsync();
        var page = await context.NewPageAsync();

        await page.GotoAsync(link.MagicLinkUrl!);
        await Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "de");
        await Expect(page.Locator("h1")).ToHaveTextAsync("Acme bittet Sie, Ihren Dateispeicher zu verbinden");
        await page.GetByRole(AriaRole.Button, new() { Name = "Weiter" }).ClickAsync();

        await Expect(page.Locator("h1")).ToHaveTextAsync("Wählen Sie Ihre App");
        await page.GetByLabel("Integrationen durchsuchen").FillAsync("sand");
        await Expect(page.Locator("#integrations li:visible")).ToHaveCountAsync(1);
        await Browser.ScreenshotAsync(page, "picker-german-search");
        await page.Locator("[data-integration=sandbox]").ClickAsync();

        await Expect(page.Locator("h1")).ToHaveTextAsync("Acme möchte auf Sandbox zugreifen");
        await Expect(page.Locator(".model-name")).ToHaveTextAsync(["Dateien", "Ordner", "Laufwerke", "Benutzer", "Gruppen"]);
        await Expect(page.Locator(".badge").First).ToHaveTextAsync("Lesen");
        await page.GetByRole(AriaRole.Link, new() { Name = "Weiter" }).ClickAsync();

        await Expect(page.Locator("h1")).ToHaveTextAsync("Sandbox verbinden");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sandbox verbinden" }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("Sandbox ist verbunden");
        await Expect(page.Locator(".lead")).ToHaveTextAsync("Acme kann jetzt Ihre Sandbox-Daten verwenden.");
    }

    [Fact]
    public async Task WebDavForm_WrongPassword_ErrorShownOnTheFieldAndAnnounced_RightOneConnects()
    {
        var seen = new List<(string Method, string Depth)>();
        await using var dav = await LinkTestKit.StartFakeWebDavAsync("pat", "correct horse", seen);
        await using var app = await TributaryApplication.StartAsync(DatabaseKind.Sqlite, kestrel: true);
        var org = await app.CreateOrganizationAsync();
        var link = await LinkTestKit.CreateLinkTokenAsync(app, org, integration: "webdav");
        await using var context = await Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync($"{app.ClientOptions.BaseAddress.GetLeftPart(UriPartial.Authority)}/link/{link.LinkToken}/webdav/connect");
        await page.GetByRole(AriaRole.Link, new() { Name = "I'm not an admin of WebDAV" }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("Ask an admin to connect WebDAV");
        await Expect(page.GetByLabel("Link for your admin")).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("/magic-link/trb_link_"));
        await Browser.ScreenshotAsync(page, "admin-needed");
        await page.GetByRole(AriaRole.Link, new() { Name = "I'm an admin, go back" }).ClickAsync();

        await page.GetByLabel("Server URL").FillAsync($"{dav.Origin}/dav/files/pat/");
        await page.GetByLabel("Username").FillAsync("pat");
        await page.GetByLabel("Password").FillAsync("wrong");
        await page.GetByRole(AriaRole.Button, new() { Name = "Connect" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("Please correct the highlighted fields.");
        await Expect(page.GetByLabel("Password")).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(page.GetByLabel("Password")).ToHaveAttributeAsync("aria-describedby", "field-password-hint field-password-error");
        await Expect(page.Locator("#field-password-error")).ToContainTextAsync("The server rejected this username and password.");
        await Expect(page.GetByLabel("Server URL")).ToHaveValueAsync($"{dav.Origin}/dav/files/pat/");
        await Expect(page.GetByLabel("Password")).ToHaveValueAsync("");
        await Browser.ScreenshotAsync(page, "connect-webdav-error");

        await page.GetByLabel("Password").FillAsync("correct horse");
        await page.GetByRole(AriaRole.Button, new() { Name = "Connect" }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("WebDAV is connected");
        await Browser.ScreenshotAsync(page, "done-webdav");
        // Two checks of the form (Depth 0); the initial sync that follows the link lists with Depth 1.
        Assert.Equal([("PROPFIND", "0"), ("PROPFIND", "0")], seen.Where(s => s.Depth == "0"));
    }

    [Fact]
    public async Task Picker_IsKeyboardOperable_TabReachesSearchAndIntegrations_EnterOpens()
    {
        await using var app = await TributaryApplication.StartAsync(DatabaseKind.Sqlite, kestrel: true);
        var org = await app.CreateOrganizationAsync();
        var link = await LinkTestKit.CreateLinkTokenAsync(app, org);
        await using var context = await Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync($"{app.ClientOptions.BaseAddress.GetLeftPart(UriPartial.Authority)}/link/{link.LinkToken}");

        await page.Keyboard.PressAsync("Tab");
        Assert.Equal("search", await page.EvaluateAsync<string>("() => document.activeElement.id"));
        await page.Keyboard.TypeAsync("web");
        await page.Keyboard.PressAsync("Tab");
        Assert.Equal("webdav", await page.EvaluateAsync<string>("() => document.activeElement.getAttribute('data-integration')"));
        // The focused element shows a visible focus ring.
        Assert.NotEqual("none", await page.EvaluateAsync<string>("() => getComputedStyle(document.activeElement).outlineStyle"));
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("h1")).ToHaveTextAsync("Acme wants to access WebDAV");
    }

    private static async Task AddFrameAsync(IPage page, string id, string url) =>
        await page.EvaluateAsync(
            "([id, url]) => new Promise(resolve => { const f = document.createElement('iframe'); f.id = id; f.onload = resolve; f.src = url; document.body.appendChild(f); })",
            new[] { id, url });

    private static async Task<JsonElement> WaitForEventAsync(IPage page, string type)
    {
        await page.WaitForFunctionAsync("type => (window.linkEvents || []).some(e => e.type === type)", type);
        return (await EventsAsync(page)).First(e => e.GetProperty("type").GetString() == type);
    }

    private static async Task<List<JsonElement>> EventsAsync(IPage page) =>
        (await page.EvaluateAsync<JsonElement>("() => window.linkEvents || []")).EnumerateArray().ToList();
}
