namespace Tributary.Data.Entities;

/// <summary>Merge's linked-account issue: a problem that needs the integrator's or end user's attention.</summary>
public sealed class Issue
{
    public Guid Id { get; set; }
    public Guid OrganizationId { get; set; }
    public Guid LinkedAccountId { get; set; }

    /// <summary>The linked account's environment, so a test key sees only test accounts' issues.</summary>
    public ApiEnvironment Environment { get; set; }

    public IssueStatus Status { get; set; }
    public required string ErrorDescription { get; set; }

    /// <summary>JSON array of strings.</summary>
    public string ErrorDetailsJson { get; set; } = "[]";

    public DateTime FirstIncidentTime { get; set; }
    public DateTime LastIncidentTime { get; set; }
    public bool IsMuted { get; set; }
}

public enum IssueStatus
{
    Ongoing = 0,
    Resolved = 1,
}
