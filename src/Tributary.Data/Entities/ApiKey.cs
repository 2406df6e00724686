namespace Tributary.Data.Entities;

/// <summary>An organization's API key. Only the SHA-256 of the secret is stored.</summary>
public sealed class ApiKey
{
    public Guid Id { get; set; }
    public Guid OrganizationId { get; set; }
    public required string Name { get; set; }
    public ApiEnvironment Environment { get; set; }

    /// <summary>The first characters of the key, safe to show in listings.</summary>
    public required string Prefix { get; set; }

    public required byte[] SecretHash { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? RevokedAt { get; set; }
}
