using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.FileStorage.Folders;

public sealed class FolderCreateTests
{
    private const string Folders = LiveFileStorage.FoldersPath;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Create_NestedFolders_Returns201_AndStoresThemAtOnce(DatabaseKind kind)
    {
        await using var live = await LiveFileStorage.StartAsync(kind);
        var apollo = live.FolderId("folder-apollo");

        var response = await live.Api.PostAsJsonAsync(Folders, new { model = new { name = "Q3 plans", parent_folder = apollo } }, Ct);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(0, body.GetProperty("warnings").GetArrayLength());
        Assert.Equal(0, body.GetProperty("errors").GetArrayLength());
        Assert.False(body.TryGetProperty("logs", out _));
        var q3 = body.GetProperty("model");
        var q3Id = q3.GetProperty("id").GetGuid();
        Assert.Equal("Q3 plans", q3.GetProperty("name").GetString());
        Assert.Equal(apollo, q3.GetProperty("parent_folder").GetGuid());
        Assert.Equal(live.DriveId("drive-my"), q3.GetProperty("drive").GetGuid());
        Assert.Equal(JsonValueKind.Array, q3.GetProperty("permissions").ValueKind);
        Assert.EndsWith($"{Folders}/{q3Id}", response.Headers.Location!.ToString(), StringComparison.Ordinal);

        // A folder inside the new folder: its drive comes from the store, since the parent is not a built-in one.
        var nested = await live.Api.PostAsJsonAsync($"{Folders}?is_debug_mode=true", new { model = new { name = "Week 1", parent_folder = q3Id } }, Ct);
        Assert.Equal(HttpStatusCode.Created, nested.StatusCode);
        var nestedBody = await nested.Content.ReadFromJsonAsync<JsonElement>(Ct);
        var week = nestedBody.GetProperty("model");
        Assert.Equal(q3Id, week.GetProperty("parent_folder").GetGuid());
        Assert.Equal(live.DriveId("drive-my"), week.GetProperty("drive").GetGuid());
        Assert.Equal(201, nestedBody.GetProperty("logs")[0].GetProperty("log_summary").GetProperty("status_code").GetInt32());

        // Both are in the store right away (GET /folders/{id} is another change; the rows are what it reads).
        var stored = await live.App.WithDbAsync((db, _) => db.Folders.IgnoreQueryFilters()
            .Where(f => f.LinkedAccountId == live.AccountId && (f.Id == q3Id || f.ParentFolderId == q3Id))
            .OrderBy(f => f.Name).ToListAsync(Ct));
        Assert.Equal(["Q3 plans", "Week 1"], stored.Select(f => f.Name));
        Assert.Equal(apollo, stored[0].ParentFolderId);
        Assert.All(stored, f => Assert.Equal(live.DriveId("drive-my"), f.DriveId));

        // Files go into the new folder, and a sync afterwards changes nothing.
        var file = await live.Api.PostAsJsonAsync(LiveFileStorage.FilesPath, new { model = new { name = "todo.txt", file_url = "data:,milk", folder = week.GetProperty("id").GetGuid() } }, Ct);
        Assert.Equal(HttpStatusCode.Created, file.StatusCode);
        var fileModel = (await file.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("model");
        Assert.Equal(live.DriveId("drive-my"), fileModel.GetProperty("drive").GetGuid());
        var modifiedBefore = stored.Select(f => f.ModifiedAt).ToList();
        await live.SyncAsync();
        var afterSync = await live.App.WithDbAsync((db, _) => db.Folders.IgnoreQueryFilters()
            .Where(f => f.LinkedAccountId == live.AccountId && (f.Id == q3Id || f.ParentFolderId == q3Id))
            .OrderBy(f => f.Name).Select(f => f.ModifiedAt).ToListAsync(Ct));
        Assert.Equal(modifiedBefore, afterSync);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Create_BadInput_Is400WithProblems_AndUnsupportedFieldsWarn(DatabaseKind kind)
    {
        await using var live = await LiveFileStorage.StartAsync(kind);
        var (otherAccount, other) = await live.LinkAnotherAsync();
        using var otherClient = other;

        foreach (var (model, pointer, problemType) in new (object, string, string)[]
        {
            (new { parent_folder = live.FolderId("folder-apollo") }, "/model/name", "MISSING_REQUIRED_FIELD"),
            (new { name = "  " }, "/model/name", "MISSING_REQUIRED_FIELD"),
            (new { name = "x", parent_folder = Guid.NewGuid() }, "/model/parent_folder", "INVALID_FIELD_CHOICE"),
            (new { name = "x", parent_folder = "apollo" }, "/model/parent_folder", "INCORRECT_FIELD_TYPE"),
            (new { name = "x", drive = Guid.NewGuid() }, "/model/drive", "INVALID_FIELD_CHOICE"),
            (new { name = "x", parent_folder = live.FolderId("folder-apollo"), drive = live.DriveId("drive-team") }, "/model/drive", "INVALID_FIELD_CHOICE"),
        })
        {
            var response = await live.Api.PostAsJsonAsync(Folders, new { model }, Ct);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var error = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors")[0];
            Assert.Equal(pointer, error.GetProperty("source").GetProperty("pointer").GetString());
            Assert.Equal(problemType, error.GetProperty("problem_type").GetString());
        }

        // Another account's folder is not a parent this account can name.
        var foreign = await other.PostAsJsonAsync(Folders, new { model = new { name = "x", parent_folder = live.FolderId("folder-apollo") } }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, foreign.StatusCode);
        Assert.Equal("/model/parent_folder", (await foreign.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors")[0].GetProperty("source").GetProperty("pointer").GetString());

        var malformed = await live.Api.PostAsync(Folders, new StringContent("{\"model\":", System.Text.Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await live.Api.PostAsync(Folders, new StringContent("name=x"), Ct)).StatusCode);
        Assert.Equal(0, await live.App.WithDbAsync((db, _) => db.Folders.IgnoreQueryFilters().CountAsync(f => f.RemoteId.StartsWith("folder-") && f.Name == "x", Ct)));

        var warned = await other.PostAsJsonAsync(Folders, new
        {
            model = new { name = "Designs v2", description = "new look", folder_url = "https://example.com", parent_folder = Data.StoreIds.For(otherAccount, "folder", "folder-designs"), tags = new[] { "a" } },
        }, Ct);
        Assert.Equal(HttpStatusCode.Created, warned.StatusCode);
        var warnings = (await warned.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("warnings").EnumerateArray()
            .ToDictionary(w => w.GetProperty("source").GetProperty("pointer").GetString()!, w => w.GetProperty("problem_type").GetString());
        Assert.Equal("UNSUPPORTED_FIELD", warnings["/model/description"]);
        Assert.Equal("UNSUPPORTED_FIELD", warnings["/model/folder_url"]);
        Assert.Equal("UNRECOGNIZED_FIELD", warnings["/model/tags"]);
    }
}
