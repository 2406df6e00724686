namespace Tributary.Data.Entities;

public sealed class Organization
{
    public Guid Id { get; set; }
    public required string Name { get; set; }
    public DateTime CreatedAt { get; set; }

    /// <summary>Requests per minute allowed per linked account; null means the server default.</summary>
    public int? RateLimitPerMinute { get; set; }
}
