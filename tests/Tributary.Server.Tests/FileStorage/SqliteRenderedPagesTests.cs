using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Tributary.Data;
using Tributary.Data.Entities.FileStorage;
using Tributary.Server.Auth;
using Tributary.Server.Conventions;
using Tributary.Server.FileStorage;
using Tributary.Server.Sync;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.FileStorage;

/// <summary>
/// On SQLite the list pages are read by a statement <see cref="SqliteRenderedPages"/> writes itself
/// (ADR 0023). These tests walk every filter, both orders and both directions with it and with the
/// reader over EF's own command, on the same database, and require the same pages: rows, rows read
/// in full, and cursors.
/// </summary>
public sealed class SqliteRenderedPagesTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string> FileFilterCases => ["none", "live", "created_after", "created_before", "modified_after", "modified_before", "remote_id",
        "drive", "no_drive", "folder", "root", "mime", "name", "remote_created_after", "remote_created_before", "nothing"];

    [Theory]
    [MemberData(nameof(FileFilterCases))]
    public async Task FilePages_AreTheSameAsThroughEf_ForEveryFilter(string filterCase)
    {
        await using var world = await FileStorageWorld.StartAsync(DatabaseKind.Sqlite);
        var files = await world.RowsAsync<StoredFile>();
        var sample = files.OrderBy(f => f.RemoteId, StringComparer.Ordinal).First(f => f.DriveId is not null && f.FolderId is not null && f.MimeType is not null);
        var middle = files.OrderBy(f => f.CreatedAt).ElementAt(files.Count / 2).CreatedAt;
        var middleModified = files.OrderBy(f => f.ModifiedAt).ElementAt(files.Count / 2).ModifiedAt;
        List<ListFilter> filters = filterCase switch
        {
            "none" => new List<ListFilter>(),
            "live" => [ListFilter.Equal(nameof(SyncedRecord.RemoteWasDeleted), false)],
            "created_after" => [ListFilter.After(nameof(SyncedRecord.CreatedAt), middle)],
            "created_before" => [ListFilter.Before(nameof(SyncedRecord.CreatedAt), middle)],
            "modified_after" => [ListFilter.After(nameof(SyncedRecord.ModifiedAt), middleModified)],
            "modified_before" => [ListFilter.Before(nameof(SyncedRecord.ModifiedAt), middleModified), ListFilter.Equal(nameof(SyncedRecord.RemoteWasDeleted), false)],
            "remote_id" => [ListFilter.Equal(nameof(SyncedRecord.Id), sample.Id)],
            "drive" => [ListFilter.Equal(nameof(StoredFile.DriveId), sample.DriveId)],
            "no_drive" => [ListFilter.Equal(nameof(StoredFile.DriveId), null)],
            "folder" => [ListFilter.Equal(nameof(StoredFile.FolderId), sample.FolderId)],
            "root" => [ListFilter.Equal(nameof(StoredFile.FolderId), null)],
            "mime" => [ListFilter.In(nameof(StoredFile.MimeType), [sample.MimeType!, "application/x-none"])],
            "name" => [ListFilter.Equal(nameof(StoredFile.Name), sample.Name)],
            "remote_created_after" => [ListFilter.After(nameof(StoredFile.RemoteCreatedAt), sample.RemoteCreatedAt!.Value)],
            "remote_created_before" => [ListFilter.Before(nameof(StoredFile.RemoteCreatedAt), sample.RemoteCreatedAt!.Value)],
            "nothing" => [ListFilter.Equal(nameof(StoredFile.Name), "no such file")],
            _ => throw new ArgumentOutOfRangeException(nameof(filterCase)),
        };
        var expected = files.Count(f => Passes(f, filters));
        Assert.True(filterCase == "nothing" || expected > 0, $"the world has rows for {filterCase}");

        foreach (var byModified in new[] { false, true })
        {
            foreach (var descending in new[] { false, true })
            {
                foreach (var pageSize in new[] { 1, 3, 100 })
                {
                    var seen = await WalkBothAsync<StoredFile>(world, filters, byModified, descending, pageSize);
                    Assert.Equal(expected, seen);
                }
            }
        }
    }

    [Fact]
    public async Task OtherModelsAndTheirFilters_AreTheSameAsThroughEf()
    {
        await using var world = await FileStorageWorld.StartAsync(DatabaseKind.Sqlite);
        var folders = await world.RowsAsync<StoredFolder>();
        var folder = folders.First(f => f.ParentFolderId is not null && f.DriveId is not null);
        var users = await world.RowsAsync<StoredUser>();
        var user = users.First(u => u.NormalizedEmailAddress is not null);

        Assert.Equal(folders.Count, await WalkBothAsync<StoredFolder>(world, [], false, false, 2));
        Assert.True(await WalkBothAsync<StoredFolder>(world, [ListFilter.Equal(nameof(StoredFolder.ParentFolderId), folder.ParentFolderId)], false, false, 1) > 0);
        Assert.True(await WalkBothAsync<StoredFolder>(world, [ListFilter.Equal(nameof(StoredFolder.ParentFolderId), null)], false, false, 1) > 0);
        Assert.True(await WalkBothAsync<StoredFolder>(world, [ListFilter.Equal(nameof(StoredFolder.DriveId), folder.DriveId)], false, false, 2) > 0);
        Assert.Equal((await world.RowsAsync<StoredDrive>()).Count, await WalkBothAsync<StoredDrive>(world, [], false, false, 2));
        Assert.Equal((await world.RowsAsync<StoredGroup>()).Count, await WalkBothAsync<StoredGroup>(world, [], false, false, 2));
        Assert.Equal(users.Count, await WalkBothAsync<StoredUser>(world, [], false, false, 2));
        Assert.Equal(1, await WalkBothAsync<StoredUser>(world, [ListFilter.Equal(nameof(StoredUser.NormalizedEmailAddress), user.NormalizedEmailAddress)], false, false, 2));
        Assert.Equal(users.Count(u => u.IsMe), await WalkBothAsync<StoredUser>(world, [ListFilter.Equal(nameof(StoredUser.IsMe), true)], false, false, 2));
        Assert.Equal(users.Count(u => !u.IsMe), await WalkBothAsync<StoredUser>(world, [ListFilter.Equal(nameof(StoredUser.IsMe), false)], false, false, 2));
    }

    [Fact]
    public async Task AnotherAccountsRows_AreNeverRead()
    {
        await using var world = await FileStorageWorld.StartAsync(DatabaseKind.Sqlite);
        var other = await FileStorageWorld.AddSandboxAccountAsync(world.App, world.Organization.Id, "other-origin");
        await world.InsertAsync(FileStorageWorld.NewFile(other.Id, "theirs", null, null, FileStorageWorld.Base));

        await using var scope = world.App.Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<TenantContext>().SetLinkedAccount(world.AccountId);
        var db = scope.ServiceProvider.GetRequiredService<TributaryDbContext>();
        var walk = KeysetWalk.Start(scope.ServiceProvider.GetRequiredService<CursorCodec>(), "files:created_at", null, descending: false);
        using var page = scope.ServiceProvider.GetRequiredService<SqliteRenderedPages>().Read<StoredFile>(db, world.AccountId, [], walk, 100, byModified: false, Ct).Rows;

        var theirs = StoreIds.For(other.Id, StoreMapper.FileModel, "theirs");
        var ours = await world.RowsAsync<StoredFile>();
        Assert.Equal(ours.Count, page.Count);
        Assert.DoesNotContain(Enumerable.Range(0, page.Count), i => page.IsRendered(i) && page.Json(i).IndexOf(System.Text.Encoding.UTF8.GetBytes(theirs.ToString())) >= 0);
    }

    [Fact]
    public async Task APageAfterACursor_IsARangeOnTheKeysetIndex_NotAScan()
    {
        await using var world = await FileStorageWorld.StartAsync(DatabaseKind.Sqlite);
        await using var scope = world.App.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TributaryDbContext>();
        var cursors = scope.ServiceProvider.GetRequiredService<CursorCodec>();
        foreach (var descending in new[] { false, true })
        {
            var cursor = cursors.Encode("files", new CursorPosition(false, FileStorageWorld.Base.Ticks, Guid.NewGuid()));
            var sql = SqliteRenderedPages.Statement<StoredFile>(db.Model, [ListFilter.Equal(nameof(SyncedRecord.RemoteWasDeleted), false)],
                KeysetWalk.Start(cursors, "files", cursor, descending), byModified: false, []);

            await using var connection = new Microsoft.Data.Sqlite.SqliteConnection(world.App.Database.ConnectionString);
            await connection.OpenAsync(Ct);
            await using var command = connection.CreateCommand();
            command.CommandText = "EXPLAIN QUERY PLAN " + sql;
            var plan = new List<string>();
            await using (var reader = await command.ExecuteReaderAsync(Ct))
            {
                while (await reader.ReadAsync(Ct))
                {
                    plan.Add(reader.GetString(3));
                }
            }
            // Two mentions of the sort key bound to two parameters made SQLite scan from the first row.
            Assert.Contains(plan, p => p.Contains("USING INDEX IX_fs_files_linked_account_id_created_at_id", StringComparison.Ordinal)
                && p.Contains(descending ? "created_at<?" : "created_at>?", StringComparison.Ordinal));
            Assert.DoesNotContain(plan, p => p.Contains("TEMP B-TREE", StringComparison.Ordinal));
        }
    }

    // Walks forward to the end, then back to the start with the previous cursors, through both readers
    // at once; every page must match. Returns how many rows the forward walk saw.
    private static async Task<int> WalkBothAsync<TEntity>(FileStorageWorld world, List<ListFilter> filters, bool byModified, bool descending, int pageSize)
        where TEntity : SyncedRecord
    {
        await using var scope = world.App.Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<TenantContext>().SetLinkedAccount(world.AccountId);
        var db = scope.ServiceProvider.GetRequiredService<TributaryDbContext>();
        var cursors = scope.ServiceProvider.GetRequiredService<CursorCodec>();
        var listing = $"{typeof(TEntity).Name}:{byModified}";
        var what = $"{typeof(TEntity).Name} [{string.Join(", ", filters)}] by {(byModified ? "modified" : "created")} {(descending ? "desc" : "asc")}, page {pageSize}";

        async Task<RenderedPage> BothAsync(string? cursor)
        {
            var sqlite = scope.ServiceProvider.GetRequiredService<SqliteRenderedPages>().Read<TEntity>(db, world.AccountId, filters,
                KeysetWalk.Start(cursors, listing, cursor, descending), pageSize, byModified, Ct);
            var ef = await RenderedPages.ReadAsync(ListFilter.Apply(db.Set<TEntity>().AsNoTracking(), filters),
                KeysetWalk.Start(cursors, listing, cursor, descending), pageSize, byModified, Ct);
            Assert.Equal(ef.Next, sqlite.Next);
            Assert.Equal(ef.Previous, sqlite.Previous);
            Assert.Equal(ef.Rows.Count, sqlite.Rows.Count);
            for (var i = 0; i < ef.Rows.Count; i++)
            {
                Assert.Equal(ef.Rows.IsRendered(i), sqlite.Rows.IsRendered(i));
                Assert.True(ef.Rows.IsRendered(i)
                    ? ef.Rows.Json(i).SequenceEqual(sqlite.Rows.Json(i))
                    : ef.Rows.UnrenderedId(i) == sqlite.Rows.UnrenderedId(i), $"{what}: row {i} differs");
            }
            ef.Rows.Dispose();
            return sqlite;
        }

        var forward = new List<RenderedPage> { await BothAsync(null) };
        while (forward[^1].Next is { } next)
        {
            forward.Add(await BothAsync(next));
            Assert.True(forward.Count < 1000, what);
        }
        var seen = forward.Sum(p => p.Rows.Count);
        Assert.All(forward.SkipLast(1), p => Assert.Equal(pageSize, p.Rows.Count));

        var back = forward[^1];
        for (var i = forward.Count - 2; i >= 0; i--)
        {
            back = await BothAsync(back.Previous ?? throw new InvalidOperationException($"{what}: page {i + 2} has no previous cursor"));
            Assert.Equal(forward[i].Rows.Count, back.Rows.Count);
        }
        Assert.Null(back.Previous);
        forward.ForEach(p => p.Rows.Dispose());
        return seen;
    }

    private static bool Passes(StoredFile file, List<ListFilter> filters) => filters.All(filter => filter switch
    {
        ListFilter.EqualTo { Property: nameof(SyncedRecord.RemoteWasDeleted), Value: bool deleted } => file.RemoteWasDeleted == deleted,
        ListFilter.EqualTo { Property: nameof(SyncedRecord.Id), Value: Guid id } => file.Id == id,
        ListFilter.EqualTo { Property: nameof(StoredFile.DriveId) } equal => file.DriveId == (Guid?)equal.Value,
        ListFilter.EqualTo { Property: nameof(StoredFile.FolderId) } equal => file.FolderId == (Guid?)equal.Value,
        ListFilter.EqualTo { Property: nameof(StoredFile.Name) } equal => file.Name == (string?)equal.Value,
        ListFilter.OneOf oneOf => file.MimeType is not null && oneOf.Values.Contains(file.MimeType),
        ListFilter.Later { Property: nameof(SyncedRecord.CreatedAt) } later => file.CreatedAt > later.Value,
        ListFilter.Earlier { Property: nameof(SyncedRecord.CreatedAt) } earlier => file.CreatedAt < earlier.Value,
        ListFilter.Later { Property: nameof(SyncedRecord.ModifiedAt) } later => file.ModifiedAt > later.Value,
        ListFilter.Earlier { Property: nameof(SyncedRecord.ModifiedAt) } earlier => file.ModifiedAt < earlier.Value,
        ListFilter.Later { Property: nameof(StoredFile.RemoteCreatedAt) } later => file.RemoteCreatedAt > later.Value,
        ListFilter.Earlier { Property: nameof(StoredFile.RemoteCreatedAt) } earlier => file.RemoteCreatedAt < earlier.Value,
        _ => throw new ArgumentOutOfRangeException(nameof(filters), filter, "no expectation for this filter"),
    });
}
