using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Tributary.Data;
using Tributary.Data.Entities;
using Tributary.Data.Entities.Webhooks;
using Tributary.Integrations.FileStorage;
using Tributary.Server.Sync;
using Tributary.Server.Tests.Connectors.Dropbox;
using Tributary.Server.Tests.Connectors.Fakes;
using Tributary.Server.Tests.Infrastructure;
using Tributary.Server.Vault;

namespace Tributary.Server.Tests.Sync;

/// <summary>
/// Deletes by path (Dropbox names only the path of what went away) resolved by the platform against
/// the stored paths, through the real sync runner, the Dropbox connector and its fake, on both databases.
/// </summary>
public sealed class PathDeleteSyncTests
{
    private static async Task<(TributaryApplication App, TestAccount Account)> LinkAsync(DatabaseKind kind, DropboxFake fake)
    {
        var app = await TributaryApplication.StartAsync(kind, new Dictionary<string, string?>
        {
            ["Integrations:dropbox:ApiBaseUrls:api"] = fake.ApiBaseUrls["api"],
            ["Integrations:dropbox:ApiBaseUrls:content"] = fake.ApiBaseUrls["content"],
            ["Integrations:dropbox:ApiBaseUrls:notify"] = fake.ApiBaseUrls["notify"],
            ["Integrations:dropbox:TokenUrl"] = fake.TokenUrl,
            ["Integrations:dropbox:ClientId"] = FakeTokens.ClientId,
            ["Integrations:dropbox:ClientSecret"] = FakeTokens.ClientSecret,
            ["Integrations:dropbox:PageSize"] = "4",
            // The tests run every sync inline. With the scheduler on, housekeeping at start may sync the
            // account in the background before its credential is stored, sending the fake a call without a token.
            ["Sync:RunJobs"] = "false",
        });
        var org = await app.CreateOrganizationAsync();
        var account = await app.CreateLinkedAccountAsync(org.Id, integration: "dropbox");
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
        return (app, account);
    }

