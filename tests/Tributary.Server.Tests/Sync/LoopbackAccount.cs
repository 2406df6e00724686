using System.Diagnostics;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Tributary.Data.Entities;
using Tributary.Integrations.Catalog;
using Tributary.Server.Linking;
using Tributary.Server.Sync;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.Sync;

/// <summary>
/// An organization with one account linked to a <see cref="LoopbackProvider"/>, set up through the
/// real LinkFlow in an in-process application whose database the tests then hand to server
/// processes (the in-process one runs no jobs unless asked).
/// </summary>
internal sealed record LoopbackAccount(TributaryApplication App, TestOrganization Organization, Guid AccountId, string AccountToken)
{
    public static async Task<LoopbackAccount> LinkAsync(
        DatabaseKind kind, LoopbackProvider provider, bool runJobs = false, Action<IServiceCollection>? services = null,
        IDictionary<string, string?>? settings = null)
    {
        var all = provider.Settings();
        all["Sync:RunJobs"] = runJobs ? "true" : "false";
        // The recurring sync's first run falls at a random moment of its interval (15 minutes by
        // default): a week makes it practically never fire during a test that counts runs.
        all["Sync:DefaultFrequencyMinutes"] = "10080";
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }
        var app = await TributaryApplication.StartAsync(kind, all, services: services);
        var organization = await app.CreateOrganizationAsync();
        var (accountId, token) = await app.WithDbAsync(async (_, sp) =>
        {
            var loopback = sp.GetRequiredService<IntegrationCatalog>().Find("loopback")!;
            var (account, accountToken) = await sp.GetRequiredService<LinkFlow>().LinkDirectlyAsync(
                organization.Id, loopback, "loopback-user", "user@example.com", "Loopback Co", provider.Credential(), TestContext.Current.CancellationToken);
            return (account.Id, accountToken);
        });
        return new LoopbackAccount(app, organization, accountId, token);
    }

    /// <summary>The environment a server process needs to serve this account's database and provider.</summary>
    public Dictionary<string, string?> ProcessEnvironment(LoopbackProvider provider)
    {
        var env = App.ProcessEnvironment();
        foreach (var (key, value) in provider.Environment())
        {
            env[key] = value;
        }
        env["Tributary__MigrateOnStart"] = "true";
        return env;
    }

    /// <summary>
    /// Waits until no run of the account is requested or under way: its job has no trigger left but the
    /// recurring one. The signal that every run asked for so far has finished, however slow the machine.
    /// </summary>
    public async Task WaitUntilSyncIdleAsync(string what, TimeSpan? timeout = null)
    {
        var scheduler = App.Services.GetRequiredService<SyncScheduler>();
        var watch = Stopwatch.StartNew();
        var limit = timeout ?? TimeSpan.FromMinutes(3);
        while (await scheduler.HasPendingRunAsync(AccountId, TestContext.Current.CancellationToken))
        {
            Assert.True(watch.Elapsed < limit, $"Runs of the account were still pending after {limit.TotalSeconds:0} s: {what}. Sync state: {JsonSerializer.Serialize(await StateAsync())}");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    public Task<SyncState?> StateAsync() => App.WithDbAsync((db, _) =>
        db.SyncStates.IgnoreQueryFilters().AsNoTracking().SingleOrDefaultAsync(s => s.LinkedAccountId == AccountId, TestContext.Current.CancellationToken));

    public Task<LinkedAccount> AccountAsync() => App.WithDbAsync((db, _) =>
        db.LinkedAccounts.IgnoreQueryFilters().AsNoTracking().SingleAsync(a => a.Id == AccountId, TestContext.Current.CancellationToken));

    /// <summary>The store's live (not deleted) rows of this account, by remote id, with their names.</summary>
    public Task<Dictionary<string, string?>> LiveRowsAsync() => App.WithDbAsync(async (db, _) =>
    {
        var ct = TestContext.Current.CancellationToken;
        var files = await db.Files.IgnoreQueryFilters().AsNoTracking().Where(f => f.LinkedAccountId == AccountId && !f.RemoteWasDeleted)
            .Select(f => new { f.RemoteId, f.Name }).ToListAsync(ct);
        var folders = await db.Folders.IgnoreQueryFilters().AsNoTracking().Where(f => f.LinkedAccountId == AccountId && !f.RemoteWasDeleted)
            .Select(f => new { f.RemoteId, f.Name }).ToListAsync(ct);
        var drives = await db.Drives.IgnoreQueryFilters().AsNoTracking().Where(f => f.LinkedAccountId == AccountId && !f.RemoteWasDeleted)
            .Select(f => new { f.RemoteId, f.Name }).ToListAsync(ct);
        return files.Concat(folders).Concat(drives).ToDictionary(r => r.RemoteId, r => r.Name, StringComparer.Ordinal);
    });

    /// <summary>Rows of every kind stored for the account, deleted or not (duplicates would show here).</summary>
    public Task<int> AllRowCountAsync() => App.WithDbAsync(async (db, _) =>
    {
        var ct = TestContext.Current.CancellationToken;
        return await db.Files.IgnoreQueryFilters().CountAsync(f => f.LinkedAccountId == AccountId, ct)
            + await db.Folders.IgnoreQueryFilters().CountAsync(f => f.LinkedAccountId == AccountId, ct)
            + await db.Drives.IgnoreQueryFilters().CountAsync(f => f.LinkedAccountId == AccountId, ct);
    });

    /// <summary>Asserts the store holds exactly what the provider holds: every live item with its name, nothing else live.</summary>
    public async Task AssertStoreEqualsProviderAsync(LoopbackProvider provider, string context)
    {
        var stored = await LiveRowsAsync();
        var expected = provider.Live;
        var missing = expected.Keys.Where(k => !stored.ContainsKey(k)).Take(5).ToList();
        var extra = stored.Keys.Where(k => !expected.ContainsKey(k)).Take(5).ToList();
        var wrong = expected.Where(e => stored.TryGetValue(e.Key, out var name) && name != e.Value.Name).Select(e => e.Key).Take(5).ToList();
        Assert.True(missing.Count == 0 && extra.Count == 0 && wrong.Count == 0 && stored.Count == expected.Count,
            $"The store differs from the provider: {stored.Count} live rows vs {expected.Count} items; missing [{string.Join(", ", missing)}], " +
            $"extra [{string.Join(", ", extra)}], wrong name [{string.Join(", ", wrong)}].{Environment.NewLine}{context}");
    }
}
