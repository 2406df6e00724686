using Microsoft.AspNetCore.Http.HttpResults;
using Tributary.Data;
using Tributary.Data.Entities;
using Tributary.Server.Auth;
using Tributary.Server.Conventions;

namespace Tributary.Server.Organization;

/// <summary>Merge's <c>AuditLogEvent</c>.</summary>
internal sealed record AuditLogEventDto(
    Guid Id, string? UserName, string? UserEmail, string Role, string IpAddress,
    string EventType, string EventDescription, DateTime CreatedAt)
{
    public static AuditLogEventDto From(AuditEvent e) =>
        new(e.Id, e.UserName, e.UserEmail, e.Role, e.IpAddress, e.EventType, e.EventDescription, e.CreatedAt);
}

internal static class AuditTrailEndpoints
{
    public static RouteGroupBuilder MapAuditTrail(this RouteGroupBuilder category)
    {
        category.MapGet("/audit-trail", ListAsync).RequireApiKey()
            .WithName("ListAuditTrail").WithTags("Organization")
            .WithSummary("The organization's audit trail, newest first")
            .WithDescription("Filters: start_date, end_date (ISO 8601; no zone = UTC), event_type (Merge's EventTypeEnum), user_email.")
            .WithQueryParameters(
                QueryParameter.Cursor,
                QueryParameter.PageSize,
                new("start_date", ParameterType.DateTime, "Only events at or after this time (ISO 8601; no zone means UTC)."),
                new("end_date", ParameterType.DateTime, "Only events at or before this time (ISO 8601; no zone means UTC)."),
                new("event_type", ParameterType.String, "Only events of this type (Merge's EventTypeEnum).", AuditEventTypes.All),
                new("user_email", ParameterType.String, "Only events by the user with this email address.") { MaxLength = 254 });
        return category;
    }

    internal static async Task<Ok<Paginated<AuditLogEventDto>>> ListAsync(
        HttpRequest request, TributaryDbContext db, CursorCodec cursors, CancellationToken ct)
    {
        var query = QueryReader.From(request);
        var cursor = query.String("cursor");
        var pageSize = query.PageSize();
        var start = query.DateTime("start_date");
        var end = query.DateTime("end_date");
        var eventType = query.Choice("event_type", AuditEventTypes.All);
        var userEmail = query.String("user_email", 254);
        query.ThrowIfInvalid();

        // The tenant filter on AuditEvents limits this to the caller's organization.
        IQueryable<AuditEvent> events = db.AuditEvents;
        if (start is { } s)
        {
            events = events.Where(e => e.CreatedAt >= s);
        }
        if (end is { } e)
        {
            events = events.Where(ev => ev.CreatedAt <= e);
        }
        if (eventType is not null)
        {
            events = events.Where(ev => ev.EventType == eventType);
        }
        if (userEmail is not null)
        {
            events = events.Where(ev => ev.UserEmail == userEmail);
        }

        var page = await events.ToPageAsync(cursors, "audit-trail", cursor, pageSize,
            ev => ev.CreatedAt, ev => ev.Id, descending: true, AuditLogEventDto.From, ct);
        return TypedResults.Ok(page);
    }
}
