using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Tributary.Data;
using Tributary.Data.Entities;
using Tributary.Data.Entities.FileStorage;
using Tributary.Integrations.FileStorage;
using Tributary.Server.Vault;

namespace Tributary.Server.Sync;

/// <summary>What one run did.</summary>
internal sealed record SyncOutcome(SyncStatusValue Result, long Records, string? Error);

/// <summary>
/// Runs one linked account's File Storage sync: streams the connector's change feed and, per page,
/// upserts the rows and advances the cursor in one transaction, so a run killed at any point resumes
/// from the last committed page without losing or duplicating anything.
/// </summary>
internal sealed class SyncRunner(
    TributaryDbContext db, CredentialVault vault, ConnectorResolver connectors, CredentialRefresher refresher, TimeProvider time, SyncGate gate,
    ILogger<SyncRunner> logger)
{
    public const string Category = "filestorage";

    /// <summary>Runs the sync; a run of the same account already under way is waited for first (see <see cref="SyncGate"/>).</summary>
    public async Task<SyncOutcome> RunAsync(Guid linkedAccountId, bool fullResync, CancellationToken ct)
    {
        using var _ = await gate.EnterAsync(linkedAccountId, ct);
        return await RunAloneAsync(linkedAccountId, fullResync, ct);
    }

    private async Task<SyncOutcome> RunAloneAsync(Guid linkedAccountId, bool fullResync, CancellationToken ct)
    {
        var account = await db.LinkedAccounts.IgnoreQueryFilters().AsNoTracking().SingleOrDefaultAsync(a => a.Id == linkedAccountId, ct)
            ?? throw new InvalidOperationException($"Linked account {linkedAccountId} does not exist.");
        var connector = connectors.Find(account.IntegrationSlug)
            ?? throw new InvalidOperationException($"No File Storage connector for '{account.IntegrationSlug}'.");
        var context = await ContextAsync(account.Id, ct);

        var state = await db.SyncStates.IgnoreQueryFilters().SingleOrDefaultAsync(s => s.LinkedAccountId == account.Id && s.Category == Category, ct);
        if (state is null)
        {
            state = new SyncState { Id = Guid.CreateVersion7(time.GetUtcNow()), LinkedAccountId = account.Id, Category = Category };
            db.SyncStates.Add(state);
        }
        if (fullResync && !state.InFullRead)
        {
            state.Cursor = null;
        }
        state.Status = SyncStatusValue.Syncing;
        state.LastSyncStart = time.GetUtcNow().UtcDateTime;
        state.RecordsThisRun = 0;
        await db.SaveChangesAsync(ct);

        long records = 0;
        try
        {
            await foreach (var page in connector.ReadChangesAsync(context, state.Cursor, ct))
            {
                await ApplyAsync(account.Id, page, ct);
                records += page.Records.Count + page.Deletions.Count;
                state.Cursor = page.Cursor;
                state.InFullRead = page.IsFullSnapshot && !page.IsFinal;
                state.RecordsThisRun = records;
                // Rows and cursor commit together: this is the resume point.
                await db.SaveChangesAsync(ct);
                db.ChangeTracker.Clear();
                db.Attach(state);
            }
            state.Status = SyncStatusValue.Done;
            state.LastSyncResult = SyncStatusValue.Done;
            state.InitialSyncDone = true;
            state.LastError = null;
        }
        catch (ProviderException e)
        {
            logger.LogWarning("Sync of linked account {LinkedAccountId} failed: {Kind} {Message}", account.Id, e.Kind, e.Message);
            db.ChangeTracker.Clear();
            db.Attach(state);
            state.Status = SyncStatusValue.Failed;
            state.LastSyncResult = SyncStatusValue.Failed;
            state.LastError = $"{e.Kind}: {e.Message}";
        }
        state.LastSyncFinished = time.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(ct);
        return new SyncOutcome(state.LastSyncResult ?? SyncStatusValue.Failed, records, state.LastError);
    }

    /// <summary>The decrypted credential a connector call needs, refreshable on a 401; shared by syncs and live calls.</summary>
    public async Task<ConnectorContext> ContextAsync(Guid linkedAccountId, CancellationToken ct)
    {
        var credential = await db.Credentials.IgnoreQueryFilters().AsNoTracking().SingleOrDefaultAsync(c => c.LinkedAccountId == linkedAccountId, ct);
        var json = credential is null
            ? JsonDocument.Parse("{}").RootElement
            : JsonDocument.Parse(await vault.OpenAsync(db, credential.Secret, CredentialVault.CredentialPurpose(linkedAccountId), ct)).RootElement;
        return new ConnectorContext(linkedAccountId, new StoredCredentialSource(linkedAccountId, json.Clone(), refresher));
    }

    /// <summary>
    /// Puts what a live write returned (an uploaded file, a created folder) into the store at once,
    /// exactly as a sync would, so reads find it before the next sync. A sync that stored the same
    /// row concurrently wins the insert; the write then applies as an update.
    /// </summary>
    public async Task StoreWrittenAsync(Guid linkedAccountId, RemoteRecord record, CancellationToken ct)
    {
        var page = new ChangePage([record], [], "", IsFinal: false, IsFullSnapshot: false);
        try
        {
            await ApplyAsync(linkedAccountId, page, ct);
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear();
            await ApplyAsync(linkedAccountId, page, ct);
            await db.SaveChangesAsync(ct);
        }
        db.ChangeTracker.Clear();
    }

    private async Task ApplyAsync(Guid account, ChangePage page, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        await ApplyPathsAsync(account, page, now, ct);
        await UpsertAsync(db.Drives, page.Records.OfType<RemoteDrive>().Select(r => StoreMapper.ToDrive(account, r)), now, Copy, ct);
        await UpsertAsync(db.Folders, page.Records.OfType<RemoteFolder>().Select(r => StoreMapper.ToFolder(account, r)), now, Copy, ct);
        await UpsertAsync(db.Files, page.Records.OfType<RemoteFile>().Select(r => StoreMapper.ToFile(account, r)), now, Copy, ct);
        await UpsertAsync(db.Users, page.Records.OfType<RemoteUser>().Select(r => StoreMapper.ToUser(account, r)), now, Copy, ct);
        await UpsertAsync(db.Groups, page.Records.OfType<RemoteGroup>().Select(r => StoreMapper.ToGroup(account, r)), now, Copy, ct);
        foreach (var group in page.Deletions.GroupBy(d => d.Model))
        {
            var ids = group.Select(d => StoreIds.For(account, StoreMapper.ModelName(group.Key), d.RemoteId)).ToList();
            _ = group.Key switch
            {
                FileStorageModel.Drive => await MarkDeletedAsync(db.Drives, ids, now, ct),
                FileStorageModel.Folder => await MarkDeletedAsync(db.Folders, ids, now, ct),
                FileStorageModel.File => await MarkDeletedAsync(db.Files, ids, now, ct),
                FileStorageModel.User => await MarkDeletedAsync(db.Users, ids, now, ct),
                FileStorageModel.Group => await MarkDeletedAsync(db.Groups, ids, now, ct),
                _ => 0,
            };
        }
    }

    /// <summary>
    /// Deletes by path, for providers that name only the path of what went away (Dropbox, WebDAV):
    /// each deleted path takes the files and folders at or under it; then each record's path takes
    /// any <em>other</em> row still at that path (Dropbox reports a replaced item only by its
    /// successor). Runs before the page's upserts, so a record in the same page (an item moved away
    /// from a deleted path) comes back alive.
    /// </summary>
    private async Task ApplyPathsAsync(Guid account, ChangePage page, DateTime now, CancellationToken ct)
    {
        foreach (var path in page.DeletedPaths.Distinct(StringComparer.Ordinal))
        {
            var under = path.TrimEnd('/') + "/";
            await db.Files.IgnoreQueryFilters()
                .Where(r => r.LinkedAccountId == account && !r.RemoteWasDeleted && r.RemotePath != null
                    && (r.RemotePath == path || (r.RemotePath.StartsWith(under) && r.RemotePath.Substring(0, under.Length) == under)))
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.RemoteWasDeleted, true).SetProperty(r => r.ModifiedAt, now), ct);
            await db.Folders.IgnoreQueryFilters()
                .Where(r => r.LinkedAccountId == account && !r.RemoteWasDeleted && r.RemotePath != null
                    && (r.RemotePath == path || (r.RemotePath.StartsWith(under) && r.RemotePath.Substring(0, under.Length) == under)))
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.RemoteWasDeleted, true).SetProperty(r => r.ModifiedAt, now), ct);
        }

        var placed = page.Records
            .Select(r => r switch
            {
                RemoteFile f => (Path: StoreMapper.StoredPath(f.Path), Id: StoreIds.For(account, StoreMapper.FileModel, f.RemoteId)),
                RemoteFolder f => (Path: StoreMapper.StoredPath(f.Path), Id: StoreIds.For(account, StoreMapper.FolderModel, f.RemoteId)),
                _ => (Path: null, Id: Guid.Empty),
            })
            .Where(p => p.Path is not null)
            .ToList();
        if (placed.Count == 0)
        {
            return;
        }
        var paths = placed.Select(p => p.Path).Distinct().ToList();
        var ids = placed.Select(p => p.Id).ToList();
        await db.Files.IgnoreQueryFilters()
            .Where(r => r.LinkedAccountId == account && !r.RemoteWasDeleted && paths.Contains(r.RemotePath) && !ids.Contains(r.Id))
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.RemoteWasDeleted, true).SetProperty(r => r.ModifiedAt, now), ct);
        await db.Folders.IgnoreQueryFilters()
            .Where(r => r.LinkedAccountId == account && !r.RemoteWasDeleted && paths.Contains(r.RemotePath) && !ids.Contains(r.Id))
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.RemoteWasDeleted, true).SetProperty(r => r.ModifiedAt, now), ct);
    }

    /// <summary>Inserts new rows and updates changed ones; unchanged rows keep their <c>modified_at</c>.</summary>
    internal static async Task UpsertAsync<T>(DbSet<T> set, IEnumerable<T> incoming, DateTime now, Action<T, T> copy, CancellationToken ct) where T : SyncedRecord
    {
        var rows = incoming.GroupBy(r => r.Id).Select(g => g.Last()).ToList();
        if (rows.Count == 0)
        {
            return;
        }
        var ids = rows.Select(r => r.Id).ToList();
        var existing = await set.IgnoreQueryFilters().Where(r => ids.Contains(r.Id)).ToDictionaryAsync(r => r.Id, ct);
        foreach (var row in rows)
        {
            if (!existing.TryGetValue(row.Id, out var current))
            {
                row.CreatedAt = now;
                row.ModifiedAt = now;
                set.Add(row);
            }
            else if (current.RemoteWasDeleted || !current.Fingerprint.AsSpan().SequenceEqual(row.Fingerprint))
            {
                copy(row, current);
                current.RemoteWasDeleted = false;
                current.Fingerprint = row.Fingerprint;
                current.RemoteDataJson = row.RemoteDataJson;
                current.ModifiedAt = now;
            }
        }
    }

    private static async Task<int> MarkDeletedAsync<T>(DbSet<T> set, List<Guid> ids, DateTime now, CancellationToken ct) where T : SyncedRecord =>
        await set.IgnoreQueryFilters().Where(r => ids.Contains(r.Id) && !r.RemoteWasDeleted)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.RemoteWasDeleted, true).SetProperty(r => r.ModifiedAt, now), ct);

    private static void Copy(StoredDrive from, StoredDrive to)
    {
        to.Name = from.Name;
        to.DriveUrl = from.DriveUrl;
        to.RemoteCreatedAt = from.RemoteCreatedAt;
    }

    private static void Copy(StoredFolder from, StoredFolder to)
    {
        to.Name = from.Name;
        to.FolderUrl = from.FolderUrl;
        to.Size = from.Size;
        to.Description = from.Description;
        to.ParentFolderId = from.ParentFolderId;
        to.DriveId = from.DriveId;
        to.PermissionsJson = from.PermissionsJson;
        to.RemoteCreatedAt = from.RemoteCreatedAt;
        to.RemoteUpdatedAt = from.RemoteUpdatedAt;
        to.RemotePath = from.RemotePath;
    }

    private static void Copy(StoredFile from, StoredFile to)
    {
        to.Name = from.Name;
        to.FileUrl = from.FileUrl;
        to.FileThumbnailUrl = from.FileThumbnailUrl;
        to.Size = from.Size;
        to.MimeType = from.MimeType;
        to.Description = from.Description;
        to.FolderId = from.FolderId;
        to.DriveId = from.DriveId;
        to.ChecksumJson = from.ChecksumJson;
        to.PermissionsJson = from.PermissionsJson;
        to.RemoteCreatedAt = from.RemoteCreatedAt;
        to.RemoteUpdatedAt = from.RemoteUpdatedAt;
        to.RemotePath = from.RemotePath;
    }

    private static void Copy(StoredUser from, StoredUser to)
    {
        to.Name = from.Name;
        to.EmailAddress = from.EmailAddress;
        to.IsMe = from.IsMe;
    }

    private static void Copy(StoredGroup from, StoredGroup to)
    {
        to.Name = from.Name;
        to.UsersJson = from.UsersJson;
        to.ChildGroupsJson = from.ChildGroupsJson;
    }
}
