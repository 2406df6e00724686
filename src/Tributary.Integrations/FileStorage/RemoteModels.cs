using System.Text.Json;

namespace Tributary.Integrations.FileStorage;

/// <summary>Anything a connector reports from the provider: its remote id and the raw provider object.</summary>
public abstract record RemoteRecord(string RemoteId)
{
    /// <summary>The provider's own JSON for Merge's <c>remote_data</c> (path and object), if kept.</summary>
    public RemoteData? Raw { get; init; }
}

/// <summary>One entry of Merge's <c>remote_data</c>: the provider API path and the object it returned.</summary>
public sealed record RemoteData(string Path, JsonElement Data);

public sealed record RemoteDrive(string RemoteId, string? Name, string? Url, DateTimeOffset? RemoteCreatedAt) : RemoteRecord(RemoteId);

public sealed record RemoteFolder(
    string RemoteId, string? Name, string? Url, long? Size, string? Description, string? ParentRemoteId, string? DriveRemoteId,
    IReadOnlyList<RemotePermission> Permissions, DateTimeOffset? RemoteCreatedAt, DateTimeOffset? RemoteUpdatedAt) : RemoteRecord(RemoteId)
{
    /// <inheritdoc cref="RemoteFile.Path"/>
    public string? Path { get; init; }
}

public sealed record RemoteFile(
    string RemoteId, string? Name, string? Url, string? ThumbnailUrl, long? Size, string? MimeType, string? Description,
    string? FolderRemoteId, string? DriveRemoteId, RemoteChecksum? Checksum, IReadOnlyList<RemotePermission> Permissions,
    DateTimeOffset? RemoteCreatedAt, DateTimeOffset? RemoteUpdatedAt) : RemoteRecord(RemoteId)
{
    /// <summary>
    /// The item's path for providers whose delete signals name a path instead of an id (Dropbox,
    /// WebDAV), in the form the provider compares paths (Dropbox: <c>path_lower</c>), starting with
    /// <c>/</c>. The platform keeps it so it can resolve <see cref="ChangePage.DeletedPaths"/>; null
    /// for providers that delete by id.
    /// </summary>
    public string? Path { get; init; }
}

public sealed record RemoteUser(string RemoteId, string? Name, string? EmailAddress, bool IsMe) : RemoteRecord(RemoteId);

public sealed record RemoteGroup(string RemoteId, string? Name, IReadOnlyList<string> UserRemoteIds, IReadOnlyList<string> ChildGroupRemoteIds)
    : RemoteRecord(RemoteId);

/// <summary>Merge's permission types.</summary>
public enum PermissionType
{
    User,
    Group,
    Company,
    Anyone,
}

/// <summary>Merge's permission roles.</summary>
public enum PermissionRole
{
    Read,
    Write,
    Owner,
}

public sealed record RemotePermission(string RemoteId, PermissionType Type, string? UserRemoteId, string? GroupRemoteId, IReadOnlyList<PermissionRole> Roles);

/// <summary>Merge's checksum: <c>crc_32</c>, <c>sha1</c>, <c>sha256</c>, <c>quickXor</c> or <c>md5</c>.</summary>
public sealed record RemoteChecksum(string Type, string ContentHash);

/// <summary>The common models of File Storage.</summary>
public enum FileStorageModel
{
    Drive,
    Folder,
    File,
    User,
    Group,
}

/// <summary>A delete the provider signalled; never inferred from absence in an incremental read.</summary>
public sealed record RemoteDeletion(FileStorageModel Model, string RemoteId);

/// <summary>
/// One page of a connector's change feed. Apply <see cref="Records"/> and <see cref="Deletions"/>,
/// then store <see cref="Cursor"/>: resuming from it continues right after this page.
/// </summary>
/// <remarks>
/// <see cref="IsFinal"/> marks the last page of this run; its cursor starts the next incremental run.
/// A full read (no cursor) reports everything that exists; <see cref="IsFullSnapshot"/> then lets the
/// platform reconcile deletes for providers that signal none.
/// </remarks>
public sealed record ChangePage(
    IReadOnlyList<RemoteRecord> Records,
    IReadOnlyList<RemoteDeletion> Deletions,
    string Cursor,
    bool IsFinal,
    bool IsFullSnapshot)
{
    /// <summary>
    /// Paths (in <see cref="RemoteFile.Path"/> form) the provider reported deleted: every file and
    /// folder at or under each path is deleted. The platform applies them <em>before</em> this page's
    /// <see cref="Records"/>, so an item moved away from a deleted path and reported in the same
    /// page survives. A record with a <see cref="RemoteFile.Path"/> also supersedes any other item
    /// the platform holds at that exact path (paths name one item at a time).
    /// </summary>
    public IReadOnlyList<string> DeletedPaths { get; init; } = [];
}
