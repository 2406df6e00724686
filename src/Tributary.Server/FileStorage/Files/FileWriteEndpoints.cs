using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Tributary.Data;
using Tributary.Data.Entities;
using Tributary.Integrations.FileStorage;
using Tributary.Server.Auth;
using Tributary.Server.Errors;
using Tributary.Server.FileStorage.Live;
using Tributary.Server.FileStorage.Writes;
using Tributary.Server.Hosting;
using Tributary.Server.Linking;
using Tributary.Server.Sync;

namespace Tributary.Server.FileStorage.Files;

/// <summary>
/// <c>POST /files</c>, live to the provider, and its <c>meta/post</c>. The content comes as a
/// <c>data:</c> URI in <c>file_url</c> (JSON body, small files) or as the <c>file</c> part of a
/// multipart/form-data body after a <c>model</c> part (streamed to the connector, up to
/// Tributary:MaxUploadBytes). See docs/file-storage-downloads-and-uploads.md.
/// </summary>
internal static class FileWriteEndpoints
{
    private const string ModelPart = "model";
    private const string FilePart = "file";

    public static RouteGroupBuilder MapFileWrites(this RouteGroupBuilder fileStorage)
    {
        fileStorage.MapPost("/files", CreateAsync).WithName("CreateFile").WithTags("Files")
            .WithMetadata(new AcceptsUploads())
            .WithSummary("Upload a file to the provider")
            .WithDescription("JSON {\"model\": {...}} with file_url as a data: URI, or multipart/form-data with a 'model' JSON part then a 'file' part.");
        fileStorage.MapGet("/files/meta/post", MetaAsync).WithName("FileMetaPost").WithTags("Files")
            .WithSummary("The schema of POST /files");
        return fileStorage;
    }

    private sealed record FileFields(
        string? Name, string? FileUrl, string? MimeType, string? Description, long? Size, Guid? Folder, Guid? Drive, (string Type, string ContentHash)? Checksum);

    internal static async Task<Created<WriteResponse<FileDto>>> CreateAsync(
        HttpContext http, TenantContext tenant, TributaryDbContext db, LiveConnectors live, SyncRunner sync,
        IOptions<TributaryOptions> options, TimeProvider time, ILoggerFactory loggers, CancellationToken ct)
    {
        var write = WriteOptions.Read(http.Request);
        var account = await live.AccountAsync(tenant.RequiredLinkedAccountId, ct);
        live.ConnectorFor(account);
        var problems = new WriteProblems();
        var request = http.Request;

        UploadedFile uploaded;
        UploadStream content;
        long? declaredSize;
        if (IsMultipart(request))
        {
            (uploaded, content, declaredSize) = await UploadMultipartAsync(request, db, live, account, options.Value, problems, ct);
        }
        else if (request.HasJsonContentType())
        {
            (uploaded, content, declaredSize) = await UploadDataUriAsync(request, db, live, account, options.Value, problems, ct);
        }
        else
        {
            throw ApiException.Detail(HttpStatusCode.UnsupportedMediaType,
                $"Unsupported media type \"{request.ContentType}\": send application/json (file_url as a data: URI) or multipart/form-data (model and file parts).");
        }

        // From here on the file exists at the provider: nothing below may fail the request (Merge's
        // SDKs retry 5xx, which would upload it twice).
        var errors = new List<Problem>();
        await using (content)
        {
            if (declaredSize is { } size && size != content.BytesRead)
            {
                problems.Warning(ModelReader.Pointer("size"), ProblemTypes.IncorrectFieldType, "Incorrect Field Type",
                    $"size was {size} but the content has {content.BytesRead} bytes; the file's real size is used.");
            }
        }
        var logger = loggers.CreateLogger(typeof(FileWriteEndpoints));
        var dto = await StoreAsync(db, sync, account, uploaded.File, time, problems, logger, ct);
        var location = $"{PublicUrls.Base(http)}/api/filestorage/v1/files/{dto.Id}";
        IReadOnlyList<DebugModeLog>? logs = write.IsDebugMode
            ? [WriteSupport.DebugLog(logger, location, account, "upload_file", uploaded.File.Url, StatusCodes.Status201Created)]
            : null;
        return TypedResults.Created(location, new WriteResponse<FileDto>(dto, problems.Warnings, errors, logs));
    }

