using System.Text.Json;
using Tributary.Data.Entities.FileStorage;
using static Tributary.Server.Tests.FileStorage.FileStorageWorld;

namespace Tributary.Server.Tests.FileStorage;

/// <summary>
/// The parameters every common-model endpoint shares (reference §(b)), checked the same way on each
/// resource against the rows in the store: created/modified filters in every datetime form clients
/// send, remote_id, include_deleted_data, include_remote_data, include_shell_data, paging forward and
/// back, bad input, and retrieve by id.
/// </summary>
internal static class CommonModelAssertions
{
    /// <summary>Makes a synthetic row of the resource for the paging checks.</summary>
    public delegate T RowFactory<out T>(Guid account, string remoteId, DateTime createdAt);

    public static async Task ListFiltersAsync<T>(FileStorageWorld world, string resource) where T : SyncedRecord
    {
        var path = $"/api/filestorage/v1/{resource}";
        var rows = await EnsureOneDeletedAsync<T>(world);
        var live = rows.Where(r => !r.RemoteWasDeleted).ToList();
        var deleted = rows.First(r => r.RemoteWasDeleted);

        async Task Expect(string query, Func<T, bool> predicate, bool includeDeleted = false) =>
            Assert.Equal(Ordered((includeDeleted ? rows : live).Where(predicate), r => r.CreatedAt), await world.IdsAsync($"{path}?{query}"));

        // Default: remotely deleted rows are left out; created_at order, ties broken by id.
        await Expect("", _ => true);
        await Expect("include_deleted_data=true", _ => true, includeDeleted: true);
        await Expect("include_deleted_data=false", _ => true);
        await Expect("include_deleted_data=TRUE&include_shell_data=true", _ => true, includeDeleted: true);
        await Expect("include_shell_data=false", _ => true);

        // remote_id: exact, and still subject to include_deleted_data.
        var sample = live[live.Count / 2];
        await Expect($"remote_id={Uri.EscapeDataString(sample.RemoteId)}", r => r.Id == sample.Id);
        await Expect($"remote_id={Uri.EscapeDataString(sample.RemoteId.ToUpperInvariant())}", _ => false);
        await Expect("remote_id=no-such-remote-id", _ => false);
        await Expect($"remote_id={Uri.EscapeDataString(deleted.RemoteId)}", _ => false);
        await Expect($"remote_id={Uri.EscapeDataString(deleted.RemoteId)}&include_deleted_data=true", r => r.Id == deleted.Id, includeDeleted: true);

        // created_* on a tie pair's timestamp (…:01:00.250): strictly after/before, to the millisecond.
        var t = Base.AddMinutes(1);
        Assert.Contains(rows, r => r.CreatedAt == t);
        await Expect($"created_after={Iso(t)}", r => r.CreatedAt > t);
        await Expect($"created_after={Iso(t.AddMilliseconds(-1))}", r => r.CreatedAt >= t);
        await Expect("created_after=2026-01-15T12:01:00.249", r => r.CreatedAt >= t);                      // no zone = UTC
        await Expect("created_after=2026-01-15T14:01:00.249%2B02:00", r => r.CreatedAt >= t);              // offset
        await Expect("created_after=2026-01-15T14:01:00.249+02:00", r => r.CreatedAt >= t);                // '+' sent unencoded
        await Expect("created_after=2026-01-15T12:01:00Z", r => r.CreatedAt >= t);                         // no fraction
        await Expect("created_after=2026-01-15T12:01:00.250000Z", r => r.CreatedAt > t);                   // microseconds
        await Expect("created_after=2026-01-15", _ => true);                                               // a date
        await Expect($"created_before={Iso(t)}", r => r.CreatedAt < t);
        await Expect($"created_before={Iso(t.AddMilliseconds(1))}", r => r.CreatedAt <= t);
        await Expect("created_before=2026-01-15", _ => false);
        await Expect("created_after=0001-01-01T00:00:00Z&modified_before=9999-12-31T23:59:59.999Z", _ => true);     // extremes: no overflow
        await Expect("created_before=0001-01-01T00:00:00Z", _ => false);
        await Expect($"created_after={Iso(Base)}&created_before={Iso(Base.AddMinutes(2))}", r => r.CreatedAt > Base && r.CreatedAt < Base.AddMinutes(2));

        var m = Base.AddDays(1).AddMinutes(1);
        Assert.Contains(rows, r => r.ModifiedAt == m);
        await Expect($"modified_after={Iso(m)}", r => r.ModifiedAt > m);
        await Expect("modified_after=2026-01-16T12:01:00.249", r => r.ModifiedAt >= m);
        await Expect("modified_after=2026-01-16T07:01:00.249-05:00", r => r.ModifiedAt >= m);
        await Expect($"modified_before={Iso(m)}", r => r.ModifiedAt < m);
        await Expect($"modified_before={Iso(m.AddMilliseconds(1))}", r => r.ModifiedAt <= m);
        await Expect($"modified_after={Iso(Base.AddDays(1))}&modified_before={Iso(m.AddMinutes(1))}&created_after={Iso(Base)}",
            r => r.ModifiedAt > Base.AddDays(1) && r.ModifiedAt < m.AddMinutes(1) && r.CreatedAt > Base);
        await Expect($"modified_after={Iso(Base)}&include_deleted_data=true", r => r.ModifiedAt > Base, includeDeleted: true);
    }

