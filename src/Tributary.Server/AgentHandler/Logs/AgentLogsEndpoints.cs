using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Tributary.Data;
using Tributary.Data.Entities;
using Tributary.Data.Entities.AgentHandler;
using Tributary.Server.Conventions;
using Tributary.Server.Organization;

namespace Tributary.Server.AgentHandler.Logs;

/// <summary>Agent Handler's audit event types (Merge's names) that Tributary records.</summary>
internal static class AgentAuditEvents
{
    public const string RegisteredUserCreated = "REGISTERED_USER_CREATED";
    public const string RegisteredUserDeleted = "REGISTERED_USER_DELETED";
    public const string ToolPackCreated = "TOOL_PACK_CREATED";
    public const string ToolPackUpdated = "TOOL_PACK_UPDATED";
    public const string ToolPackDeleted = "TOOL_PACK_DELETED";
    public const string AllowedCallbackOriginCreated = "ALLOWED_CALLBACK_ORIGIN_CREATED";
    public const string AllowedCallbackOriginDeleted = "ALLOWED_CALLBACK_ORIGIN_DELETED";
    public const string CredentialCreated = "CREDENTIAL_CREATED";
    public const string CredentialDeleted = "CREDENTIAL_DELETED";
    public const string ToolCallLogsSearched = "TOOL_CALL_LOGS_SEARCHED";

    public static readonly IReadOnlyList<string> All =
    [
        RegisteredUserCreated, RegisteredUserDeleted, ToolPackCreated, ToolPackUpdated, ToolPackDeleted,
        AllowedCallbackOriginCreated, AllowedCallbackOriginDeleted, CredentialCreated, CredentialDeleted, ToolCallLogsSearched,
    ];
}

/// <summary>Merge Agent Handler's tool-call log record: arguments, result and headers as JSON strings, secrets redacted.</summary>
internal sealed record ToolCallLogDto(
    Guid Id, string ToolName, string? ConnectorSlug, Guid ToolPackId, Guid RegisteredUserId, string ToolArgs, string? Result,
    string Headers, string Status, string? ErrorReason, string? ClientTraceId, DateTime StartedAt, int DurationMs)
{
    public static ToolCallLogDto From(ToolCallLog l) => new(
        l.Id, l.ToolName, l.ConnectorSlug, l.ToolPackId, l.RegisteredUserId, l.ToolArgs, l.Result, l.Headers, l.Status, l.ErrorReason,
        l.ClientTraceId, l.StartedAt, l.DurationMs);
}

/// <summary>The cursor-paginated shape of <c>GET /logs/tool-calls</c>.</summary>
internal sealed record ToolCallLogPage(IReadOnlyList<ToolCallLogDto> Results, bool HasMore, string? NextCursor);

internal static class AgentLogsEndpoints
{
    public static RouteGroupBuilder MapAgentLogs(this RouteGroupBuilder v1)
    {
        v1.MapGet("/logs/tool-calls", ToolCallsAsync).WithName("ListToolCallLogs").WithTags("Agent Handler")
            .WithSummary("MCP tool calls, oldest first, with cursor pagination")
            .WithDescription("Filters: tool_name (substring), status (SUCCESS, ERROR), error_reason, registered_user_id, tool_pack_id, " +
                "client_trace_id, created_after, created_before. Page with cursor = next_cursor; page_size 1-100.");
        v1.MapGet("/audit-log", AuditLogAsync).WithName("ListAgentAuditLog").WithTags("Agent Handler")
            .WithSummary("The organization's audit log, newest first (Agent Handler event names and the platform's own)");
        return v1;
    }

    internal static async Task<Ok<ToolCallLogPage>> ToolCallsAsync(HttpRequest request, TributaryDbContext db, CursorCodec cursors, CancellationToken ct)
    {
        var query = QueryReader.From(request);
        var cursor = query.String("cursor");
        var pageSize = query.PageSize();
        var toolName = query.String("tool_name", 200);
        var status = query.Choice("status", ["SUCCESS", "ERROR"]);
        var errorReason = query.String("error_reason", 64);
        var userId = query.Guid("registered_user_id");
        var packId = query.Guid("tool_pack_id");
        var traceId = query.String("client_trace_id", 32);
        var after = query.DateTime("created_after");
        var before = query.DateTime("created_before");
        query.ThrowIfInvalid();

        IQueryable<ToolCallLog> logs = db.ToolCallLogs.AsNoTracking();
        if (toolName is not null)
        {
            logs = logs.Where(l => l.ToolName.Contains(toolName));
        }
        if (status is not null)
        {
            logs = logs.Where(l => l.Status == status);
        }
        if (errorReason is not null)
        {
            logs = logs.Where(l => l.ErrorReason == errorReason);
        }
        if (userId is { } u)
        {
            logs = logs.Where(l => l.RegisteredUserId == u);
        }
        if (packId is { } p)
        {
            logs = logs.Where(l => l.ToolPackId == p);
        }
        if (traceId is not null)
        {
            logs = logs.Where(l => l.ClientTraceId == traceId);
        }
        if (after is { } a)
        {
            logs = logs.Where(l => l.StartedAt >= a);
        }
        if (before is { } b)
        {
            logs = logs.Where(l => l.StartedAt <= b);
        }
        var page = await logs.ToPageAsync(cursors, "tool-call-logs", cursor, pageSize, l => l.StartedAt, l => l.Id, descending: false, ToolCallLogDto.From, ct);
        return TypedResults.Ok(new ToolCallLogPage(page.Results, page.Next is not null, page.Next));
    }

    internal static async Task<Ok<Paginated<AuditLogEventDto>>> AuditLogAsync(HttpRequest request, TributaryDbContext db, CursorCodec cursors, CancellationToken ct)
    {
        var query = QueryReader.From(request);
        var cursor = query.String("cursor");
        var pageSize = query.PageSize();
        var after = query.DateTime("created_after");
        var before = query.DateTime("created_before");
        var eventType = query.Choice("event_type", [.. AgentAuditEvents.All, .. AuditEventTypes.All]);
        query.ThrowIfInvalid();

        IQueryable<AuditEvent> events = db.AuditEvents.AsNoTracking();
        if (after is { } a)
        {
            events = events.Where(e => e.CreatedAt >= a);
        }
        if (before is { } b)
        {
            events = events.Where(e => e.CreatedAt <= b);
        }
        if (eventType is not null)
        {
            events = events.Where(e => e.EventType == eventType);
        }
        var page = await events.ToPageAsync(cursors, "agent-audit-log", cursor, pageSize, e => e.CreatedAt, e => e.Id, descending: true, AuditLogEventDto.From, ct);
        return TypedResults.Ok(page);
    }
}