    internal static async Task<Ok<MetaResponseDto>> MetaAsync(TenantContext tenant, LiveConnectors live, ConnectorResolver connectors, CancellationToken ct)
    {
        var account = await live.AccountAsync(tenant.RequiredLinkedAccountId, ct);
        var name = MetaPost.Field("string", "The file's name. Required (in multipart uploads it defaults to the file part's filename).", 254);
        name["type"] = "string";
        var fields = new Dictionary<string, object>
        {
            ["name"] = name,
            ["file_url"] = MetaPost.Field("string",
                "The content as an RFC 2397 data: URI (data:<mime type>;base64,<data>), bounded by the JSON body limit. http(s) URLs are not fetched. " +
                "For larger files send multipart/form-data: a 'model' part with this object as JSON, then a 'file' part with the bytes."),
            ["mime_type"] = MetaPost.Field("string", "Defaults to the data: URI's or the file part's media type.", 128),
            ["description"] = MetaPost.Field("string", "The file's description.", 2000),
            ["size"] = MetaPost.Field("integer", "Optional; the content's real size wins, with a warning when they differ."),
            ["folder"] = MetaPost.Field("string", "The Merge id of the folder to upload into; omit for the drive's root.", format: "uuid"),
            ["drive"] = MetaPost.Field("string", "The Merge id of the drive; defaults to the folder's drive.", format: "uuid"),
            ["checksum"] = new Dictionary<string, object>
            {
                ["type"] = new[] { "object", "null" },
                ["description"] = "Verified against the content when type is sha256, sha1 or md5 (CORRUPTED_FILE when it differs).",
                ["properties"] = new Dictionary<string, object>
                {
                    ["type"] = new Dictionary<string, object> { ["type"] = "string", ["enum"] = new[] { "sha256", "sha1", "md5", "crc_32", "quickXor" } },
                    ["content_hash"] = new Dictionary<string, object> { ["type"] = "string" },
                },
            },
        };
        return TypedResults.Ok(MetaPost.For(account, connectors.Find(account.IntegrationSlug), fields, ["name"]));
    }

    private static FileFields ReadFields(ModelReader model)
    {
        var fields = new FileFields(
            model.String("name", 254), model.String("file_url", int.MaxValue), model.String("mime_type", 128), model.String("description", 2000),
            model.NonNegativeInteger("size"), model.Id("folder"), model.Id("drive"), model.Checksum("checksum"));
        model.Unsupported("file_thumbnail_url", "thumbnails are made by the provider.");
        model.Unsupported("permissions", "permissions are not set on upload; the new file gets the provider's defaults.");
        model.Unsupported("integration_params", "this integration takes no integration parameters.");
        model.Unsupported("linked_account_params", "this integration takes no linked-account parameters.");
        model.WarnAboutUnknownFields();
        return fields;
    }

    /// <summary>Checks the parent references and the checksum type; returns the remote ids to upload into.</summary>
    private static async Task<(string? FolderRemoteId, string? DriveRemoteId)> CheckReferencesAsync(
        TributaryDbContext db, FileFields fields, WriteProblems problems, CancellationToken ct)
    {
        var folder = await WriteSupport.FolderAsync(db, fields.Folder, "folder", problems, ct);
        var drive = await WriteSupport.DriveAsync(db, fields.Drive, problems, ct);
        WriteSupport.CheckSameDrive(folder, drive, "folder", problems);
        if (fields.Checksum is { } checksum && !UploadStream.CanVerify(checksum.Type))
        {
            problems.Warning(ModelReader.Pointer("checksum"), ProblemTypes.UnsupportedField, "Unsupported Field",
                $"checksum type \"{checksum.Type}\" is not verified (sha256, sha1 and md5 are); the provider computes its own.");
        }
        return (folder?.RemoteId, await WriteSupport.DriveRemoteIdAsync(db, drive, folder, ct));
    }

