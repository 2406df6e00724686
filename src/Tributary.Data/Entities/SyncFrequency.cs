namespace Tributary.Data.Entities;

/// <summary>
/// How often accounts are synced: for an organization, for one integration of it, or for one linked
/// account. The most specific row wins; without any, the server default applies.
/// </summary>
public sealed class SyncFrequency
{
    public Guid Id { get; set; }
    public Guid OrganizationId { get; set; }

    /// <summary>Null for the whole organization.</summary>
    public string? IntegrationSlug { get; set; }

    /// <summary>Null unless it is one account's own frequency.</summary>
    public Guid? LinkedAccountId { get; set; }

    public int IntervalMinutes { get; set; }
    public DateTime UpdatedAt { get; set; }
}
