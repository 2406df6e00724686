using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Tributary.Data.Entities.FileStorage;
using Tributary.Server.Sync;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.FileStorage;

/// <summary>
/// The list endpoints copy each row's stored rendering (ADR 0019). These tests hold the copied bytes
/// against the retrieve endpoints, which always render from the columns, and check every way a
/// rendering can be missing or out of date.
/// </summary>
public sealed class RenderedRowsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly string[] Models = ["files", "folders", "drives", "users", "groups"];

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task EveryListedRow_IsByteForByteWhatItsRetrieveReturns_DeletedRowsIncluded(DatabaseKind kind)
    {
        await using var world = await FileStorageWorld.StartAsync(kind);

        // Rows the sync or EF wrote carry a rendering, so the lists below take the stored path.
        Assert.All(await world.RowsAsync<StoredFile>(), f => Assert.NotNull(f.ListJson));
        Assert.All(await world.RowsAsync<StoredGroup>(), g => Assert.NotNull(g.ListJson));

        foreach (var model in Models)
        {
            await AssertListedEqualsRetrievedAsync(world, model);
        }

        var deleted = await ListedAsync(world, "files", world.Id(StoreMapper.FileModel, FileStorageWorld.DeletedFile));
        Assert.True(deleted.GetProperty("remote_was_deleted").GetBoolean(), "a deleted row must not be served from its stale rendering");
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task RowsWithoutARendering_AreRenderedFromTheirColumns_AndGetOneWhenSavedAgain(DatabaseKind kind)
    {
        await using var world = await FileStorageWorld.StartAsync(kind);
        var before = await PageTextAsync(world, "files");

        var account = world.AccountId;
        await world.App.WithDbAsync((db, _) => db.Files.IgnoreQueryFilters().Where(f => f.LinkedAccountId == account)
            .ExecuteUpdateAsync(s => s.SetProperty(f => f.ListJson, (byte[]?)null), Ct));
        Assert.All(await world.RowsAsync<StoredFile>(), f => Assert.Null(f.ListJson));

        Assert.Equal(before, await PageTextAsync(world, "files"));
        await AssertListedEqualsRetrievedAsync(world, "files");

        // A full read that finds the row unchanged still saves it (its full-read generation): it is rendered then.
        await world.App.WithDbAsync(async (db, _) =>
        {
            foreach (var file in await db.Files.IgnoreQueryFilters().Where(f => f.LinkedAccountId == account).ToListAsync(Ct))
            {
                file.SeenInFullRead++;
            }
            return await db.SaveChangesAsync(Ct);
        });
        Assert.All(await world.RowsAsync<StoredFile>(), f => Assert.NotNull(f.ListJson));
        Assert.Equal(before, await PageTextAsync(world, "files"));
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task AChangeSavedThroughEf_IsRenderedAgain(DatabaseKind kind)
    {
        await using var world = await FileStorageWorld.StartAsync(kind);
        var id = world.Id(StoreMapper.FileModel, FileStorageWorld.DrivelessFile);
        var modified = FileStorageWorld.Base.AddDays(9);
        await world.App.WithDbAsync(async (db, _) =>
        {
            var file = await db.Files.IgnoreQueryFilters().SingleAsync(f => f.Id == id, Ct);
            file.Name = "renamed \"quoted\" é.txt";
            file.ModifiedAt = modified;
            return await db.SaveChangesAsync(Ct);
        });

        var listed = await ListedAsync(world, "files", id);
        Assert.Equal("renamed \"quoted\" é.txt", listed.GetProperty("name").GetString());
        Assert.Equal(modified, listed.GetProperty("modified_at").GetDateTime().ToUniversalTime());
        await AssertListedEqualsRetrievedAsync(world, "files");
    }

    private static async Task AssertListedEqualsRetrievedAsync(FileStorageWorld world, string model)
    {
        var page = await world.GetJsonAsync($"/api/filestorage/v1/{model}?include_deleted_data=true");
        var results = page.GetProperty("results").EnumerateArray().ToList();
        Assert.NotEmpty(results);
        foreach (var row in results)
        {
            var id = row.GetProperty("id").GetString();
            var response = await world.Api.GetAsync($"/api/filestorage/v1/{model}/{id}", Ct);
            response.EnsureSuccessStatusCode();
            Assert.Equal(await response.Content.ReadAsStringAsync(Ct), row.GetRawText());
        }
    }

    private static async Task<JsonElement> ListedAsync(FileStorageWorld world, string model, Guid id)
    {
        var page = await world.GetJsonAsync($"/api/filestorage/v1/{model}?include_deleted_data=true");
        return page.GetProperty("results").EnumerateArray().Single(r => r.GetProperty("id").GetGuid() == id);
    }

    private static async Task<string> PageTextAsync(FileStorageWorld world, string model)
    {
        var response = await world.Api.GetAsync($"/api/filestorage/v1/{model}?include_deleted_data=true", Ct);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync(Ct);
    }
}
