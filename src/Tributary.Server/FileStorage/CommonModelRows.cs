using System.Linq.Expressions;
using Tributary.Data.Entities.FileStorage;
using Tributary.Server.Conventions;

namespace Tributary.Server.FileStorage;

/// <summary>
/// The columns a common-model response needs, read by an EF projection instead of the whole entity:
/// <c>remote_data_json</c> (often the largest column) only when <c>include_remote_data</c> asks for it,
/// and never the fingerprint. <see cref="CommonModelJson"/> writes these rows as Merge's JSON.
/// </summary>
internal abstract class CommonModelRow
{
    public Guid Id { get; init; }
    public required string RemoteId { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime ModifiedAt { get; init; }
    public bool RemoteWasDeleted { get; init; }
    public string? RemoteDataJson { get; init; }
}

internal sealed class FileRow : CommonModelRow
{
    public string? Name { get; init; }
    public string? FileUrl { get; init; }
    public string? FileThumbnailUrl { get; init; }
    public long? Size { get; init; }
    public string? MimeType { get; init; }
    public string? Description { get; init; }
    public Guid? FolderId { get; init; }
    public Guid? DriveId { get; init; }
    public string? ChecksumJson { get; init; }
    public required string PermissionsJson { get; init; }
    public DateTime? RemoteCreatedAt { get; init; }
    public DateTime? RemoteUpdatedAt { get; init; }
}

internal sealed class FolderRow : CommonModelRow
{
    public string? Name { get; init; }
    public string? FolderUrl { get; init; }
    public long? Size { get; init; }
    public string? Description { get; init; }
    public Guid? ParentFolderId { get; init; }
    public Guid? DriveId { get; init; }
    public required string PermissionsJson { get; init; }
    public DateTime? RemoteCreatedAt { get; init; }
    public DateTime? RemoteUpdatedAt { get; init; }
}

internal sealed class DriveRow : CommonModelRow
{
    public string? Name { get; init; }
    public string? DriveUrl { get; init; }
    public DateTime? RemoteCreatedAt { get; init; }
}

internal sealed class UserRow : CommonModelRow
{
    public string? Name { get; init; }
    public string? EmailAddress { get; init; }
    public bool IsMe { get; init; }
}

internal sealed class GroupRow : CommonModelRow
{
    public string? Name { get; init; }
    public required string UsersJson { get; init; }
    public required string ChildGroupsJson { get; init; }
}

/// <summary>
/// The projections, one pair per model (with and without <c>remote_data_json</c>). They are static so
/// EF sees the same expression every request and its query cache hits.
/// </summary>
internal static class CommonModelRows
{
    private static readonly Expression<Func<StoredFile, FileRow>> FileWithRemoteData = f => new FileRow
    {
        Id = f.Id, RemoteId = f.RemoteId, CreatedAt = f.CreatedAt, ModifiedAt = f.ModifiedAt, RemoteWasDeleted = f.RemoteWasDeleted,
        RemoteDataJson = f.RemoteDataJson,
        Name = f.Name, FileUrl = f.FileUrl, FileThumbnailUrl = f.FileThumbnailUrl, Size = f.Size, MimeType = f.MimeType,
        Description = f.Description, FolderId = f.FolderId, DriveId = f.DriveId, ChecksumJson = f.ChecksumJson,
        PermissionsJson = f.PermissionsJson, RemoteCreatedAt = f.RemoteCreatedAt, RemoteUpdatedAt = f.RemoteUpdatedAt,
    };

    private static readonly Expression<Func<StoredFile, FileRow>> FileWithoutRemoteData = f => new FileRow
    {
        Id = f.Id, RemoteId = f.RemoteId, CreatedAt = f.CreatedAt, ModifiedAt = f.ModifiedAt, RemoteWasDeleted = f.RemoteWasDeleted,
        Name = f.Name, FileUrl = f.FileUrl, FileThumbnailUrl = f.FileThumbnailUrl, Size = f.Size, MimeType = f.MimeType,
        Description = f.Description, FolderId = f.FolderId, DriveId = f.DriveId, ChecksumJson = f.ChecksumJson,
        PermissionsJson = f.PermissionsJson, RemoteCreatedAt = f.RemoteCreatedAt, RemoteUpdatedAt = f.RemoteUpdatedAt,
    };

    private static readonly Expression<Func<StoredFolder, FolderRow>> FolderWithRemoteData = f => new FolderRow
    {
        Id = f.Id, RemoteId = f.RemoteId, CreatedAt = f.CreatedAt, ModifiedAt = f.ModifiedAt, RemoteWasDeleted = f.RemoteWasDeleted,
        RemoteDataJson = f.RemoteDataJson,
        Name = f.Name, FolderUrl = f.FolderUrl, Size = f.Size, Description = f.Description, ParentFolderId = f.ParentFolderId,
        DriveId = f.DriveId, PermissionsJson = f.PermissionsJson, RemoteCreatedAt = f.RemoteCreatedAt, RemoteUpdatedAt = f.RemoteUpdatedAt,
    };

