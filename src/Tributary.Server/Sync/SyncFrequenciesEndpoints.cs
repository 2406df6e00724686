using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Tributary.Data;
using Tributary.Data.Entities;
using Tributary.Integrations.Catalog;
using Tributary.Server.Auth;
using Tributary.Server.Conventions;
using Tributary.Server.Errors;
using Tributary.Server.Linking;
using Tributary.Server.Organization;

namespace Tributary.Server.Sync;

/// <summary>Body of the <c>PUT /api/v1/sync-frequencies/…</c> endpoints.</summary>
internal sealed record SyncFrequencyRequest(int? IntervalMinutes);

/// <summary>
/// One level's frequency: <c>interval_minutes</c> is its own (null when unset);
/// <c>effective_interval_minutes</c> is what applies there and <c>effective_from</c> which level set it
/// (<c>linked_account</c>, <c>integration</c>, <c>organization</c> or <c>server_default</c>).
/// </summary>
internal sealed record SyncFrequencyDto(
    string Level, string? Integration, Guid? LinkedAccountId, int? IntervalMinutes, int EffectiveIntervalMinutes, string EffectiveFrom, DateTime? UpdatedAt)
{
    public static SyncFrequencyDto From(SyncFrequencySetting s) => new(
        s.Scope.Level, s.Scope.IntegrationSlug, s.Scope.Account?.Id, s.Own?.IntervalMinutes, s.EffectiveMinutes, s.EffectiveFrom, s.Own?.UpdatedAt);

    public static SyncFrequencyDto From(SyncFrequency row) => new(
        SyncFrequencies.LevelOf(row), row.IntegrationSlug, row.LinkedAccountId, row.IntervalMinutes, row.IntervalMinutes, SyncFrequencies.LevelOf(row), row.UpdatedAt);
}

/// <summary>The organization's frequencies as set, and the server's default under them.</summary>
internal sealed record SyncFrequencyListDto(int ServerDefaultIntervalMinutes, int MinIntervalMinutes, int MaxIntervalMinutes, List<SyncFrequencyDto> Frequencies);

/// <summary>
/// <c>/api/v1/sync-frequencies</c>: how often linked accounts sync, for the whole organization, per
/// integration and per linked account (the most specific wins). Any key reads; changes need a
/// production key and reschedule the affected accounts' recurring syncs at once.
/// </summary>
internal static class SyncFrequenciesEndpoints
{
    public static IEndpointRouteBuilder MapSyncFrequencies(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/sync-frequencies").WithTags("Sync frequencies").RequireApiKey();
        group.MapGet("", ListAsync).WithName("ListSyncFrequencies")
            .WithSummary("Every frequency the organization has set, with the server's default and the allowed range");
        Map(group, "/organization", "OrganizationSyncFrequency", "the organization's default",
            (_, _, _, _) => Task.FromResult(SyncFrequencyScope.Organization));
        Map(group, "/integrations/{integration}", "IntegrationSyncFrequency", "one integration's (e.g. google-drive), over the organization's",
            (http, _, catalog, _) => Task.FromResult(IntegrationScope(catalog, (string)http.Request.RouteValues["integration"]!)));
        Map(group, "/linked-accounts/{linkedAccountId:guid}", "LinkedAccountSyncFrequency", "one linked account's, over its integration's and the organization's",
            (http, db, _, ct) => AccountScopeAsync(db, Guid.Parse((string)http.Request.RouteValues["linkedAccountId"]!), ct));
        return app;
    }

    private delegate Task<SyncFrequencyScope> ScopeReader(HttpContext http, TributaryDbContext db, IntegrationCatalog catalog, CancellationToken ct);

    private static void Map(RouteGroupBuilder group, string pattern, string name, string what, ScopeReader scope)
    {
        group.MapGet(pattern, async (HttpContext http, TenantContext tenant, TributaryDbContext db, IntegrationCatalog catalog, SyncFrequencies frequencies, CancellationToken ct) =>
                await GetAsync(await scope(http, db, catalog, ct), tenant, db, frequencies, ct))
            .WithName("Retrieve" + name).WithSummary($"The sync frequency set for {what}, and the one that applies");
        group.MapPut(pattern, async (HttpContext http, TenantContext tenant, TributaryDbContext db, IntegrationCatalog catalog, SyncFrequencies frequencies,
                AuditTrail audit, CancellationToken ct) =>
                await SetAsync(http, await scope(http, db, catalog, ct), tenant, db, frequencies, audit, ct))
            .WithName("Set" + name).WithSummary($"Set the sync frequency for {what} (production key only)")
            .WithDescription("Body: {\"interval_minutes\": 60}. Whole minutes, from Sync:MinFrequencyMinutes (default 5) to 10080 (7 days). " +
                "The affected accounts' recurring syncs are rescheduled at once.");
        group.MapDelete(pattern, async (HttpContext http, TenantContext tenant, TributaryDbContext db, IntegrationCatalog catalog, SyncFrequencies frequencies,
                AuditTrail audit, CancellationToken ct) =>
                await DeleteAsync(http, await scope(http, db, catalog, ct), tenant, db, frequencies, audit, ct))
            .WithName("Delete" + name).WithSummary($"Remove the sync frequency set for {what}; the next level's applies (production key only)");
    }

