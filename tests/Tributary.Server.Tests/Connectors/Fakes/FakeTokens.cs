using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace Tributary.Server.Tests.Connectors.Fakes;

/// <summary>
/// A provider fake's OAuth 2.0 authorization server: a consent page, the authorization-code grant
/// (client_secret_post, PKCE S256) and the refresh-token grant, with access-token expiry, optional
/// refresh-token rotation (Box and Microsoft rotate; a rotated-out token is refused like the real
/// ones do), revocation, and a count of refresh requests.
/// </summary>
internal sealed class FakeTokens(bool rotateRefreshTokens)
{
    public const string ClientId = "fake-client-id";
    public const string ClientSecret = "fake-client-secret";

    private readonly ConcurrentDictionary<string, byte> _accessTokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _refreshTokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (string RedirectUri, string Challenge)> _codes = new(StringComparer.Ordinal);
    private int _refreshRequests;

    public bool RotateRefreshTokens { get; } = rotateRefreshTokens;

    /// <summary>Refresh-grant requests received (successful or not).</summary>
    public int RefreshRequests => Volatile.Read(ref _refreshRequests);

    /// <summary>The scopes the last authorization request asked for.</summary>
    public string? LastRequestedScope { get; private set; }

    /// <summary>A fresh credential as Tributary stores it after linking, for tests that skip the Link UI.</summary>
    public JsonElement Grant()
    {
        var (access, refresh) = Issue();
        return JsonSerializer.SerializeToElement(new { access_token = access, refresh_token = refresh, token_type = "Bearer" });
    }

    public bool IsValid(string? accessToken) => accessToken is not null && _accessTokens.ContainsKey(accessToken);

    /// <summary>The bearer token of a request, if it is currently valid.</summary>
    public bool IsAuthorized(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.Ordinal) && IsValid(header["Bearer ".Length..]);
    }

    /// <summary>Every access token issued so far stops working (as if an hour passed).</summary>
    public void ExpireAccessTokens() => _accessTokens.Clear();

    /// <summary>The user revoked the app: no refresh token works any more.</summary>
    public void RevokeRefreshTokens()
    {
        _accessTokens.Clear();
        _refreshTokens.Clear();
    }

    /// <summary>Maps <c>GET authorize</c>, <c>POST {authorize}/consent</c> and <c>POST token</c>.</summary>
    public void Map(WebApplication app, string authorizePath, string tokenPath)
    {
        app.MapGet(authorizePath, ConsentPage);
        app.MapPost(authorizePath + "/consent", ConsentAsync);
        app.MapPost(tokenPath, TokenAsync);
    }

    private IResult ConsentPage(HttpRequest request)
    {
        var query = request.Query.ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.Ordinal);
        if (query.GetValueOrDefault("client_id") != ClientId || query.GetValueOrDefault("response_type") != "code"
            || string.IsNullOrEmpty(query.GetValueOrDefault("redirect_uri")) || string.IsNullOrEmpty(query.GetValueOrDefault("state")))
        {
            return Results.BadRequest("invalid_request");
        }
        LastRequestedScope = query.GetValueOrDefault("scope");
        string Hidden(string name) => $"<input type=\"hidden\" name=\"{name}\" value=\"{WebUtility.HtmlEncode(query.GetValueOrDefault(name) ?? "")}\">";
        var html = $"""
            <!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Fake provider consent</title></head>
            <body><h1>Allow access to your files?</h1><form method="post" action="{request.Path}/consent">
            {Hidden("redirect_uri")}{Hidden("state")}{Hidden("code_challenge")}
            <button type="submit" name="decision" value="allow" id="allow">Allow</button></form></body></html>
            """;
        return Results.Content(html, "text/html; charset=utf-8");
    }

    private async Task<IResult> ConsentAsync(HttpRequest request)
    {
        var form = await request.ReadFormAsync();
        var code = "code-" + Guid.NewGuid().ToString("N");
        _codes[code] = (form["redirect_uri"].ToString(), form["code_challenge"].ToString());
        return Results.Redirect(QueryHelpers.AddQueryString(form["redirect_uri"].ToString(),
            new Dictionary<string, string?> { ["code"] = code, ["state"] = form["state"].ToString() }));
    }

    private async Task<IResult> TokenAsync(HttpRequest request)
    {
        var form = (await request.ReadFormAsync()).ToDictionary(f => f.Key, f => f.Value.ToString(), StringComparer.Ordinal);
        if (form.GetValueOrDefault("client_id") != ClientId || form.GetValueOrDefault("client_secret") != ClientSecret)
        {
            return Results.Json(new { error = "invalid_client" }, statusCode: 401);
        }
        switch (form.GetValueOrDefault("grant_type"))
        {
            case "authorization_code":
                if (!_codes.TryRemove(form.GetValueOrDefault("code") ?? "", out var grant) || grant.RedirectUri != form.GetValueOrDefault("redirect_uri"))
                {
                    return Results.Json(new { error = "invalid_grant" }, statusCode: 400);
                }
                if (grant.Challenge.Length > 0
                    && WebEncoders.Base64UrlEncode(SHA256.HashData(Encoding.ASCII.GetBytes(form.GetValueOrDefault("code_verifier") ?? ""))) != grant.Challenge)
                {
                    return Results.Json(new { error = "invalid_grant", error_description = "PKCE verification failed" }, statusCode: 400);
                }
                return TokenResponse(Issue());
            case "refresh_token":
                Interlocked.Increment(ref _refreshRequests);
                var presented = form.GetValueOrDefault("refresh_token") ?? "";
                if (!_refreshTokens.ContainsKey(presented))
                {
                    return Results.Json(new { error = "invalid_grant", error_description = "refresh token is invalid or was already used" }, statusCode: 400);
                }
                if (RotateRefreshTokens)
                {
                    _refreshTokens.TryRemove(presented, out _);
                    return TokenResponse(Issue());
                }
                var access = "access-" + Guid.NewGuid().ToString("N");
                _accessTokens[access] = 0;
                return TokenResponse((access, null));
            default:
                return Results.Json(new { error = "unsupported_grant_type" }, statusCode: 400);
        }
    }

    private static IResult TokenResponse((string Access, string? Refresh) tokens) => Results.Json(
        tokens.Refresh is null
            ? new Dictionary<string, object> { ["access_token"] = tokens.Access, ["expires_in"] = 3600, ["token_type"] = "bearer" }
            : new Dictionary<string, object> { ["access_token"] = tokens.Access, ["refresh_token"] = tokens.Refresh, ["expires_in"] = 3600, ["token_type"] = "bearer" });

    private (string Access, string Refresh) Issue()
    {
        var access = "access-" + Guid.NewGuid().ToString("N");
        var refresh = "refresh-" + Guid.NewGuid().ToString("N");
        _accessTokens[access] = 0;
        _refreshTokens[refresh] = 0;
        return (access, refresh);
    }
}
