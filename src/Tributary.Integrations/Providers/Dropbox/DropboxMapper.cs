using System.Globalization;
using System.Text.Json;
using Tributary.Integrations.FileStorage;

namespace Tributary.Integrations.Providers.Dropbox;

/// <summary>
/// Pure mapping from Dropbox API v2 JSON to the common models. Dropbox has no parent ids, creation
/// times or MIME types: the connector resolves parents from paths, creation times stay null, and
/// MIME types are inferred from the extension. <c>content_hash</c> is Dropbox's own block hash, not
/// a plain SHA-256, so it stays in <c>remote_data</c> instead of Merge's <c>checksum</c>.
/// </summary>
public static class DropboxMapper
{
    public const string WebBase = "https://www.dropbox.com/home";

    /// <summary>The <c>.tag</c> of a polymorphic entry or union value (<c>file</c>, <c>folder</c>, <c>deleted</c>, …).</summary>
    public static string? Tag(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Object when value.TryGetProperty(".tag", out var tag) => tag.GetString(),
        _ => null,
    };

    public static RemoteFile ToFile(JsonElement entry, string? folderRemoteId, string driveRemoteId, IReadOnlyList<RemotePermission> permissions, string apiPath)
    {
        var name = String(entry, "name");
        return new RemoteFile(
            String(entry, "id") ?? throw new ArgumentException("A Dropbox file entry has no id.", nameof(entry)),
            name, WebUrl(entry), null, Long(entry, "size"), MimeType(name), null, folderRemoteId, driveRemoteId, null, permissions,
            null, Time(entry, "server_modified"))
        {
            Path = String(entry, "path_lower"),
            Raw = new RemoteData(apiPath, entry.Clone()),
        };
    }

    public static RemoteFolder ToFolder(JsonElement entry, string? parentRemoteId, string driveRemoteId, IReadOnlyList<RemotePermission> permissions, string apiPath) =>
        new(String(entry, "id") ?? throw new ArgumentException("A Dropbox folder entry has no id.", nameof(entry)),
            String(entry, "name"), WebUrl(entry), null, null, parentRemoteId, driveRemoteId, permissions, null, null)
        {
            Path = String(entry, "path_lower"),
            Raw = new RemoteData(apiPath, entry.Clone()),
        };

    /// <summary>The linking user, from <c>users/get_current_account</c>.</summary>
    public static RemoteUser ToMe(JsonElement account) =>
        new(String(account, "account_id") ?? throw new ArgumentException("The account has no account_id.", nameof(account)),
            account.TryGetProperty("name", out var name) ? String(name, "display_name") : null, String(account, "email"), IsMe: true)
        {
            Raw = new RemoteData("/2/users/get_current_account", account.Clone()),
        };

    /// <summary>A collaborator from a sharing member list (<c>sharing.UserInfo</c>).</summary>
    public static RemoteUser ToUser(JsonElement userInfo, string apiPath) =>
        new(String(userInfo, "account_id") ?? throw new ArgumentException("The user has no account_id.", nameof(userInfo)),
            String(userInfo, "display_name"), String(userInfo, "email"), IsMe: false)
        {
            Raw = new RemoteData(apiPath, userInfo.Clone()),
        };

    /// <summary>A group seen in a sharing member list (<c>sharing.GroupInfo</c>); its members are not visible to a user-linked app.</summary>
    public static RemoteGroup ToGroup(JsonElement groupInfo, string apiPath) =>
        new(String(groupInfo, "group_id") ?? throw new ArgumentException("The group has no group_id.", nameof(groupInfo)),
            String(groupInfo, "group_name"), [], [])
        {
            Raw = new RemoteData(apiPath, groupInfo.Clone()),
        };

    /// <summary>The account's Dropbox as Merge's one drive: its root namespace (the team space root for team-space accounts).</summary>
    public static RemoteDrive ToDrive(JsonElement account)
    {
        var root = account.GetProperty("root_info");
        var team = account.TryGetProperty("team", out var t) && t.ValueKind == JsonValueKind.Object ? String(t, "name") : null;
        return new RemoteDrive(String(root, "root_namespace_id") ?? throw new ArgumentException("The account has no root namespace.", nameof(account)),
            team ?? "Dropbox", WebBase, null)
        {
            Raw = new RemoteData("/2/users/get_current_account", root.Clone()),
        };
    }

    /// <summary>What the owner of content outside any shared folder has: everything.</summary>
    public static RemotePermission Owner(string accountId) => new("owner:" + accountId, PermissionType.User, accountId, null, [PermissionRole.Owner]);

