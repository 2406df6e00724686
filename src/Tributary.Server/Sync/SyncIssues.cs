using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Tributary.Data;
using Tributary.Data.Entities;
using Tributary.Server.Events;

namespace Tributary.Server.Sync;

/// <summary>
/// Opens and resolves Merge's linked-account issues from sync and refresh outcomes. One ongoing issue
/// per account and description: a repeat of the same problem moves its <c>last_incident_time</c>; a
/// successful sync resolves the sync issues; relinking resolves everything (LinkFlow).
/// </summary>
internal sealed class SyncIssues(TimeProvider time, IAccountEvents events, ILogger<SyncIssues> logger)
{
    public const string SyncFailing = "Sync failing";
    public const string RelinkNeeded = "Relink needed";

    /// <summary>Opens the issue, or records another incident of the ongoing one. Adds to <paramref name="db"/> without saving.</summary>
    public async Task OpenAsync(TributaryDbContext db, LinkedAccount account, string description, string detail, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var ongoing = await db.Issues.IgnoreQueryFilters()
            .SingleOrDefaultAsync(i => i.LinkedAccountId == account.Id && i.Status == IssueStatus.Ongoing && i.ErrorDescription == description, ct);
        var details = JsonSerializer.Serialize(new[] { detail.Length > 500 ? detail[..500] : detail });
        if (ongoing is not null)
        {
            ongoing.LastIncidentTime = now;
            ongoing.ErrorDetailsJson = details;
            return;
        }
        db.Issues.Add(new Issue
        {
            Id = Guid.CreateVersion7(time.GetUtcNow()),
            OrganizationId = account.OrganizationId,
            LinkedAccountId = account.Id,
            Environment = account.Environment,
            Status = IssueStatus.Ongoing,
            ErrorDescription = description,
            ErrorDetailsJson = details,
            FirstIncidentTime = now,
            LastIncidentTime = now,
        });
    }

    /// <summary>A sync succeeded: sync failures are over. Adds to <paramref name="db"/> without saving.</summary>
    public static async Task ResolveSyncIssuesAsync(TributaryDbContext db, LinkedAccount account, CancellationToken ct)
    {
        var ongoing = await db.Issues.IgnoreQueryFilters()
            .Where(i => i.LinkedAccountId == account.Id && i.Status == IssueStatus.Ongoing && i.ErrorDescription == SyncFailing).ToListAsync(ct);
        foreach (var issue in ongoing)
        {
            issue.Status = IssueStatus.Resolved;
        }
    }

    /// <summary>
    /// The provider refused the credential for good: the account becomes <c>RELINK_NEEDED</c>, an issue
    /// opens and <see cref="IAccountEvents.RelinkNeededAsync"/> is told, all in <paramref name="db"/>'s
    /// next save. Only the first refusal does this; later ones record another incident.
    /// </summary>
    public async Task RelinkNeededAsync(TributaryDbContext db, Guid linkedAccountId, string reason, CancellationToken ct)
    {
        var account = db.LinkedAccounts.Local.FirstOrDefault(a => a.Id == linkedAccountId)
            ?? await db.LinkedAccounts.IgnoreQueryFilters().SingleOrDefaultAsync(a => a.Id == linkedAccountId, ct);
        if (account is null)
        {
            return;
        }
        await OpenAsync(db, account, RelinkNeeded, reason, ct);
        if (account.Status == LinkedAccountStatus.RelinkNeeded)
        {
            return;
        }
        account.Status = LinkedAccountStatus.RelinkNeeded;
        account.StatusDetail = reason.Length > 200 ? reason[..200] : reason;
        account.ModifiedAt = time.GetUtcNow().UtcDateTime;
        await events.RelinkNeededAsync(db, account, reason, ct);
        logger.LogWarning("Linked account {LinkedAccountId} needs relinking: {Reason}", linkedAccountId, reason);
    }
}
