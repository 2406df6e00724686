using System.Globalization;
using System.Text.Json;
using Tributary.Integrations.FileStorage;

namespace Tributary.Integrations.Providers.Box;

/// <summary>
/// Box JSON → the common models. Pure: no I/O. Box has no drive object, so every account has one
/// synthetic drive, "All Files" (the caller's root folder <c>0</c>); items directly in <c>0</c> have no parent folder.
/// </summary>
public static class BoxMapper
{
    /// <summary>Box's id for the caller's root folder, also the remote id of the synthetic drive.</summary>
    public const string RootFolderId = "0";

    /// <summary>The fields asked for with <c>?fields=</c> (it replaces Box's default set, so it names everything the mapper reads).</summary>
    public const string ItemFields =
        "type,id,etag,sequence_id,name,size,sha1,parent,created_at,modified_at,item_status,shared_link,owned_by,description,has_collaborations";

    public const string WebAppBaseUrl = "https://app.box.com";

    public static RemoteDrive Drive() =>
        new(RootFolderId, "All Files", $"{WebAppBaseUrl}/folder/{RootFolderId}", null);

    public static RemoteUser User(JsonElement user, bool isMe) =>
        new(Text(user, "id") ?? "", Text(user, "name"), Text(user, "login"), isMe) { Raw = new RemoteData(isMe ? "/users/me" : "/users", user.Clone()) };

    public static RemoteGroup Group(JsonElement group, IReadOnlyList<string> memberIds) =>
        new(Text(group, "id") ?? "", Text(group, "name"), memberIds, []) { Raw = new RemoteData("/groups", group.Clone()) };

    /// <summary>The item's type: <c>file</c>, <c>folder</c> or <c>web_link</c>.</summary>
    public static string? TypeOf(JsonElement item) => Text(item, "type");

    /// <summary>Trashed or purged items are deletes, whatever event announced them.</summary>
    public static bool IsGone(JsonElement item) => Text(item, "item_status") is "trashed" or "deleted";

    public static bool HasCollaborations(JsonElement item) =>
        item.TryGetProperty("has_collaborations", out var value) && value.ValueKind == JsonValueKind.True;

    public static RemoteFile File(JsonElement item, IEnumerable<JsonElement> collaborations, string path)
    {
        var id = Text(item, "id") ?? "";
        var name = Text(item, "name");
        return new RemoteFile(
            id, name, $"{WebAppBaseUrl}/file/{id}", null, Long(item, "size"), MimeTypeOf(name), Text(item, "description"),
            ParentId(item), RootFolderId,
            Text(item, "sha1") is { Length: > 0 } sha1 ? new RemoteChecksum("sha1", sha1.ToLowerInvariant()) : null,
            Permissions(item, collaborations), Date(item, "created_at"), Date(item, "modified_at"))
        {
            Raw = new RemoteData(path, item.Clone()),
        };
    }

    public static RemoteFolder Folder(JsonElement item, IEnumerable<JsonElement> collaborations, string path)
    {
        var id = Text(item, "id") ?? "";
        return new RemoteFolder(
            id, Text(item, "name"), $"{WebAppBaseUrl}/folder/{id}", Long(item, "size"), Text(item, "description"),
            ParentId(item), RootFolderId, Permissions(item, collaborations), Date(item, "created_at"), Date(item, "modified_at"))
        {
            Raw = new RemoteData(path, item.Clone()),
        };
    }

