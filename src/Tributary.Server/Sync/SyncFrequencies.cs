using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Tributary.Data;
using Tributary.Data.Entities;

namespace Tributary.Server.Sync;

/// <summary>Which frequency a setting is: the organization's, one of its integrations', or one linked account's.</summary>
internal sealed record SyncFrequencyScope(string Level, string? IntegrationSlug, LinkedAccount? Account)
{
    public const string OrganizationLevel = "organization";
    public const string IntegrationLevel = "integration";
    public const string LinkedAccountLevel = "linked_account";
    public const string ServerDefault = "server_default";

    public static SyncFrequencyScope Organization { get; } = new(OrganizationLevel, null, null);

    public static SyncFrequencyScope ForIntegration(string slug) => new(IntegrationLevel, slug, null);

    public static SyncFrequencyScope ForAccount(LinkedAccount account) => new(LinkedAccountLevel, account.IntegrationSlug, account);

    public string Describe() => Level switch
    {
        OrganizationLevel => "the organization",
        IntegrationLevel => $"integration {IntegrationSlug}",
        _ => $"linked account {Account!.Id}",
    };
}

/// <summary>A level's own frequency (null when unset) and the one that applies there, with the level it comes from.</summary>
internal sealed record SyncFrequencySetting(SyncFrequencyScope Scope, SyncFrequency? Own, int EffectiveMinutes, string EffectiveFrom);

/// <summary>
/// How often an account syncs: its own frequency, else its organization's for its integration, else
/// its organization's, else <c>Sync:DefaultFrequencyMinutes</c> (15 minutes). Setting or removing a
/// frequency reschedules the recurring syncs it affects at once (the housekeeping job would otherwise
/// catch up within five minutes).
/// </summary>
internal sealed class SyncFrequencies(IOptionsMonitor<SyncOptions> options, SyncScheduler scheduler, TimeProvider time)
{
    public const int MaxMinutes = 7 * 24 * 60;

    public int MinMinutes => options.CurrentValue.MinFrequencyMinutes;

    /// <summary>The accounts that have a recurring sync: complete file storage accounts.</summary>
    public static IQueryable<LinkedAccount> Scheduled(TributaryDbContext db) =>
        db.LinkedAccounts.IgnoreQueryFilters().Where(a => a.Category == SyncRunner.Category && a.Status == LinkedAccountStatus.Complete);

    public async Task<Dictionary<Guid, TimeSpan>> ForAsync(TributaryDbContext db, IReadOnlyCollection<LinkedAccount> accounts, CancellationToken ct)
    {
        var organizations = accounts.Select(a => a.OrganizationId).Distinct().ToList();
        var rows = await db.SyncFrequencies.AsNoTracking().Where(f => organizations.Contains(f.OrganizationId)).ToListAsync(ct);
        var fallback = TimeSpan.FromMinutes(options.CurrentValue.DefaultFrequencyMinutes);
        return accounts.ToDictionary(a => a.Id, a => Resolve(rows, a) ?? fallback);
    }

    internal static TimeSpan? Resolve(IReadOnlyList<SyncFrequency> rows, LinkedAccount account) =>
        Match(rows, account.OrganizationId, account.IntegrationSlug, account.Id) is { } match ? TimeSpan.FromMinutes(match.IntervalMinutes) : null;

    private static SyncFrequency? Match(IReadOnlyList<SyncFrequency> rows, Guid organizationId, string? integrationSlug, Guid? accountId) =>
        (accountId is null ? null : rows.FirstOrDefault(f => f.LinkedAccountId == accountId))
        ?? (integrationSlug is null ? null : rows.FirstOrDefault(f => f.OrganizationId == organizationId && f.LinkedAccountId is null && f.IntegrationSlug == integrationSlug))
        ?? rows.FirstOrDefault(f => f.OrganizationId == organizationId && f.LinkedAccountId is null && f.IntegrationSlug is null);

    /// <summary>Every frequency the organization has set, organization first, then integrations, then accounts.</summary>
    public static async Task<List<SyncFrequency>> ListAsync(TributaryDbContext db, Guid organizationId, CancellationToken ct) =>
        (await db.SyncFrequencies.AsNoTracking().Where(f => f.OrganizationId == organizationId).ToListAsync(ct))
        .OrderBy(f => f.LinkedAccountId is null ? f.IntegrationSlug is null ? 0 : 1 : 2)
        .ThenBy(f => f.IntegrationSlug, StringComparer.Ordinal).ThenBy(f => f.LinkedAccountId).ToList();