    /// <summary><c>remote_data</c> is the stored list with include_remote_data=true and null otherwise, on lists and retrieves.</summary>
    public static async Task RemoteDataAsync<T>(FileStorageWorld world, string resource) where T : SyncedRecord
    {
        var path = $"/api/filestorage/v1/{resource}";
        var rows = (await world.RowsAsync<T>()).Where(r => r.RemoteDataJson is not null).ToDictionary(r => r.Id);
        Assert.NotEmpty(rows);

        foreach (var query in new[] { "", "?include_remote_data=false", "?include_remote_data=0" })
        {
            var page = await world.GetJsonAsync(path + query);
            Assert.All(page.GetProperty("results").EnumerateArray(), r => Assert.Equal(JsonValueKind.Null, r.GetProperty("remote_data").ValueKind));
        }
        foreach (var query in new[] { "?include_remote_data=true", "?include_remote_data=True&include_deleted_data=true", "?include_remote_data=1" })
        {
            var page = await world.GetJsonAsync(path + query);
            var results = page.GetProperty("results").EnumerateArray().ToList();
            Assert.NotEmpty(results);
            foreach (var result in results)
            {
                var row = rows[result.GetProperty("id").GetGuid()];
                var remoteData = result.GetProperty("remote_data");
                Assert.Equal(JsonValueKind.Array, remoteData.ValueKind);
                Assert.Equal($"/{resource}/{row.RemoteId}", remoteData[0].GetProperty("path").GetString());
                Assert.Equal(row.RemoteId, remoteData[0].GetProperty("data").GetProperty("id").GetString());
            }
        }

        var one = rows.Values.OrderBy(r => r.RemoteId, StringComparer.Ordinal).First();
        var plain = await world.GetJsonAsync($"{path}/{one.Id}");
        Assert.Equal(JsonValueKind.Null, plain.GetProperty("remote_data").ValueKind);
        var withData = await world.GetJsonAsync($"{path}/{one.Id}?include_remote_data=true&include_shell_data=true");
        Assert.Equal($"/{resource}/{one.RemoteId}", withData.GetProperty("remote_data")[0].GetProperty("path").GetString());
    }

    /// <summary>
    /// Pages of 5 to the end and back, by default and with include_deleted_data, after adding
    /// synthetic rows that share one created_at (so pages split inside a tie).
    /// </summary>
    public static async Task PagingAsync<T>(FileStorageWorld world, string resource, RowFactory<T> make) where T : SyncedRecord
    {
        var path = $"/api/filestorage/v1/{resource}";
        await EnsureOneDeletedAsync<T>(world);
        await world.InsertAsync(Enumerable.Range(0, 11).Select(i => (SyncedRecord)make(world.AccountId, $"synthetic-{i:D2}", Base.AddMinutes(1))).ToArray());
        var rows = await world.RowsAsync<T>();
        Assert.True(rows.Count > 10);

        Assert.Equal(Ordered(rows.Where(r => !r.RemoteWasDeleted), r => r.CreatedAt), await PagingWalk.WalkAsync(world, path, "", 5));
        Assert.Equal(Ordered(rows, r => r.CreatedAt), await PagingWalk.WalkAsync(world, path, "include_deleted_data=true&include_remote_data=true", 5));
        Assert.Equal(Ordered(rows.Where(r => !r.RemoteWasDeleted && r.CreatedAt > Base), r => r.CreatedAt),
            await PagingWalk.WalkAsync(world, path, $"created_after={Iso(Base)}", 3));
        Assert.Equal(Ordered(rows.Where(r => !r.RemoteWasDeleted), r => r.CreatedAt), await PagingWalk.WalkAsync(world, path, "", 1));
    }