    internal static async Task<Ok<SyncFrequencyListDto>> ListAsync(TenantContext tenant, TributaryDbContext db, SyncFrequencies frequencies,
        Microsoft.Extensions.Options.IOptionsMonitor<SyncOptions> options, CancellationToken ct)
    {
        var rows = await SyncFrequencies.ListAsync(db, tenant.RequiredOrganizationId, ct);
        return TypedResults.Ok(new SyncFrequencyListDto(options.CurrentValue.DefaultFrequencyMinutes, frequencies.MinMinutes, SyncFrequencies.MaxMinutes,
            rows.Select(SyncFrequencyDto.From).ToList()));
    }

    private static async Task<Ok<SyncFrequencyDto>> GetAsync(
        SyncFrequencyScope scope, TenantContext tenant, TributaryDbContext db, SyncFrequencies frequencies, CancellationToken ct) =>
        TypedResults.Ok(SyncFrequencyDto.From(await frequencies.DescribeAsync(db, tenant.RequiredOrganizationId, scope, ct)));

    private static async Task<Ok<SyncFrequencyDto>> SetAsync(
        HttpContext http, SyncFrequencyScope scope, TenantContext tenant, TributaryDbContext db, SyncFrequencies frequencies, AuditTrail audit, CancellationToken ct)
    {
        RequireProductionKey(tenant);
        var body = await JsonBody.ReadAsync<SyncFrequencyRequest>(http.Request, ct);
        var errors = new FieldErrors();
        if (frequencies.Problem(body.IntervalMinutes) is { } problem)
        {
            errors.Add("interval_minutes", problem);
        }
        errors.ThrowIfAny();
        await frequencies.SetAsync(db, tenant.RequiredOrganizationId, scope, body.IntervalMinutes!.Value, ct);
        audit.Record(db, tenant.RequiredOrganizationId, AuditActor.ApiKey(http, tenant.ApiKeyName!), AuditEventTypes.ChangedOrganizationSettings,
            $"Set the sync frequency of {scope.Describe()} to every {body.IntervalMinutes} minutes.");
        await db.SaveChangesAsync(ct);
        await frequencies.RescheduleAsync(db, tenant.RequiredOrganizationId, scope, ct);
        return TypedResults.Ok(SyncFrequencyDto.From(await frequencies.DescribeAsync(db, tenant.RequiredOrganizationId, scope, ct)));
    }

    private static async Task<Ok<SyncFrequencyDto>> DeleteAsync(
        HttpContext http, SyncFrequencyScope scope, TenantContext tenant, TributaryDbContext db, SyncFrequencies frequencies, AuditTrail audit, CancellationToken ct)
    {
        RequireProductionKey(tenant);
        if (!await SyncFrequencies.RemoveAsync(db, tenant.RequiredOrganizationId, scope, ct))
        {
            throw ApiException.NotFound($"No sync frequency is set for {scope.Describe()}.");
        }
        audit.Record(db, tenant.RequiredOrganizationId, AuditActor.ApiKey(http, tenant.ApiKeyName!), AuditEventTypes.ChangedOrganizationSettings,
            $"Removed the sync frequency of {scope.Describe()}.");
        await db.SaveChangesAsync(ct);
        await frequencies.RescheduleAsync(db, tenant.RequiredOrganizationId, scope, ct);
        // What applies now, from the next level up.
        return TypedResults.Ok(SyncFrequencyDto.From(await frequencies.DescribeAsync(db, tenant.RequiredOrganizationId, scope, ct)));
    }

    private static SyncFrequencyScope IntegrationScope(IntegrationCatalog catalog, string integration) =>
        catalog.Find(integration) is null
            ? throw ApiException.NotFound($"Unknown integration \"{integration}\". Use one of: {string.Join(", ", catalog.All.Select(i => i.Slug).Order(StringComparer.Ordinal))}.")
            : SyncFrequencyScope.ForIntegration(integration);

    // The tenant's query filter hides other organizations' accounts (and production accounts from test keys): 404.
    private static async Task<SyncFrequencyScope> AccountScopeAsync(TributaryDbContext db, Guid linkedAccountId, CancellationToken ct) =>
        SyncFrequencyScope.ForAccount(await db.LinkedAccounts.AsNoTracking().SingleOrDefaultAsync(a => a.Id == linkedAccountId, ct)
            ?? throw ApiException.NotFound("No linked account with this id."));

    private static void RequireProductionKey(TenantContext tenant)
    {
        if (tenant.Environment != ApiEnvironment.Production)
        {
            throw ApiException.Forbidden("Sync frequencies are organization settings: change them with a production API key.");
        }
    }
}
