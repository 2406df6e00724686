using System.Text.Json;
using Tributary.Data.Entities.FileStorage;
using Tributary.Server.Sync;

namespace Tributary.Server.FileStorage;

/// <summary>Merge's <c>Permission</c>, nested in files and folders.</summary>
internal sealed record PermissionDto(
    Guid Id, string RemoteId, DateTime CreatedAt, DateTime ModifiedAt, Guid? User, Guid? Group, string Type,
    IReadOnlyList<string> Roles, bool RemoteWasDeleted, object? FieldMappings);

/// <summary>Merge's File Storage <c>File</c>. <c>folder</c> and <c>drive</c> hold an id, or the object when expanded.</summary>
internal sealed record FileDto(
    Guid Id, string RemoteId, DateTime CreatedAt, DateTime ModifiedAt, string? Name, string? FileUrl, string? FileThumbnailUrl,
    long? Size, string? MimeType, string? Description, object? Folder, JsonElement? Checksum, IReadOnlyList<PermissionDto> Permissions,
    object? Drive, DateTime? RemoteCreatedAt, DateTime? RemoteUpdatedAt, bool RemoteWasDeleted, object? FieldMappings, JsonElement? RemoteData);

/// <summary>Merge's File Storage <c>Folder</c>.</summary>
internal sealed record FolderDto(
    Guid Id, string RemoteId, DateTime CreatedAt, DateTime ModifiedAt, string? Name, string? FolderUrl, long? Size, string? Description,
    object? ParentFolder, object? Drive, IReadOnlyList<PermissionDto> Permissions, DateTime? RemoteCreatedAt, DateTime? RemoteUpdatedAt,
    bool RemoteWasDeleted, object? FieldMappings, JsonElement? RemoteData);

/// <summary>Merge's File Storage <c>Drive</c>.</summary>
internal sealed record DriveDto(
    Guid Id, string RemoteId, DateTime CreatedAt, DateTime ModifiedAt, string? Name, DateTime? RemoteCreatedAt, string? DriveUrl,
    bool RemoteWasDeleted, object? FieldMappings, JsonElement? RemoteData);

/// <summary>Merge's File Storage <c>User</c>.</summary>
internal sealed record UserDto(
    Guid Id, string RemoteId, DateTime CreatedAt, DateTime ModifiedAt, string? Name, string? EmailAddress, bool IsMe,
    bool RemoteWasDeleted, object? FieldMappings, JsonElement? RemoteData);

/// <summary>Merge's File Storage <c>Group</c>: <c>users</c> and <c>child_groups</c> hold ids, or objects when expanded.</summary>
internal sealed record GroupDto(
    Guid Id, string RemoteId, DateTime CreatedAt, DateTime ModifiedAt, string? Name, IReadOnlyList<object> Users,
    IReadOnlyList<object> ChildGroups, bool RemoteWasDeleted, object? FieldMappings, JsonElement? RemoteData);

/// <summary>
/// Rows to Merge's JSON as records: what the write endpoints return and what OpenAPI documents. The
/// list and retrieve endpoints write the same bytes without these records (<see cref="CommonModelJson"/>;
/// CommonModelJsonTests keeps the two equal). Expanded relations are passed in already loaded; nothing here queries.
/// </summary>
internal static class CommonModelDtos
{
    public static FileDto File(StoredFile f, bool remoteData, object? folder = null, object? drive = null) => new(
        f.Id, f.RemoteId, f.CreatedAt, f.ModifiedAt, f.Name, f.FileUrl, f.FileThumbnailUrl, f.Size, f.MimeType, f.Description,
        folder ?? f.FolderId, f.ChecksumJson is null ? null : JsonDocument.Parse(f.ChecksumJson).RootElement.Clone(),
        Permissions(f.PermissionsJson, f.CreatedAt, f.ModifiedAt), drive ?? f.DriveId, f.RemoteCreatedAt, f.RemoteUpdatedAt,
        f.RemoteWasDeleted, null, RemoteData(f, remoteData));

    public static FolderDto Folder(StoredFolder f, bool remoteData, object? parent = null, object? drive = null) => new(
        f.Id, f.RemoteId, f.CreatedAt, f.ModifiedAt, f.Name, f.FolderUrl, f.Size, f.Description, parent ?? f.ParentFolderId,
        drive ?? f.DriveId, Permissions(f.PermissionsJson, f.CreatedAt, f.ModifiedAt), f.RemoteCreatedAt, f.RemoteUpdatedAt,
        f.RemoteWasDeleted, null, RemoteData(f, remoteData));

    public static DriveDto Drive(StoredDrive d, bool remoteData) => new(
        d.Id, d.RemoteId, d.CreatedAt, d.ModifiedAt, d.Name, d.RemoteCreatedAt, d.DriveUrl, d.RemoteWasDeleted, null, RemoteData(d, remoteData));

    public static UserDto User(StoredUser u, bool remoteData) => new(
        u.Id, u.RemoteId, u.CreatedAt, u.ModifiedAt, u.Name, u.EmailAddress, u.IsMe, u.RemoteWasDeleted, null, RemoteData(u, remoteData));

    public static GroupDto Group(StoredGroup g, bool remoteData, IReadOnlyList<object>? users = null, IReadOnlyList<object>? childGroups = null) => new(
        g.Id, g.RemoteId, g.CreatedAt, g.ModifiedAt, g.Name, users ?? Ids(g.UsersJson), childGroups ?? Ids(g.ChildGroupsJson),
        g.RemoteWasDeleted, null, RemoteData(g, remoteData));

    public static IReadOnlyList<object> Ids(string json) => IdList(json).Cast<object>().ToList();

    /// <summary>A stored JSON array of Merge ids (a group's users or child groups).</summary>
    public static List<Guid> IdList(string json) => JsonSerializer.Deserialize<List<Guid>>(json) ?? [];

    private static List<PermissionDto> Permissions(string json, DateTime createdAt, DateTime modifiedAt) =>
        StoreMapper.ReadPermissions(json)
            .Select(p => new PermissionDto(p.Id, p.RemoteId, createdAt, modifiedAt, p.User, p.Group, p.Type, p.Roles, false, null))
            .ToList();

    private static JsonElement? RemoteData(SyncedRecord row, bool include) =>
        include && row.RemoteDataJson is not null ? JsonDocument.Parse(row.RemoteDataJson).RootElement.Clone() : null;
}