    /// <summary>Every bad parameter is a 400 naming it (all of them in one answer), never a 500.</summary>
    public static async Task BadInputAsync(FileStorageWorld world, string resource)
    {
        var path = $"/api/filestorage/v1/{resource}";
        await world.AssertBadRequestAsync($"{path}?page_size=101", "page_size");
        await world.AssertBadRequestAsync($"{path}?page_size=0", "page_size");
        await world.AssertBadRequestAsync($"{path}?page_size=-1", "page_size");
        await world.AssertBadRequestAsync($"{path}?page_size=ten", "page_size");
        await world.AssertBadRequestAsync($"{path}?created_after=yesterday", "created_after");
        await world.AssertBadRequestAsync($"{path}?created_before=2024-13-01T00:00:00Z", "created_before");
        await world.AssertBadRequestAsync($"{path}?modified_after=2024-02-30", "modified_after");
        await world.AssertBadRequestAsync($"{path}?modified_before=1700000000", "modified_before");
        await world.AssertBadRequestAsync($"{path}?include_deleted_data=maybe", "include_deleted_data");
        await world.AssertBadRequestAsync($"{path}?include_remote_data=yes", "include_remote_data");
        await world.AssertBadRequestAsync($"{path}?include_shell_data=2", "include_shell_data");
        await world.AssertBadRequestAsync($"{path}?expand=everything", "expand");
        await world.AssertBadRequestAsync($"{path}?cursor=not-a-cursor", "cursor");
        await world.AssertBadRequestAsync($"{path}?remote_id={new string('x', 1001)}", "remote_id");
        var all = await world.AssertBadRequestAsync(
            $"{path}?page_size=101&created_after=yesterday&modified_before=never&include_deleted_data=maybe&expand=everything",
            "page_size", "created_after", "modified_before", "include_deleted_data", "expand");
        Assert.Equal(5, all.EnumerateObject().Count());

        // Unknown parameters are ignored, as Merge ignores them.
        await world.GetJsonAsync($"{path}?custom_param=x&order=name");
    }

    /// <summary>Every row by id (deleted ones too); unknown, malformed and bad-parameter retrieves.</summary>
    public static async Task RetrieveAsync<T>(FileStorageWorld world, string resource) where T : SyncedRecord
    {
        var path = $"/api/filestorage/v1/{resource}";
        var rows = await EnsureOneDeletedAsync<T>(world);
        foreach (var row in rows)
        {
            var json = await world.GetJsonAsync($"{path}/{row.Id}");
            Assert.Equal(row.Id, json.GetProperty("id").GetGuid());
            Assert.Equal(row.RemoteId, json.GetProperty("remote_id").GetString());
            Assert.Equal(row.RemoteWasDeleted, json.GetProperty("remote_was_deleted").GetBoolean());
        }
        // The upper-case form of the same uuid finds the row too.
        Assert.Equal(rows[0].Id, (await world.GetJsonAsync($"{path}/{rows[0].Id.ToString().ToUpperInvariant()}")).GetProperty("id").GetGuid());

        await world.AssertNotFoundAsync($"{path}/{Guid.NewGuid()}");
        await world.AssertNotFoundAsync($"{path}/not-a-uuid");
        await world.AssertNotFoundAsync($"{path}/{Uri.EscapeDataString(rows[0].RemoteId)}");
        await world.AssertBadRequestAsync($"{path}/{rows[0].Id}?include_remote_data=maybe", "include_remote_data");
        await world.AssertBadRequestAsync($"{path}/{rows[0].Id}?include_shell_data=maybe", "include_shell_data");
        await world.AssertBadRequestAsync($"{path}/{rows[0].Id}?expand=everything", "expand");
    }

    /// <summary>
    /// Expansion costs one query per relation for the whole page, whatever its size (no query per
    /// row), on lists and retrieves.
    /// </summary>
    public static async Task ExpandQueriesAsync(FileStorageWorld world, string resource, Guid sampleId, string expand, int relations)
    {
        var path = $"/api/filestorage/v1/{resource}";
        using var counter = new QueryCounter(world.App);
        async Task<int> QueriesAsync(string url)
        {
            var before = counter.Count;
            await world.GetJsonAsync(url);
            return counter.Count - before;
        }

        // Without expand a page is served from the stored renderings; a deleted row's rendering is out
        // of date (its delete moved modified_at), so a page holding deleted rows reads those once more.
        var deletedListed = (await world.GetJsonAsync($"{path}?page_size=100&include_deleted_data=true")).GetProperty("results")
            .EnumerateArray().Any(r => r.GetProperty("remote_was_deleted").GetBoolean());
        Assert.Equal(1, await QueriesAsync($"{path}?page_size=5"));
        Assert.Equal(deletedListed ? 2 : 1, await QueriesAsync($"{path}?page_size=100&include_deleted_data=true"));
        Assert.Equal(1 + relations, await QueriesAsync($"{path}?page_size=5&expand={expand}"));
        Assert.Equal(1 + relations, await QueriesAsync($"{path}?page_size=100&include_deleted_data=true&expand={expand}"));
        Assert.Equal(1, await QueriesAsync($"{path}/{sampleId}"));
        Assert.Equal(1 + relations, await QueriesAsync($"{path}/{sampleId}?expand={expand}"));
    }

    private static async Task<List<T>> EnsureOneDeletedAsync<T>(FileStorageWorld world) where T : SyncedRecord
    {
        var rows = await world.RowsAsync<T>();
        if (!rows.Any(r => r.RemoteWasDeleted))
        {
            await world.MarkDeletedAsync<T>(rows.OrderBy(r => r.RemoteId, StringComparer.Ordinal).Last().RemoteId);
            rows = await world.RowsAsync<T>();
        }
        return rows;
    }
}
