using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.Linking;

internal sealed record CreatedLinkToken(string LinkToken, string? MagicLinkUrl);

/// <summary>Helpers shared by the Link UI tests.</summary>
internal static partial class LinkTestKit
{
    public static async Task<CreatedLinkToken> CreateLinkTokenAsync(
        TributaryApplication app, TestOrganization org, string originId = "end-user-1", string? integration = null,
        bool magicLink = false, string? language = null, bool hideAdminMagicLink = false, JsonObject? scopes = null)
    {
        using var api = app.CreateApiClient(org.ProductionKey);
        var body = new JsonObject
        {
            ["end_user_email_address"] = "pat@example.com",
            ["end_user_organization_name"] = "Example Corp",
            ["end_user_origin_id"] = originId,
            ["categories"] = new JsonArray("filestorage"),
            ["should_create_magic_link_url"] = magicLink,
            ["hide_admin_magic_link"] = hideAdminMagicLink,
        };
        if (integration is not null)
        {
            body["integration"] = integration;
        }
        if (language is not null)
        {
            body["language"] = language;
        }
        if (scopes is not null)
        {
            body["category_common_model_scopes"] = scopes;
        }
        var response = await api.PostAsJsonAsync("/api/filestorage/v1/link-token", body, TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
        var json = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        return new CreatedLinkToken(json.GetProperty("link_token").GetString()!,
            json.TryGetProperty("magic_link_url", out var url) && url.ValueKind == JsonValueKind.String ? url.GetString() : null);
    }

    /// <summary>Swaps a public token for the account token, as the integrating backend does.</summary>
    public static async Task<(string AccountToken, Guid AccountId)> ExchangeAsync(TributaryApplication app, TestOrganization org, string publicToken)
    {
        using var api = app.CreateApiClient(org.ProductionKey);
        var json = await api.GetFromJsonAsync<JsonElement>($"/api/filestorage/v1/account-token/{publicToken}", TestContext.Current.CancellationToken);
        return (json.GetProperty("account_token").GetString()!, json.GetProperty("id").GetGuid());
    }

    /// <summary>The form token a rendered Link page carries.</summary>
    public static string Csrf(string html) => CsrfField().Match(html) is { Success: true } match
        ? match.Groups[1].Value
        : throw new InvalidOperationException("The page has no __csrf field:\n" + html);

    /// <summary>A browser-like form POST from a Tributary page (Sec-Fetch-Site: same-origin).</summary>
    public static Task<HttpResponseMessage> PostFormAsync(HttpClient client, string url, IDictionary<string, string> fields)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new FormUrlEncodedContent(fields) };
        request.Headers.Add("Sec-Fetch-Site", "same-origin");
        return client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    /// <summary>Completes a link token through the Sandbox connect screen over plain HTTP; returns the done page.</summary>
    public static async Task<string> ConnectSandboxAsync(HttpClient client, string linkToken)
    {
        var connect = $"/link/{linkToken}/sandbox/connect";
        var page = await client.GetStringAsync(connect, TestContext.Current.CancellationToken);
        var response = await PostFormAsync(client, connect, new Dictionary<string, string> { ["__csrf"] = Csrf(page) });
        var html = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, html);
        return html;
    }

    /// <summary>
    /// A page of "the integrating developer's app" on its own origin that embeds Link with the embed
    /// script and records the callbacks in <c>window.linkEvents</c>. <c>/foreign</c> is a page that
    /// tries to fake Link messages.
    /// </summary>
    public static Task<LoopbackServer> StartHostPageAsync(Uri tributary, string globalName = "MergeLink") =>
        LoopbackServer.StartAsync(app =>
        {
            app.MapGet("/", (HttpRequest request) => Results.Content($$"""
                <!DOCTYPE html>
                <html lang="en"><head><meta charset="utf-8"><title>Acme — settings</title>
                <style>body{font-family:system-ui,sans-serif;margin:40px;color:#222}button{font:inherit;padding:8px 14px}</style></head>
                <body>
                <h1>Acme settings</h1><p>Connect your file storage to Acme.</p>
                <button id="connect" type="button">Connect files</button>
                <script src="{{tributary.GetLeftPart(UriPartial.Authority)}}/link/embed.js"></script>
                <script>
                  window.linkEvents = [];
                  var token = new URLSearchParams(location.search).get('token');
                  {{globalName}}.initialize({
                    linkToken: token,
                    onSuccess: function (publicToken, info) { linkEvents.push({ type: 'success', publicToken: publicToken }); },
                    onExit: function () { linkEvents.push({ type: 'exit' }); },
                    onReady: function () { linkEvents.push({ type: 'ready' }); },
                    onValidationError: function (errors) { linkEvents.push({ type: 'validation-error', errors: errors }); }
                  });
                  document.getElementById('connect').addEventListener('click', function () { {{globalName}}.openLink(); });
                </script>
                </body></html>
                """, "text/html; charset=utf-8"));
            app.MapGet("/foreign", () => Results.Content("""
                <!DOCTYPE html><html><head><title>Foreign</title></head><body>ad</body></html>
                """, "text/html; charset=utf-8"));
        });

    /// <summary>A WebDAV server the size of a test: 207 for the right Basic login, 401 otherwise; records (method, Depth).</summary>
    public static Task<LoopbackServer> StartFakeWebDavAsync(string username, string password, List<(string Method, string Depth)> seen) =>
        LoopbackServer.StartAsync(server => server.Map("/dav/{**path}", (HttpRequest request) =>
        {
            lock (seen)
            {
                seen.Add((request.Method, request.Headers["Depth"].ToString()));
            }
            var expected = "Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{username}:{password}"));
            return request.Headers.Authorization != expected
                ? Results.StatusCode(401)
                : Results.Text("<?xml version=\"1.0\"?><d:multistatus xmlns:d=\"DAV:\"/>", "application/xml", statusCode: 207);
        }));

    [GeneratedRegex("name=\"__csrf\" value=\"([^\"]+)\"")]
    private static partial Regex CsrfField();
}
