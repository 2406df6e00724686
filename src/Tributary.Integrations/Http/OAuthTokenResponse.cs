using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tributary.Integrations.Http;

/// <summary>
/// A token endpoint's answer (RFC 6749 §5.1, §5.2), read the same way for the authorization-code
/// exchange at linking and for the refresh grant. Only the OAuth error code ever leaves it for a
/// message or a log: token responses are written nowhere but the vault.
/// </summary>
public sealed class OAuthTokenResponse
{
    private OAuthTokenResponse(int status, JsonObject? body)
    {
        Status = status;
        Body = body;
    }

    public int Status { get; }

    /// <summary>The JSON object answered, or null when the body was not one.</summary>
    public JsonObject? Body { get; }

    /// <summary>A 2xx with an access token.</summary>
    public bool Succeeded => Status is >= 200 and < 300 && Body?["access_token"] is JsonValue;

    /// <summary>The OAuth <c>error</c> code, or <c>invalid_response</c> when the answer has none.</summary>
    public string Error => Body?["error"] is JsonValue e && e.TryGetValue<string>(out var code) ? code : "invalid_response";

    public static async Task<OAuthTokenResponse> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        JsonObject? body = null;
        try
        {
            body = JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken)) as JsonObject;
        }
        catch (JsonException)
        {
        }
        return new OAuthTokenResponse((int)response.StatusCode, body);
    }

    /// <summary>
    /// Writes a successful answer's tokens over <paramref name="credential"/>: the access token, the
    /// refresh token if one was sent (a provider that does not rotate them sends none, and the old one
    /// stays), <c>expires_at</c> from <c>expires_in</c>, and the granted scope if answered.
    /// </summary>
    public void ApplyTo(JsonObject credential, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(credential);
        ArgumentNullException.ThrowIfNull(time);
        if (!Succeeded)
        {
            throw new InvalidOperationException("Only a successful token response carries tokens.");
        }
        credential["access_token"] = Body!["access_token"]!.DeepClone();
        if (Body["refresh_token"] is JsonValue refresh)
        {
            credential["refresh_token"] = refresh.DeepClone();
        }
        if (Seconds(Body["expires_in"]) is { } seconds)
        {
            credential["expires_at"] = time.GetUtcNow().UtcDateTime.AddSeconds(seconds).ToString("O", CultureInfo.InvariantCulture);
        }
        if (Body["scope"] is JsonValue scope)
        {
            credential["scope"] = scope.DeepClone();
        }
    }

    /// <summary>An OAuth <c>expires_in</c>, sent as a number or (by some providers) a string.</summary>
    internal static double? Seconds(JsonNode? node) => node switch
    {
        JsonValue v when v.TryGetValue<double>(out var d) => d,
        JsonValue v when v.TryGetValue<string>(out var s) && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
        _ => null,
    };
}
