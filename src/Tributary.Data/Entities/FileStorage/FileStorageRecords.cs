namespace Tributary.Data.Entities.FileStorage;

/// <summary>Merge's File Storage <c>Drive</c>.</summary>
public sealed class StoredDrive : SyncedRecord
{
    public string? Name { get; set; }
    public string? DriveUrl { get; set; }
    public DateTime? RemoteCreatedAt { get; set; }
}

/// <summary>Merge's File Storage <c>Folder</c>. References are Merge ids derived from remote ids.</summary>
public sealed class StoredFolder : SyncedRecord
{
    /// <summary>Longest path kept (characters); a longer one would not fit a PostgreSQL B-tree index entry.</summary>
    public const int MaxRemotePathLength = 600;

    public string? Name { get; set; }
    public string? FolderUrl { get; set; }
    public long? Size { get; set; }
    public string? Description { get; set; }
    public Guid? ParentFolderId { get; set; }
    public Guid? DriveId { get; set; }

    /// <summary>
    /// The provider's path of the item, for providers that report deletes by path (Dropbox, WebDAV):
    /// a deleted path takes every row at or under it. Null when the provider deletes by id, or when
    /// the path is longer than <see cref="MaxRemotePathLength"/> (then a delete by path misses it).
    /// </summary>
    public string? RemotePath { get; set; }

    /// <summary>Merge's nested permissions, as a JSON array of stored permissions.</summary>
    public string PermissionsJson { get; set; } = "[]";

    public DateTime? RemoteCreatedAt { get; set; }
    public DateTime? RemoteUpdatedAt { get; set; }
}

/// <summary>Merge's File Storage <c>File</c>.</summary>
public sealed class StoredFile : SyncedRecord
{
    public string? Name { get; set; }
    public string? FileUrl { get; set; }
    public string? FileThumbnailUrl { get; set; }
    public long? Size { get; set; }
    public string? MimeType { get; set; }
    public string? Description { get; set; }
    public Guid? FolderId { get; set; }
    public Guid? DriveId { get; set; }

    /// <summary>
    /// The provider's path of the item, for providers that report deletes by path (Dropbox, WebDAV):
    /// a deleted path takes every row at or under it. Null when the provider deletes by id, or when
    /// the path is longer than <see cref="StoredFolder.MaxRemotePathLength"/> (then a delete by path misses it).
    /// </summary>
    public string? RemotePath { get; set; }

    /// <summary>Merge's <c>checksum</c> object as JSON, or null.</summary>
    public string? ChecksumJson { get; set; }

    public string PermissionsJson { get; set; } = "[]";
    public DateTime? RemoteCreatedAt { get; set; }
    public DateTime? RemoteUpdatedAt { get; set; }
}

/// <summary>Merge's File Storage <c>User</c>.</summary>
public sealed class StoredUser : SyncedRecord
{
    private string? _emailAddress;

    public string? Name { get; set; }

    /// <summary>As the provider reports it; setting it also sets <see cref="NormalizedEmailAddress"/>.</summary>
    public string? EmailAddress
    {
        get => _emailAddress;
        set
        {
            _emailAddress = value;
            NormalizedEmailAddress = value?.ToLowerInvariant();
        }
    }

    /// <summary>
    /// <see cref="EmailAddress"/> lower-cased (invariant culture, in .NET so both databases agree):
    /// the indexed key of Merge's case-insensitive <c>email_address</c> filter.
    /// </summary>
    public string? NormalizedEmailAddress { get; private set; }

    public bool IsMe { get; set; }
}

/// <summary>Merge's File Storage <c>Group</c>; members and child groups as JSON arrays of Merge ids.</summary>
public sealed class StoredGroup : SyncedRecord
{
    public string? Name { get; set; }
    public string UsersJson { get; set; } = "[]";
    public string ChildGroupsJson { get; set; } = "[]";
}
