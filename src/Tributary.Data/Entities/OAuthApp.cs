namespace Tributary.Data.Entities;

/// <summary>An organization's own OAuth client for one integration; the secret is vault-encrypted.</summary>
public sealed class OAuthApp
{
    public Guid Id { get; set; }
    public Guid OrganizationId { get; set; }
    public required string IntegrationSlug { get; set; }
    public required string ClientId { get; set; }
    public required byte[] ClientSecret { get; set; }
    public Guid VaultKeyId { get; set; }

    /// <summary>Space-separated scopes overriding the catalog's; null keeps the catalog's.</summary>
    public string? Scopes { get; set; }

    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}
