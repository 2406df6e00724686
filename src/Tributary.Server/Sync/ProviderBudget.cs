using Microsoft.EntityFrameworkCore;
using Tributary.Data;
using Tributary.Data.Entities;
using Tributary.Integrations.FileStorage;

namespace Tributary.Server.Sync;

/// <summary>
/// One provider budget per linked account, shared by its syncs, live calls (downloads, writes) and,
/// later, agent calls, on every replica: when the provider asks for a wait longer than a connector
/// waits in place, the wait is recorded in the database (a row in <c>leases</c> named
/// <c>provider-wait:{account}</c>), and until it ends nobody calls that provider for that account —
/// a sync pauses and resumes after it, a live call answers 429 with <c>Retry-After</c>. Other accounts
/// are not affected.
/// </summary>
internal sealed class ProviderBudget(IServiceScopeFactory scopes, TimeProvider time)
{
    private static string Name(Guid linkedAccountId) => $"provider-wait:{linkedAccountId:N}";

    /// <summary>How long callers must still wait before calling the account's provider, or null.</summary>
    public async Task<TimeSpan?> RemainingWaitAsync(Guid linkedAccountId, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TributaryDbContext>();
        var name = Name(linkedAccountId);
        var until = await db.Leases.AsNoTracking().Where(l => l.Name == name).Select(l => (DateTime?)l.ExpiresAt).SingleOrDefaultAsync(ct);
        var remaining = until - time.GetUtcNow().UtcDateTime;
        return remaining > TimeSpan.Zero ? remaining : null;
    }

    /// <summary>The provider asked to wait <paramref name="wait"/>: everyone waits (a longer wait already recorded stands).</summary>
    public async Task RecordWaitAsync(Guid linkedAccountId, TimeSpan wait, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TributaryDbContext>();
        var name = Name(linkedAccountId);
        var until = time.GetUtcNow().UtcDateTime + wait;
        if (await db.Leases.Where(l => l.Name == name && l.ExpiresAt < until).ExecuteUpdateAsync(s => s.SetProperty(l => l.ExpiresAt, until), ct) > 0
            || await db.Leases.AnyAsync(l => l.Name == name, ct))
        {
            return;
        }
        db.Leases.Add(new Lease { Name = name, Holder = "provider", ExpiresAt = until });
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // Recorded concurrently by another caller.
        }
    }

    /// <summary>Runs a live provider call within the budget: refused while a wait is recorded, and a new wait is recorded for everyone.</summary>
    public async Task<T> CallAsync<T>(Guid linkedAccountId, Func<Task<T>> call, CancellationToken ct)
    {
        if (await RemainingWaitAsync(linkedAccountId, ct) is { } remaining)
        {
            throw new ProviderException(ProviderErrorKind.RateLimited,
                $"The provider asked Tributary to wait before calling it again for this account; try again in {Math.Ceiling(remaining.TotalSeconds)} seconds.",
                remaining);
        }
        try
        {
            return await call();
        }
        catch (ProviderException e) when (e.Kind == ProviderErrorKind.RateLimited)
        {
            await RecordWaitAsync(linkedAccountId, e.RetryAfter is { } w && w > TimeSpan.Zero ? w : TimeSpan.FromSeconds(30), CancellationToken.None);
            throw;
        }
    }
}
