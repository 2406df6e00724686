using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Tributary.Data.Entities;
using Tributary.Server.Sync;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.Interop;

/// <summary>
/// Merge's File Storage common models through the official Node SDK (tests/interop/merge-node-client/filestorage.mjs)
/// against a real server on a loopback port, with a linked and synced Sandbox account: every files.list filter, expand,
/// retrieve, downloads and exports, signed download links, meta/post, files.create and folders.create, folders, drives,
/// users and groups. The script checks each answer itself; this test checks what it reports against the store and
/// against the server's own download endpoint.
/// </summary>
public sealed class MergeNodeClientFileStorageTests
{
    private const string DeletedRemoteId = "file-meeting-2025-03-14";
    private const string RemoteDataRemoteId = "file-notes";
    private const string RemoteDataJson = """[{"path": "/files/file-notes", "data": {"id": "file-notes", "title": "notes.txt"}}]""";

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task OfficialSdk_ListsFiltersDownloadsAndWritesTheSandboxFileStorage(DatabaseKind kind)
    {
        var ct = TestContext.Current.CancellationToken;
        await NodeClientFolder.PrepareAsync();
        // The script makes a few hundred calls in seconds; the per-account rate limit is not under test here.
        await using var app = await TributaryApplication.StartAsync(kind,
            new Dictionary<string, string?> { ["Tributary:RateLimitPerMinute"] = "1000000" }, kestrel: true);
        var org = await app.CreateOrganizationAsync("File Storage Interop Co");
        using var keyOnly = app.CreateApiClient(org.ProductionKey);
        var (accountId, accountToken) = await app.LinkAccountAsync(keyOnly, "sdk-file-user");
        // Finishing Link queues the initial sync on the background worker. Running SyncRunner alongside it races
        // (two runs of one account collide on the sync_states row on PostgreSQL), so wait for it, then sync once more.
        await WaitForInitialSyncAsync(app, accountId);
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var outcome = await scope.ServiceProvider.GetRequiredService<SyncRunner>().RunAsync(accountId, fullResync: false, ct);
            Assert.Null(outcome.Error);
        }
        // One file deleted remotely (include_deleted_data) and one with a raw payload (include_remote_data; the Sandbox has none).
        await app.WithDbAsync(async (db, _) =>
        {
            var files = await db.Files.IgnoreQueryFilters().Where(f => f.LinkedAccountId == accountId).ToListAsync(ct);
            Assert.Equal(24, files.Count);
            files.Single(f => f.RemoteId == DeletedRemoteId).RemoteWasDeleted = true;
            files.Single(f => f.RemoteId == RemoteDataRemoteId).RemoteDataJson = RemoteDataJson;
            return await db.SaveChangesAsync(ct);
        });

        var baseUrl = app.ClientOptions.BaseAddress.ToString().TrimEnd('/');
        var (result, run) = await NodeScript.RunAsync(["filestorage.mjs"], new Dictionary<string, string?>
        {
            ["TRIBUTARY_BASE_URL"] = baseUrl,
            ["TRIBUTARY_API_KEY"] = org.ProductionKey,
            ["TRIBUTARY_ACCOUNT_TOKEN"] = accountToken,
            ["TRIBUTARY_DELETED_REMOTE_ID"] = DeletedRemoteId,
            ["TRIBUTARY_REMOTE_DATA_REMOTE_ID"] = RemoteDataRemoteId,
        }, TimeSpan.FromMinutes(4));
        var context = $"{Environment.NewLine}{run}";

        // Paging: 23 live files in pages of 5.
        var files = result.GetProperty("files");
        Assert.True(files.GetProperty("count").GetInt32() == 23, context);
        Assert.Equal<int>([5, 5, 5, 5, 3], files.GetProperty("page_sizes").EnumerateArray().Select(p => p.GetInt32()).ToList());
        Assert.Equal(24, files.GetProperty("filters").GetProperty("include_deleted_data").GetInt32());
        Assert.True(JsonElement.DeepEquals(JsonSerializer.Deserialize<JsonElement>(RemoteDataJson), files.GetProperty("remote_data")[0].GetProperty("remote_data")),
            $"remote_data as the SDK saw it differs from the stored one.{context}");

