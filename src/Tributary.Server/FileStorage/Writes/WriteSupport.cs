using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Tributary.Data;
using Tributary.Data.Entities;
using Tributary.Data.Entities.FileStorage;
using Tributary.Integrations.FileStorage;
using Tributary.Server.Conventions;
using Tributary.Server.Errors;
using Tributary.Server.LinkedAccounts;

namespace Tributary.Server.FileStorage.Writes;

/// <summary>The query parameters of Merge's writes.</summary>
/// <remarks>
/// <c>run_async=true</c> is accepted and the write still runs before the response (201 with the
/// model): Merge's SDKs expect that body, and a create finishes in one provider call here.
/// </remarks>
internal sealed record WriteOptions(bool IsDebugMode, bool RunAsync)
{
    public static WriteOptions Read(HttpRequest request)
    {
        var query = QueryReader.From(request);
        var options = new WriteOptions(query.Bool("is_debug_mode") ?? false, query.Bool("run_async") ?? false);
        query.ThrowIfInvalid();
        return options;
    }
}

/// <summary>What POST /files and POST /folders share: body reading, reference checks, debug logs.</summary>
internal static class WriteSupport
{
    /// <summary>
    /// Parses a JSON body of at most <paramref name="limit"/> bytes (a 413 past it, also on servers
    /// that do not enforce body limits); malformed JSON is a 400 in the write envelope's shape.
    /// </summary>
    public static async Task<JsonElement> ReadJsonAsync(Stream body, long limit, WriteProblems problems, CancellationToken ct)
    {
        var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                throw ApiException.Detail(HttpStatusCode.RequestEntityTooLarge,
                    $"The JSON body is too large: send at most {limit} bytes (Tributary:MaxRequestBodyBytes). Send larger files as multipart/form-data.");
            }
            buffer.Write(chunk, 0, read);
        }
        try
        {
            using var document = JsonDocument.Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), new JsonDocumentOptions { MaxDepth = 32 });
            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw problems.Reject(null, ProblemTypes.Error, "Malformed JSON", $"The body is not valid JSON: {FirstSentence(e.Message)}");
        }
    }

    /// <summary>A folder of this account (the tenant filter applies), or an error pointing at <paramref name="field"/>.</summary>
    public static async Task<StoredFolder?> FolderAsync(TributaryDbContext db, Guid? id, string field, WriteProblems problems, CancellationToken ct)
    {
        if (id is not { } folderId)
        {
            return null;
        }
        var folder = await db.Folders.AsNoTracking().SingleOrDefaultAsync(f => f.Id == folderId && !f.RemoteWasDeleted, ct);
        if (folder is null)
        {
            problems.Error(ModelReader.Pointer(field), ProblemTypes.InvalidFieldChoice, "Invalid Field Choice",
                $"{field} {folderId} is not a folder of this linked account: pass the id of a folder from GET /folders.");
        }
        return folder;
    }

    /// <summary>A drive of this account, or an error pointing at <c>/model/drive</c>.</summary>
    public static async Task<StoredDrive?> DriveAsync(TributaryDbContext db, Guid? id, WriteProblems problems, CancellationToken ct)
    {
        if (id is not { } driveId)
        {
            return null;
        }
        var drive = await db.Drives.AsNoTracking().SingleOrDefaultAsync(d => d.Id == driveId && !d.RemoteWasDeleted, ct);
        if (drive is null)
        {
            problems.Error(ModelReader.Pointer("drive"), ProblemTypes.InvalidFieldChoice, "Invalid Field Choice",
                $"drive {driveId} is not a drive of this linked account: pass the id of a drive from GET /drives.");
        }
        return drive;
    }

    /// <summary>The remote id of the drive to write into: the one given, else the folder's (so connectors need not look it up).</summary>
    public static async Task<string?> DriveRemoteIdAsync(TributaryDbContext db, StoredDrive? drive, StoredFolder? folder, CancellationToken ct)
    {
        if (drive is not null)
        {
            return drive.RemoteId;
        }
        if (folder?.DriveId is not { } driveId)
        {
            return null;
        }
        return await db.Drives.AsNoTracking().Where(d => d.Id == driveId).Select(d => d.RemoteId).SingleOrDefaultAsync(ct);
    }

    /// <summary>A folder and a drive given together must agree.</summary>
    public static void CheckSameDrive(StoredFolder? folder, StoredDrive? drive, string folderField, WriteProblems problems)
    {
        if (folder is not null && drive is not null && folder.DriveId is { } folderDrive && folderDrive != drive.Id)
        {
            problems.Error(ModelReader.Pointer("drive"), ProblemTypes.InvalidFieldChoice, "Invalid Field Choice",
                $"{folderField} {folder.Id} is in drive {folderDrive}, not {drive.Id}: omit drive, or pass the folder's drive.");
        }
    }

    public static void RequireName(string? name, WriteProblems problems, string? hint = null)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            problems.Error(ModelReader.Pointer("name"), ProblemTypes.MissingRequiredField, "Missing Required Field",
                "name is a required field on model." + (hint is null ? "" : " " + hint));
        }
    }

    /// <summary>
    /// Merge's debug log for one provider call. Tributary has no log dashboard: <c>dashboard_view</c>
    /// is the API URL of the written object, and <c>log_id</c> appears in the server's log line.
    /// </summary>
    public static DebugModeLog DebugLog(ILogger logger, string objectUrl, LinkedAccount account, string operation, string? remoteUrl, int statusCode)
    {
        var logId = Guid.NewGuid().ToString();
        var url = remoteUrl ?? $"{account.IntegrationSlug}:{operation}";
        logger.LogInformation("Debug-mode write {LogId}: {Operation} on {Integration} for linked account {LinkedAccountId} → {StatusCode} {Url}",
            logId, operation, account.IntegrationSlug, account.Id, statusCode, url);
        return new DebugModeLog(logId, objectUrl, new DebugModeLogSummary(url, "POST", statusCode));
    }

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }
}

