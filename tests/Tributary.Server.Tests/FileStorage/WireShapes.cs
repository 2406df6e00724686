using System.Text.Json;
using System.Text.RegularExpressions;

namespace Tributary.Server.Tests.FileStorage;

/// <summary>
/// Merge's File Storage models as JSON key → allowed JSON types, written from the reference
/// (shared/reference/merge-filestorage-api.md §(d)). A type is <c>uuid</c>, <c>string</c>,
/// <c>datetime</c> (ISO-8601 text with a zone), <c>integer</c>, <c>boolean</c>, <c>object</c>,
/// <c>null</c>, <c>any</c>, another model's name (an object of that shape), or <c>[T]</c> (an array of
/// T); <c>|</c> separates alternatives.
/// </summary>
internal static partial class WireShapes
{
    public static readonly IReadOnlyDictionary<string, string> Permission = new Dictionary<string, string>
    {
        ["id"] = "uuid",
        ["remote_id"] = "string|null",
        ["created_at"] = "datetime",
        ["modified_at"] = "datetime",
        ["user"] = "uuid|null",
        ["group"] = "uuid|null",
        ["type"] = "string|null",
        ["roles"] = "[string|null]|null",
        ["remote_was_deleted"] = "boolean",
        ["field_mappings"] = "object|null",
    };

    public static readonly IReadOnlyDictionary<string, string> File = new Dictionary<string, string>
    {
        ["id"] = "uuid",
        ["remote_id"] = "string|null",
        ["created_at"] = "datetime",
        ["modified_at"] = "datetime",
        ["name"] = "string|null",
        ["file_url"] = "string|null",
        ["file_thumbnail_url"] = "string|null",
        ["size"] = "integer|null",
        ["mime_type"] = "string|null",
        ["description"] = "string|null",
        ["folder"] = "uuid|null",
        ["checksum"] = "Checksum|null",
        ["permissions"] = "[Permission]",
        ["drive"] = "uuid|null",
        ["remote_created_at"] = "datetime|null",
        ["remote_updated_at"] = "datetime|null",
        ["remote_was_deleted"] = "boolean",
        ["field_mappings"] = "object|null",
        ["remote_data"] = "[RemoteData]|null",
    };

    public static readonly IReadOnlyDictionary<string, string> Folder = new Dictionary<string, string>
    {
        ["id"] = "uuid",
        ["remote_id"] = "string|null",
        ["created_at"] = "datetime",
        ["modified_at"] = "datetime",
        ["name"] = "string|null",
        ["folder_url"] = "string|null",
        ["size"] = "integer|null",
        ["description"] = "string|null",
        ["parent_folder"] = "uuid|null",
        ["drive"] = "uuid|null",
        ["permissions"] = "[Permission]",
        ["remote_created_at"] = "datetime|null",
        ["remote_updated_at"] = "datetime|null",
        ["remote_was_deleted"] = "boolean",
        ["field_mappings"] = "object|null",
        ["remote_data"] = "[RemoteData]|null",
    };

    public static readonly IReadOnlyDictionary<string, string> Drive = new Dictionary<string, string>
    {
        ["id"] = "uuid",
        ["remote_id"] = "string|null",
        ["created_at"] = "datetime",
        ["modified_at"] = "datetime",
        ["name"] = "string|null",
        ["remote_created_at"] = "datetime|null",
        ["drive_url"] = "string|null",
        ["remote_was_deleted"] = "boolean",
        ["field_mappings"] = "object|null",
        ["remote_data"] = "[RemoteData]|null",
    };

    public static readonly IReadOnlyDictionary<string, string> Group = new Dictionary<string, string>
    {
        ["id"] = "uuid",
        ["remote_id"] = "string|null",
        ["created_at"] = "datetime",
        ["modified_at"] = "datetime",
        ["name"] = "string|null",
        // Required, and [] rather than null (reference §(d), §(h) 8).
        ["users"] = "[uuid]",
        ["child_groups"] = "[uuid]",
        ["remote_was_deleted"] = "boolean",
        ["field_mappings"] = "object|null",
        ["remote_data"] = "[RemoteData]|null",
    };

    public static readonly IReadOnlyDictionary<string, string> User = new Dictionary<string, string>
    {
        ["id"] = "uuid",
        ["remote_id"] = "string|null",
        ["created_at"] = "datetime",
        ["modified_at"] = "datetime",
        ["name"] = "string|null",
        ["email_address"] = "string|null",
        ["is_me"] = "boolean",
        ["remote_was_deleted"] = "boolean",
        ["field_mappings"] = "object|null",
        ["remote_data"] = "[RemoteData]|null",
    };

    /// <summary>With expand: the id becomes the object, which is not expanded any further.</summary>
    public static readonly IReadOnlyDictionary<string, string> FileExpanded = With(File, ("folder", "Folder|null"), ("drive", "Drive|null"));

    public static readonly IReadOnlyDictionary<string, string> FolderExpanded = With(Folder, ("parent_folder", "Folder|null"), ("drive", "Drive|null"));