        // Downloads: the SDK's bytes hash to the stored checksum and to the server's own download.
        var stored = await app.WithDbAsync((db, _) => db.Files.IgnoreQueryFilters().AsNoTracking()
            .Where(f => f.LinkedAccountId == accountId).ToListAsync(ct));
        using var api = app.CreateApiClient(org.ProductionKey, accountToken);
        var downloads = result.GetProperty("downloads");
        foreach (var name in new[] { "notes.txt", "large-dataset.csv", "pixel.png" })
        {
            var row = stored.Single(f => f.Name == name);
            var reported = downloads.GetProperty(name);
            var checksum = JsonDocument.Parse(row.ChecksumJson!).RootElement;
            Assert.Equal("sha256", checksum.GetProperty("type").GetString());
            Assert.Equal(checksum.GetProperty("content_hash").GetString(), reported.GetProperty("sha256").GetString());
            var own = await api.GetByteArrayAsync($"/api/filestorage/v1/files/{row.Id}/download", ct);
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(own)), reported.GetProperty("sha256").GetString());
            Assert.Equal(row.Size, reported.GetProperty("size").GetInt64());
        }
        Assert.True(downloads.GetProperty("large-dataset.csv").GetProperty("size").GetInt64() > 900_000, context);
        var review = stored.Single(f => f.Name == "Quarterly Review");
        var export = await api.GetByteArrayAsync($"/api/filestorage/v1/files/{review.Id}/download?mime_type=text%2Fplain", ct);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(export)), downloads.GetProperty("export_text_plain").GetProperty("sha256").GetString());
        Assert.StartsWith("Quarterly Review\nRevenue grew 12%", downloads.GetProperty("export_text_plain").GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Equal(400, downloads.GetProperty("export_bad_format").GetProperty("status_code").GetInt32());
        Assert.Equal(3, downloads.GetProperty("request_meta_list").GetArrayLength());
        Assert.All(downloads.GetProperty("request_meta_list").EnumerateArray(), m => Assert.Equal(200, m.GetProperty("status").GetInt32()));

        // Writes: the SDK's file and folder are in the store.
        var writes = result.GetProperty("writes");
        var uploadId = writes.GetProperty("file_created").GetProperty("id").GetGuid();
        var folderId = writes.GetProperty("folder_created").GetProperty("id").GetGuid();
        var written = await app.WithDbAsync(async (db, _) => new
        {
            File = await db.Files.IgnoreQueryFilters().AsNoTracking().SingleAsync(f => f.Id == uploadId, ct),
            Folder = await db.Folders.IgnoreQueryFilters().AsNoTracking().SingleAsync(f => f.Id == folderId, ct),
        });
        Assert.Equal(accountId, written.File.LinkedAccountId);
        Assert.Equal("sdk-upload.txt", written.File.Name);
        Assert.Equal(stored.Single(f => f.Name == "notes.txt").FolderId, written.File.FolderId);
        Assert.Equal("SDK Folder", written.Folder.Name);
        Assert.Equal(stored.Single(f => f.Name == "notes.txt").FolderId, written.Folder.ParentFolderId);
        Assert.Equal(400, writes.GetProperty("file_create_refused").GetProperty("status_code").GetInt32());

        // Folders, drives, users, groups as the SDK saw them.
        Assert.Equal(2, result.GetProperty("drives").GetArrayLength());
        Assert.Equal(4, result.GetProperty("users").GetArrayLength());
        var everyone = result.GetProperty("groups").EnumerateArray().Single(g => g.GetProperty("name").GetString() == "Everyone");
        Assert.Equal<string>(["Engineering"], everyone.GetProperty("child_groups").EnumerateArray().Select(c => c.GetString()!).ToList());
        Assert.Equal(6, result.GetProperty("folders").GetProperty("count").GetInt32());
    }

    private static async Task WaitForInitialSyncAsync(TributaryApplication app, Guid accountId)
    {
        var deadline = TimeProvider.System.GetUtcNow().AddSeconds(90);
        while (true)
        {
            var state = await app.WithDbAsync((db, _) => db.SyncStates.IgnoreQueryFilters().AsNoTracking()
                .SingleOrDefaultAsync(s => s.LinkedAccountId == accountId, TestContext.Current.CancellationToken));
            if (state is { InitialSyncDone: true } && state.Status != SyncStatusValue.Syncing)
            {
                return;
            }
            Assert.True(TimeProvider.System.GetUtcNow() < deadline,
                $"The initial sync of {accountId} did not finish within 90 s (status {state?.Status}, error {state?.LastError}).");
            await Task.Delay(200, TestContext.Current.CancellationToken);
        }
    }
}
