namespace Tributary.Data.Entities;

/// <summary>
/// One link token's life: created by the integrating backend, walked through by the end user in
/// Link (or a magic link), ending in a public token that the backend swaps for the account token.
/// </summary>
public sealed class LinkSession
{
    public Guid Id { get; set; }
    public Guid OrganizationId { get; set; }
    public ApiEnvironment Environment { get; set; }
    public required byte[] LinkTokenHash { get; set; }
    public required string EndUserEmailAddress { get; set; }
    public required string EndUserOrganizationName { get; set; }
    public required string EndUserOriginId { get; set; }

    /// <summary>Comma-separated Merge categories offered in the picker.</summary>
    public required string Categories { get; set; }

    /// <summary>A preselected integration slug: the picker is skipped.</summary>
    public string? Integration { get; set; }

    public bool IsMagicLink { get; set; }
    public bool HideAdminMagicLink { get; set; }
    public required string Language { get; set; }

    /// <summary><c>category_common_model_scopes</c> as sent, applied to the account on success.</summary>
    public string? ScopesJson { get; set; }

    public LinkSessionStatus Status { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime ExpiresAt { get; set; }

    /// <summary>The account this session relinks (same origin id) or created.</summary>
    public Guid? LinkedAccountId { get; set; }

    public byte[]? PublicTokenHash { get; set; }
    public DateTime? PublicTokenExpiresAt { get; set; }
    public DateTime? CompletedAt { get; set; }

    /// <summary>SHA-256 of the OAuth <c>state</c> of the authorization in progress; the callback finds the session by it.</summary>
    public byte[]? OAuthStateHash { get; set; }

    /// <summary>The integration the OAuth state was issued for: a callback on another provider's path is refused.</summary>
    public string? OAuthIntegration { get; set; }

    /// <summary>The PKCE code verifier, sealed by the credential vault (it must be sent back in clear to the token endpoint).</summary>
    public byte[]? OAuthCodeVerifier { get; set; }

    public DateTime? OAuthStartedAt { get; set; }

    /// <summary>Agent Handler: the registered user this session authenticates a connector for.</summary>
    public Guid? RegisteredUserId { get; set; }

    /// <summary>Agent Handler: INDIVIDUAL, SHARED or ORGANIZATION.</summary>
    public string? AgentAuthScope { get; set; }

    /// <summary>Agent Handler: the origin_company_id a SHARED credential is stored under.</summary>
    public string? SharedCredentialGroup { get; set; }

    /// <summary>Agent Handler: where the magic link sends the browser after completion or exit.</summary>
    public string? CallbackUrl { get; set; }

    /// <summary>Agent Handler: the integrator's <c>state</c>, echoed on the callback; its presence asks for a code exchange.</summary>
    public string? CallbackState { get; set; }

    /// <summary>SHA-256 of the authorization code handed to the callback; cleared by the exchange.</summary>
    public byte[]? AuthorizationCodeHash { get; set; }

    public DateTime? AuthorizationCodeExpiresAt { get; set; }

    /// <summary>The credential waiting for the code exchange, sealed by the vault (purpose "pending-credential:{session id}").</summary>
    public byte[]? PendingCredential { get; set; }

    /// <summary>The authorization runs in a popup (embedded Link), so the callback page closes itself.</summary>
    public bool OAuthInPopup { get; set; }
}

public enum LinkSessionStatus
{
    Open = 0,
    Completed = 1,
    Exited = 2,
    Exchanged = 3,
}
