using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Tributary.Data;
using Tributary.Data.Entities;

namespace Tributary.Server.Sync;

/// <summary>
/// Named, expiring claims in the database, so one replica at a time does a thing (an account's sync,
/// a credential refresh) and a replica that dies releases its claims by letting them expire. Each
/// claim runs in a context of its own, never in the caller's unit of work.
/// </summary>
internal sealed class Leases(IServiceScopeFactory scopes, TimeProvider time)
{
    public static string Sync(Guid linkedAccountId, string category) => $"sync:{linkedAccountId:N}:{category}";

    public static string Refresh(Guid linkedAccountId) => $"refresh:{linkedAccountId:N}";

    /// <summary>Creating, renewing or stopping the account's provider push subscriptions.</summary>
    public static string Push(Guid linkedAccountId) => $"push:{linkedAccountId:N}";

    /// <summary>Takes <paramref name="name"/> if it is free or expired; null when someone else holds it.</summary>
    public async Task<LeaseHandle?> TryAcquireAsync(string name, TimeSpan duration, CancellationToken ct)
    {
        var holder = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TributaryDbContext>();
        var now = time.GetUtcNow().UtcDateTime;
        var expires = now + duration;
        var taken = await db.Leases.Where(l => l.Name == name && l.ExpiresAt < now)
            .ExecuteUpdateAsync(s => s.SetProperty(l => l.Holder, holder).SetProperty(l => l.ExpiresAt, expires), ct);
        if (taken == 0)
        {
            db.Leases.Add(new Lease { Name = name, Holder = holder, ExpiresAt = expires });
            try
            {
                await db.SaveChangesAsync(ct);
            }
            catch (DbUpdateException)
            {
                // The row exists and is held (or another replica inserted it first).
                return null;
            }
        }
        return new LeaseHandle(this, name, holder, duration);
    }

    /// <summary>Waits (polling) until <paramref name="name"/> is free, then takes it.</summary>
    public async Task<LeaseHandle> AcquireAsync(string name, TimeSpan duration, TimeSpan patience, CancellationToken ct)
    {
        var deadline = time.GetTimestamp() + (long)(patience.TotalSeconds * time.TimestampFrequency);
        var wait = TimeSpan.FromMilliseconds(20);
        while (true)
        {
            if (await TryAcquireAsync(name, duration, ct) is { } lease)
            {
                return lease;
            }
            if (time.GetTimestamp() > deadline)
            {
                throw new TimeoutException($"Lease {name} stayed held for {patience.TotalSeconds:0}s.");
            }
            await Task.Delay(wait, ct);
            wait = TimeSpan.FromMilliseconds(Math.Min(wait.TotalMilliseconds * 2, 500));
        }
    }

    /// <summary>Extends a held lease; false when it was lost (expired and taken by someone else).</summary>
    internal async Task<bool> RenewAsync(string name, string holder, TimeSpan duration, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TributaryDbContext>();
        var expires = time.GetUtcNow().UtcDateTime + duration;
        return await db.Leases.Where(l => l.Name == name && l.Holder == holder)
            .ExecuteUpdateAsync(s => s.SetProperty(l => l.ExpiresAt, expires), ct) == 1;
    }

    internal async Task ReleaseAsync(string name, string holder)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TributaryDbContext>();
        await db.Leases.Where(l => l.Name == name && l.Holder == holder).ExecuteDeleteAsync(CancellationToken.None);
    }

    /// <summary>Deletes leases that expired long ago (housekeeping).</summary>
    public async Task<int> PurgeExpiredAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TributaryDbContext>();
        var cutoff = time.GetUtcNow().UtcDateTime.AddHours(-1);
        return await db.Leases.Where(l => l.ExpiresAt < cutoff).ExecuteDeleteAsync(ct);
    }
}

/// <summary>A held lease; disposing releases it.</summary>
internal sealed class LeaseHandle(Leases leases, string name, string holder, TimeSpan duration) : IAsyncDisposable
{
    private int _released;

    public string Name => name;

    /// <summary>Extends the lease; throws when it was lost, so the work stops before it collides with the new holder.</summary>
    public async Task RenewAsync(CancellationToken ct)
    {
        if (!await leases.RenewAsync(name, holder, duration, ct))
        {
            throw new LeaseLostException($"Lease {name} expired and was taken by another holder.");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            await leases.ReleaseAsync(name, holder);
        }
    }
}

internal sealed class LeaseLostException(string message) : Exception(message);