/// <summary>Merge's <c>MetaResponse</c> for <c>GET /{model}/meta/post</c>.</summary>
internal sealed record MetaResponseDto(
    IReadOnlyDictionary<string, object> RequestSchema,
    IReadOnlyDictionary<string, object> RemoteFieldClasses,
    MetaStatusDto Status,
    bool HasConditionalParams,
    bool HasRequiredLinkedAccountParams);

internal sealed record MetaStatusDto(string LinkedAccountStatus, bool CanMakeRequest);

internal static class MetaPost
{
    private static readonly string[] ModelRequired = ["model"];

    /// <summary>The JSON Schema of <c>{"model": {...}}</c> with <paramref name="fields"/>, and whether the account can write now.</summary>
    public static MetaResponseDto For(LinkedAccount account, IFileStorageConnector? connector, IReadOnlyDictionary<string, object> fields, IReadOnlyList<string> required) =>
        new(
            new Dictionary<string, object>
            {
                ["type"] = "object",
                ["properties"] = new Dictionary<string, object>
                {
                    ["model"] = new Dictionary<string, object>
                    {
                        ["type"] = "object",
                        ["properties"] = fields,
                        ["required"] = required,
                    },
                },
                ["required"] = ModelRequired,
            },
            new Dictionary<string, object>(),
            new MetaStatusDto(LinkedAccountWire.Status(account.Status), connector is not null && account.Status == LinkedAccountStatus.Complete),
            HasConditionalParams: false,
            HasRequiredLinkedAccountParams: false);

    public static Dictionary<string, object> Field(string type, string description, int? maxLength = null, string? format = null)
    {
        var field = new Dictionary<string, object> { ["type"] = new[] { type, "null" }, ["description"] = description };
        if (maxLength is { } max)
        {
            field["maxLength"] = max;
        }
        if (format is not null)
        {
            field["format"] = format;
        }
        return field;
    }
}
