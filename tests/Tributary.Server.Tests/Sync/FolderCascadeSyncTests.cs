using System.Diagnostics;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Tributary.Data;
using Tributary.Data.Entities;
using Tributary.Server.Sync;
using Tributary.Server.Tests.Connectors.Fakes;
using Tributary.Server.Tests.Connectors.GoogleDrive;
using Tributary.Server.Tests.Infrastructure;
using Tributary.Server.Vault;

namespace Tributary.Server.Tests.Sync;

/// <summary>
/// A folder the provider reports deleted on its own (Drive, Box) takes every stored descendant with it
/// (ADR 0021), in the page's transaction and with <c>removed</c> events, while items moved out of it
/// or reported live in the same page stay; through the real sync runner on both databases, with the
/// loopback provider (exact control of the feed) and with the Google Drive fake (trash and untrash).
/// </summary>
public sealed class FolderCascadeSyncTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<SyncOutcome> RunAsync(TributaryApplication app, Guid account, bool full = false)
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<SyncRunner>().RunAsync(account, full, Ct);
    }

    /// <summary>The provider's items at or under <paramref name="root"/>, by the parents it holds now (read it before deleting the root).</summary>
    private static HashSet<string> Subtree(IReadOnlyDictionary<string, LoopbackProvider.Item> live, string root)
    {
        var under = new HashSet<string>(StringComparer.Ordinal) { root };
        for (var grew = true; grew;)
        {
            grew = false;
            foreach (var item in live.Values)
            {
                if (item.Parent is { } parent && under.Contains(parent) && under.Add(item.Id))
                {
                    grew = true;
                }
            }
        }
        return under;
    }

    private static Guid StoreId(Guid account, LoopbackProvider.Item item) =>
        StoreIds.For(account, item.Type == "folder" ? StoreMapper.FolderModel : StoreMapper.FileModel, item.Id);

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task A_folder_deleted_alone_takes_three_levels_under_it_but_not_what_moved_out_or_was_reported_live(DatabaseKind kind)
    {
        // 120 folders: folder-0001 holds folder-0010..0019, and folder-0010/0011 hold folder-0100..0119; three files each.
        await using var provider = await LoopbackProvider.StartAsync(files: 360, folders: 120);
        var events = new RecordingAccountEvents();
        var linked = await LoopbackAccount.LinkAsync(kind, provider, services: events.Install);
        await using var app = linked.App;
        Assert.Equal(SyncStop.Completed, (await RunAsync(app, linked.AccountId)).Stop);
        await linked.AssertStoreEqualsProviderAsync(provider, "after the initial full read");
        var before = provider.Live;

        // Moved out in the same page as the delete: a file three levels down, and a whole subfolder.
        var movedFile = before["file-0000100"];
        provider.Add(movedFile with { Parent = "folder-0002" });
        provider.Add(before["folder-0011"] with { Parent = "folder-0003" });
        var doomed = Subtree(provider.Live, "folder-0001");
        doomed.Remove("file-0000101");
        // A subfolder reported deleted too (as Graph usually does): still walked through, each row removed once.
        provider.Delete("folder-0012");
        // The provider signals the folder alone; its contents go with it silently.
        provider.Delete("folder-0001");
        foreach (var id in doomed)
        {
            provider.DeleteSilently(id);
        }
        // Reported live in the same page while still under the folder: the provider's word wins.
        provider.Add(before["file-0000101"] with { Name = "renamed.txt" });
        events.RecordsChanged.Clear();

        Assert.Equal(SyncStop.Completed, (await RunAsync(app, linked.AccountId)).Stop);

        await linked.AssertStoreEqualsProviderAsync(provider, "after the folder was deleted");
        Assert.Contains("folder-0100", doomed);
        Assert.Contains("file-0000102", doomed);
        Assert.DoesNotContain("folder-0110", doomed);
        var removed = events.RecordsChanged.SelectMany(c => c.Removed).ToList();
        Assert.Equal(removed.Count, removed.Distinct().Count());
        var expected = doomed.Select(id => StoreId(linked.AccountId, before[id])).ToHashSet();
        Assert.Equal(expected.Order(), removed.Order());
        Assert.Equal(78, expected.Count); // folder-0001, 9 of folder-0010..0019, folder-0100..0109; 3 files in each of those 20, less 2 spared
        var live = await linked.LiveRowsAsync();
        Assert.Contains("file-0000100", live.Keys);
        Assert.Contains("folder-0115", live.Keys);
        Assert.Equal("renamed.txt", live["file-0000101"]);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task A_folder_of_thousands_of_files_is_emptied_in_batches_in_one_page(DatabaseKind kind)
    {
        const int files = (FolderCascade.BatchSize * 2) + 500;
        await using var provider = await LoopbackProvider.StartAsync(files: files, folders: 1);
        provider.PageSize = 1000;
        var events = new RecordingAccountEvents();
        var linked = await LoopbackAccount.LinkAsync(kind, provider, services: events.Install);
        await using var app = linked.App;
        Assert.Equal(SyncStop.Completed, (await RunAsync(app, linked.AccountId)).Stop);
        var doomed = Subtree(provider.Live, "folder-0000");
        provider.Delete("folder-0000");
        foreach (var id in doomed)
        {
            provider.DeleteSilently(id);
        }
        events.RecordsChanged.Clear();

        var clock = Stopwatch.StartNew();
        Assert.Equal(SyncStop.Completed, (await RunAsync(app, linked.AccountId)).Stop);
        TestContext.Current.SendDiagnosticMessage($"{kind}: incremental run deleting a folder of {files} files took {clock.ElapsedMilliseconds} ms");

        await linked.AssertStoreEqualsProviderAsync(provider, "after the folder was deleted");
        var fileEvents = events.RecordsChanged.Where(c => c.Model == "FileStorageFile").ToList();
        Assert.Single(fileEvents);
        Assert.Equal(files, fileEvents[0].Removed.Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Google_Drive_trashing_a_folder_deletes_its_subtree_and_untrash_comes_back_with_the_next_full_read(DatabaseKind kind)
    {
        FakeItem projects = null!, alpha = null!, beta = null!, deep = null!, top = null!, leaving = null!, outside = null!;
        var (bed, fake) = await GoogleDriveFake.StartAsync(tree =>
        {
            tree.SeedStandard(0);
            projects = tree.AddFolder("Cascade");
            alpha = tree.AddFolder("Level 2", projects.Id);
            beta = tree.AddFolder("Level 3", alpha.Id);
            deep = tree.AddFile("deep.txt", FakeContent.Of("deep"u8.ToArray()), beta.Id, "text/plain");
            top = tree.AddFile("top.txt", FakeContent.Of("top"u8.ToArray()), projects.Id, "text/plain");
            leaving = tree.AddFile("leaving.txt", FakeContent.Of("leaving"u8.ToArray()), alpha.Id, "text/plain");
            outside = tree.AddFile("outside.txt", FakeContent.Of("outside"u8.ToArray()), null, "text/plain");
        }, GoogleDriveComplianceTests.TestOptions);
        await using var _ = bed;
        var origin = fake.Host.Origin;
        var events = new RecordingAccountEvents();
        await using var app = await TributaryApplication.StartAsync(kind, new Dictionary<string, string?>
        {
            ["Integrations:google-drive:TokenUrl"] = origin + "/token",
            ["Integrations:google-drive:ClientId"] = FakeTokens.ClientId,
            ["Integrations:google-drive:ClientSecret"] = FakeTokens.ClientSecret,
            ["Integrations:google-drive:ApiBaseUrls:api"] = origin + "/drive/v3",
            ["Integrations:google-drive:ApiBaseUrls:upload"] = origin + "/upload/drive/v3",
            ["Integrations:google-drive:PageSize"] = "3",
            ["Integrations:google-drive:SmallPageSize"] = "3",
        }, services: events.Install);
        var org = await app.CreateOrganizationAsync();
        var account = await app.CreateLinkedAccountAsync(org.Id, integration: "google-drive");
        await app.WithDbAsync(async (db, sp) =>
        {
            var vault = sp.GetRequiredService<CredentialVault>();
            var now = sp.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime;
            var secret = await vault.SealAsync(db, JsonSerializer.SerializeToUtf8Bytes(fake.Tokens.Grant()), CredentialVault.CredentialPurpose(account.Id), default);
            db.Credentials.Add(new Credential
            {
                Id = Guid.NewGuid(), OrganizationId = org.Id, LinkedAccountId = account.Id, Secret = secret.Ciphertext, VaultKeyId = secret.KeyId,
                CreatedAt = now, UpdatedAt = now,
            });
            return await db.SaveChangesAsync();
        });
        Task<Dictionary<string, bool>> DeletedAsync() => app.WithDbAsync(async (db, _) =>
        {
            var files = await db.Files.IgnoreQueryFilters().Where(f => f.LinkedAccountId == account.Id).Select(f => new { f.RemoteId, f.RemoteWasDeleted }).ToListAsync(Ct);
            var folders = await db.Folders.IgnoreQueryFilters().Where(f => f.LinkedAccountId == account.Id).Select(f => new { f.RemoteId, f.RemoteWasDeleted }).ToListAsync(Ct);
            return files.Concat(folders).ToDictionary(r => r.RemoteId, r => r.RemoteWasDeleted, StringComparer.Ordinal);
        });
        string[] subtree = [projects.Id, alpha.Id, beta.Id, deep.Id, top.Id];

        Assert.Null((await RunAsync(app, account.Id)).Error);
        var afterFirst = await DeletedAsync();
        Assert.All([.. subtree, leaving.Id, outside.Id], id => Assert.False(afterFirst[id]));

        // Moved out in an earlier run, then the folder is trashed: Drive's feed names only the folder.
        fake.Tree.Move(leaving.Id, null);
        Assert.Null((await RunAsync(app, account.Id)).Error);
        fake.Trash(projects.Id);
        events.RecordsChanged.Clear();
        Assert.Null((await RunAsync(app, account.Id)).Error);

        var afterTrash = await DeletedAsync();
        Assert.All(subtree, id => Assert.True(afterTrash[id], $"{fake.Tree.Find(id)!.Name} is under the trashed folder"));
        Assert.False(afterTrash[leaving.Id]);
        Assert.False(afterTrash[outside.Id]);
        var removed = events.RecordsChanged.SelectMany(c => c.Removed).ToHashSet();
        Assert.Equal(subtree.Select(id => StoreIds.For(account.Id, fake.Tree.Find(id)!.IsFolder ? StoreMapper.FolderModel : StoreMapper.FileModel, id)).ToHashSet(), removed);

        // Untrash: Drive reports the folder alone again. Its contents stay deleted until a full read finds them (documented).
        fake.Untrash(projects.Id);
        Assert.Null((await RunAsync(app, account.Id)).Error);
        var afterUntrash = await DeletedAsync();
        Assert.False(afterUntrash[projects.Id]);
        Assert.True(afterUntrash[deep.Id]);

        Assert.Null((await RunAsync(app, account.Id, full: true)).Error);
        var afterFullRead = await DeletedAsync();
        Assert.All([.. subtree, leaving.Id, outside.Id], id => Assert.False(afterFullRead[id], $"{fake.Tree.Find(id)!.Name} is live after the full read"));
        fake.Host.AssertConformant();
    }
}
