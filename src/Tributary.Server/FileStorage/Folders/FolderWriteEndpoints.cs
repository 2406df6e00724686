using System.Net;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Tributary.Data;
using Tributary.Integrations.FileStorage;
using Tributary.Server.Auth;
using Tributary.Server.Errors;
using Tributary.Server.FileStorage.Live;
using Tributary.Server.FileStorage.Writes;
using Tributary.Server.Hosting;
using Tributary.Server.Linking;
using Tributary.Server.Sync;

namespace Tributary.Server.FileStorage.Folders;

/// <summary><c>POST /folders</c>, live to the provider, and its <c>meta/post</c>.</summary>
internal static class FolderWriteEndpoints
{
    public static RouteGroupBuilder MapFolderWrites(this RouteGroupBuilder fileStorage)
    {
        fileStorage.MapPost("/folders", CreateAsync).WithName("CreateFolder").WithTags("Folders")
            .WithSummary("Create a folder at the provider")
            .WithDescription("Body {\"model\": {\"name\", \"parent_folder\"?, \"drive\"?}}; parent_folder and drive are Merge ids of this account.");
        fileStorage.MapGet("/folders/meta/post", MetaAsync).WithName("FolderMetaPost").WithTags("Folders")
            .WithSummary("The schema of POST /folders");
        return fileStorage;
    }

    internal static async Task<Created<WriteResponse<FolderDto>>> CreateAsync(
        HttpContext http, TenantContext tenant, TributaryDbContext db, LiveConnectors live, SyncRunner sync, TimeProvider time,
        IOptions<TributaryOptions> options, ILoggerFactory loggers, CancellationToken ct)
    {
        var write = WriteOptions.Read(http.Request);
        var account = await live.AccountAsync(tenant.RequiredLinkedAccountId, ct);
        live.ConnectorFor(account);
        if (!http.Request.HasJsonContentType())
        {
            throw ApiException.Detail(HttpStatusCode.UnsupportedMediaType,
                $"Unsupported media type \"{http.Request.ContentType}\" in request: send the body as application/json.");
        }
        var problems = new WriteProblems();
        var model = ModelReader.FromEnvelope(await WriteSupport.ReadJsonAsync(http.Request.Body, options.Value.MaxRequestBodyBytes, problems, ct), problems);
        var name = model.String("name", 254);
        var parentId = model.Id("parent_folder");
        var driveId = model.Id("drive");
        model.Unsupported("folder_url", "the provider makes the folder's URL.");
        model.Unsupported("size", "a new folder's size is what it holds.");
        model.Unsupported("description", "this integration does not write folder descriptions.");
        model.Unsupported("permissions", "permissions are not set on create; the new folder gets the provider's defaults.");
        model.Unsupported("integration_params", "this integration takes no integration parameters.");
        model.Unsupported("linked_account_params", "this integration takes no linked-account parameters.");
        model.WarnAboutUnknownFields();
        WriteSupport.RequireName(name, problems);
        var parent = await WriteSupport.FolderAsync(db, parentId, "parent_folder", problems, ct);
        var drive = await WriteSupport.DriveAsync(db, driveId, problems, ct);
        WriteSupport.CheckSameDrive(parent, drive, "parent_folder", problems);
        problems.ThrowIfErrors();

        var driveRemoteId = await WriteSupport.DriveRemoteIdAsync(db, drive, parent, ct);
        var created = await live.CallAsync(account, (connector, context) =>
            connector.CreateFolderAsync(context, name!, parent?.RemoteId, driveRemoteId, ct), ct);

        // The folder exists at the provider now: nothing below may fail the request (SDKs retry 5xx).
        var logger = loggers.CreateLogger(typeof(FolderWriteEndpoints));
        var id = StoreIds.For(account.Id, StoreMapper.FolderModel, created.RemoteId);
        FolderDto dto;
        try
        {
            await sync.StoreWrittenAsync(account.Id, created, ct);
            dto = CommonModelDtos.Folder(await db.Folders.AsNoTracking().SingleAsync(f => f.Id == id, ct), remoteData: false);
        }
        catch (Exception e) when (e is DbUpdateException or System.Data.Common.DbException or InvalidOperationException)
        {
            logger.LogError(e, "Folder {RemoteId} was created for linked account {LinkedAccountId} but could not be stored", created.RemoteId, account.Id);
            problems.Warning(null, ProblemTypes.Error, "Not Stored Yet",
                "The folder was created at the provider but could not be saved to Tributary's store; it appears in GET /folders after the next sync.");
            var row = StoreMapper.ToFolder(account.Id, created);
            row.CreatedAt = row.ModifiedAt = time.GetUtcNow().UtcDateTime;
            dto = CommonModelDtos.Folder(row, remoteData: false);
        }
        var location = $"{PublicUrls.Base(http)}/api/filestorage/v1/folders/{id}";
        IReadOnlyList<DebugModeLog>? logs = write.IsDebugMode
            ? [WriteSupport.DebugLog(logger, location, account, "create_folder", created.Url, StatusCodes.Status201Created)]
            : null;
        return TypedResults.Created(location, new WriteResponse<FolderDto>(dto, problems.Warnings, [], logs));
    }

    internal static async Task<Ok<MetaResponseDto>> MetaAsync(TenantContext tenant, LiveConnectors live, ConnectorResolver connectors, CancellationToken ct)
    {
        var account = await live.AccountAsync(tenant.RequiredLinkedAccountId, ct);
        var name = MetaPost.Field("string", "The folder's name. Required.", 254);
        name["type"] = "string";
        var fields = new Dictionary<string, object>
        {
            ["name"] = name,
            ["parent_folder"] = MetaPost.Field("string", "The Merge id of the folder to create it in; omit for the drive's root.", format: "uuid"),
            ["drive"] = MetaPost.Field("string", "The Merge id of the drive; defaults to the parent folder's drive.", format: "uuid"),
        };
        IFileStorageConnector? connector = connectors.Find(account.IntegrationSlug);
        return TypedResults.Ok(MetaPost.For(account, connector, fields, ["name"]));
    }
}
