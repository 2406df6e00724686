using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Tributary.Data;
using Tributary.Data.Entities;
using Tributary.Server.Auth;
using Tributary.Server.Conventions;
using Tributary.Server.Organization;

namespace Tributary.Server.Sync;

/// <summary>
/// Merge's <c>SyncStatus</c>, one per common model. Tributary reads one change feed per account for
/// all File Storage models, so the five entries share one state; <c>records_synced</c> is an extension
/// (records applied by the run under way or the last run), as are <c>data_fresh_as_of</c> and
/// <c>sync_status_reason</c>, which Merge's live API sends too.
/// </summary>
internal sealed record SyncStatusDto(
    string ModelName, string ModelId, DateTime? LastSyncStart, DateTime? NextSyncStart, string? LastSyncResult, DateTime? LastSyncFinished,
    string Status, bool IsInitialSync, DateTime? DataFreshAsOf, string? SyncStatusReason, long RecordsSynced);

internal static class SyncStatusEndpoints
{
    private const string Listing = "sync-status";
    private static readonly (string Name, string Id)[] Models =
    [
        ("Drive", "filestorage.FileStorageDrive"), ("File", "filestorage.FileStorageFile"), ("Folder", "filestorage.FileStorageFolder"),
        ("Group", "filestorage.FileStorageGroup"), ("User", "filestorage.FileStorageUser"),
    ];

    public static RouteGroupBuilder MapSyncStatus(this RouteGroupBuilder category)
    {
        category.MapGet("/sync-status", ListAsync).RequireAccountToken()
            .WithName("ListSyncStatus").WithTags("Sync")
            .WithSummary("Where the linked account's sync of each common model stands, with progress while a sync runs");
        category.MapPost("/sync-status/resync", ResyncAsync).RequireAccountToken()
            .WithName("ForceResync").WithTags("Sync")
            .WithSummary("Start a full resync now (re-reads everything and reconciles deletes); answers the statuses as a JSON array")
            .WithDescription("No body. The sync runs in the background; poll GET /sync-status for its progress.");
        return category;
    }

    internal static async Task<Ok<Paginated<SyncStatusDto>>> ListAsync(
        HttpRequest request, TenantContext tenant, TributaryDbContext db, SyncScheduler scheduler, CursorCodec cursors, CancellationToken ct)
    {
        var query = QueryReader.From(request);
        var cursor = query.String("cursor");
        var pageSize = query.PageSize();
        var start = 0;
        if (cursor is not null)
        {
            if (cursors.TryDecode(Listing, cursor, out var position) && position.SortTicks is >= 0 and <= 5)
            {
                start = (int)position.SortTicks;
            }
            else
            {
                query.AddError("cursor", "Invalid cursor: pass a next or previous value from an earlier page of this listing.");
            }
        }
        query.ThrowIfInvalid();

        var all = await StatusesAsync(tenant.RequiredLinkedAccountId, db, scheduler, ct);
        var page = all.Skip(start).Take(pageSize).ToList();
        var next = start + pageSize < all.Count ? cursors.Encode(Listing, new CursorPosition(false, start + pageSize, Guid.Empty)) : null;
        var previous = start > 0 ? cursors.Encode(Listing, new CursorPosition(true, Math.Max(0, start - pageSize), Guid.Empty)) : null;
        return TypedResults.Ok(new Paginated<SyncStatusDto>(next, previous, page));
    }

    internal static async Task<Ok<IReadOnlyList<SyncStatusDto>>> ResyncAsync(
        HttpContext http, TenantContext tenant, TributaryDbContext db, SyncScheduler scheduler, AuditTrail audit, TimeProvider time, CancellationToken ct)
    {
        var accountId = tenant.RequiredLinkedAccountId;
        var account = await db.LinkedAccounts.AsNoTracking().SingleAsync(a => a.Id == accountId, ct);
        await scheduler.RequestNowAsync(accountId, "resync requested through the API", full: true, ct);
        audit.Record(db, account.OrganizationId, AuditActor.ApiKey(http, tenant.ApiKeyName!), "FORCED_LINKED_ACCOUNT_RESYNC",
            $"Forced a resync of linked account {accountId}.");
        // Answer SYNCING at once, as Merge does: the run is queued and the client polls for progress.
        var state = await db.SyncStates.IgnoreQueryFilters().SingleOrDefaultAsync(s => s.LinkedAccountId == accountId && s.Category == SyncRunner.Category, ct);
        if (state is not null && state.Status != SyncStatusValue.Syncing)
        {
            state.Status = SyncStatusValue.Syncing;
            state.LastSyncStart = time.GetUtcNow().UtcDateTime;
            state.RecordsThisRun = 0;
        }
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(await StatusesAsync(accountId, db, scheduler, ct));
    }

    private static async Task<IReadOnlyList<SyncStatusDto>> StatusesAsync(Guid accountId, TributaryDbContext db, SyncScheduler scheduler, CancellationToken ct)
    {
        var state = await db.SyncStates.IgnoreQueryFilters().AsNoTracking()
            .SingleOrDefaultAsync(s => s.LinkedAccountId == accountId && s.Category == SyncRunner.Category, ct);
        var next = state is { NextSyncStart: { } retry } && (state.SyncStatusReason is not null || state.Status == SyncStatusValue.Failed)
            ? retry
            : (await scheduler.NextRunAsync(accountId, ct))?.UtcDateTime;
        var status = state is null ? "SYNCING" : Value(state.Status);
        return Models.Select(m => new SyncStatusDto(
            m.Name, m.Id, state?.LastSyncStart, next, state?.LastSyncResult is { } r ? Value(r) : null, state?.LastSyncFinished, status,
            IsInitialSync: state is null || !state.InitialSyncDone, state?.DataFreshAsOf, state?.SyncStatusReason, state?.RecordsThisRun ?? 0)).ToList();
    }

    private static string Value(SyncStatusValue value) => value switch
    {
        SyncStatusValue.Disabled => "DISABLED",
        SyncStatusValue.Syncing => "SYNCING",
        SyncStatusValue.Done => "DONE",
        SyncStatusValue.Failed => "FAILED",
        SyncStatusValue.Paused => "PAUSED",
        SyncStatusValue.PartiallySynced => "PARTIALLY_SYNCED",
        _ => "FAILED",
    };
}
