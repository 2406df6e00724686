using System.Globalization;
using System.Text.Json;
using Tributary.Integrations.FileStorage;

namespace Tributary.Integrations.Providers.MicrosoftGraph;

/// <summary>What one delta entry means for the common models.</summary>
public abstract record GraphItemChange;

/// <summary>A file or folder to upsert.</summary>
public sealed record GraphItemUpsert(RemoteRecord Record) : GraphItemChange;

/// <summary>A <c>deleted</c> entry. Business drives often send only the id, so the model may be unknown (then both are reported).</summary>
public sealed record GraphItemDeletion(string RemoteId, FileStorageModel? Model) : GraphItemChange;

/// <summary>An entry that is not a Merge file or folder: the drive root, OneNote packages, items shared from other drives.</summary>
public sealed record GraphItemSkipped(string Reason) : GraphItemChange;

/// <summary>
/// Pure mapping from Microsoft Graph JSON (driveItem, permission, drive, user, group) to the common
/// models, following the mapping table in <c>shared/reference/providers.md</c> §4. No I/O.
/// </summary>
public static class GraphMapper
{
    /// <summary>
    /// Classifies one delta entry of drive <paramref name="driveId"/> whose root item is <paramref name="rootId"/>;
    /// <paramref name="permissions"/> is the item's <c>/permissions</c> value array, if read.
    /// </summary>
    public static GraphItemChange MapItem(JsonElement item, string driveId, string rootId, JsonElement? permissions)
    {
        var itemId = String(item, "id") ?? throw new ProviderException(ProviderErrorKind.Transient, "Microsoft Graph sent a driveItem without an id.");
        var itemDrive = String(item, "parentReference", "driveId") ?? driveId;
        var remoteId = GraphItemId.Format(itemDrive, itemId);
        if (Has(item, "deleted"))
        {
            FileStorageModel? model = Has(item, "file") ? FileStorageModel.File : Has(item, "folder") ? FileStorageModel.Folder : null;
            return new GraphItemDeletion(remoteId, model);
        }
        if (Has(item, "root") || itemId == rootId)
        {
            return new GraphItemSkipped("the drive root is not a folder in the common model");
        }
        if (Has(item, "remoteItem"))
        {
            return new GraphItemSkipped("an item shared from another drive; it is synced from its own drive");
        }
        if (Has(item, "package") && !Has(item, "file"))
        {
            return new GraphItemSkipped("a package (OneNote notebook) is neither a file nor a folder and cannot be downloaded as one");
        }

        var parentId = String(item, "parentReference", "id");
        var parent = parentId is null || parentId == rootId ? null : GraphItemId.Format(itemDrive, parentId);
        var mapped = MapPermissions(permissions);
        var raw = new RemoteData($"/drives/{itemDrive}/items/{itemId}", item.Clone());
        if (Has(item, "folder"))
        {
            return new GraphItemUpsert(new RemoteFolder(remoteId, String(item, "name"), String(item, "webUrl"), Long(item, "size"), String(item, "description"),
                parent, itemDrive, mapped, Date(item, "createdDateTime"), Date(item, "lastModifiedDateTime")) { Raw = raw });
        }
        if (Has(item, "file"))
        {
            return new GraphItemUpsert(new RemoteFile(remoteId, String(item, "name"), String(item, "webUrl"), null, Long(item, "size"),
                String(item, "file", "mimeType"), String(item, "description"), parent, itemDrive, Checksum(item), mapped,
                Date(item, "createdDateTime"), Date(item, "lastModifiedDateTime")) { Raw = raw });
        }
        return new GraphItemSkipped("an item with neither a file nor a folder facet");
    }

    /// <summary>The strongest hash Graph gives: SHA-256 and SHA-1 exist only on personal OneDrive, quickXor everywhere.</summary>
    public static RemoteChecksum? Checksum(JsonElement item)
    {
        if (!item.TryGetProperty("file", out var file) || file.ValueKind != JsonValueKind.Object
            || !file.TryGetProperty("hashes", out var hashes) || hashes.ValueKind != JsonValueKind.Object)
        {
            return null;
        }
        foreach (var (property, type) in (ReadOnlySpan<(string, string)>)[("sha256Hash", "sha256"), ("sha1Hash", "sha1"), ("quickXorHash", "quickXor"), ("crc32Hash", "crc_32")])
        {
            if (String(hashes, property) is { Length: > 0 } value)
            {
                return new RemoteChecksum(type, value);
            }
        }
        return null;
    }

    /// <summary>
    /// Graph's effective permissions → Merge's. Links: <c>anonymous</c> → ANYONE, <c>organization</c> →
    /// COMPANY, <c>users</c> → one USER or GROUP per recipient; direct grants (<c>grantedToV2</c>) → USER or GROUP.
    /// </summary>
    public static IReadOnlyList<RemotePermission> MapPermissions(JsonElement? permissions)
    {
        if (permissions is not { ValueKind: JsonValueKind.Array } array)
        {
            return [];
        }
        var result = new List<RemotePermission>();
        foreach (var permission in array.EnumerateArray())
        {
            var id = String(permission, "id") ?? "";
            var roles = Roles(permission);
            if (permission.TryGetProperty("link", out var link) && link.ValueKind == JsonValueKind.Object)
            {
                switch (String(link, "scope"))
                {
                    case "anonymous":
                        result.Add(new RemotePermission(id, PermissionType.Anyone, null, null, roles));
                        continue;
                    case "organization":
                        result.Add(new RemotePermission(id, PermissionType.Company, null, null, roles));
                        continue;
                    case "users":
                        if (permission.TryGetProperty("grantedToIdentitiesV2", out var recipients) && recipients.ValueKind == JsonValueKind.Array)
                        {
                            foreach (var recipient in recipients.EnumerateArray())
                            {
                                if (Grantee(recipient) is { } grantee)
                                {
                                    result.Add(grantee.ToPermission($"{id}:{grantee.Id}", roles));
                                }
                            }
                        }
                        continue;
                    default:
                        // "existingAccess" links grant nothing new; unknown scopes are not guessed at.
                        continue;
                }
            }
            if (permission.TryGetProperty("grantedToV2", out var granted) && Grantee(granted) is { } direct)
            {
                result.Add(direct.ToPermission(id, roles));
            }
        }
        return result;
    }

