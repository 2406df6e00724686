using System.Net;
using System.Text.Json;
using Tributary.Data;
using Tributary.Data.Entities.FileStorage;
using Tributary.Server.Sync;
using Tributary.Server.Tests.Infrastructure;
using static Tributary.Server.Tests.FileStorage.FileStorageWorld;

namespace Tributary.Server.Tests.FileStorage.Isolation;

/// <summary>
/// Two accounts in one organization and one in another, all linked to the Sandbox, so they hold the
/// same remote ids: an account token only ever reaches its own account's rows, through lists,
/// retrieves, id filters, remote_id and expand.
/// </summary>
public sealed class AccountIsolationTests
{
    private const string Api = "/api/filestorage/v1";
    private static readonly string[] Resources = ["files", "folders", "drives", "users", "groups"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task AccountToken_ReachesOnlyItsOwnRows(DatabaseKind kind)
    {
        await using var world = await StartAsync(kind);
        var (sibling, stranger, strangerOrg) = await AddNeighboursAsync(world);
        using var siblingApi = world.App.CreateApiClient(world.Organization.ProductionKey, sibling.Token);
        using var strangerApi = world.App.CreateApiClient(strangerOrg.ProductionKey, stranger.Token);
        var clients = new[] { (world.AccountId, world.Api), (sibling.Id, siblingApi), (stranger.Id, strangerApi) };

        foreach (var resource in Resources)
        {
            var rowsByAccount = new Dictionary<Guid, HashSet<Guid>>();
            foreach (var (account, _) in clients)
            {
                rowsByAccount[account] = (await RowIdsAsync(world, resource, account)).ToHashSet();
            }
            foreach (var (account, client) in clients)
            {
                // Lists: exactly the account's own rows.
                var listed = await world.IdsAsync($"{Api}/{resource}?include_deleted_data=true", client);
                Assert.Equal(rowsByAccount[account].Order(), listed.Order());

                foreach (var (other, _) in clients.Where(c => c.Item1 != account))
                {
                    // Retrieve by another account's id: 404, whatever the parameters.
                    foreach (var foreignId in rowsByAccount[other].Take(3))
                    {
                        await world.AssertNotFoundAsync($"{Api}/{resource}/{foreignId}", client);
                        await world.AssertNotFoundAsync($"{Api}/{resource}/{foreignId}?include_remote_data=true&include_shell_data=true", client);
                    }
                }
            }
        }

        // remote_id resolves to the caller's own row only, though all three accounts share the remote id.
        foreach (var (account, client) in clients)
        {
            Assert.Equal([StoreIds.For(account, StoreMapper.FileModel, "file-readme")], await world.IdsAsync($"{Api}/files?remote_id=file-readme", client));
            Assert.Equal([StoreIds.For(account, StoreMapper.UserModel, "user-ada")], await world.IdsAsync($"{Api}/users?remote_id=user-ada", client));
            Assert.Equal([StoreIds.For(account, StoreMapper.GroupModel, "group-everyone")], await world.IdsAsync($"{Api}/groups?remote_id=group-everyone", client));
            Assert.Equal([StoreIds.For(account, StoreMapper.DriveModel, "drive-my")], await world.IdsAsync($"{Api}/drives?remote_id=drive-my&name=My%20Drive", client));
            Assert.Equal([StoreIds.For(account, StoreMapper.FolderModel, "folder-apollo")], await world.IdsAsync($"{Api}/folders?remote_id=folder-apollo", client));
            Assert.Equal([StoreIds.For(account, StoreMapper.UserModel, "user-ada")], await world.IdsAsync($"{Api}/users?email_address=ada%40sandbox.example", client));
            Assert.Equal([StoreIds.For(account, StoreMapper.UserModel, "user-ada")], await world.IdsAsync($"{Api}/users?is_me=true", client));
        }

        // Id filters naming another account's drive or folder find nothing.
        var siblingDrive = StoreIds.For(sibling.Id, StoreMapper.DriveModel, "drive-my");
        var siblingFolder = StoreIds.For(sibling.Id, StoreMapper.FolderModel, "folder-projects");
        var strangerFolder = StoreIds.For(stranger.Id, StoreMapper.FolderModel, "folder-reports");
        Assert.Empty(await world.IdsAsync($"{Api}/files?drive_id={siblingDrive}&include_deleted_data=true"));
        Assert.Empty(await world.IdsAsync($"{Api}/files?folder_id={siblingFolder}&include_deleted_data=true"));
        Assert.Empty(await world.IdsAsync($"{Api}/files?folder_id={strangerFolder}&include_deleted_data=true"));
        Assert.Empty(await world.IdsAsync($"{Api}/folders?drive_id={siblingDrive}&include_deleted_data=true"));
        Assert.Empty(await world.IdsAsync($"{Api}/folders?parent_folder_id={siblingFolder}&include_deleted_data=true"));

        // A cursor minted for one account's listing carries no rows of it into another's.
        var page = await world.GetJsonAsync($"{Api}/files?page_size=5", siblingApi);
        var siblingNext = page.GetProperty("next").GetString()!;
        var mine = (await RowIdsAsync(world, "files", world.AccountId)).ToHashSet();
        var continued = await world.GetJsonAsync($"{Api}/files?page_size=100&cursor={siblingNext}");
        Assert.All(PagingWalk.ResultIds(continued), id => Assert.Contains(id, mine));
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task AccountToken_WithAnotherOrganizationsKey_IsRefused(DatabaseKind kind)
    {
        await using var world = await StartAsync(kind);
        var (_, stranger, strangerOrg) = await AddNeighboursAsync(world);
        using var mixedA = world.App.CreateApiClient(strangerOrg.ProductionKey, world.Account.Token);
        using var mixedB = world.App.CreateApiClient(world.Organization.ProductionKey, stranger.Token);
        using var testKey = world.App.CreateApiClient(world.Organization.TestKey, world.Account.Token);
        var readme = world.Id(StoreMapper.FileModel, "file-readme");
        foreach (var client in new[] { mixedA, mixedB, testKey })
        {
            foreach (var url in Resources.Select(r => $"{Api}/{r}").Append($"{Api}/files/{readme}"))
            {
                var response = await client.GetAsync(url, Ct);
                Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            }
        }
        using var noToken = world.App.CreateApiClient(world.Organization.ProductionKey);
        Assert.Equal(HttpStatusCode.Unauthorized, (await noToken.GetAsync($"{Api}/folders", Ct)).StatusCode);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Expand_NeverFollowsAReferenceIntoAnotherAccount(DatabaseKind kind)
    {
        await using var world = await StartAsync(kind);
        var (sibling, stranger, _) = await AddNeighboursAsync(world);
        var siblingFolder = StoreIds.For(sibling.Id, StoreMapper.FolderModel, "folder-apollo");
        var siblingDrive = StoreIds.For(sibling.Id, StoreMapper.DriveModel, "drive-my");
        var strangerFolder = StoreIds.For(stranger.Id, StoreMapper.FolderModel, "folder-shared");
        var strangerDrive = StoreIds.For(stranger.Id, StoreMapper.DriveModel, "drive-team");
        var siblingUser = StoreIds.For(sibling.Id, StoreMapper.UserModel, "user-ada");
        var strangerGroup = StoreIds.For(stranger.Id, StoreMapper.GroupModel, "group-engineering");
        var ownUser = world.Id(StoreMapper.UserModel, "user-grace");

        // Rows of this account whose references name other accounts' rows (a corrupted or forged store).
        await world.InsertAsync(
            NewFile(world.AccountId, "file-pointing-out", siblingFolder, siblingDrive, Base),
            NewFile(world.AccountId, "file-pointing-far", strangerFolder, strangerDrive, Base),
            NewFolder(world.AccountId, "folder-pointing-out", siblingFolder, strangerDrive, Base),
            NewGroup(world.AccountId, "group-pointing-out", [ownUser, siblingUser], [strangerGroup], Base));

        foreach (var (remoteId, folder, drive) in new[] { ("file-pointing-out", siblingFolder, siblingDrive), ("file-pointing-far", strangerFolder, strangerDrive) })
        {
            var id = world.Id(StoreMapper.FileModel, remoteId);
            var retrieved = await world.GetJsonAsync($"{Api}/files/{id}?expand=folder,drive,permissions&include_remote_data=true");
            Assert.Equal(folder, retrieved.GetProperty("folder").GetGuid());
            Assert.Equal(drive, retrieved.GetProperty("drive").GetGuid());
            var listed = (await world.GetJsonAsync($"{Api}/files?expand=folder&expand=drive&remote_id={remoteId}")).GetProperty("results").EnumerateArray().Single();
            Assert.Equal(folder, listed.GetProperty("folder").GetGuid());
            Assert.Equal(drive, listed.GetProperty("drive").GetGuid());
        }

        // In a whole page, the own file next to the forged ones still expands.
        var page = (await world.GetJsonAsync($"{Api}/files?expand=folder,drive")).GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(JsonValueKind.Object, page.Single(f => f.GetProperty("remote_id").GetString() == "file-apollo-plan").GetProperty("folder").ValueKind);
        Assert.Equal(JsonValueKind.String, page.Single(f => f.GetProperty("remote_id").GetString() == "file-pointing-out").GetProperty("folder").ValueKind);

        var forgedFolder = await world.GetJsonAsync($"{Api}/folders/{world.Id(StoreMapper.FolderModel, "folder-pointing-out")}?expand=parent_folder,drive");
        Assert.Equal(siblingFolder, forgedFolder.GetProperty("parent_folder").GetGuid());
        Assert.Equal(strangerDrive, forgedFolder.GetProperty("drive").GetGuid());
        var folderPage = (await world.GetJsonAsync($"{Api}/folders?expand=parent_folder&expand=drive")).GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(JsonValueKind.String, folderPage.Single(f => f.GetProperty("remote_id").GetString() == "folder-pointing-out").GetProperty("parent_folder").ValueKind);
        Assert.Equal(JsonValueKind.Object, folderPage.Single(f => f.GetProperty("remote_id").GetString() == "folder-apollo").GetProperty("parent_folder").ValueKind);

        var forgedGroup = await world.GetJsonAsync($"{Api}/groups/{world.Id(StoreMapper.GroupModel, "group-pointing-out")}?expand=users,child_groups");
        Assert.Equal(ownUser, forgedGroup.GetProperty("users")[0].GetProperty("id").GetGuid());
        Assert.Equal(siblingUser, forgedGroup.GetProperty("users")[1].GetGuid());
        Assert.Equal(strangerGroup, forgedGroup.GetProperty("child_groups")[0].GetGuid());

        // Nothing of the other accounts appears anywhere in these answers.
        var everything = string.Join("\n", await Task.WhenAll(new[]
        {
            $"{Api}/files?expand=folder,drive,permissions&include_deleted_data=true&include_remote_data=true",
            $"{Api}/folders?expand=parent_folder,drive&include_deleted_data=true",
            $"{Api}/groups?expand=users,child_groups&include_deleted_data=true",
        }.Select(async url => (await world.GetJsonAsync(url)).ToString())));
        // An object with another account's id never shows up: only the bare ids inserted above may.
        foreach (var foreign in new[] { siblingFolder, siblingDrive, strangerFolder, strangerDrive, siblingUser, strangerGroup })
        {
            Assert.DoesNotContain($"\"id\":\"{foreign}\"", everything, StringComparison.Ordinal);
            Assert.Contains($"\"{foreign}\"", everything, StringComparison.Ordinal);
        }
    }

    private static async Task<(TestAccount Sibling, TestAccount Stranger, TestOrganization StrangerOrg)> AddNeighboursAsync(FileStorageWorld world)
    {
        var sibling = await AddSandboxAccountAsync(world.App, world.Organization.Id, "end-user-2");
        var strangerOrg = await world.App.CreateOrganizationAsync("Other Org");
        var stranger = await AddSandboxAccountAsync(world.App, strangerOrg.Id, "end-user-1");
        return (sibling, stranger, strangerOrg);
    }

    private static async Task<IEnumerable<Guid>> RowIdsAsync(FileStorageWorld world, string resource, Guid account) => resource switch
    {
        "files" => (await world.RowsAsync<StoredFile>(account)).Select(r => r.Id),
        "folders" => (await world.RowsAsync<StoredFolder>(account)).Select(r => r.Id),
        "drives" => (await world.RowsAsync<StoredDrive>(account)).Select(r => r.Id),
        "users" => (await world.RowsAsync<StoredUser>(account)).Select(r => r.Id),
        "groups" => (await world.RowsAsync<StoredGroup>(account)).Select(r => r.Id),
        _ => throw new ArgumentOutOfRangeException(nameof(resource)),
    };
}