    private static async Task<(UploadedFile, UploadStream, long?)> UploadDataUriAsync(
        HttpRequest request, TributaryDbContext db, LiveConnectors live, LinkedAccount account, TributaryOptions options, WriteProblems problems, CancellationToken ct)
    {
        var body = await WriteSupport.ReadJsonAsync(request.Body, options.MaxRequestBodyBytes, problems, ct);
        var fields = ReadFields(ModelReader.FromEnvelope(body, problems));
        var (folderRemoteId, driveRemoteId) = await CheckReferencesAsync(db, fields, problems, ct);
        WriteSupport.RequireName(fields.Name, problems);

        byte[] bytes = [];
        string? mediaType = null;
        var url = ModelReader.Pointer("file_url");
        if (fields.FileUrl is null)
        {
            problems.Error(url, ProblemTypes.MissingRequiredField, "Missing Required Field",
                "file_url is required: send the content as a data: URI (data:text/plain;base64,…), or POST multipart/form-data with a 'model' part and a 'file' part.");
        }
        else if (fields.FileUrl.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || fields.FileUrl.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            problems.Error(url, ProblemTypes.InvalidFieldChoice, "Invalid Field Choice",
                "Tributary does not fetch file_url from the network. Send the content as a data: URI, or POST multipart/form-data with a 'model' part and a 'file' part.");
        }
        else if (!DataUri.IsDataUri(fields.FileUrl))
        {
            problems.Error(url, ProblemTypes.InvalidFieldChoice, "Invalid Field Choice", "file_url must be a data: URI (data:<mime type>;base64,<data>).");
        }
        else if (!DataUri.TryDecode(fields.FileUrl, out bytes, out mediaType, out var error))
        {
            problems.Error(url, ProblemTypes.CorruptedFile, "Corrupted File", error!);
        }
        else if (fields.Checksum is { } checksum && Hash(checksum.Type, bytes) is { } actual && !HashesEqual(actual, checksum.ContentHash))
        {
            problems.Error(ModelReader.Pointer("checksum"), ProblemTypes.CorruptedFile, "Corrupted File",
                $"The content's {checksum.Type} is {actual}, not {checksum.ContentHash}: the file was not uploaded.");
        }
        problems.ThrowIfErrors();

        var content = new UploadStream(new MemoryStream(bytes, writable: false), options.MaxUploadBytes, null);
        var upload = new FileUpload(fields.Name!, folderRemoteId, driveRemoteId, fields.MimeType ?? mediaType ?? "application/octet-stream", fields.Description, bytes.Length);
        var uploaded = await live.CallAsync(account, (connector, context) => connector.UploadAsync(context, upload, content, ct), ct);
        return (uploaded, content, fields.Size);
    }

