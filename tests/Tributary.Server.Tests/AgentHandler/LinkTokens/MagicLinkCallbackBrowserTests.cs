using System.Web;
using Microsoft.Playwright;
using Tributary.Server.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;
using static Tributary.Server.Tests.AgentHandler.AgentHandlerKit;

namespace Tributary.Server.Tests.AgentHandler.LinkTokens;

/// <summary>
/// An Agent Handler magic link completed in Chromium, ending at the integrator's callback: an https
/// callback (the browser follows the redirect; Playwright answers for app.example.com) and a
/// custom-scheme one (the https page shows an "Open app" button). The code then goes to the exchange.
/// </summary>
public sealed class MagicLinkCallbackBrowserTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("https://app.example.com/integrations/done")]
    [InlineData("myapp:///integrations/complete")]
    public async Task MagicLink_EndsAtTheCallback_WithStatusCodeAndState_AndTheCodeExchanges(string callbackUrl)
    {
        await using var app = await TributaryApplication.StartAsync(DatabaseKind.Sqlite, kestrel: true);
        var org = await app.CreateOrganizationAsync();
        using var api = app.CreateApiClient(org.ProductionKey);
        var user = await CreateUserAsync(api, "frank");
        await SendAsync(api, HttpMethod.Post, "/api/v1/allowed-callback-origins", new { origin = callbackUrl.StartsWith("https", StringComparison.Ordinal) ? "https://app.example.com" : "myapp://" }, 201);
        var state = "csrf-" + Guid.NewGuid().ToString("N");
        var link = await SendAsync(api, HttpMethod.Post, $"/api/v1/registered-users/{user}/link-token",
            new { connector = "sandbox", callback_url = callbackUrl, state }, 201);

        await using var context = await Browser.NewContextAsync();
        await context.RouteAsync("https://app.example.com/**", route => route.FulfillAsync(new RouteFulfillOptions
        {
            Status = 200, ContentType = "text/html", Body = "<!DOCTYPE html><title>Acme</title><h1>Back in Acme</h1>",
        }));
        var page = await context.NewPageAsync();
        await page.GotoAsync(link.GetProperty("magic_link_url").GetString()!);
        await Expect(page.Locator("h1")).ToContainTextAsync("Sandbox");
        await page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
        await page.Locator("[data-action=continue]").ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Connect Sandbox" }).ClickAsync();

        string landed;
        if (callbackUrl.StartsWith("https", StringComparison.Ordinal))
        {
            await page.WaitForURLAsync("https://app.example.com/**");
            await Expect(page.Locator("h1")).ToHaveTextAsync("Back in Acme");
            landed = page.Url;
        }
        else
        {
            // Browsers block scripted navigation to custom schemes: Tributary's own https page shows the button.
            var open = page.GetByRole(AriaRole.Link, new() { Name = "Open app" });
            await Expect(open).ToBeVisibleAsync();
            Assert.StartsWith(app.ClientOptions.BaseAddress.GetLeftPart(UriPartial.Authority), page.Url, StringComparison.Ordinal);
            await Browser.ScreenshotAsync(page, "agent-handler-open-app");
            landed = (await open.GetAttributeAsync("href"))!;
        }
        Assert.StartsWith(callbackUrl + "?", landed, StringComparison.Ordinal);
        var query = HttpUtility.ParseQueryString(new Uri(landed).Query);
        Assert.Equal("success", query["status"]);
        // The app compares the state with what it sent: a mismatch would be visible right here.
        Assert.Equal(state, query["state"]);
        var credential = await SendAsync(api, HttpMethod.Post, "/api/v1/link-token/confirm", new { code = query["code"] });
        Assert.Equal(state, credential.GetProperty("state").GetString());
        var me = await SendAsync(api, HttpMethod.Get, $"/api/v1/registered-users/{user}");
        Assert.Equal(["sandbox"], me.GetProperty("authenticated_connectors").EnumerateArray().Select(c => c.GetString()));
        _ = Ct;
    }
}
