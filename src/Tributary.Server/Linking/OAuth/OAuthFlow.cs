using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Tributary.Data;
using Tributary.Data.Entities;
using Tributary.Integrations.Catalog;
using Tributary.Integrations.Http;
using Tributary.Server.Auth;
using Tributary.Server.Linking.Ui;
using Tributary.Server.OAuthApps;
using Tributary.Server.Vault;

namespace Tributary.Server.Linking.OAuth;

/// <summary>What the provider's token endpoint answered.</summary>
internal abstract record TokenExchangeResult
{
    /// <summary>The credential to store: <c>{access_token, refresh_token, expires_at, scope, token_type}</c>.</summary>
    public sealed record Success(JsonElement Credential) : TokenExchangeResult;

    /// <summary>The provider refused (its OAuth <c>error</c> code) or could not be reached.</summary>
    public sealed record Failure(string Reason) : TokenExchangeResult;
}

/// <summary>
/// The authorization code grant for Link, one provider at a time. The state is 256 random bits
/// stored only as a hash on the link session (so any replica can finish the flow and nothing
/// decodable travels to the provider); the PKCE verifier must be sent in clear later, so it is
/// sealed by the credential vault. Both are single use: the callback clears them.
/// </summary>
internal sealed class OAuthFlow(
    TributaryDbContext db, CredentialVault vault, OAuthAppStore apps, IHttpClientFactory httpClients, TimeProvider time, ILogger<OAuthFlow> logger)
{
    public const string HttpClientName = "tributary-oauth";

    /// <summary>How long the end user may spend at the provider's consent screen.</summary>
    public static readonly TimeSpan StateLifetime = TimeSpan.FromMinutes(30);

    public Task<OAuthClient?> FindClientAsync(LinkSession session, IntegrationDefinition integration, CancellationToken ct) =>
        apps.FindAsync(db, session.OrganizationId, integration.Slug, ct);

    /// <summary>Issues a fresh state (and PKCE verifier), stores them on the session and returns the provider's authorization URL.</summary>
    public async Task<string> StartAsync(
        LinkSession session, IntegrationDefinition integration, OAuthClient client, string redirectUri, bool popup, CancellationToken ct)
    {
        var auth = integration.Auth;
        if (auth.AuthorizationUrl is null)
        {
            throw new InvalidOperationException($"The catalog has no authorization URL for {integration.Slug}.");
        }
        var state = WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(32));
        var verifier = auth.Pkce ? WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(32)) : null;

        session.OAuthStateHash = Secrets.Hash(state);
        session.OAuthIntegration = integration.Slug;
        session.OAuthCodeVerifier = verifier is null ? null
            : (await vault.SealStringAsync(db, verifier, VerifierPurpose(session.Id), ct)).Ciphertext;
        session.OAuthStartedAt = time.GetUtcNow().UtcDateTime;
        session.OAuthInPopup = popup;
        await db.SaveChangesAsync(ct);

        var query = new List<KeyValuePair<string, string?>>
        {
            new("response_type", "code"),
            new("client_id", client.ClientId),
            new("redirect_uri", redirectUri),
            new("state", state),
        };
        var scopes = Scopes(session, auth, client);
        if (scopes.Count > 0)
        {
            query.Add(new("scope", string.Join(' ', scopes)));
        }
        if (verifier is not null)
        {
            query.Add(new("code_challenge", WebEncoders.Base64UrlEncode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)))));
            query.Add(new("code_challenge_method", "S256"));
        }
        query.AddRange(auth.AuthorizationParams.Select(p => new KeyValuePair<string, string?>(p.Key, p.Value)));
        return QueryHelpers.AddQueryString(auth.AuthorizationUrl, query);
    }

    /// <summary>
    /// The open session an OAuth callback belongs to, or null when the state is unknown, was
    /// issued for another provider, was already used or is too old.
    /// </summary>
    public async Task<LinkSession?> FindByStateAsync(string integration, string? state, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(state) || state.Length > 200)
        {
            return null;
        }
        var hash = Secrets.Hash(state);
        var session = await db.LinkSessions.IgnoreQueryFilters().SingleOrDefaultAsync(s => s.OAuthStateHash == hash, ct);
        var now = time.GetUtcNow().UtcDateTime;
        return session is { Status: LinkSessionStatus.Open, OAuthStartedAt: { } started }
            && session.OAuthIntegration == integration
            && session.ExpiresAt > now
            && started + StateLifetime > now
            && CryptographicOperations.FixedTimeEquals(session.OAuthStateHash, hash)
            ? session
            : null;
    }

    /// <summary>Exchanges the authorization code at the provider's token endpoint (client_secret_post, PKCE verifier).</summary>
    public async Task<TokenExchangeResult> ExchangeAsync(
        LinkSession session, IntegrationDefinition integration, OAuthClient client, string code, string redirectUri, CancellationToken ct)
    {
        var form = new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = redirectUri,
            ["client_id"] = client.ClientId,
            ["client_secret"] = client.ClientSecret,
        };
        if (session.OAuthCodeVerifier is { } sealedVerifier)
        {
            form["code_verifier"] = await vault.OpenStringAsync(db, sealedVerifier, VerifierPurpose(session.Id), ct);
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, integration.Auth.TokenUrl) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        HttpResponseMessage response;
        try
        {
            response = await httpClients.CreateClient(HttpClientName).SendAsync(request, ct);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            logger.LogWarning("The {Integration} token endpoint could not be reached: {Error}", integration.Slug, e.Message);
            return new TokenExchangeResult.Failure("unreachable");
        }

        using (response)
        {
            var answer = await OAuthTokenResponse.ReadAsync(response, ct);
            if (!answer.Succeeded)
            {
                logger.LogWarning("The {Integration} token endpoint refused the code exchange: HTTP {Status}, error {Error}",
                    integration.Slug, answer.Status, answer.Error);
                return new TokenExchangeResult.Failure(answer.Error);
            }
            var credential = new JsonObject();
            answer.ApplyTo(credential, time);
            credential["scope"] ??= string.Join(' ', Scopes(session, integration.Auth, client));
            credential["token_type"] = answer.Body!["token_type"] is JsonValue type ? type.DeepClone() : "Bearer";
            return new TokenExchangeResult.Success(JsonSerializer.SerializeToElement(credential));
        }
    }

    /// <summary>Makes the state and verifier unusable (saved with the caller's next save).</summary>
    public static void Clear(LinkSession session)
    {
        session.OAuthStateHash = null;
        session.OAuthIntegration = null;
        session.OAuthCodeVerifier = null;
        session.OAuthStartedAt = null;
    }

    /// <summary>
    /// The organization's own app's scopes if it set any, else the catalog's read scopes, plus its
    /// write scopes when the link token's common-model scopes enable a write.
    /// </summary>
    public static IReadOnlyList<string> Scopes(LinkSession session, IntegrationAuth auth, OAuthClient client)
    {
        if (IntegrationAuthConfiguration.SplitScopes(client.Scopes) is { Count: > 0 } own)
        {
            return own;
        }
        return RequestedData.WritesEnabled(session.ScopesJson) ? [.. auth.Scopes, .. auth.WriteScopes] : auth.Scopes;
    }

    private static string VerifierPurpose(Guid sessionId) => $"oauth-pkce:{sessionId:N}";
}