    public async Task<SyncFrequencySetting> DescribeAsync(TributaryDbContext db, Guid organizationId, SyncFrequencyScope scope, CancellationToken ct)
    {
        var rows = await db.SyncFrequencies.AsNoTracking().Where(f => f.OrganizationId == organizationId).ToListAsync(ct);
        var own = rows.FirstOrDefault(r => IsFor(r, scope));
        var effective = Match(rows, organizationId, scope.IntegrationSlug, scope.Account?.Id);
        return new SyncFrequencySetting(scope, own, effective?.IntervalMinutes ?? options.CurrentValue.DefaultFrequencyMinutes,
            effective is null ? SyncFrequencyScope.ServerDefault : LevelOf(effective));
    }

    /// <summary>Why <paramref name="minutes"/> is not an allowed interval, or null when it is.</summary>
    public string? Problem(int? minutes) => minutes switch
    {
        null => $"This field is required: whole minutes between syncs, from {MinMinutes} to {MaxMinutes}.",
        var m when m < MinMinutes => $"Ensure this value is at least {MinMinutes} minutes (the server's Sync:MinFrequencyMinutes).",
        > MaxMinutes => $"Ensure this value is at most {MaxMinutes} minutes (7 days).",
        _ => null,
    };

    /// <summary>Sets the scope's frequency (saved by the caller) and returns its row.</summary>
    public async Task<SyncFrequency> SetAsync(TributaryDbContext db, Guid organizationId, SyncFrequencyScope scope, int minutes, CancellationToken ct)
    {
        var row = await FindAsync(db, organizationId, scope, ct);
        if (row is null)
        {
            row = new SyncFrequency
            {
                Id = Guid.CreateVersion7(time.GetUtcNow()),
                OrganizationId = organizationId,
                IntegrationSlug = scope.Level == SyncFrequencyScope.OrganizationLevel ? null : scope.IntegrationSlug,
                LinkedAccountId = scope.Account?.Id,
            };
            db.SyncFrequencies.Add(row);
        }
        row.IntervalMinutes = minutes;
        row.UpdatedAt = time.GetUtcNow().UtcDateTime;
        return row;
    }

    /// <summary>Removes the scope's own frequency (saved by the caller); false when it had none.</summary>
    public static async Task<bool> RemoveAsync(TributaryDbContext db, Guid organizationId, SyncFrequencyScope scope, CancellationToken ct)
    {
        var row = await FindAsync(db, organizationId, scope, ct);
        if (row is null)
        {
            return false;
        }
        db.SyncFrequencies.Remove(row);
        return true;
    }

    /// <summary>Gives the accounts a saved change affects their recurring sync at the interval that now applies; returns how many were rescheduled.</summary>
    public async Task<int> RescheduleAsync(TributaryDbContext db, Guid organizationId, SyncFrequencyScope scope, CancellationToken ct)
    {
        var affected = Scheduled(db).AsNoTracking().Where(a => a.OrganizationId == organizationId);
        affected = scope.Level switch
        {
            SyncFrequencyScope.IntegrationLevel => affected.Where(a => a.IntegrationSlug == scope.IntegrationSlug),
            SyncFrequencyScope.LinkedAccountLevel => affected.Where(a => a.Id == scope.Account!.Id),
            _ => affected,
        };
        var accounts = await affected.ToListAsync(ct);
        var intervals = await ForAsync(db, accounts, ct);
        var changed = 0;
        foreach (var account in accounts)
        {
            if (await scheduler.EnsureRecurringAsync(account.Id, intervals[account.Id], ct))
            {
                changed++;
            }
        }
        return changed;
    }

    public static string LevelOf(SyncFrequency row) =>
        row.LinkedAccountId is not null ? SyncFrequencyScope.LinkedAccountLevel
        : row.IntegrationSlug is not null ? SyncFrequencyScope.IntegrationLevel
        : SyncFrequencyScope.OrganizationLevel;

    private static bool IsFor(SyncFrequency row, SyncFrequencyScope scope) => scope.Level switch
    {
        SyncFrequencyScope.LinkedAccountLevel => row.LinkedAccountId == scope.Account!.Id,
        SyncFrequencyScope.IntegrationLevel => row.LinkedAccountId is null && row.IntegrationSlug == scope.IntegrationSlug,
        _ => row.LinkedAccountId is null && row.IntegrationSlug is null,
    };

    private static Task<SyncFrequency?> FindAsync(TributaryDbContext db, Guid organizationId, SyncFrequencyScope scope, CancellationToken ct)
    {
        var rows = db.SyncFrequencies.Where(f => f.OrganizationId == organizationId);
        return scope.Level switch
        {
            SyncFrequencyScope.LinkedAccountLevel => rows.FirstOrDefaultAsync(f => f.LinkedAccountId == scope.Account!.Id, ct),
            SyncFrequencyScope.IntegrationLevel => rows.FirstOrDefaultAsync(f => f.LinkedAccountId == null && f.IntegrationSlug == scope.IntegrationSlug, ct),
            _ => rows.FirstOrDefaultAsync(f => f.LinkedAccountId == null && f.IntegrationSlug == null, ct),
        };
    }
}
