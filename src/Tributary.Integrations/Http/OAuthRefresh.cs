using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tributary.Integrations.FileStorage;

namespace Tributary.Integrations.Http;

/// <summary>The OAuth client an account was linked with.</summary>
public sealed record OAuthClientCredentials(string ClientId, string ClientSecret);

/// <summary>
/// The refresh-token grant (RFC 6749 §6, client_secret_post), the same for every OAuth provider we
/// support. The answer is merged over the old credential: a provider that does not rotate refresh
/// tokens (Google, Dropbox) sends none back and the old one is kept; Box and Microsoft send a new one,
/// which replaces it and must be stored before anyone uses it.
/// </summary>
public static class OAuthRefresh
{
    public static async Task<JsonElement> RefreshAsync(
        HttpClient http, string tokenUrl, OAuthClientCredentials client, JsonElement credential, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(time);
        if (credential.ValueKind != JsonValueKind.Object || !credential.TryGetProperty("refresh_token", out var refreshToken)
            || refreshToken.GetString() is not { Length: > 0 } refresh)
        {
            throw new ProviderException(ProviderErrorKind.Unauthorized, "The access token was refused and the credential has no refresh token; the account needs relinking.");
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, tokenUrl)
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "refresh_token",
                ["refresh_token"] = refresh,
                ["client_id"] = client.ClientId,
                ["client_secret"] = client.ClientSecret,
            }),
        };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new ProviderException(ProviderErrorKind.Transient, $"The token endpoint could not be reached: {e.Message}", inner: e);
        }

        using (response)
        {
            var answer = await OAuthTokenResponse.ReadAsync(response, cancellationToken);
            if (answer.Status == 429)
            {
                throw new ProviderException(ProviderErrorKind.RateLimited, "The token endpoint is rate limiting refreshes.", response.Headers.RetryAfter?.Delta);
            }
            if (answer.Status >= 500)
            {
                throw new ProviderException(ProviderErrorKind.Transient, $"The token endpoint answered HTTP {answer.Status}.");
            }
            if (!answer.Succeeded)
            {
                throw new ProviderException(ProviderErrorKind.Unauthorized, $"The token endpoint refused the refresh token ({answer.Error}); the account needs relinking.");
            }
            var merged = JsonNode.Parse(credential.GetRawText())!.AsObject();
            answer.ApplyTo(merged, time);
            return JsonSerializer.SerializeToElement(merged);
        }
    }
}
