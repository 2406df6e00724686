using Microsoft.EntityFrameworkCore;
using Tributary.Data;
using Tributary.Integrations.FileStorage;

namespace Tributary.Server.Sync;

/// <summary>
/// A deleted folder takes everything under it (ADR 0021). Google Drive and Box report a trashed or
/// deleted folder alone, Microsoft Graph reports its descendants only "usually", so the platform
/// walks the stored tree (<c>fs_folders.parent_folder_id</c>, <c>fs_files.folder_id</c>) level by
/// level from each folder a page deleted and marks every live descendant deleted, in the page's
/// transaction, with the same <c>removed</c> events as any other delete.
/// </summary>
/// <remarks>
/// Runs after the page's upserts and deletes, so the store's parent references already say where
/// the page moved things: an item moved out of the folder (in this page or earlier) is no longer
/// under it and stays. An item this page reports live is spared, and so is what lies under it
/// (the provider just said it exists). Folders already deleted are walked through, because their
/// contents may still be live (a provider that reported the subfolder but not its files).
/// Queries touch at most <see cref="BatchSize"/> ids at a time; memory grows with the number of
/// folders in the subtree (each visited once, which also guards against a cycle in bad data), not
/// with the number of files.
/// </remarks>
internal static class FolderCascade
{
    internal const int BatchSize = 1000;

    public static async Task MarkDescendantsDeletedAsync(
        TributaryDbContext db, Guid account, ChangePage page, DateTime now, PageChanges changes, CancellationToken ct)
    {
        var level = page.Deletions.Where(d => d.Model == FileStorageModel.Folder)
            .Select(d => StoreIds.For(account, StoreMapper.FolderModel, d.RemoteId)).Distinct().ToList();
        if (level.Count == 0)
        {
            return;
        }
        var reportedLive = page.Records
            .Select(r => r switch
            {
                RemoteFolder f => StoreIds.For(account, StoreMapper.FolderModel, f.RemoteId),
                RemoteFile f => StoreIds.For(account, StoreMapper.FileModel, f.RemoteId),
                _ => Guid.Empty,
            })
            .Where(id => id != Guid.Empty)
            .Except(level)
            .Distinct()
            .ToList();
        var visited = new HashSet<Guid>(level);
        var removedFolders = changes.For(FileStorageModel.Folder).Removed;
        var removedFiles = changes.For(FileStorageModel.File).Removed;

        while (level.Count > 0)
        {
            var next = new List<Guid>();
            foreach (var chunk in level.Chunk(BatchSize))
            {
                var parents = chunk.Select(id => (Guid?)id).ToList();
                removedFiles.AddRange(await MarkFilesInAsync(db, account, parents, reportedLive, now, ct));

                var children = await db.Folders.IgnoreQueryFilters()
                    .Where(f => f.LinkedAccountId == account && parents.Contains(f.ParentFolderId) && !reportedLive.Contains(f.Id))
                    .Select(f => new { f.Id, f.RemoteWasDeleted })
                    .ToListAsync(ct);
                var live = new List<Guid>();
                foreach (var child in children)
                {
                    if (visited.Add(child.Id))
                    {
                        next.Add(child.Id);
                        if (!child.RemoteWasDeleted)
                        {
                            live.Add(child.Id);
                        }
                    }
                }
                foreach (var batch in live.Chunk(BatchSize))
                {
                    var ids = batch.ToList();
                    await db.Folders.IgnoreQueryFilters().Where(f => ids.Contains(f.Id))
                        .ExecuteUpdateAsync(s => s.SetProperty(f => f.RemoteWasDeleted, true).SetProperty(f => f.ModifiedAt, now), ct);
                }
                removedFolders.AddRange(live);
            }
            level = next;
        }
    }

    /// <summary>Marks the live files directly in <paramref name="parents"/> deleted, <see cref="BatchSize"/> at a time.</summary>
    private static async Task<List<Guid>> MarkFilesInAsync(
        TributaryDbContext db, Guid account, List<Guid?> parents, List<Guid> reportedLive, DateTime now, CancellationToken ct)
    {
        var removed = new List<Guid>();
        while (true)
        {
            // Each round marks what it selected, so the next round's "live" filter moves on: no offset needed.
            var ids = await db.Files.IgnoreQueryFilters()
                .Where(f => f.LinkedAccountId == account && !f.RemoteWasDeleted && parents.Contains(f.FolderId) && !reportedLive.Contains(f.Id))
                .Select(f => f.Id)
                .Take(BatchSize)
                .ToListAsync(ct);
            if (ids.Count == 0)
            {
                return removed;
            }
            await db.Files.IgnoreQueryFilters().Where(f => ids.Contains(f.Id))
                .ExecuteUpdateAsync(s => s.SetProperty(f => f.RemoteWasDeleted, true).SetProperty(f => f.ModifiedAt, now), ct);
            removed.AddRange(ids);
            if (ids.Count < BatchSize)
            {
                return removed;
            }
        }
    }
}