    public static readonly IReadOnlyDictionary<string, string> GroupExpanded = With(Group, ("users", "[User]"), ("child_groups", "[Group]"));

    private static readonly IReadOnlyDictionary<string, string> Checksum = new Dictionary<string, string>
    {
        ["type"] = "string",
        ["content_hash"] = "string",
    };

    private static readonly IReadOnlyDictionary<string, string> RemoteData = new Dictionary<string, string>
    {
        ["path"] = "string",
        ["data"] = "any",
    };

    private static readonly Dictionary<string, IReadOnlyDictionary<string, string>> Models = new()
    {
        ["Permission"] = Permission,
        ["File"] = File,
        ["Folder"] = Folder,
        ["Drive"] = Drive,
        ["Group"] = Group,
        ["User"] = User,
        ["Checksum"] = Checksum,
        ["RemoteData"] = RemoteData,
    };

    /// <summary>Every missing key, extra key and wrongly typed value of <paramref name="json"/>.</summary>
    public static List<string> Problems(JsonElement json, IReadOnlyDictionary<string, string> shape, string path = "$")
    {
        var problems = new List<string>();
        if (json.ValueKind != JsonValueKind.Object)
        {
            problems.Add($"{path}: expected an object, got {json.ValueKind}");
            return problems;
        }
        var keys = json.EnumerateObject().Select(p => p.Name).ToList();
        problems.AddRange(shape.Keys.Except(keys).Select(k => $"{path}.{k}: missing"));
        problems.AddRange(keys.Except(shape.Keys).Select(k => $"{path}.{k}: not in Merge's model"));
        foreach (var (key, type) in shape)
        {
            if (json.TryGetProperty(key, out var value))
            {
                problems.AddRange(Check(value, type, $"{path}.{key}"));
            }
        }
        return problems;
    }

    public static void AssertShape(JsonElement json, IReadOnlyDictionary<string, string> shape, string what)
    {
        var problems = Problems(json, shape);
        Assert.True(problems.Count == 0, $"{what} does not match Merge's model:\n{string.Join("\n", problems)}\n{json}");
    }

    private static List<string> Check(JsonElement value, string type, string path)
    {
        var failures = new List<string>();
        foreach (var alternative in Alternatives(type))
        {
            var problems = CheckOne(value, alternative, path);
            if (problems.Count == 0)
            {
                return [];
            }
            failures.AddRange(problems);
        }
        return Alternatives(type).Count == 1 ? failures : [$"{path}: {Describe(value)} is none of {type} ({string.Join("; ", failures)})"];
    }

    private static List<string> CheckOne(JsonElement value, string type, string path)
    {
        if (type.StartsWith('[') && type.EndsWith(']'))
        {
            if (value.ValueKind != JsonValueKind.Array)
            {
                return [$"{path}: expected an array, got {Describe(value)}"];
            }
            var inner = type[1..^1];
            return value.EnumerateArray().SelectMany((item, i) => Check(item, inner, $"{path}[{i}]")).ToList();
        }
        if (Models.TryGetValue(type, out var model))
        {
            return Problems(value, model, path);
        }
        var ok = type switch
        {
            "any" => true,
            "null" => value.ValueKind == JsonValueKind.Null,
            "string" => value.ValueKind == JsonValueKind.String,
            "uuid" => value.ValueKind == JsonValueKind.String && Guid.TryParseExact(value.GetString(), "D", out _),
            "datetime" => value.ValueKind == JsonValueKind.String && IsoDateTime().IsMatch(value.GetString()!)
                && DateTimeOffset.TryParse(value.GetString(), System.Globalization.CultureInfo.InvariantCulture, out _),
            "integer" => value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _),
            "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
            "object" => value.ValueKind == JsonValueKind.Object,
            _ => throw new InvalidOperationException($"Unknown type '{type}' in a wire shape."),
        };
        return ok ? [] : [$"{path}: expected {type}, got {Describe(value)}"];
    }

    // Top-level alternatives: '|' outside brackets.
    private static List<string> Alternatives(string type)
    {
        var parts = new List<string>();
        var depth = 0;
        var start = 0;
        for (var i = 0; i < type.Length; i++)
        {
            depth += type[i] switch { '[' => 1, ']' => -1, _ => 0 };
            if (type[i] == '|' && depth == 0)
            {
                parts.Add(type[start..i]);
                start = i + 1;
            }
        }
        parts.Add(type[start..]);
        return parts;
    }

    private static string Describe(JsonElement value) =>
        value.ValueKind is JsonValueKind.Object or JsonValueKind.Array ? value.ValueKind.ToString() : $"{value.ValueKind} {value.GetRawText()}";

    private static Dictionary<string, string> With(IReadOnlyDictionary<string, string> shape, params (string Key, string Type)[] changes)
    {
        var copy = shape.ToDictionary(p => p.Key, p => p.Value);
        foreach (var (key, type) in changes)
        {
            copy[key] = type;
        }
        return copy;
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")]
    private static partial Regex IsoDateTime();
}