    private static async Task<SyncOutcome> SyncAsync(TributaryApplication app, Guid account)
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<SyncRunner>().RunAsync(account, fullResync: false, TestContext.Current.CancellationToken);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task A_deleted_folder_takes_everything_under_it_and_an_item_moved_out_first_survives(DatabaseKind kind)
    {
        var ct = TestContext.Current.CancellationToken;
        var fake = await DropboxFake.StartAsync();
        await using var _ = fake.Host;
        fake.Tree.SeedStandard(16);
        var (app, account) = await LinkAsync(kind, fake);
        await using var __ = app;

        var first = await SyncAsync(app, account.Id);
        Assert.Null(first.Error);
        Assert.Equal(16, await app.WithDbAsync((db, _) => db.Files.IgnoreQueryFilters().CountAsync(f => f.LinkedAccountId == account.Id && !f.RemoteWasDeleted, ct)));

        var tree = fake.Tree;
        var archive = tree.Folders.Single(f => f.Name == "Archive");
        var inArchive = tree.Files.Where(f => f.ParentId == archive.Id).Select(f => f.Id).ToList();
        var rescued = inArchive[0];
        var elsewhere = tree.Files.First(f => f.ParentId != archive.Id && f.Id != rescued).Id;
        tree.Move(rescued, null);
        tree.Delete(archive.Id);
        // The access token expired meanwhile: the platform refreshes it (Dropbox keeps the refresh token).
        fake.Tokens.ExpireAccessTokens();

        var second = await SyncAsync(app, account.Id);

        Assert.Null(second.Error);
        Assert.Equal(1, fake.Tokens.RefreshRequests);
        var state = await app.WithDbAsync(async (db, _) => new
        {
            Archive = await db.Folders.IgnoreQueryFilters().SingleAsync(f => f.LinkedAccountId == account.Id && f.RemoteId == archive.Id, ct),
            Files = await db.Files.IgnoreQueryFilters().Where(f => f.LinkedAccountId == account.Id).ToDictionaryAsync(f => f.RemoteId, ct),
        });
        Assert.True(state.Archive.RemoteWasDeleted);
        Assert.All(inArchive.Skip(1), id => Assert.True(state.Files[id].RemoteWasDeleted, $"{id} was under the deleted folder"));
        Assert.False(state.Files[rescued].RemoteWasDeleted);
        Assert.Null(state.Files[rescued].FolderId);
        Assert.Equal("/" + tree.Find(rescued)!.Name, state.Files[rescued].RemotePath);
        Assert.False(state.Files[elsewhere].RemoteWasDeleted);
        fake.Host.AssertConformant();
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task A_delete_by_path_raises_the_removed_webhook_events_a_delete_by_id_raises(DatabaseKind kind)
    {
        var ct = TestContext.Current.CancellationToken;
        var fake = await DropboxFake.StartAsync();
        await using var _ = fake.Host;
        fake.Tree.SeedStandard(16);
        var (app, account) = await LinkAsync(kind, fake);
        await using var __ = app;
        await app.WithDbAsync(async (db, sp) =>
        {
            var now = sp.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime;
            var organizationId = await db.LinkedAccounts.IgnoreQueryFilters().Where(a => a.Id == account.Id).Select(a => a.OrganizationId).SingleAsync(ct);
            db.WebhookEndpoints.Add(new WebhookEndpoint
            {
                Id = Guid.NewGuid(), OrganizationId = organizationId, Url = "https://receiver.invalid/hooks", IsActive = true,
                Events = "FileStorageFile.removed,FileStorageFolder.removed,FileStorageFile.changed", CreatedAt = now, UpdatedAt = now,
            });
            return await db.SaveChangesAsync(ct);
        });
        Assert.Null((await SyncAsync(app, account.Id)).Error);
        var liveBefore = await app.WithDbAsync(async (db, _) =>
            (await db.Files.IgnoreQueryFilters().Where(f => f.LinkedAccountId == account.Id && !f.RemoteWasDeleted).Select(f => f.Id).ToListAsync(ct))
            .Concat(await db.Folders.IgnoreQueryFilters().Where(f => f.LinkedAccountId == account.Id && !f.RemoteWasDeleted).Select(f => f.Id).ToListAsync(ct))
            .ToHashSet());

        var tree = fake.Tree;
        var archive = tree.Folders.Single(f => f.Name == "Archive");
        var rescued = tree.Files.First(f => f.ParentId == archive.Id).Id;
        tree.Move(rescued, null);
        tree.Delete(archive.Id);
        Assert.Null((await SyncAsync(app, account.Id)).Error);

        var result = await app.WithDbAsync(async (db, _) => new
        {
            Deleted = (await db.Files.IgnoreQueryFilters().Where(f => f.LinkedAccountId == account.Id && f.RemoteWasDeleted)
                    .Select(f => new { f.Id, Model = "FileStorageFile" }).ToListAsync(ct))
                .Concat(await db.Folders.IgnoreQueryFilters().Where(f => f.LinkedAccountId == account.Id && f.RemoteWasDeleted)
                    .Select(f => new { f.Id, Model = "FileStorageFolder" }).ToListAsync(ct))
                .Where(r => liveBefore.Contains(r.Id)).Select(r => (r.Model + ".removed", r.Id)).ToHashSet(),
            Events = (await db.WebhookDeliveries.IgnoreQueryFilters().Where(d => d.LinkedAccountId == account.Id && d.RecordId != null)
                .Select(d => new { d.Event, d.RecordId }).ToListAsync(ct)).Select(d => (d.Event, d.RecordId!.Value)).ToList(),
        });
        var rescuedId = StoreIds.For(account.Id, StoreMapper.FileModel, rescued);
        // The folder and what was under it, exactly: one removed event each, the same events a delete by id raises.
        Assert.Contains(("FileStorageFolder.removed", StoreIds.For(account.Id, StoreMapper.FolderModel, archive.Id)), result.Deleted);
        Assert.True(result.Deleted.Count >= 3, $"the Archive folder and its files were deleted, got {result.Deleted.Count}");
        Assert.Equal(result.Deleted.OrderBy(e => e.Id), result.Events.Where(e => e.Event.EndsWith(".removed", StringComparison.Ordinal)).OrderBy(e => e.Item2));
        // The item moved out of the folder before it went is told as changed, never as removed.
        Assert.Contains(("FileStorageFile.changed", rescuedId), result.Events);
        Assert.DoesNotContain(("FileStorageFile.removed", rescuedId), result.Events);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task An_item_reported_at_a_path_supersedes_the_one_stored_there(DatabaseKind kind)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var app = await TributaryApplication.StartAsync(kind);
        var org = await app.CreateOrganizationAsync();
        var account = await app.CreateLinkedAccountAsync(org.Id, integration: "dropbox");
        RemoteFile At(string id, string path) => new(id, "x.txt", null, null, 1, "text/plain", null, null, null, null, [], null, null) { Path = path };

        await using (var scope = app.Services.CreateAsyncScope())
        {
            var runner = scope.ServiceProvider.GetRequiredService<SyncRunner>();
            await runner.StoreWrittenAsync(account.Id, At("id:old", "/docs/x.txt"), ct);
            await runner.StoreWrittenAsync(account.Id, At("id:other", "/docs/y.txt"), ct);
            await runner.StoreWrittenAsync(account.Id, At("id:new", "/docs/x.txt"), ct);
        }

        var deleted = await app.WithDbAsync((db, _) => db.Files.IgnoreQueryFilters().Where(f => f.LinkedAccountId == account.Id)
            .ToDictionaryAsync(f => f.RemoteId, f => f.RemoteWasDeleted, ct));
        Assert.Equal(new Dictionary<string, bool> { ["id:old"] = true, ["id:other"] = false, ["id:new"] = false }, deleted);
    }
}
