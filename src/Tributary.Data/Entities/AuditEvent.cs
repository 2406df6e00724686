namespace Tributary.Data.Entities;

/// <summary>An entry of the organization's audit trail, with Merge's role and event type names.</summary>
public sealed class AuditEvent
{
    public Guid Id { get; set; }
    public Guid OrganizationId { get; set; }
    public required string Role { get; set; }
    public required string IpAddress { get; set; }
    public required string EventType { get; set; }
    public required string EventDescription { get; set; }
    public string? UserName { get; set; }
    public string? UserEmail { get; set; }
    public DateTime CreatedAt { get; set; }
}
