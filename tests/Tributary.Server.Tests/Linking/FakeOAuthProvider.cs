using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.Linking;

/// <summary>
/// An OAuth 2.0 authorization server the size of a test: a consent page at <c>/authorize</c>, and
/// <c>/token</c> that checks the client secret (client_secret_post), the redirect URI and the PKCE
/// S256 verifier, then issues tokens. It records what it saw so tests can assert the round trip.
/// </summary>
internal sealed class FakeOAuthProvider : IAsyncDisposable
{
    public const string ClientId = "fake-client-id";
    public const string ClientSecret = "fake-client-secret";

    private static readonly string[] ConsentFields = ["redirect_uri", "state", "code_challenge", "code_challenge_method", "client_id"];
    private readonly ConcurrentDictionary<string, Grant> _codes = new();
    private LoopbackServer _server = null!;

    /// <summary>The query of the last <c>/authorize</c> request.</summary>
    public IReadOnlyDictionary<string, string> LastAuthorization { get; private set; } = new Dictionary<string, string>();

    /// <summary>The form of each successful <c>/token</c> request.</summary>
    public ConcurrentQueue<IReadOnlyDictionary<string, string>> TokenRequests { get; } = new();

    /// <summary>Access tokens issued, for asserting they are stored only encrypted.</summary>
    public ConcurrentQueue<string> IssuedAccessTokens { get; } = new();

    public string AuthorizationUrl => $"{_server.Origin}/authorize";
    public string TokenUrl => $"{_server.Origin}/token";

    /// <summary>Tributary settings pointing <paramref name="integration"/> at this fake, with a server-wide OAuth client.</summary>
    public Dictionary<string, string?> SettingsFor(string integration) => new()
    {
        [$"Integrations:{integration}:AuthorizationUrl"] = AuthorizationUrl,
        [$"Integrations:{integration}:TokenUrl"] = TokenUrl,
        [$"Integrations:{integration}:ClientId"] = ClientId,
        [$"Integrations:{integration}:ClientSecret"] = ClientSecret,
    };

    public static async Task<FakeOAuthProvider> StartAsync()
    {
        var fake = new FakeOAuthProvider();
        fake._server = await LoopbackServer.StartAsync(app =>
        {
            app.MapGet("/authorize", fake.Authorize);
            app.MapPost("/consent", fake.ConsentAsync);
            app.MapPost("/token", fake.TokenAsync);
        });
        return fake;
    }

    private IResult Authorize(HttpRequest request)
    {
        var query = request.Query.ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.Ordinal);
        LastAuthorization = query;
        if (query.GetValueOrDefault("client_id") != ClientId || query.GetValueOrDefault("response_type") != "code"
            || string.IsNullOrEmpty(query.GetValueOrDefault("redirect_uri")) || string.IsNullOrEmpty(query.GetValueOrDefault("state")))
        {
            return Results.BadRequest("invalid_request");
        }
        string Hidden(string name) => $"<input type=\"hidden\" name=\"{name}\" value=\"{WebUtility.HtmlEncode(query.GetValueOrDefault(name) ?? "")}\">";
        var fields = string.Concat(ConsentFields.Select(Hidden));
        var html = $"""
            <!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Fake provider consent</title></head>
            <body><h1>Allow Tributary to read your files?</h1><p>Scopes: {WebUtility.HtmlEncode(query.GetValueOrDefault("scope") ?? "")}</p>
            <form method="post" action="/consent">{fields}<button type="submit" name="decision" value="allow" id="allow">Allow</button>
            <button type="submit" name="decision" value="deny" id="deny">Deny</button></form></body></html>
            """;
        return Results.Content(html, "text/html; charset=utf-8");
    }

    private async Task<IResult> ConsentAsync(HttpRequest request)
    {
        var form = await request.ReadFormAsync();
        var redirectUri = form["redirect_uri"].ToString();
        var state = form["state"].ToString();
        if (form["decision"] != "allow")
        {
            return Results.Redirect(QueryHelpers.AddQueryString(redirectUri, new Dictionary<string, string?> { ["error"] = "access_denied", ["state"] = state }));
        }
        var code = "code-" + Guid.NewGuid().ToString("N");
        _codes[code] = new Grant(form["client_id"].ToString(), redirectUri, form["code_challenge"].ToString(), form["code_challenge_method"].ToString());
        return Results.Redirect(QueryHelpers.AddQueryString(redirectUri, new Dictionary<string, string?> { ["code"] = code, ["state"] = state }));
    }

    private async Task<IResult> TokenAsync(HttpRequest request)
    {
        var form = (await request.ReadFormAsync()).ToDictionary(f => f.Key, f => f.Value.ToString(), StringComparer.Ordinal);
        if (form.GetValueOrDefault("grant_type") != "authorization_code" || !_codes.TryRemove(form.GetValueOrDefault("code") ?? "", out var grant))
        {
            return Results.Json(new { error = "invalid_grant" }, statusCode: 400);
        }
        if (form.GetValueOrDefault("client_id") != ClientId || form.GetValueOrDefault("client_secret") != ClientSecret)
        {
            return Results.Json(new { error = "invalid_client" }, statusCode: 401);
        }
        if (form.GetValueOrDefault("redirect_uri") != grant.RedirectUri)
        {
            return Results.Json(new { error = "invalid_grant", error_description = "redirect_uri mismatch" }, statusCode: 400);
        }
        if (grant.Challenge.Length > 0)
        {
            var verifier = form.GetValueOrDefault("code_verifier") ?? "";
            var expected = WebEncoders.Base64UrlEncode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
            if (grant.Method != "S256" || expected != grant.Challenge)
            {
                return Results.Json(new { error = "invalid_grant", error_description = "PKCE verification failed" }, statusCode: 400);
            }
        }
        TokenRequests.Enqueue(form);
        var accessToken = "fake-access-" + Guid.NewGuid().ToString("N");
        IssuedAccessTokens.Enqueue(accessToken);
        return Results.Json(new
        {
            access_token = accessToken,
            refresh_token = "fake-refresh-" + Guid.NewGuid().ToString("N"),
            expires_in = 3600,
            token_type = "Bearer",
            scope = "https://www.googleapis.com/auth/drive.readonly",
        });
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    private sealed record Grant(string ClientId, string RedirectUri, string Challenge, string Method);
}
