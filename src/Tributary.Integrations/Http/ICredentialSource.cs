using System.Text.Json;

namespace Tributary.Integrations.Http;

/// <summary>
/// A linked account's credential as one connector call sees it. The platform implements it over the
/// credential vault (connectors never touch the database): it hands out the current credential and,
/// when the provider refuses it, refreshes it once for everyone who saw the same refusal.
/// </summary>
public interface ICredentialSource
{
    /// <summary>The decrypted credential JSON, e.g. <c>{access_token, refresh_token, expires_at}</c> or <c>{url, username, password}</c>.</summary>
    JsonElement Current { get; }

    /// <summary>
    /// The provider refused <paramref name="rejected"/>. Returns the credential to retry with: one a
    /// concurrent caller already refreshed, or a freshly refreshed one (stored before it is returned,
    /// because Box and Microsoft rotate refresh tokens). Throws <see cref="FileStorage.ProviderException"/>
    /// with <see cref="FileStorage.ProviderErrorKind.Unauthorized"/> when no refresh is possible: the
    /// account then needs relinking.
    /// </summary>
    Task<JsonElement> RefreshAsync(JsonElement rejected, CancellationToken cancellationToken);
}

/// <summary>A credential that cannot be refreshed (Sandbox, WebDAV passwords, tests).</summary>
public sealed class FixedCredential(JsonElement credential) : ICredentialSource
{
    public static FixedCredential Empty { get; } = new(JsonDocument.Parse("{}").RootElement.Clone());

    public JsonElement Current { get; } = credential;

    public Task<JsonElement> RefreshAsync(JsonElement rejected, CancellationToken cancellationToken) =>
        throw new FileStorage.ProviderException(FileStorage.ProviderErrorKind.Unauthorized,
            "The provider refused the credential and it cannot be refreshed; the account needs relinking.");
}