    /// <summary>
    /// The owner (<c>owned_by</c>, not a collaboration in Box), accepted direct collaborations and the
    /// shared link (<c>open</c> → anyone, <c>company</c> → company). Collaborations inherited from
    /// ancestor folders are not repeated on each item.
    /// </summary>
    public static IReadOnlyList<RemotePermission> Permissions(JsonElement item, IEnumerable<JsonElement> collaborations)
    {
        var permissions = new List<RemotePermission>();
        var itemId = Text(item, "id") ?? "";
        if (item.TryGetProperty("owned_by", out var owner) && owner.ValueKind == JsonValueKind.Object && Text(owner, "id") is { } ownerId)
        {
            permissions.Add(new RemotePermission($"owner-{itemId}", PermissionType.User, ownerId, null, [PermissionRole.Owner]));
        }
        foreach (var collaboration in collaborations)
        {
            if (Text(collaboration, "status") is { } status && status != "accepted")
            {
                continue;
            }
            if (!collaboration.TryGetProperty("accessible_by", out var grantee) || grantee.ValueKind != JsonValueKind.Object)
            {
                continue; // an invitation to an address that is not a Box user yet
            }
            var roles = Roles(Text(collaboration, "role"));
            var granteeId = Text(grantee, "id");
            if (roles.Count == 0 || granteeId is null)
            {
                continue;
            }
            var id = Text(collaboration, "id") ?? $"collab-{itemId}-{granteeId}";
            permissions.Add(Text(grantee, "type") == "group"
                ? new RemotePermission(id, PermissionType.Group, null, granteeId, roles)
                : new RemotePermission(id, PermissionType.User, granteeId, null, roles));
        }
        if (item.TryGetProperty("shared_link", out var link) && link.ValueKind == JsonValueKind.Object)
        {
            var access = Text(link, "effective_access") ?? Text(link, "access");
            var type = access switch
            {
                "open" => PermissionType.Anyone,
                "company" => PermissionType.Company,
                _ => (PermissionType?)null, // "collaborators": nobody beyond the collaborations above
            };
            if (type is { } linkType)
            {
                var canEdit = link.TryGetProperty("permissions", out var linkPermissions) && linkPermissions.ValueKind == JsonValueKind.Object
                    && linkPermissions.TryGetProperty("can_edit", out var edit) && edit.ValueKind == JsonValueKind.True;
                permissions.Add(new RemotePermission($"shared-link-{itemId}", linkType, null, null, canEdit ? [PermissionRole.Write] : [PermissionRole.Read]));
            }
        }
        return permissions;
    }

    /// <summary>Box collaboration roles → Merge roles (providers.md §3).</summary>
    public static IReadOnlyList<PermissionRole> Roles(string? role) => role switch
    {
        "owner" or "co-owner" => [PermissionRole.Owner],
        "editor" => [PermissionRole.Read, PermissionRole.Write],
        "viewer" or "previewer" => [PermissionRole.Read],
        "viewer uploader" or "previewer uploader" => [PermissionRole.Read, PermissionRole.Write],
        "uploader" => [PermissionRole.Write],
        _ => [],
    };

    /// <summary>Box stores no MIME type; it is inferred from the extension (Box itself previews by extension).</summary>
    public static string MimeTypeOf(string? name)
    {
        var extension = Path.GetExtension(name ?? "").TrimStart('.').ToLowerInvariant();
        return extension switch
        {
            "txt" or "log" => "text/plain",
            "md" => "text/markdown",
            "csv" => "text/csv",
            "html" or "htm" => "text/html",
            "json" => "application/json",
            "xml" => "application/xml",
            "pdf" => "application/pdf",
            "zip" => "application/zip",
            "png" => "image/png",
            "jpg" or "jpeg" => "image/jpeg",
            "gif" => "image/gif",
            "svg" => "image/svg+xml",
            "mp4" => "video/mp4",
            "mp3" => "audio/mpeg",
            "doc" => "application/msword",
            "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "xls" => "application/vnd.ms-excel",
            "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "ppt" => "application/vnd.ms-powerpoint",
            "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            "boxnote" => "application/vnd.box.boxnote",
            _ => "application/octet-stream",
        };
    }

    /// <summary>The parent folder's id, or null for an item directly in the root (which is the drive).</summary>
    public static string? ParentId(JsonElement item) =>
        item.TryGetProperty("parent", out var parent) && parent.ValueKind == JsonValueKind.Object && Text(parent, "id") is { } id && id != RootFolderId
            ? id
            : null;

    public static string? Text(JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value)
            ? value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Number => value.GetRawText(),
                _ => null,
            }
            : null;

    private static long? Long(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number) ? number : null;

    private static DateTimeOffset? Date(JsonElement element, string property) =>
        Text(element, property) is { } text && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var date) ? date : null;
}
