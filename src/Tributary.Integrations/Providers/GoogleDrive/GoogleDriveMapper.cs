using System.Globalization;
using System.Text.Json;
using Tributary.Integrations.FileStorage;

namespace Tributary.Integrations.Providers.GoogleDrive;

/// <summary>
/// Google Drive v3 JSON (<c>File</c>, <c>Permission</c>, <c>Drive</c>, <c>User</c>) to the common
/// models. Pure: no I/O, no clock. <c>myDriveRootId</c> is the id of the user's
/// "My Drive" root folder: items directly under it (or under a shared drive's root, whose id is the
/// drive's id) have no parent folder in Merge's model.
/// </summary>
public static class GoogleDriveMapper
{
    public const string FolderMimeType = "application/vnd.google-apps.folder";
    public const string ShortcutMimeType = "application/vnd.google-apps.shortcut";
    public const string NativePrefix = "application/vnd.google-apps.";
    public const string MyDriveName = "My Drive";

    /// <summary>The <c>fields</c> selection of one User.</summary>
    public const string UserFields = "permissionId,displayName,emailAddress,me";

    /// <summary>The <c>fields</c> selection of one Permission.</summary>
    public const string PermissionFields = "id,type,role,emailAddress,displayName,domain,allowFileDiscovery,deleted";

    /// <summary>The <c>fields</c> selection of one File: everything the mapper reads, nothing more.</summary>
    public const string FileFields =
        "id,name,mimeType,parents,driveId,size,md5Checksum,sha256Checksum,createdTime,modifiedTime,trashed,description,webViewLink,thumbnailLink,"
        + "owners(" + UserFields + "),permissions(" + PermissionFields + ")";

    /// <summary>A Drive item is a folder, a file, or something the sync skips (a shortcut would count its target twice).</summary>
    public static bool IsFolder(JsonElement file) => Str(file, "mimeType") == FolderMimeType;

    public static bool IsShortcut(JsonElement file) => Str(file, "mimeType") == ShortcutMimeType;

    /// <summary>Google Workspace documents have no bytes of their own: they download only through <c>files.export</c>.</summary>
    public static bool IsNativeDocument(string? mimeType) =>
        mimeType is not null && mimeType.StartsWith(NativePrefix, StringComparison.Ordinal) && mimeType is not FolderMimeType and not ShortcutMimeType;

    public static RemoteFolder ToFolder(JsonElement file, string? myDriveRootId, IReadOnlyList<RemotePermission> permissions) =>
        new(Str(file, "id")!, Str(file, "name"), Str(file, "webViewLink"), null, Str(file, "description"), ParentOf(file, myDriveRootId),
            DriveOf(file, myDriveRootId), permissions, Time(file, "createdTime"), Time(file, "modifiedTime"))
        {
            Raw = new RemoteData("/drive/v3/files", file.Clone()),
        };

    public static RemoteFile ToFile(JsonElement file, string? myDriveRootId, IReadOnlyList<RemotePermission> permissions) =>
        new(Str(file, "id")!, Str(file, "name"), Str(file, "webViewLink"), Str(file, "thumbnailLink"), Int64(file, "size"), Str(file, "mimeType"),
            Str(file, "description"), ParentOf(file, myDriveRootId), DriveOf(file, myDriveRootId), Checksum(file), permissions,
            Time(file, "createdTime"), Time(file, "modifiedTime"))
        {
            Raw = new RemoteData("/drive/v3/files", file.Clone()),
        };

    /// <summary>A shared drive from <c>drives.list</c> or a <c>drive</c> change.</summary>
    public static RemoteDrive ToDrive(JsonElement drive) =>
        new(Str(drive, "id")!, Str(drive, "name"), null, Time(drive, "createdTime")) { Raw = new RemoteData("/drive/v3/drives", drive.Clone()) };

    /// <summary>"My Drive" has no Drive object in the API; its root folder's id stands for it.</summary>
    public static RemoteDrive MyDrive(string rootFolderId) => new(rootFolderId, MyDriveName, "https://drive.google.com/drive/my-drive", null);

    /// <summary>A Drive <c>User</c> (from <c>about</c> or <c>owners</c>); its <c>permissionId</c> is stable across files, so it is the remote id.</summary>
    public static RemoteUser? ToUser(JsonElement user, bool? isMe = null) =>
        Str(user, "permissionId") is { } id
            ? new RemoteUser(id, Str(user, "displayName"), Str(user, "emailAddress"), isMe ?? Bool(user, "me"))
            {
                Raw = new RemoteData("/drive/v3/about", user.Clone()),
            }
            : null;

