using System.Security.Cryptography;
using System.Text.Json;
using Tributary.Data;
using Tributary.Data.Entities.FileStorage;
using Tributary.Integrations.FileStorage;

namespace Tributary.Server.Sync;

/// <summary>A permission as stored inside a file or folder row; user and group are Merge ids.</summary>
internal sealed record StoredPermission(Guid Id, string RemoteId, string Type, Guid? User, Guid? Group, IReadOnlyList<string> Roles);

/// <summary>
/// Pure functions from a connector's records to store rows: Merge ids derived from remote ids,
/// references resolved the same way (so arrival order never matters), and a fingerprint of the
/// mapped fields so <c>modified_at</c> moves only when something changed.
/// </summary>
internal static class StoreMapper
{
    public const string DriveModel = "drive";
    public const string FolderModel = "folder";
    public const string FileModel = "file";
    public const string UserModel = "user";
    public const string GroupModel = "group";
    public const string PermissionModel = "permission";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static string ModelName(FileStorageModel model) => model switch
    {
        FileStorageModel.Drive => DriveModel,
        FileStorageModel.Folder => FolderModel,
        FileStorageModel.File => FileModel,
        FileStorageModel.User => UserModel,
        FileStorageModel.Group => GroupModel,
        _ => throw new ArgumentOutOfRangeException(nameof(model), model, null),
    };

    public static StoredDrive ToDrive(Guid account, RemoteDrive d) => new()
    {
        Id = StoreIds.For(account, DriveModel, d.RemoteId),
        LinkedAccountId = account,
        RemoteId = d.RemoteId,
        Name = d.Name,
        DriveUrl = d.Url,
        RemoteCreatedAt = d.RemoteCreatedAt?.UtcDateTime,
        RemoteDataJson = RawJson(d.Raw),
        Fingerprint = Fingerprint(d.Name, d.Url, d.RemoteCreatedAt, RawJson(d.Raw)),
    };

    public static StoredFolder ToFolder(Guid account, RemoteFolder f)
    {
        var permissions = Permissions(account, f.RemoteId, f.Permissions);
        return new StoredFolder
        {
            Id = StoreIds.For(account, FolderModel, f.RemoteId),
            LinkedAccountId = account,
            RemoteId = f.RemoteId,
            Name = f.Name,
            FolderUrl = f.Url,
            Size = f.Size,
            Description = f.Description,
            ParentFolderId = StoreIds.ForOptional(account, FolderModel, f.ParentRemoteId),
            DriveId = StoreIds.ForOptional(account, DriveModel, f.DriveRemoteId),
            PermissionsJson = permissions,
            RemoteCreatedAt = f.RemoteCreatedAt?.UtcDateTime,
            RemoteUpdatedAt = f.RemoteUpdatedAt?.UtcDateTime,
            RemotePath = StoredPath(f.Path),
            RemoteDataJson = RawJson(f.Raw),
            Fingerprint = Fingerprint(f.Name, f.Url, f.Size, f.Description, f.ParentRemoteId, f.DriveRemoteId, permissions,
                f.RemoteCreatedAt, f.RemoteUpdatedAt, RawJson(f.Raw), f.Path),
        };
    }

    public static StoredFile ToFile(Guid account, RemoteFile f)
    {
        var permissions = Permissions(account, f.RemoteId, f.Permissions);
        var checksum = f.Checksum is null ? null : JsonSerializer.Serialize(new { type = f.Checksum.Type, content_hash = f.Checksum.ContentHash });
        return new StoredFile
        {
            Id = StoreIds.For(account, FileModel, f.RemoteId),
            LinkedAccountId = account,
            RemoteId = f.RemoteId,
            Name = f.Name,
            FileUrl = f.Url,
            FileThumbnailUrl = f.ThumbnailUrl,
            Size = f.Size,
            MimeType = f.MimeType,
            Description = f.Description,
            FolderId = StoreIds.ForOptional(account, FolderModel, f.FolderRemoteId),
            DriveId = StoreIds.ForOptional(account, DriveModel, f.DriveRemoteId),
            ChecksumJson = checksum,
            PermissionsJson = permissions,
            RemoteCreatedAt = f.RemoteCreatedAt?.UtcDateTime,
            RemoteUpdatedAt = f.RemoteUpdatedAt?.UtcDateTime,
            RemotePath = StoredPath(f.Path),
            RemoteDataJson = RawJson(f.Raw),
            Fingerprint = Fingerprint(f.Name, f.Url, f.ThumbnailUrl, f.Size, f.MimeType, f.Description, f.FolderRemoteId, f.DriveRemoteId,
                checksum, permissions, f.RemoteCreatedAt, f.RemoteUpdatedAt, RawJson(f.Raw), f.Path),
        };
    }

    public static StoredUser ToUser(Guid account, RemoteUser u) => new()
    {
        Id = StoreIds.For(account, UserModel, u.RemoteId),
        LinkedAccountId = account,
        RemoteId = u.RemoteId,
        Name = u.Name,
        EmailAddress = u.EmailAddress,
        IsMe = u.IsMe,
        RemoteDataJson = RawJson(u.Raw),
        Fingerprint = Fingerprint(u.Name, u.EmailAddress, u.IsMe, RawJson(u.Raw)),
    };

    public static StoredGroup ToGroup(Guid account, RemoteGroup g)
    {
        var users = JsonSerializer.Serialize(g.UserRemoteIds.Select(id => StoreIds.For(account, UserModel, id)));
        var children = JsonSerializer.Serialize(g.ChildGroupRemoteIds.Select(id => StoreIds.For(account, GroupModel, id)));
        return new StoredGroup
        {
            Id = StoreIds.For(account, GroupModel, g.RemoteId),
            LinkedAccountId = account,
            RemoteId = g.RemoteId,
            Name = g.Name,
            UsersJson = users,
            ChildGroupsJson = children,
            RemoteDataJson = RawJson(g.Raw),
            Fingerprint = Fingerprint(g.Name, users, children, RawJson(g.Raw)),
        };
    }

    public static IReadOnlyList<StoredPermission> ReadPermissions(string json) =>
        JsonSerializer.Deserialize<List<StoredPermission>>(json, Json) ?? [];

    private static string Permissions(Guid account, string ownerRemoteId, IReadOnlyList<RemotePermission> permissions) =>
        JsonSerializer.Serialize(permissions.Select(p => new StoredPermission(
            StoreIds.For(account, PermissionModel, ownerRemoteId + "\n" + p.RemoteId),
            p.RemoteId,
            p.Type.ToString().ToUpperInvariant(),
            StoreIds.ForOptional(account, UserModel, p.UserRemoteId),
            StoreIds.ForOptional(account, GroupModel, p.GroupRemoteId),
            p.Roles.Select(r => r.ToString().ToUpperInvariant()).ToList())), Json);

    /// <summary>The path as stored, or null when it is too long to index (a delete by path then misses that row).</summary>
    public static string? StoredPath(string? path) => path is { Length: <= StoredFolder.MaxRemotePathLength } ? path : null;

    private static string? RawJson(RemoteData? raw) =>
        raw is null ? null : JsonSerializer.Serialize(new[] { new { path = raw.Path, data = raw.Data } });

    private static byte[] Fingerprint(params object?[] fields) =>
        SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(fields, Json));
}