    /// <summary>
    /// A member of a shared folder or file (<c>sharing.UserMembershipInfo</c> or <c>GroupMembershipInfo</c>):
    /// owner → OWNER, editor → WRITE, viewer and viewer_no_comment → READ. <c>traverse</c> (may see the
    /// folder's name only) and <c>no_access</c> grant no access to the content: null.
    /// </summary>
    public static RemotePermission? Member(JsonElement membership)
    {
        if (Role(membership.TryGetProperty("access_type", out var access) ? Tag(access) : null) is not { } role)
        {
            return null;
        }
        if (membership.TryGetProperty("user", out var user) && user.ValueKind == JsonValueKind.Object && String(user, "account_id") is { } accountId
            && !membership.TryGetProperty("invitee", out _))
        {
            return new RemotePermission("user:" + accountId, PermissionType.User, accountId, null, [role]);
        }
        if (membership.TryGetProperty("group", out var group) && String(group, "group_id") is { } groupId)
        {
            return new RemotePermission("group:" + groupId, PermissionType.Group, null, groupId, [role]);
        }
        return null;
    }

    public static PermissionRole? Role(string? accessType) => accessType switch
    {
        "owner" => PermissionRole.Owner,
        "editor" => PermissionRole.Write,
        "viewer" or "viewer_no_comment" => PermissionRole.Read,
        _ => null,
    };

    /// <summary>
    /// A shared link (<c>sharing.SharedLinkMetadata</c>): audience <c>public</c> or <c>password</c> → ANYONE,
    /// <c>team</c> → COMPANY (the older <c>resolved_visibility</c> when there is no audience:
    /// <c>public</c>/<c>password</c> → ANYONE, <c>team_only</c>/<c>team_and_password</c> → COMPANY). Links that reach
    /// only members, no one, or the shared folder's members grant nothing new: null. An editor link grants WRITE.
    /// </summary>
    public static RemotePermission? Link(JsonElement link)
    {
        if (!link.TryGetProperty("link_permissions", out var permissions))
        {
            return null;
        }
        var audience = permissions.TryGetProperty("effective_audience", out var a) ? Tag(a) : null;
        var visibility = permissions.TryGetProperty("resolved_visibility", out var v) ? Tag(v) : null;
        PermissionType? type = (audience ?? visibility) switch
        {
            "public" or "password" => PermissionType.Anyone,
            "team" or "team_only" or "team_and_password" => PermissionType.Company,
            _ => null,
        };
        if (type is null)
        {
            return null;
        }
        var role = permissions.TryGetProperty("link_access_level", out var level) && Tag(level) == "editor" ? PermissionRole.Write : PermissionRole.Read;
        return new RemotePermission(type == PermissionType.Anyone ? "link:anyone" : "link:company", type.Value, null, null, [role]);
    }

    /// <summary>Several permissions on one item merged: one per (type, user, group), with the strongest role.</summary>
    public static IReadOnlyList<RemotePermission> Merge(IEnumerable<RemotePermission> permissions) =>
        [.. permissions.GroupBy(p => (p.Type, p.UserRemoteId, p.GroupRemoteId))
            .Select(g => g.OrderByDescending(p => p.Roles.DefaultIfEmpty(PermissionRole.Read).Max()).First())];

    /// <summary>The parent folder's path of a <c>path_lower</c> (<c>""</c> for the root).</summary>
    public static string ParentPath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var slash = path.LastIndexOf('/');
        return slash <= 0 ? "" : path[..slash];
    }

    /// <summary>The path itself and each ancestor up to the root, deepest first (<c>/a/b</c> → <c>/a/b</c>, <c>/a</c>).</summary>
    public static IEnumerable<string> SelfAndAncestors(string path)
    {
        for (var current = path; current.Length > 0; current = ParentPath(current))
        {
            yield return current;
        }
    }

    public static string MimeType(string? name)
    {
        var extension = Path.GetExtension(name ?? "").ToLowerInvariant();
        return extension switch
        {
            ".txt" or ".log" => "text/plain",
            ".md" => "text/markdown",
            ".csv" => "text/csv",
            ".htm" or ".html" => "text/html",
            ".json" => "application/json",
            ".xml" => "application/xml",
            ".pdf" => "application/pdf",
            ".zip" => "application/zip",
            ".png" => "image/png",
            ".jpg" or ".jpeg" => "image/jpeg",
            ".gif" => "image/gif",
            ".svg" => "image/svg+xml",
            ".webp" => "image/webp",
            ".mp3" => "audio/mpeg",
            ".mp4" => "video/mp4",
            ".mov" => "video/quicktime",
            ".doc" => "application/msword",
            ".docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ".xls" => "application/vnd.ms-excel",
            ".xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ".ppt" => "application/vnd.ms-powerpoint",
            ".pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            ".paper" => PaperMimeType,
            _ => "application/octet-stream",
        };
    }

    /// <summary>What we call a Dropbox Paper document (Dropbox names no MIME type for it); it downloads only through <c>files/export</c>.</summary>
    public const string PaperMimeType = "application/vnd.dropbox.paper";

    private static string? WebUrl(JsonElement entry) =>
        String(entry, "path_display") is { } display ? WebBase + string.Join('/', display.Split('/').Select(Uri.EscapeDataString)) : null;

    private static string? String(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static long? Long(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n) ? n : null;

    private static DateTimeOffset? Time(JsonElement element, string name) =>
        String(element, name) is { } text && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)
            ? time
            : null;
}
