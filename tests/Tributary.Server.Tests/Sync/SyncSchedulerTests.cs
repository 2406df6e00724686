using Microsoft.Extensions.DependencyInjection;
using Quartz;
using Tributary.Data.Entities;
using Tributary.Server.Sync;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.Sync;

/// <summary>
/// The scheduler facade as push endpoints, Link and housekeeping use it: the initial sync after
/// linking, debounced "sync soon", and housekeeping's catch-up for an initial sync that never started.
/// Waits end on the scheduler's own signal (no run of the account pending or under way), not on sleeps.
/// </summary>
public sealed class SyncSchedulerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task LinkingStartsTheInitialSync_AndABurstOfSoonRequestsMakesOneIncrementalRun(DatabaseKind kind)
    {
        await using var provider = await LoopbackProvider.StartAsync(files: 40, folders: 4);
        var linked = await LoopbackAccount.LinkAsync(kind, provider, runJobs: true, settings: new Dictionary<string, string?> { ["Sync:SoonDelayMilliseconds"] = "1500" });
        await using var app = linked.App;
        await linked.WaitUntilSyncIdleAsync("the initial sync after linking");
        Assert.Equal(SyncStatusValue.Done, (await linked.StateAsync())?.Status);
        await linked.AssertStoreEqualsProviderAsync(provider, "after the initial sync");

        provider.Add(new LoopbackProvider.Item("file", "file-pushed", "pushed.txt", "folder-0001", 7));
        var before = provider.FeedRequests.Count;
        var scheduler = app.Services.GetRequiredService<SyncScheduler>();
        await Task.WhenAll(Enumerable.Range(0, 10).Select(i => scheduler.RequestSoonAsync(linked.AccountId, $"push {i}", Ct)));

        // Every run the burst asked for has finished once none is pending or under way.
        await linked.WaitUntilSyncIdleAsync("the runs the burst requested");
        var runs = provider.FeedRequests.Skip(before).Count(r => r.Cursor?.StartsWith("log:", StringComparison.Ordinal) == true);
        Assert.Equal(1, runs);
        Assert.True((await linked.LiveRowsAsync()).ContainsKey("file-pushed"), "The pushed file is not in the store.");
        await linked.AssertStoreEqualsProviderAsync(provider, "after the pushed change");
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task HousekeepingWhileTheInitialSyncWaitsForAThread_TheAccountIsSyncedOnce(DatabaseKind kind)
    {
        await using var provider = await LoopbackProvider.StartAsync(files: 40, folders: 4);
        // Jobs do not run yet: linking's request waits, as it does behind busy threads on a loaded server.
        var linked = await LoopbackAccount.LinkAsync(kind, provider);
        await using var app = linked.App;
        await ActivatorUtilities.CreateInstance<HousekeepingJob>(app.Services).RunAsync(Ct);

        var quartz = await app.Services.GetRequiredService<ISchedulerFactory>().GetScheduler(Ct);
        await quartz.Start(Ct);
        try
        {
            await linked.WaitUntilSyncIdleAsync("the initial sync");
            Assert.Equal(SyncStatusValue.Done, (await linked.StateAsync())?.Status);
            // One run: the full read, a single page. A second run would have read the change log.
            Assert.Equal([null], provider.FeedRequests.Select(r => r.Cursor));
            await linked.AssertStoreEqualsProviderAsync(provider, "after the initial sync");

            // A catch-up queued anyway (housekeeping read the accounts just before the sync stored its state) runs no sync.
            Assert.True(await app.Services.GetRequiredService<SyncScheduler>().RequestMissedInitialSyncAsync(linked.AccountId, Ct));
            await linked.WaitUntilSyncIdleAsync("the catch-up request");
            Assert.Equal([null], provider.FeedRequests.Select(r => r.Cursor));
        }
        finally
        {
            await quartz.Shutdown(waitForJobsToComplete: true, CancellationToken.None);
        }
    }
}
