namespace Tributary.Data.Entities;

/// <summary>A linked account's provider credential (OAuth tokens or form fields), encrypted by the vault.</summary>
public sealed class Credential
{
    public Guid Id { get; set; }
    public Guid OrganizationId { get; set; }
    public Guid LinkedAccountId { get; set; }

    /// <summary>Vault ciphertext; names its data key, so rotation can find what to re-encrypt.</summary>
    public required byte[] Secret { get; set; }

    public Guid VaultKeyId { get; set; }
    public DateTime? AccessTokenExpiresAt { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}