    /// <summary>
    /// <c>owner</c> → OWNER, <c>write</c> → WRITE, <c>read</c> → READ; SharePoint's site roles by what they
    /// allow (owner/full control → OWNER, member/contribute/edit → WRITE, visitor → READ). With no roles, a
    /// link's type decides (edit, createOnly → WRITE; view, embed, blocksDownload → READ).
    /// </summary>
    public static IReadOnlyList<PermissionRole> Roles(JsonElement permission)
    {
        var roles = new SortedSet<PermissionRole>();
        if (permission.TryGetProperty("roles", out var array) && array.ValueKind == JsonValueKind.Array)
        {
            foreach (var role in array.EnumerateArray())
            {
                var name = role.ValueKind == JsonValueKind.String ? role.GetString()!.ToUpperInvariant() : "";
                PermissionRole? mapped = name switch
                {
                    "OWNER" or "SP.OWNER" or "FULLCONTROL" or "SP.FULL CONTROL" => PermissionRole.Owner,
                    "WRITE" or "SP.MEMBER" or "CONTRIBUTE" or "EDIT" => PermissionRole.Write,
                    "READ" or "SP.VISITOR" or "VIEW" or "RESTRICTEDVIEW" => PermissionRole.Read,
                    _ => null,
                };
                if (mapped is { } value)
                {
                    roles.Add(value);
                }
            }
        }
        if (roles.Count == 0 && permission.TryGetProperty("link", out var link) && link.ValueKind == JsonValueKind.Object)
        {
            switch (String(link, "type"))
            {
                case "edit" or "createOnly":
                    roles.Add(PermissionRole.Write);
                    break;
                case "view" or "embed" or "blocksDownload":
                    roles.Add(PermissionRole.Read);
                    break;
            }
        }
        return [.. roles];
    }

    public static RemoteDrive MapDrive(JsonElement drive, string path) =>
        new(String(drive, "id") ?? throw new ProviderException(ProviderErrorKind.Transient, "Microsoft Graph sent a drive without an id."),
            String(drive, "name"), String(drive, "webUrl"), Date(drive, "createdDateTime")) { Raw = new RemoteData(path, drive.Clone()) };

    public static RemoteUser MapUser(JsonElement user, bool isMe, string path) =>
        new(String(user, "id") ?? throw new ProviderException(ProviderErrorKind.Transient, "Microsoft Graph sent a user without an id."),
            String(user, "displayName"), String(user, "mail") ?? String(user, "userPrincipalName"), isMe) { Raw = new RemoteData(path, user.Clone()) };

    /// <summary>A group with its direct members (users, and nested groups as child groups).</summary>
    public static RemoteGroup MapGroup(JsonElement group, IEnumerable<JsonElement> members, string path)
    {
        var users = new List<string>();
        var children = new List<string>();
        foreach (var member in members)
        {
            if (String(member, "id") is not { } id)
            {
                continue;
            }
            switch (String(member, "@odata.type"))
            {
                case "#microsoft.graph.group":
                    children.Add(id);
                    break;
                case null or "#microsoft.graph.user":
                    users.Add(id);
                    break;
            }
        }
        return new RemoteGroup(String(group, "id") ?? throw new ProviderException(ProviderErrorKind.Transient, "Microsoft Graph sent a group without an id."),
            String(group, "displayName"), users, children) { Raw = new RemoteData(path, group.Clone()) };
    }

    private sealed record GranteeRef(string Id, bool IsGroup)
    {
        public RemotePermission ToPermission(string permissionId, IReadOnlyList<PermissionRole> roles) => IsGroup
            ? new RemotePermission(permissionId, PermissionType.Group, null, Id, roles)
            : new RemotePermission(permissionId, PermissionType.User, Id, null, roles);
    }

    /// <summary>The directory object a sharePointIdentitySet points at: an Entra user or group first, SharePoint's own site principals otherwise.</summary>
    private static GranteeRef? Grantee(JsonElement identitySet)
    {
        if (identitySet.ValueKind != JsonValueKind.Object)
        {
            return null;
        }
        if (String(identitySet, "user", "id") is { } user)
        {
            return new GranteeRef(user, false);
        }
        if (String(identitySet, "group", "id") is { } group)
        {
            return new GranteeRef(group, true);
        }
        if (String(identitySet, "siteUser", "id") is { } siteUser)
        {
            return new GranteeRef(siteUser, false);
        }
        if (String(identitySet, "siteGroup", "id") is { } siteGroup)
        {
            return new GranteeRef(siteGroup, true);
        }
        return null;
    }

    private static bool Has(JsonElement item, string facet) =>
        item.TryGetProperty(facet, out var value) && value.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined);

    internal static string? String(JsonElement element, params ReadOnlySpan<string> path)
    {
        var current = element;
        foreach (var name in path)
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(name, out current))
            {
                return null;
            }
        }
        return current.ValueKind == JsonValueKind.String ? current.GetString() : null;
    }

    private static long? Long(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number) ? number : null;

    private static DateTimeOffset? Date(JsonElement element, string name) =>
        String(element, name) is { } text && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date) ? date : null;
}