    private static readonly Expression<Func<StoredFolder, FolderRow>> FolderWithoutRemoteData = f => new FolderRow
    {
        Id = f.Id, RemoteId = f.RemoteId, CreatedAt = f.CreatedAt, ModifiedAt = f.ModifiedAt, RemoteWasDeleted = f.RemoteWasDeleted,
        Name = f.Name, FolderUrl = f.FolderUrl, Size = f.Size, Description = f.Description, ParentFolderId = f.ParentFolderId,
        DriveId = f.DriveId, PermissionsJson = f.PermissionsJson, RemoteCreatedAt = f.RemoteCreatedAt, RemoteUpdatedAt = f.RemoteUpdatedAt,
    };

    private static readonly Expression<Func<StoredDrive, DriveRow>> DriveWithRemoteData = d => new DriveRow
    {
        Id = d.Id, RemoteId = d.RemoteId, CreatedAt = d.CreatedAt, ModifiedAt = d.ModifiedAt, RemoteWasDeleted = d.RemoteWasDeleted,
        RemoteDataJson = d.RemoteDataJson,
        Name = d.Name, DriveUrl = d.DriveUrl, RemoteCreatedAt = d.RemoteCreatedAt,
    };

    private static readonly Expression<Func<StoredDrive, DriveRow>> DriveWithoutRemoteData = d => new DriveRow
    {
        Id = d.Id, RemoteId = d.RemoteId, CreatedAt = d.CreatedAt, ModifiedAt = d.ModifiedAt, RemoteWasDeleted = d.RemoteWasDeleted,
        Name = d.Name, DriveUrl = d.DriveUrl, RemoteCreatedAt = d.RemoteCreatedAt,
    };

    private static readonly Expression<Func<StoredUser, UserRow>> UserWithRemoteData = u => new UserRow
    {
        Id = u.Id, RemoteId = u.RemoteId, CreatedAt = u.CreatedAt, ModifiedAt = u.ModifiedAt, RemoteWasDeleted = u.RemoteWasDeleted,
        RemoteDataJson = u.RemoteDataJson,
        Name = u.Name, EmailAddress = u.EmailAddress, IsMe = u.IsMe,
    };

    private static readonly Expression<Func<StoredUser, UserRow>> UserWithoutRemoteData = u => new UserRow
    {
        Id = u.Id, RemoteId = u.RemoteId, CreatedAt = u.CreatedAt, ModifiedAt = u.ModifiedAt, RemoteWasDeleted = u.RemoteWasDeleted,
        Name = u.Name, EmailAddress = u.EmailAddress, IsMe = u.IsMe,
    };

    private static readonly Expression<Func<StoredGroup, GroupRow>> GroupWithRemoteData = g => new GroupRow
    {
        Id = g.Id, RemoteId = g.RemoteId, CreatedAt = g.CreatedAt, ModifiedAt = g.ModifiedAt, RemoteWasDeleted = g.RemoteWasDeleted,
        RemoteDataJson = g.RemoteDataJson,
        Name = g.Name, UsersJson = g.UsersJson, ChildGroupsJson = g.ChildGroupsJson,
    };

    private static readonly Expression<Func<StoredGroup, GroupRow>> GroupWithoutRemoteData = g => new GroupRow
    {
        Id = g.Id, RemoteId = g.RemoteId, CreatedAt = g.CreatedAt, ModifiedAt = g.ModifiedAt, RemoteWasDeleted = g.RemoteWasDeleted,
        Name = g.Name, UsersJson = g.UsersJson, ChildGroupsJson = g.ChildGroupsJson,
    };

    public static Expression<Func<StoredFile, FileRow>> File(bool remoteData) => remoteData ? FileWithRemoteData : FileWithoutRemoteData;
    public static Expression<Func<StoredFolder, FolderRow>> Folder(bool remoteData) => remoteData ? FolderWithRemoteData : FolderWithoutRemoteData;
    public static Expression<Func<StoredDrive, DriveRow>> Drive(bool remoteData) => remoteData ? DriveWithRemoteData : DriveWithoutRemoteData;
    public static Expression<Func<StoredUser, UserRow>> User(bool remoteData) => remoteData ? UserWithRemoteData : UserWithoutRemoteData;
    public static Expression<Func<StoredGroup, GroupRow>> Group(bool remoteData) => remoteData ? GroupWithRemoteData : GroupWithoutRemoteData;
}

/// <summary>The keyset orders of the common-model lists: (created_at, id) or (modified_at, id), built once.</summary>
internal static class CommonModelOrder<TEntity, TRow> where TEntity : SyncedRecord where TRow : CommonModelRow
{
    public static readonly KeysetOrder<TEntity, TRow> ByCreated = new(e => e.CreatedAt, e => e.Id, r => r.CreatedAt, r => r.Id);
    public static readonly KeysetOrder<TEntity, TRow> ByModified = new(e => e.ModifiedAt, e => e.Id, r => r.ModifiedAt, r => r.Id);

    public static KeysetOrder<TEntity, TRow> By(bool modified) => modified ? ByModified : ByCreated;
}
