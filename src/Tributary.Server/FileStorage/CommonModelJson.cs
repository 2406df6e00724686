using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Tributary.Server.FileStorage;

/// <summary>
/// Writes common-model rows as Merge's JSON straight into a <see cref="Utf8JsonWriter"/>, byte for byte
/// what serializing <see cref="CommonModelDtos"/> records with <see cref="ApiJson.Options"/> gives
/// (CommonModelJsonTests holds the two side by side). The list endpoints are the hot path: this skips the
/// DTO graph, reflection-driven serialization, and a JsonDocument or list per row for the stored JSON
/// columns (checksum, permissions, remote_data, group members), which are re-written token by token.
/// </summary>
internal static class CommonModelJson
{
    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = ApiJson.Options.Encoder, SkipValidation = true };

    private static readonly JsonEncodedText Id = Name("id");
    private static readonly JsonEncodedText RemoteId = Name("remote_id");
    private static readonly JsonEncodedText CreatedAt = Name("created_at");
    private static readonly JsonEncodedText ModifiedAt = Name("modified_at");
    private static readonly JsonEncodedText NameProperty = Name("name");
    private static readonly JsonEncodedText FileUrl = Name("file_url");
    private static readonly JsonEncodedText FileThumbnailUrl = Name("file_thumbnail_url");
    private static readonly JsonEncodedText Size = Name("size");
    private static readonly JsonEncodedText MimeType = Name("mime_type");
    private static readonly JsonEncodedText Description = Name("description");
    private static readonly JsonEncodedText Folder = Name("folder");
    private static readonly JsonEncodedText Checksum = Name("checksum");
    private static readonly JsonEncodedText Permissions = Name("permissions");
    private static readonly JsonEncodedText Drive = Name("drive");
    private static readonly JsonEncodedText RemoteCreatedAt = Name("remote_created_at");
    private static readonly JsonEncodedText RemoteUpdatedAt = Name("remote_updated_at");
    private static readonly JsonEncodedText RemoteWasDeleted = Name("remote_was_deleted");
    private static readonly JsonEncodedText FieldMappings = Name("field_mappings");
    private static readonly JsonEncodedText RemoteData = Name("remote_data");
    private static readonly JsonEncodedText FolderUrl = Name("folder_url");
    private static readonly JsonEncodedText ParentFolder = Name("parent_folder");
    private static readonly JsonEncodedText DriveUrl = Name("drive_url");
    private static readonly JsonEncodedText EmailAddress = Name("email_address");
    private static readonly JsonEncodedText IsMe = Name("is_me");
    private static readonly JsonEncodedText Users = Name("users");
    private static readonly JsonEncodedText ChildGroups = Name("child_groups");
    private static readonly JsonEncodedText User = Name("user");
    private static readonly JsonEncodedText Group = Name("group");
    private static readonly JsonEncodedText Type = Name("type");
    private static readonly JsonEncodedText Roles = Name("roles");

    public static void WriteFile(Utf8JsonWriter w, FileRow f, bool remoteData, FolderRow? folder = null, DriveRow? drive = null)
    {
        w.WriteStartObject();
        WriteHead(w, f);
        WriteString(w, NameProperty, f.Name);
        WriteString(w, FileUrl, f.FileUrl);
        WriteString(w, FileThumbnailUrl, f.FileThumbnailUrl);
        WriteNumber(w, Size, f.Size);
        WriteString(w, MimeType, f.MimeType);
        WriteString(w, Description, f.Description);
        w.WritePropertyName(Folder);
        if (folder is not null)
        {
            WriteFolder(w, folder, remoteData);
        }
        else
        {
            WriteGuidValue(w, f.FolderId);
        }
        w.WritePropertyName(Checksum);
        WriteStoredJson(w, f.ChecksumJson);
        w.WritePropertyName(Permissions);
        WritePermissions(w, f.PermissionsJson, f.CreatedAt, f.ModifiedAt);
        w.WritePropertyName(Drive);
        if (drive is not null)
        {
            WriteDrive(w, drive, remoteData);
        }
        else
        {
            WriteGuidValue(w, f.DriveId);
        }
        WriteDate(w, RemoteCreatedAt, f.RemoteCreatedAt);
        WriteDate(w, RemoteUpdatedAt, f.RemoteUpdatedAt);
        WriteTail(w, f, remoteData);
        w.WriteEndObject();
    }

    public static void WriteFolder(Utf8JsonWriter w, FolderRow f, bool remoteData, FolderRow? parent = null, DriveRow? drive = null)
    {
        w.WriteStartObject();
        WriteHead(w, f);
        WriteString(w, NameProperty, f.Name);
        WriteString(w, FolderUrl, f.FolderUrl);
        WriteNumber(w, Size, f.Size);
        WriteString(w, Description, f.Description);
        w.WritePropertyName(ParentFolder);
        if (parent is not null)
        {
            WriteFolder(w, parent, remoteData);
        }
        else
        {
            WriteGuidValue(w, f.ParentFolderId);
        }
        w.WritePropertyName(Drive);
        if (drive is not null)
        {
            WriteDrive(w, drive, remoteData);
        }
        else
        {
            WriteGuidValue(w, f.DriveId);
        }
        w.WritePropertyName(Permissions);
        WritePermissions(w, f.PermissionsJson, f.CreatedAt, f.ModifiedAt);
        WriteDate(w, RemoteCreatedAt, f.RemoteCreatedAt);
        WriteDate(w, RemoteUpdatedAt, f.RemoteUpdatedAt);
        WriteTail(w, f, remoteData);
        w.WriteEndObject();
    }

    public static void WriteDrive(Utf8JsonWriter w, DriveRow d, bool remoteData)
    {
        w.WriteStartObject();
        WriteHead(w, d);
        WriteString(w, NameProperty, d.Name);
        WriteDate(w, RemoteCreatedAt, d.RemoteCreatedAt);
        WriteString(w, DriveUrl, d.DriveUrl);
        WriteTail(w, d, remoteData);
        w.WriteEndObject();
    }

    public static void WriteUser(Utf8JsonWriter w, UserRow u, bool remoteData)
    {
        w.WriteStartObject();
        WriteHead(w, u);
        WriteString(w, NameProperty, u.Name);
        WriteString(w, EmailAddress, u.EmailAddress);
        w.WriteBoolean(IsMe, u.IsMe);
        WriteTail(w, u, remoteData);
        w.WriteEndObject();
    }

    /// <summary>
    /// <paramref name="users"/> and <paramref name="childGroups"/> are the loaded members when expanded
    /// (null when not); a member the store does not hold stays an id, as in the DTO path.
    /// </summary>
    public static void WriteGroup(Utf8JsonWriter w, GroupRow g, bool remoteData,
        IReadOnlyDictionary<Guid, UserRow>? users = null, IReadOnlyDictionary<Guid, GroupRow>? childGroups = null)
    {
        w.WriteStartObject();
        WriteHead(w, g);
        WriteString(w, NameProperty, g.Name);
        w.WritePropertyName(Users);
        w.WriteStartArray();
        foreach (var id in ReadIds(g.UsersJson))
        {
            if (users is not null && users.TryGetValue(id, out var user))
            {
                WriteUser(w, user, remoteData);
            }
            else
            {
                w.WriteStringValue(id);
            }
        }
        w.WriteEndArray();
        w.WritePropertyName(ChildGroups);
        w.WriteStartArray();
        foreach (var id in ReadIds(g.ChildGroupsJson))
        {
            if (childGroups is not null && childGroups.TryGetValue(id, out var child))
            {
                WriteGroup(w, child, remoteData);
            }
            else
            {
                w.WriteStringValue(id);
            }
        }
        w.WriteEndArray();
        WriteTail(w, g, remoteData);
        w.WriteEndObject();
    }

    /// <summary>A stored JSON array of Merge ids (a group's users or child groups); JSON null reads as none.</summary>
    public static List<Guid> ReadIds(string json)
    {
        var ids = new List<Guid>();
        using var utf8 = new Utf8Buffer(json);
        var reader = new Utf8JsonReader(utf8.Span);
        reader.Read();
        if (reader.TokenType == JsonTokenType.Null)
        {
            return ids;
        }
        Expect(ref reader, JsonTokenType.StartArray);
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            ids.Add(reader.GetGuid());
        }
        return ids;
    }

    private static void WriteHead(Utf8JsonWriter w, CommonModelRow row)
    {
        w.WriteString(Id, row.Id);
        w.WriteString(RemoteId, row.RemoteId);
        w.WriteString(CreatedAt, row.CreatedAt);
        w.WriteString(ModifiedAt, row.ModifiedAt);
    }

    private static void WriteTail(Utf8JsonWriter w, CommonModelRow row, bool remoteData)
    {
        w.WriteBoolean(RemoteWasDeleted, row.RemoteWasDeleted);
        w.WriteNull(FieldMappings);
        w.WritePropertyName(RemoteData);
        WriteStoredJson(w, remoteData ? row.RemoteDataJson : null);
    }

    /// <summary>
    /// Merge's nested permissions from the stored array (StoreMapper's camelCase <c>StoredPermission</c>s),
    /// in the wire order, with the owner's timestamps, as <see cref="CommonModelDtos"/> shapes them.
    /// </summary>
    private static void WritePermissions(Utf8JsonWriter w, string json, DateTime createdAt, DateTime modifiedAt)
    {
        using var utf8 = new Utf8Buffer(json);
        var span = utf8.Span;
        var reader = new Utf8JsonReader(span);
        reader.Read();
        w.WriteStartArray();
        if (reader.TokenType != JsonTokenType.Null)
        {
            Expect(ref reader, JsonTokenType.StartArray);
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                Expect(ref reader, JsonTokenType.StartObject);
                var permission = ReadPermission(ref reader);
                w.WriteStartObject();
                w.WriteString(Id, permission.Id);
                w.WritePropertyName(RemoteId);
                CopyValue(w, span, permission.RemoteId);
                w.WriteString(CreatedAt, createdAt);
                w.WriteString(ModifiedAt, modifiedAt);
                w.WritePropertyName(User);
                WriteGuidValue(w, permission.User);
                w.WritePropertyName(Group);
                WriteGuidValue(w, permission.Group);
                w.WritePropertyName(Type);
                CopyValue(w, span, permission.Type);
                w.WritePropertyName(Roles);
                CopyValue(w, span, permission.Roles);
                w.WriteBoolean(RemoteWasDeleted, false);
                w.WriteNull(FieldMappings);
                w.WriteEndObject();
            }
        }
        w.WriteEndArray();
    }

    /// <summary>Where each value of one stored permission sits in the buffer; matched case-insensitively, as the DTO path reads them.</summary>
    private static StoredPermissionValues ReadPermission(ref Utf8JsonReader reader)
    {
        var values = new StoredPermissionValues();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var name = PropertyName(ref reader);
            reader.Read();
            var start = (int)reader.TokenStartIndex;
            if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                reader.Skip();
            }
            var range = new Range(start, (int)reader.BytesConsumed);
            switch (name)
            {
                case "id":
                    values.Id = reader.TokenType == JsonTokenType.Null ? Guid.Empty : reader.GetGuid();
                    break;
                case "remoteid":
                    values.RemoteId = range;
                    break;
                case "type":
                    values.Type = range;
                    break;
                case "user":
                    values.User = reader.TokenType == JsonTokenType.Null ? null : reader.GetGuid();
                    break;
                case "group":
                    values.Group = reader.TokenType == JsonTokenType.Null ? null : reader.GetGuid();
                    break;
                case "roles":
                    values.Roles = range;
                    break;
                default:
                    break;
            }
        }
        return values;
    }

    private static string PropertyName(ref Utf8JsonReader reader)
    {
        Span<byte> lower = stackalloc byte[16];
        ReadOnlySpan<byte> raw = reader.ValueIsEscaped ? Encoding.UTF8.GetBytes(reader.GetString()!) : reader.ValueSpan;
        if (raw.Length > lower.Length)
        {
            return "";
        }
        for (var i = 0; i < raw.Length; i++)
        {
            lower[i] = raw[i] is >= (byte)'A' and <= (byte)'Z' ? (byte)(raw[i] | 0x20) : raw[i];
        }
        ReadOnlySpan<byte> name = lower[..raw.Length];
        foreach (var known in KnownPermissionProperties)
        {
            if (name.SequenceEqual(known.Utf8))
            {
                return known.Name;
            }
        }
        return "";
    }

    private static readonly (string Name, byte[] Utf8)[] KnownPermissionProperties =
        [.. new[] { "id", "remoteid", "type", "user", "group", "roles" }.Select(n => (n, Encoding.UTF8.GetBytes(n)))];

    private struct StoredPermissionValues
    {
        public Guid Id;
        public Range? RemoteId;
        public Range? Type;
        public Guid? User;
        public Guid? Group;
        public Range? Roles;
    }

    /// <summary>A value of the stored JSON, or null when the property was absent.</summary>
    private static void CopyValue(Utf8JsonWriter w, ReadOnlySpan<byte> json, Range? value)
    {
        if (value is not { } range)
        {
            w.WriteNullValue();
            return;
        }
        var reader = new Utf8JsonReader(json[range]);
        Copy(w, ref reader);
    }

    /// <summary>Stored JSON (or null) re-written token by token, exactly as serializing its JsonElement would.</summary>
    private static void WriteStoredJson(Utf8JsonWriter w, string? json)
    {
        if (json is null)
        {
            w.WriteNullValue();
            return;
        }
        using var utf8 = new Utf8Buffer(json);
        var reader = new Utf8JsonReader(utf8.Span);
        Copy(w, ref reader);
    }

    private static void Copy(Utf8JsonWriter w, ref Utf8JsonReader reader)
    {
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject:
                    w.WriteStartObject();
                    break;
                case JsonTokenType.EndObject:
                    w.WriteEndObject();
                    break;
                case JsonTokenType.StartArray:
                    w.WriteStartArray();
                    break;
                case JsonTokenType.EndArray:
                    w.WriteEndArray();
                    break;
                case JsonTokenType.PropertyName:
                    if (reader.ValueIsEscaped)
                    {
                        w.WritePropertyName(reader.GetString()!);
                    }
                    else
                    {
                        w.WritePropertyName(reader.ValueSpan);
                    }
                    break;
                case JsonTokenType.String:
                    if (reader.ValueIsEscaped)
                    {
                        w.WriteStringValue(reader.GetString());
                    }
                    else
                    {
                        w.WriteStringValue(reader.ValueSpan);
                    }
                    break;
                case JsonTokenType.Number:
                    w.WriteRawValue(reader.ValueSpan, skipInputValidation: true);
                    break;
                case JsonTokenType.True:
                    w.WriteBooleanValue(true);
                    break;
                case JsonTokenType.False:
                    w.WriteBooleanValue(false);
                    break;
                case JsonTokenType.Null:
                    w.WriteNullValue();
                    break;
                default:
                    break;
            }
        }
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type)
    {
        if (reader.TokenType != type)
        {
            throw new JsonException($"Stored JSON has {reader.TokenType} where {type} was expected.");
        }
    }

    private static void WriteString(Utf8JsonWriter w, JsonEncodedText name, string? value)
    {
        if (value is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteString(name, value);
        }
    }

    private static void WriteNumber(Utf8JsonWriter w, JsonEncodedText name, long? value)
    {
        if (value is { } number)
        {
            w.WriteNumber(name, number);
        }
        else
        {
            w.WriteNull(name);
        }
    }

    private static void WriteDate(Utf8JsonWriter w, JsonEncodedText name, DateTime? value)
    {
        if (value is { } date)
        {
            w.WriteString(name, date);
        }
        else
        {
            w.WriteNull(name);
        }
    }

    private static void WriteGuidValue(Utf8JsonWriter w, Guid? value)
    {
        if (value is { } id)
        {
            w.WriteStringValue(id);
        }
        else
        {
            w.WriteNullValue();
        }
    }

    private static JsonEncodedText Name(string name) => JsonEncodedText.Encode(name, ApiJson.Options.Encoder);

    /// <summary>A stored column's UTF-8 bytes in a pooled array, so reading it allocates nothing per row.</summary>
    private readonly struct Utf8Buffer : IDisposable
    {
        private readonly byte[] _array;
        private readonly int _length;

        public Utf8Buffer(string text)
        {
            _array = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(text.Length));
            _length = Encoding.UTF8.GetBytes(text, _array);
        }

        public ReadOnlySpan<byte> Span => _array.AsSpan(0, _length);

        public void Dispose() => ArrayPool<byte>.Shared.Return(_array);
    }
}