    private static async Task<(UploadedFile, UploadStream, long?)> UploadMultipartAsync(
        HttpRequest request, TributaryDbContext db, LiveConnectors live, LinkedAccount account, TributaryOptions options, WriteProblems problems, CancellationToken ct)
    {
        var boundary = Boundary(request, problems);
        var reader = new MultipartReader(boundary, request.Body) { HeadersLengthLimit = 16 * 1024, BodyLengthLimit = null };
        ModelReader? model = null;
        MultipartSection? file = null;
        string? fileName = null;
        using var empty = JsonDocument.Parse("{}");
        try
        {
            while (file is null && await reader.ReadNextSectionAsync(ct) is { } section)
            {
                var part = PartName(section, out var partFileName);
                switch (part)
                {
                    case ModelPart when model is null:
                        var json = await WriteSupport.ReadJsonAsync(section.Body, options.MaxRequestBodyBytes, problems, ct);
                        // The part may hold the model itself or the usual {"model": {...}} envelope.
                        model = json.ValueKind == JsonValueKind.Object && json.EnumerateObject().Count() == 1
                            && json.TryGetProperty(ModelPart, out var inner) && inner.ValueKind == JsonValueKind.Object
                            ? ModelReader.FromEnvelope(json, problems)
                            : ModelReader.FromModel(json, problems);
                        break;
                    case FilePart:
                        file = section;
                        fileName = partFileName;
                        break;
                    default:
                        problems.Warning(null, ProblemTypes.UnrecognizedField, "Unrecognized Field",
                            $"The multipart part \"{part}\" was ignored: send a 'model' part, then a 'file' part.");
                        break;
                }
            }
        }
        catch (Exception e) when (IsMalformedBody(e, request))
        {
            throw problems.Reject(null, ProblemTypes.Error, "Malformed Multipart Body", $"The multipart/form-data body could not be read: {e.Message}");
        }

        var fields = ReadFields(model ?? ModelReader.FromModel(empty.RootElement, problems));
        var (folderRemoteId, driveRemoteId) = await CheckReferencesAsync(db, fields, problems, ct);
        var name = fields.Name ?? fileName;
        WriteSupport.RequireName(name, problems, "In a multipart upload it defaults to the file part's filename.");
        if (fields.FileUrl is not null)
        {
            problems.Error(ModelReader.Pointer("file_url"), ProblemTypes.InvalidFieldChoice, "Invalid Field Choice",
                "Send the content once: in the 'file' part of this multipart body, not also as file_url.");
        }
        if (file is null)
        {
            problems.Error("/file", ProblemTypes.MissingRequiredField, "Missing Required Field",
                "The multipart body has no 'file' part: send a 'model' part (JSON), then a 'file' part with the bytes.");
        }
        problems.ThrowIfErrors();

        var mimeType = fields.MimeType ?? PartContentType(file!) ?? "application/octet-stream";
        var content = new UploadStream(file!.Body, options.MaxUploadBytes, fields.Checksum?.Type);
        var upload = new FileUpload(name!, folderRemoteId, driveRemoteId, mimeType, fields.Description, fields.Size);
        UploadedFile uploaded;
        try
        {
            uploaded = await live.CallAsync(account, (connector, context) => connector.UploadAsync(context, upload, content, ct), ct);
        }
        catch (Exception e) when (content.ReadFailed && IsMalformedBody(e, request))
        {
            await content.DisposeAsync();
            throw problems.Reject("/file", ProblemTypes.CorruptedFile, "Corrupted File", $"The file part could not be read to its end: {e.Message}");
        }

        if (fields.Checksum is { } checksum && content.Hash is { } actual && !HashesEqual(actual, checksum.ContentHash))
        {
            problems.Warning(ModelReader.Pointer("checksum"), ProblemTypes.CorruptedFile, "Corrupted File",
                $"The uploaded content's {checksum.Type} is {actual}, not {checksum.ContentHash}: the file was created with the content as received.");
        }
        try
        {
            await DrainAsync(reader, problems, ct);
        }
        catch (Exception e) when (IsMalformedBody(e, request))
        {
            // The file exists already; a broken tail after it changes nothing.
            problems.Warning(null, ProblemTypes.Error, "Malformed Multipart Body", $"The body after the file part could not be read: {e.Message}");
        }
        return (uploaded, content, fields.Size);
    }

    /// <summary>A body the client got wrong (truncated, not multipart), as opposed to a size limit or an aborted request.</summary>
    private static bool IsMalformedBody(Exception e, HttpRequest request) =>
        e is InvalidDataException
        || (e is IOException and not BadHttpRequestException && !request.HttpContext.RequestAborted.IsCancellationRequested);

