using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Options;
using Tributary.Data.Entities;
using Tributary.Server.Hosting;

namespace Tributary.Server.Auth;

/// <summary>What a valid API key resolves to.</summary>
internal sealed record CachedApiKey(Guid Id, Guid OrganizationId, ApiEnvironment Environment, string Name);

/// <summary>What a valid account token resolves to, under one organization and environment.</summary>
internal sealed record CachedAccount(Guid Id, Guid OrganizationId);

/// <summary>
/// A short-lived, in-process memo of successful API-key and account-token lookups, so a busy client
/// does not pay two database queries per request (docs/decisions/0009-credential-cache.md).
/// <list type="bullet">
/// <item>Only successes are kept, keyed by the SHA-256 of the secret; an unknown or revoked secret always reaches the database.</item>
/// <item>An account token is keyed by the organization and environment of the key it came with, so the
/// cached answer is the one the tenant-filtered query gave for exactly that tenant.</item>
/// <item>Any change to an API key, linked account or organization saved through EF in this process
/// (<see cref="CredentialChangeInterceptor"/>) drops everything at once. Changes made by another
/// process (another replica, the CLI) are seen when an entry expires: after at most
/// <see cref="TributaryOptions.AuthCacheSeconds"/> seconds. 0 turns the cache off.</item>
/// </list>
/// </summary>
internal sealed class CredentialCache(TimeProvider time, IOptionsMonitor<TributaryOptions> options)
{
    // Only valid credentials get in, so this is only reached by a deployment with that many live
    // key/token pairs in one TTL; starting over is then cheaper than tracking age.
    private const int MaxEntries = 10_000;

    private readonly ConcurrentDictionary<SecretHash, Entry<CachedApiKey>> _keys = new();
    private readonly ConcurrentDictionary<(Guid Organization, ApiEnvironment Environment, SecretHash Token), Entry<CachedAccount>> _accounts = new();
    private long _generation;

    /// <summary>Read before a lookup and passed to the Add call after it, so a lookup that raced an invalidation is not kept.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    public bool TryGetKey(byte[] secretHash, [NotNullWhen(true)] out CachedApiKey? key) =>
        TryGet(_keys, new SecretHash(secretHash), out key);

    public void AddKey(byte[] secretHash, CachedApiKey key, long generation) =>
        Add(_keys, new SecretHash(secretHash), key, generation);

    public bool TryGetAccount(Guid organizationId, ApiEnvironment environment, byte[] tokenHash, [NotNullWhen(true)] out CachedAccount? account) =>
        TryGet(_accounts, (organizationId, environment, new SecretHash(tokenHash)), out account);

    public void AddAccount(Guid organizationId, ApiEnvironment environment, byte[] tokenHash, CachedAccount account, long generation) =>
        Add(_accounts, (organizationId, environment, new SecretHash(tokenHash)), account, generation);

    /// <summary>Forgets every entry, including any a lookup in flight is about to add.</summary>
    public void Invalidate()
    {
        Interlocked.Increment(ref _generation);
        _keys.Clear();
        _accounts.Clear();
    }

    private bool TryGet<TKey, T>(ConcurrentDictionary<TKey, Entry<T>> map, TKey key, [NotNullWhen(true)] out T? value)
        where TKey : notnull where T : class
    {
        if (map.TryGetValue(key, out var entry) && entry.Generation == Generation && time.GetUtcNow().UtcTicks < entry.ExpiresAt)
        {
            value = entry.Value;
            return true;
        }
        value = null;
        return false;
    }

    private void Add<TKey, T>(ConcurrentDictionary<TKey, Entry<T>> map, TKey key, T value, long generation)
        where TKey : notnull where T : class
    {
        var seconds = options.CurrentValue.AuthCacheSeconds;
        if (seconds <= 0 || generation != Generation)
        {
            return;
        }
        if (map.Count >= MaxEntries)
        {
            map.Clear();
        }
        map[key] = new Entry<T>(value, generation, time.GetUtcNow().UtcTicks + (long)(seconds * TimeSpan.TicksPerSecond));
    }

    private sealed record Entry<T>(T Value, long Generation, long ExpiresAt);

    /// <summary>A SHA-256 as a value-comparable key (the secrets themselves are never kept).</summary>
    private readonly record struct SecretHash(UInt128 Low, UInt128 High)
    {
        public SecretHash(byte[] sha256)
            : this(MemoryMarshal.Read<UInt128>(sha256.AsSpan(0, 16)), MemoryMarshal.Read<UInt128>(sha256.AsSpan(16, 16)))
        {
        }
    }
}

/// <summary>
/// Drops <see cref="CredentialCache"/> whenever this process saves a change to an API key, a linked
/// account or an organization: before the save, and again once it is committed (after the
/// transaction, when there is one), so no lookup that read the old row outlives the change.
/// </summary>
internal sealed class CredentialChangeInterceptor(CredentialCache cache) : SaveChangesInterceptor, IDbTransactionInterceptor
{
    private static readonly ConditionalWeakTable<DbContext, object> PendingCommit = [];

    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        BeforeSave(eventData.Context);
        return result;
    }

    public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result,
        CancellationToken cancellationToken = default)
    {
        BeforeSave(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public override int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        AfterSave(eventData.Context);
        return result;
    }

    public override ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        AfterSave(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public override void SaveChangesFailed(DbContextErrorEventData eventData) => AfterSave(eventData.Context);

    public override Task SaveChangesFailedAsync(DbContextErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        AfterSave(eventData.Context);
        return Task.CompletedTask;
    }

    public void TransactionCommitted(System.Data.Common.DbTransaction transaction, TransactionEndEventData eventData) => Committed(eventData.Context);

    public Task TransactionCommittedAsync(System.Data.Common.DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Committed(eventData.Context);
        return Task.CompletedTask;
    }

    public void TransactionRolledBack(System.Data.Common.DbTransaction transaction, TransactionEndEventData eventData) => Committed(eventData.Context);

    public Task TransactionRolledBackAsync(System.Data.Common.DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Committed(eventData.Context);
        return Task.CompletedTask;
    }

    private void BeforeSave(DbContext? context)
    {
        if (context is null || !context.ChangeTracker.Entries().Any(e =>
                e.State is EntityState.Modified or EntityState.Deleted && e.Entity is ApiKey or LinkedAccount or Data.Entities.Organization))
        {
            return;
        }
        PendingCommit.AddOrUpdate(context, cache);
        cache.Invalidate();
    }

    private void AfterSave(DbContext? context)
    {
        if (context is null || !PendingCommit.TryGetValue(context, out _))
        {
            return;
        }
        cache.Invalidate();
        if (context.Database.CurrentTransaction is null)
        {
            PendingCommit.Remove(context);
        }
    }

    private void Committed(DbContext? context)
    {
        if (context is not null && PendingCommit.TryGetValue(context, out _))
        {
            PendingCommit.Remove(context);
            cache.Invalidate();
        }
    }
}
