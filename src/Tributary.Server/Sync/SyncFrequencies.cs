using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Tributary.Data;
using Tributary.Data.Entities;

namespace Tributary.Server.Sync;

/// <summary>
/// How often an account syncs: its own frequency, else its organization's for its integration, else
/// its organization's, else <c>Sync:DefaultFrequencyMinutes</c> (15 minutes).
/// </summary>
internal sealed class SyncFrequencies(IOptionsMonitor<SyncOptions> options)
{
    public async Task<Dictionary<Guid, TimeSpan>> ForAsync(TributaryDbContext db, IReadOnlyCollection<LinkedAccount> accounts, CancellationToken ct)
    {
        var organizations = accounts.Select(a => a.OrganizationId).Distinct().ToList();
        var rows = await db.SyncFrequencies.AsNoTracking().Where(f => organizations.Contains(f.OrganizationId)).ToListAsync(ct);
        var fallback = TimeSpan.FromMinutes(options.CurrentValue.DefaultFrequencyMinutes);
        return accounts.ToDictionary(a => a.Id, a => Resolve(rows, a) ?? fallback);
    }

    internal static TimeSpan? Resolve(IReadOnlyList<SyncFrequency> rows, LinkedAccount account)
    {
        var match = rows.FirstOrDefault(f => f.LinkedAccountId == account.Id)
            ?? rows.FirstOrDefault(f => f.OrganizationId == account.OrganizationId && f.LinkedAccountId is null && f.IntegrationSlug == account.IntegrationSlug)
            ?? rows.FirstOrDefault(f => f.OrganizationId == account.OrganizationId && f.LinkedAccountId is null && f.IntegrationSlug is null);
        return match is null ? null : TimeSpan.FromMinutes(match.IntervalMinutes);
    }
}
