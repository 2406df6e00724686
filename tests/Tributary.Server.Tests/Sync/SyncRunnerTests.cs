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
    public async Task InitialFullRead_InsertsFirst_YetStaysIdempotent_AndStoresRowsAsEfDoes(DatabaseKind kind)
    {
        await using var provider = await LoopbackProvider.StartAsync(files: 60, folders: 6);
        provider.PageSize = 25;
        var events = new RecordingAccountEvents();
        var linked = await LoopbackAccount.LinkAsync(kind, provider, services: events.Install);
        await using var app = linked.App;
        // A live write stored one of the provider's files (under an older name) before the initial sync reached it.
        await using (var scope = app.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<SyncRunner>().StoreWrittenAsync(linked.AccountId,
                new Integrations.FileStorage.RemoteFile("file-0000004", "old name.txt", null, null, 1, "text/plain", null, null, null, null, [], null, null), Ct);
        }
        events.RecordsChanged.Clear();
        var written = StoreIds.For(linked.AccountId, StoreMapper.FileModel, "file-0000004");
        var inserted = StoreIds.For(linked.AccountId, StoreMapper.FileModel, "file-0000005");

        Assert.Equal(SyncStop.Completed, (await RunAsync(linked)).Stop);

        // The existing row was refused by the insert and updated by key: no duplicate, told as changed, not added.
        await linked.AssertStoreEqualsProviderAsync(provider, "after the insert-first initial read");
        Assert.Equal(provider.Live.Count, await linked.AllRowCountAsync());
        var added = events.RecordsChanged.SelectMany(c => c.Added).ToHashSet();
        Assert.Equal(provider.Live.Count - 1, added.Count);
        Assert.DoesNotContain(written, added);
        Assert.Equal([written], events.RecordsChanged.SelectMany(c => c.Changes));
        if (kind == DatabaseKind.Sqlite)
        {
            // SQLite keeps whatever it is given: the raw insert must store each value as EF Core does (TEXT uuids in
            // upper case, TEXT timestamps with a space, BLOB fingerprints), or keyed reads and orderings would miss rows.
            // Compared as shapes: storage class, and the text with every run of digits and upper-case hex folded to "h".
            await app.WithDbAsync(async (db, _) =>
            {
                var connection = db.Database.GetDbConnection();
                await connection.OpenAsync(Ct);
                string Shape(System.Data.Common.DbDataReader r, int i) => r.IsDBNull(i) ? "null"
                    : r.GetValue(i) is string text ? "text " + System.Text.RegularExpressions.Regex.Replace(text, "[0-9A-F]+", "h")
                    : r.GetValue(i).GetType().Name;
                var shapes = new Dictionary<Guid, string[]>();
                foreach (var id in new[] { written, inserted })
                {
                    await using var command = connection.CreateCommand();
                    command.CommandText = "SELECT * FROM fs_files WHERE id = $id";
                    command.Parameters.Add(new Microsoft.Data.Sqlite.SqliteParameter("$id", id.ToString().ToUpperInvariant()));
                    await using var reader = await command.ExecuteReaderAsync(Ct);
                    Assert.True(await reader.ReadAsync(Ct), $"row {id} is not stored under EF's id encoding");
                    shapes[id] = Enumerable.Range(0, reader.FieldCount).Select(i => reader.GetName(i) + ": " + Shape(reader, i)).ToArray();
                }
                Assert.Equal(shapes[written], shapes[inserted]);
                return 0;
            });
        }
        var modifiedBefore = await app.WithDbAsync((db, _) => db.Files.IgnoreQueryFilters().Where(f => f.Id == inserted).Select(f => f.ModifiedAt).SingleAsync(Ct));

        // An initial read restarted over the rows it already stored: every insert is refused, the keyed path takes
        // over, nothing is duplicated, added or touched.
        await app.WithDbAsync(async (db, _) =>
        {
            var state = await db.SyncStates.IgnoreQueryFilters().SingleAsync(s => s.LinkedAccountId == linked.AccountId, Ct);
            state.InitialSyncDone = false;
            state.Cursor = null;
            return await db.SaveChangesAsync(Ct);
        });
        events.RecordsChanged.Clear();
        Assert.Equal(SyncStop.Completed, (await RunAsync(linked)).Stop);
        await linked.AssertStoreEqualsProviderAsync(provider, "after the restarted initial read");
        Assert.Equal(provider.Live.Count, await linked.AllRowCountAsync());
        Assert.Empty(events.RecordsChanged.SelectMany(c => c.Added.Concat(c.Changes).Concat(c.Removed)));
        Assert.Equal(modifiedBefore, await app.WithDbAsync((db, _) => db.Files.IgnoreQueryFilters().Where(f => f.Id == inserted).Select(f => f.ModifiedAt).SingleAsync(Ct)));
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
