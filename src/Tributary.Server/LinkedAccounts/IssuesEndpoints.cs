using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Tributary.Data;
using Tributary.Data.Entities;
using Tributary.Integrations.Catalog;
using Tributary.Server.Auth;
using Tributary.Server.Conventions;
using Tributary.Server.Errors;

namespace Tributary.Server.LinkedAccounts;

/// <summary>Merge's <c>Issue</c>.</summary>
internal sealed record IssueDto(
    Guid Id, string Status, string ErrorDescription, IReadOnlyDictionary<string, object?> EndUser,
    DateTime FirstIncidentTime, DateTime LastIncidentTime, bool IsMuted, IReadOnlyList<string> ErrorDetails);

internal static class IssuesEndpoints
{
    private static readonly string[] Statuses = ["ONGOING", "RESOLVED"];

    public static RouteGroupBuilder MapIssues(this RouteGroupBuilder category)
    {
        category.MapGet("/issues", ListAsync).RequireApiKey()
            .WithName("ListIssues").WithTags("Linked accounts")
            .WithSummary("Problems with linked accounts (failed refreshes, revoked access, rate limits), oldest first");
        category.MapGet("/issues/{id}", RetrieveAsync).RequireApiKey()
            .WithName("RetrieveIssue").WithTags("Linked accounts");
        return category;
    }

    internal static async Task<Ok<Paginated<IssueDto>>> ListAsync(
        HttpRequest request, TributaryDbContext db, IntegrationCatalog catalog, CursorCodec cursors, CancellationToken ct)
    {
        var query = QueryReader.From(request);
        var cursor = query.String("cursor");
        var pageSize = query.PageSize();
        var accountToken = query.String("account_token");
        var startDate = query.DateTime("start_date");
        var endDate = query.DateTime("end_date");
        var organizationName = query.String("end_user_organization_name", 100);
        var firstAfter = query.DateTime("first_incident_time_after");
        var firstBefore = query.DateTime("first_incident_time_before");
        var lastAfter = query.DateTime("last_incident_time_after");
        var lastBefore = query.DateTime("last_incident_time_before");
        var includeMuted = query.Bool("include_muted") ?? false;
        var integrationName = query.String("integration_name", 100);
        var linkedAccountId = query.Guid("linked_account_id");
        var status = query.Choice("status", Statuses);
        query.ThrowIfInvalid();

        var issues = from issue in db.Issues.AsNoTracking()
                     join account in db.LinkedAccounts.AsNoTracking() on issue.LinkedAccountId equals account.Id
                     select new { issue, account };
        if (accountToken is not null)
        {
            var hash = Secrets.Hash(accountToken);
            issues = issues.Where(x => x.account.AccountTokenHash == hash);
        }
        if (startDate is { } sd)
        {
            issues = issues.Where(x => x.issue.FirstIncidentTime >= sd);
        }
        if (endDate is { } ed)
        {
            issues = issues.Where(x => x.issue.FirstIncidentTime <= ed);
        }
        if (organizationName is not null)
        {
            issues = issues.Where(x => x.account.EndUserOrganizationName == organizationName);
        }
        if (firstAfter is { } fa)
        {
            issues = issues.Where(x => x.issue.FirstIncidentTime > fa);
        }
        if (firstBefore is { } fb)
        {
            issues = issues.Where(x => x.issue.FirstIncidentTime < fb);
        }
        if (lastAfter is { } la)
        {
            issues = issues.Where(x => x.issue.LastIncidentTime > la);
        }
        if (lastBefore is { } lb)
        {
            issues = issues.Where(x => x.issue.LastIncidentTime < lb);
        }
        if (!includeMuted)
        {
            issues = issues.Where(x => !x.issue.IsMuted);
        }
        if (integrationName is not null)
        {
            var slugs = catalog.All.Where(i => string.Equals(i.Name, integrationName, StringComparison.OrdinalIgnoreCase) || i.Slug == integrationName)
                .Select(i => i.Slug).ToList();
            issues = issues.Where(x => slugs.Contains(x.account.IntegrationSlug));
        }
        if (linkedAccountId is { } id)
        {
            issues = issues.Where(x => x.issue.LinkedAccountId == id);
        }
        if (status is not null)
        {
            var wanted = status == "ONGOING" ? IssueStatus.Ongoing : IssueStatus.Resolved;
            issues = issues.Where(x => x.issue.Status == wanted);
        }

        var page = await issues.ToPageAsync(cursors, "issues", cursor, pageSize,
            x => x.issue.FirstIncidentTime, x => x.issue.Id, descending: false, x => ToDto(x.issue, x.account), ct);
        return TypedResults.Ok(page);
    }

    internal static async Task<Ok<IssueDto>> RetrieveAsync(string id, TributaryDbContext db, CancellationToken ct)
    {
        if (!Guid.TryParse(id, out var issueId))
        {
            throw ApiException.NotFound();
        }
        var found = await (from issue in db.Issues.AsNoTracking()
                           join account in db.LinkedAccounts.AsNoTracking() on issue.LinkedAccountId equals account.Id
                           where issue.Id == issueId
                           select new { issue, account }).SingleOrDefaultAsync(ct)
            ?? throw ApiException.NotFound();
        return TypedResults.Ok(ToDto(found.issue, found.account));
    }

    private static IssueDto ToDto(Issue issue, LinkedAccount account) => new(
        issue.Id,
        issue.Status == IssueStatus.Ongoing ? "ONGOING" : "RESOLVED",
        issue.ErrorDescription,
        new Dictionary<string, object?>
        {
            ["id"] = account.Id,
            ["end_user_origin_id"] = account.EndUserOriginId,
            ["organization_name"] = account.EndUserOrganizationName,
            ["email_address"] = account.EndUserEmailAddress,
        },
        issue.FirstIncidentTime,
        issue.LastIncidentTime,
        issue.IsMuted,
        JsonSerializer.Deserialize<List<string>>(issue.ErrorDetailsJson) ?? []);
}
