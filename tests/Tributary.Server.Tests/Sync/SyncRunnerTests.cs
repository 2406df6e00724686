using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Tributary.Data;
using Tributary.Data.Entities;
using Tributary.Server.Sync;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.Sync;

/// <summary>
/// The sync runner against a provider fake over HTTP (the loopback protocol through ProviderHttp):
/// deletes only from provider signals or a completed full read, modified_at only on change, events per
/// committed page, RELINK_NEEDED on a revoked grant, and rate limits that pause instead of failing.
/// </summary>
public sealed class SyncRunnerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<SyncOutcome> RunAsync(LoopbackAccount linked, bool full = false)
    {
        await using var scope = linked.App.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<SyncRunner>().RunAsync(linked.AccountId, full, Ct);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Deletes_ComeFromSignalsOrACompletedFullRead_NeverFromAnIncrementalRun(DatabaseKind kind)
    {
        await using var provider = await LoopbackProvider.StartAsync(files: 120, folders: 12);
        provider.PageSize = 25;
        var events = new RecordingAccountEvents();
        var linked = await LoopbackAccount.LinkAsync(kind, provider, services: events.Install);
        await using var app = linked.App;

        var first = await RunAsync(linked);
        Assert.Equal(SyncStop.Completed, first.Stop);
        await linked.AssertStoreEqualsProviderAsync(provider, "after the initial full read");
        var fileId = StoreIds.For(linked.AccountId, StoreMapper.FileModel, "file-0000007");
        var addedFiles = events.RecordsChanged.Where(c => c.Model == "FileStorageFile").SelectMany(c => c.Added).ToHashSet();
        Assert.Equal(120, addedFiles.Count);
        Assert.Contains(fileId, addedFiles);
        var modifiedBefore = await app.WithDbAsync((db, _) => db.Files.IgnoreQueryFilters().Where(f => f.Id == fileId).Select(f => f.ModifiedAt).SingleAsync(Ct));

        // Silent deletes: an incremental run cannot see them, so nothing is deleted.
        provider.DeleteSilently("file-0000001");
        provider.DeleteSilently("file-0000002");
        provider.DeleteSilently("folder-0011");
        Assert.Equal(SyncStop.Completed, (await RunAsync(linked)).Stop);
        Assert.Equal(provider.Live.Count + 3, (await linked.LiveRowsAsync()).Count);

        // A signalled delete is applied by an incremental run and told as "removed".
        events.RecordsChanged.Clear();
        provider.Delete("file-0000003");
        Assert.Equal(SyncStop.Completed, (await RunAsync(linked)).Stop);
        Assert.DoesNotContain("file-0000003", (await linked.LiveRowsAsync()).Keys);
        Assert.Contains(StoreIds.For(linked.AccountId, StoreMapper.FileModel, "file-0000003"), events.RecordsChanged.SelectMany(c => c.Removed));

        // A completed full read reconciles the silent deletes; unchanged rows keep their modified_at.
        events.RecordsChanged.Clear();
        var full = await RunAsync(linked, full: true);
        Assert.Equal(SyncStop.Completed, full.Stop);
        await linked.AssertStoreEqualsProviderAsync(provider, "after the full reconciliation");
        var removed = events.RecordsChanged.SelectMany(c => c.Removed).ToHashSet();
        Assert.Equal(3, removed.Count);
        Assert.Contains(StoreIds.For(linked.AccountId, StoreMapper.FolderModel, "folder-0011"), removed);
        Assert.Empty(events.RecordsChanged.SelectMany(c => c.Added));
        Assert.Empty(events.RecordsChanged.SelectMany(c => c.Changes));
        var modifiedAfter = await app.WithDbAsync((db, _) => db.Files.IgnoreQueryFilters().Where(f => f.Id == fileId).Select(f => f.ModifiedAt).SingleAsync(Ct));
        Assert.Equal(modifiedBefore, modifiedAfter);
        Assert.Equal(provider.Live.Count + 4, await linked.AllRowCountAsync());
        var state = await linked.StateAsync();
        Assert.NotNull(state!.LastFullReadFinished);
        Assert.Equal(2, state.FullReadGeneration);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task RevokedGrant_MarksRelinkNeeded_OpensAnIssue_AndTellsTheEvents(DatabaseKind kind)
    {
        await using var provider = await LoopbackProvider.StartAsync(files: 10, folders: 2);
        var events = new RecordingAccountEvents();
        var linked = await LoopbackAccount.LinkAsync(kind, provider, services: events.Install);
        await using var app = linked.App;
        provider.ExpireAccessTokens();
        provider.Revoked = true;

        var outcome = await RunAsync(linked);

        Assert.Equal(SyncStop.RelinkNeeded, outcome.Stop);
        Assert.Equal(1, provider.TokenRequests);
        Assert.Equal(LinkedAccountStatus.RelinkNeeded, (await linked.AccountAsync()).Status);
        var issues = await app.WithDbAsync((db, _) => db.Issues.IgnoreQueryFilters().Where(i => i.LinkedAccountId == linked.AccountId).ToListAsync(Ct));
        var issue = Assert.Single(issues);
        Assert.Equal(IssueStatus.Ongoing, issue.Status);
        Assert.Equal(SyncIssues.RelinkNeeded, issue.ErrorDescription);
        Assert.Single(events.RelinksNeeded);

        // A second run neither asks the token endpoint again nor opens a second issue.
        Assert.Equal(SyncStop.RelinkNeeded, (await RunAsync(linked)).Stop);
        Assert.Equal(1, provider.TokenRequests);
        Assert.Single(events.RelinksNeeded);

        // The issue is visible through Merge's API.
        using var api = app.CreateApiClient(linked.Organization.ProductionKey);
        var listed = JsonDocument.Parse(await api.GetStringAsync("/api/filestorage/v1/issues", Ct)).RootElement.GetProperty("results");
        Assert.Equal("Relink needed", Assert.Single(listed.EnumerateArray()).GetProperty("error_description").GetString());
        var accountJson = JsonDocument.Parse(await api.GetStringAsync("/api/filestorage/v1/linked-accounts", Ct)).RootElement.GetProperty("results")[0];
        Assert.Equal("RELINK_NEEDED", accountJson.GetProperty("status").GetString());
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task RateLimitStormsAnd5xx_TheScheduledSyncPausesAndCompletesLater_WithCorrectData(DatabaseKind kind)
    {
        await using var provider = await LoopbackProvider.StartAsync(files: 300, folders: 10);
        provider.PageSize = 50;
        // More 429s than ProviderHttp waits out in place: the run must pause and be rescheduled.
        provider.RateLimitNext(12);
        var linked = await LoopbackAccount.LinkAsync(kind, provider, runJobs: true);
        await using var app = linked.App;

        var sawRateLimited = false;
        var deadline = TimeProvider.System.GetUtcNow().AddSeconds(90);
        SyncState? state = null;
        while (TimeProvider.System.GetUtcNow() < deadline)
        {
            state = await linked.StateAsync();
            sawRateLimited |= state?.SyncStatusReason == "RATE_LIMITED";
            if (provider.RateLimitedAnswers >= 12 && provider.FailedAnswers == 0)
            {
                provider.FailNext(3);
            }
            if (state is { Status: SyncStatusValue.Done } && provider.FailedAnswers >= 3)
            {
                break;
            }
            await Task.Delay(100, Ct);
        }
        Assert.True(state is { Status: SyncStatusValue.Done, LastSyncResult: SyncStatusValue.Done },
            $"The sync did not complete: {JsonSerializer.Serialize(state)}; 429s {provider.RateLimitedAnswers}, 503s {provider.FailedAnswers}");
        Assert.True(sawRateLimited, "The sync status never said RATE_LIMITED while the provider asked to wait.");
        await linked.AssertStoreEqualsProviderAsync(provider, "after the storms");
        var issues = await app.WithDbAsync((db, _) => db.Issues.IgnoreQueryFilters().CountAsync(i => i.LinkedAccountId == linked.AccountId, Ct));
        Assert.Equal(0, issues);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task SyncStatus_InMergesShape_AndResyncAnswersAnArray(DatabaseKind kind)
    {
        await using var provider = await LoopbackProvider.StartAsync(files: 30, folders: 3);
        var linked = await LoopbackAccount.LinkAsync(kind, provider);
        await using var app = linked.App;
        await RunAsync(linked);
        using var api = app.CreateApiClient(linked.Organization.ProductionKey, linked.AccountToken);

        var page = JsonDocument.Parse(await api.GetStringAsync("/api/filestorage/v1/sync-status?page_size=2", Ct)).RootElement;
        var first = page.GetProperty("results")[0];
        Assert.Equal("Drive", first.GetProperty("model_name").GetString());
        Assert.Equal("filestorage.FileStorageDrive", first.GetProperty("model_id").GetString());
        Assert.Equal("DONE", first.GetProperty("status").GetString());
        Assert.Equal("DONE", first.GetProperty("last_sync_result").GetString());
        Assert.False(first.GetProperty("is_initial_sync").GetBoolean());
        Assert.Equal(34, first.GetProperty("records_synced").GetInt64());
        var next = page.GetProperty("next").GetString()!;
        var rest = JsonDocument.Parse(await api.GetStringAsync($"/api/filestorage/v1/sync-status?page_size=10&cursor={Uri.EscapeDataString(next)}", Ct)).RootElement;
        Assert.Equal(["Folder", "Group", "User"], rest.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("model_name").GetString()!).ToArray());
        using var badCursor = await api.GetAsync("/api/filestorage/v1/sync-status?cursor=nope", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, badCursor.StatusCode);

        // Merge's SDK posts with no body and no Content-Type.
        using var resync = await api.PostAsync("/api/filestorage/v1/sync-status/resync", null, Ct);
        Assert.Equal(HttpStatusCode.OK, resync.StatusCode);
        var statuses = JsonDocument.Parse(await resync.Content.ReadAsStringAsync(Ct)).RootElement;
        Assert.Equal(JsonValueKind.Array, statuses.ValueKind);
        Assert.Equal(5, statuses.GetArrayLength());
        Assert.Equal("SYNCING", statuses[0].GetProperty("status").GetString());
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task AProvidersWait_HoldsForTheAccountsLiveCallsAndSyncs_OnEveryPath(DatabaseKind kind)
    {
        await using var provider = await LoopbackProvider.StartAsync(files: 20, folders: 2);
        var linked = await LoopbackAccount.LinkAsync(kind, provider);
        await using var app = linked.App;
        Assert.Equal(SyncStop.Completed, (await RunAsync(linked)).Stop);
        using var api = app.CreateApiClient(linked.Organization.ProductionKey, linked.AccountToken);
        var fileId = StoreIds.For(linked.AccountId, StoreMapper.FileModel, "file-0000004");

        // Longer than a connector waits in place: the live call answers 429 at once and records the wait.
        provider.RetryAfterSeconds = 40;
        provider.RateLimitNext(1);
        using (var limited = await api.GetAsync($"/api/filestorage/v1/files/{fileId}/download", Ct))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
            Assert.InRange(limited.Headers.RetryAfter?.Delta?.TotalSeconds ?? 0, 30, 40);
        }
        Assert.Equal(1, provider.RateLimitedAnswers);

        // The sync of the same account waits too, without calling the provider.
        var feed = provider.FeedRequests.Count;
        var paused = await RunAsync(linked);
        Assert.Equal(SyncStop.RateLimited, paused.Stop);
        Assert.InRange(paused.RetryAfter?.TotalSeconds ?? 0, 30, 40);
        Assert.Equal(feed, provider.FeedRequests.Count);

        // So does the next live call: refused here, never sent.
        using (var again = await api.GetAsync($"/api/filestorage/v1/files/{fileId}/download", Ct))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, again.StatusCode);
        }
        Assert.Equal(1, provider.RateLimitedAnswers);
    }
}