    /// <summary>
    /// The Merge permission of a Drive permission, or null for one that no longer applies
    /// (<c>deleted</c>) or whose type or role Drive added after this mapper was written.
    /// </summary>
    public static RemotePermission? ToPermission(JsonElement permission)
    {
        if (Bool(permission, "deleted") || Str(permission, "id") is not { } id)
        {
            return null;
        }
        PermissionType? type = Str(permission, "type") switch
        {
            "user" => PermissionType.User,
            "group" => PermissionType.Group,
            // Another organisation's domain is still closest to COMPANY; the raw domain stays in remote_data.
            "domain" => PermissionType.Company,
            // allowFileDiscovery=false is "anyone with the link": still ANYONE.
            "anyone" => PermissionType.Anyone,
            _ => null,
        };
        IReadOnlyList<PermissionRole>? roles = Str(permission, "role") switch
        {
            "owner" or "organizer" => [PermissionRole.Owner],
            "fileOrganizer" or "writer" => [PermissionRole.Write],
            "commenter" or "reader" => [PermissionRole.Read],
            _ => null,
        };
        if (type is null || roles is null)
        {
            return null;
        }
        // A user's or group's permission id is the same on every file: it identifies the principal.
        return new RemotePermission(id, type.Value, type == PermissionType.User ? id : null, type == PermissionType.Group ? id : null, roles);
    }

    public static IReadOnlyList<RemotePermission> ToPermissions(JsonElement file) =>
        file.TryGetProperty("permissions", out var list) && list.ValueKind == JsonValueKind.Array
            ? [.. list.EnumerateArray().Select(ToPermission).OfType<RemotePermission>()]
            : [];

    /// <summary>
    /// The users and groups a file reveals: its owners and the principals of its user and group
    /// permissions. Drive has no user or group listing (that is the Admin SDK), so this is all a
    /// Drive-scoped token can see; group members are unknown.
    /// </summary>
    public static IEnumerable<RemoteRecord> Principals(JsonElement file, IEnumerable<JsonElement> permissions)
    {
        if (file.TryGetProperty("owners", out var owners) && owners.ValueKind == JsonValueKind.Array)
        {
            foreach (var owner in owners.EnumerateArray())
            {
                if (ToUser(owner) is { } user)
                {
                    yield return user;
                }
            }
        }
        foreach (var permission in permissions)
        {
            if (Bool(permission, "deleted") || Str(permission, "id") is not { } id)
            {
                continue;
            }
            var raw = new RemoteData("/drive/v3/files/permissions", permission.Clone());
            switch (Str(permission, "type"))
            {
                case "user":
                    yield return new RemoteUser(id, Str(permission, "displayName"), Str(permission, "emailAddress"), false) { Raw = raw };
                    break;
                case "group":
                    yield return new RemoteGroup(id, Str(permission, "displayName") ?? Str(permission, "emailAddress"), [], []) { Raw = raw };
                    break;
            }
        }
    }

    public static IEnumerable<JsonElement> PermissionElements(JsonElement file) =>
        file.TryGetProperty("permissions", out var list) && list.ValueKind == JsonValueKind.Array ? list.EnumerateArray() : [];

    /// <summary>Drive's <c>md5Checksum</c> (binary files only), else <c>sha256Checksum</c>.</summary>
    public static RemoteChecksum? Checksum(JsonElement file) =>
        Str(file, "md5Checksum") is { } md5 ? new RemoteChecksum("md5", md5)
        : Str(file, "sha256Checksum") is { } sha256 ? new RemoteChecksum("sha256", sha256)
        : null;

    /// <summary>The folder an item is in: its one parent, unless that is a drive's root.</summary>
    public static string? ParentOf(JsonElement file, string? myDriveRootId)
    {
        var parent = file.TryGetProperty("parents", out var parents) && parents.ValueKind == JsonValueKind.Array && parents.GetArrayLength() > 0
            ? parents[0].GetString()
            : null;
        return parent is null || parent == myDriveRootId || parent == Str(file, "driveId") ? null : parent;
    }

    /// <summary>The shared drive an item is in, else My Drive (its root folder's id).</summary>
    public static string? DriveOf(JsonElement file, string? myDriveRootId) => Str(file, "driveId") ?? myDriveRootId;

    public static string? Str(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public static bool Bool(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.True;

    /// <summary>Discovery's int64 travels as a JSON string.</summary>
    private static long? Int64(JsonElement element, string name) =>
        Str(element, name) is { } text && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;

    private static DateTimeOffset? Time(JsonElement element, string name) =>
        Str(element, name) is { } text && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value) ? value : null;
}