    /// <summary>Puts the created file into the store at once, so GET /files/{id} finds it before the next sync.</summary>
    private static async Task<FileDto> StoreAsync(
        TributaryDbContext db, SyncRunner sync, LinkedAccount account, RemoteFile file, TimeProvider time, WriteProblems problems, ILogger logger, CancellationToken ct)
    {
        var id = StoreIds.For(account.Id, StoreMapper.FileModel, file.RemoteId);
        try
        {
            await sync.StoreWrittenAsync(account.Id, file, ct);
            return CommonModelDtos.File(await db.Files.AsNoTracking().SingleAsync(f => f.Id == id, ct), remoteData: false);
        }
        catch (Exception e) when (e is DbUpdateException or System.Data.Common.DbException or InvalidOperationException)
        {
            logger.LogError(e, "File {RemoteId} was uploaded for linked account {LinkedAccountId} but could not be stored", file.RemoteId, account.Id);
            problems.Warning(null, ProblemTypes.Error, "Not Stored Yet",
                "The file was created at the provider but could not be saved to Tributary's store; it appears in GET /files after the next sync.");
            var row = StoreMapper.ToFile(account.Id, file);
            row.CreatedAt = row.ModifiedAt = time.GetUtcNow().UtcDateTime;
            return CommonModelDtos.File(row, remoteData: false);
        }
    }

    private static bool IsMultipart(HttpRequest request) =>
        request.ContentType is { } type && type.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase);

    private static string Boundary(HttpRequest request, WriteProblems problems)
    {
        var boundary = MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType)
            ? HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value
            : null;
        if (string.IsNullOrWhiteSpace(boundary) || boundary.Length > 70)
        {
            throw problems.Reject(null, ProblemTypes.Error, "Malformed Multipart Body", "The multipart/form-data Content-Type needs a boundary of at most 70 characters.");
        }
        return boundary;
    }

    private static string PartName(MultipartSection section, out string? fileName)
    {
        fileName = null;
        if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition))
        {
            return "";
        }
        var star = HeaderUtilities.RemoveQuotes(disposition.FileNameStar).Value;
        var plain = HeaderUtilities.RemoveQuotes(disposition.FileName).Value;
        fileName = !string.IsNullOrEmpty(star) ? star : !string.IsNullOrEmpty(plain) ? plain : null;
        return HeaderUtilities.RemoveQuotes(disposition.Name).Value ?? "";
    }

    private static string? PartContentType(MultipartSection section) =>
        MediaTypeHeaderValue.TryParse(section.ContentType, out var type) && type.MediaType.HasValue
            ? type.MediaType.Value!.ToLowerInvariant()
            : null;

    private static async Task DrainAsync(MultipartReader reader, WriteProblems problems, CancellationToken ct)
    {
        while (await reader.ReadNextSectionAsync(ct) is { } section)
        {
            problems.Warning(null, ProblemTypes.UnrecognizedField, "Unrecognized Field",
                $"The multipart part \"{PartName(section, out _)}\" after the file part was ignored: send the 'model' part first.");
        }
    }

    private static string? Hash(string type, byte[] content) => type.ToUpperInvariant() switch
    {
        "SHA256" => Convert.ToHexStringLower(SHA256.HashData(content)),
#pragma warning disable CA5350, CA5351 // Verifying a checksum the client chose, not protecting anything with it.
        "SHA1" => Convert.ToHexStringLower(SHA1.HashData(content)),
        "MD5" => Convert.ToHexStringLower(MD5.HashData(content)),
#pragma warning restore CA5350, CA5351
        _ => null,
    };

    private static bool HashesEqual(string hex, string sent) => string.Equals(hex, sent.Trim(), StringComparison.OrdinalIgnoreCase);
}

/// <summary>Endpoint metadata: a multipart/form-data body may be as large as Tributary:MaxUploadBytes (plus the JSON limit for the model part).</summary>
internal sealed class AcceptsUploads;
