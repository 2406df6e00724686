using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Tributary.Integrations.Catalog;

namespace Tributary.Server.AgentHandler.Connectors;

/// <summary>One action of a connector; its MCP name is <c>&lt;connector slug&gt;__&lt;action&gt;</c>.</summary>
internal sealed record ToolDefinition(string Action, string Description, JsonObject InputSchema, bool Writes)
{
    public string FullName(string connector) => $"{connector}__{Action}";
}

/// <summary>
/// The tools each connector offers. Every File Storage integration gets the same tools, built on
/// the <c>IFileStorageConnector</c> contract and the synced store, so a new storage connector
/// brings its tools with it.
/// </summary>
internal static class ConnectorTools
{
    public const string Separator = "__";
    public const string AuthenticatePrefix = "authenticate_";

    /// <summary>Most bytes <c>read_file_content</c> returns; larger files are cut and say so.</summary>
    public const int MaxReadBytes = 262_144;

    /// <summary>Largest text <c>upload_file</c> accepts in one call.</summary>
    public const int MaxUploadChars = 1_048_576;

    public const int MaxPageSize = 100;

    public static readonly IReadOnlyList<ToolDefinition> FileStorage =
    [
        new("list_files", "List files, newest first. Filter by folder_id or drive_id (Merge ids from other results) or by a name fragment; page with cursor.",
            Schema(new()
            {
                ["folder_id"] = Str("Merge id of the folder whose files to list; omit for all files.", uuid: true),
                ["drive_id"] = Str("Merge id of the drive whose files to list.", uuid: true),
                ["name_contains"] = Str("Only files whose name contains this text (case-insensitive).", max: 200),
                ["page_size"] = Int("How many files to return (1-100, default 25).", 1, MaxPageSize),
                ["cursor"] = Str("The next_cursor of an earlier result, to continue.", max: 200),
            }), Writes: false),
        new("list_folders", "List folders. Filter by parent_folder_id or drive_id; page with cursor.",
            Schema(new()
            {
                ["parent_folder_id"] = Str("Merge id of the parent folder; omit for all folders.", uuid: true),
                ["drive_id"] = Str("Merge id of the drive.", uuid: true),
                ["page_size"] = Int("How many folders to return (1-100, default 25).", 1, MaxPageSize),
                ["cursor"] = Str("The next_cursor of an earlier result, to continue.", max: 200),
            }), Writes: false),
        new("search", "Search files and folders by name (case-insensitive substring match).",
            Schema(new()
            {
                ["query"] = Str("The text to look for in names.", max: 200, min: 1),
                ["page_size"] = Int("Most results of each kind (1-100, default 25).", 1, MaxPageSize),
            }, "query"), Writes: false),
        new("get_file_metadata", "Get one file's metadata: name, size, MIME type, folder, drive, dates, URL.",
            Schema(new() { ["file_id"] = Str("Merge id of the file.", uuid: true) }, "file_id"), Writes: false),
        new("read_file_content", $"Read a text file's content (UTF-8), at most max_bytes (default and limit {MaxReadBytes}). Binary files are refused.",
            Schema(new()
            {
                ["file_id"] = Str("Merge id of the file.", uuid: true),
                ["max_bytes"] = Int($"Most bytes to read (1-{MaxReadBytes}).", 1, MaxReadBytes),
            }, "file_id"), Writes: false),
        new("create_folder", "Create a folder, in parent_folder_id or at the top level.",
            Schema(new()
            {
                ["name"] = Str("The new folder's name.", max: 254, min: 1),
                ["parent_folder_id"] = Str("Merge id of the folder to create it in; omit for the top level.", uuid: true),
            }, "name"), Writes: true),
        new("upload_file", $"Upload a text file (UTF-8, at most {MaxUploadChars} characters) into folder_id or the top level.",
            Schema(new()
            {
                ["name"] = Str("The file's name, e.g. notes.txt.", max: 254, min: 1),
                ["content"] = Str("The file's text content.", max: MaxUploadChars),
                ["folder_id"] = Str("Merge id of the folder to upload into; omit for the top level.", uuid: true),
                ["mime_type"] = Str("The MIME type; default text/plain.", max: 200),
            }, "name", "content"), Writes: true),
    ];

    /// <summary>The tools of <paramref name="integration"/> (empty when it has none yet).</summary>
    public static IReadOnlyList<ToolDefinition> For(IntegrationDefinition integration) =>
        integration.Categories.Contains("filestorage") ? FileStorage : [];

    /// <summary>A stable id for a catalog connector (Merge's connectors have uuids): derived from its slug.</summary>
    public static Guid ConnectorId(string slug)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes("tributary/connector/" + slug));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true);
    }

    private static JsonObject Schema(Dictionary<string, JsonObject> properties, params string[] required)
    {
        var props = new JsonObject();
        foreach (var (name, schema) in properties)
        {
            props[name] = schema;
        }
        var schemaObject = new JsonObject { ["type"] = "object", ["properties"] = props, ["additionalProperties"] = false };
        if (required.Length > 0)
        {
            schemaObject["required"] = new JsonArray(required.Select(r => (JsonNode)JsonValue.Create(r)).ToArray());
        }
        return schemaObject;
    }

    private static JsonObject Str(string description, int? max = null, int? min = null, bool uuid = false)
    {
        var schema = new JsonObject { ["type"] = "string", ["description"] = description };
        if (uuid)
        {
            schema["format"] = "uuid";
        }
        if (min is { } minLength)
        {
            schema["minLength"] = minLength;
        }
        if (max is { } maxLength)
        {
            schema["maxLength"] = maxLength;
        }
        return schema;
    }

    private static JsonObject Int(string description, int min, int max) =>
        new() { ["type"] = "integer", ["description"] = description, ["minimum"] = min, ["maximum"] = max };
}
