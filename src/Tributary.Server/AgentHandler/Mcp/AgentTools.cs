using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Tributary.Data;
using Tributary.Data.Entities;
using Tributary.Data.Entities.AgentHandler;
using Tributary.Data.Entities.FileStorage;
using Tributary.Integrations.Catalog;
using Tributary.Integrations.FileStorage;
using Tributary.Server.AgentHandler.Connectors;
using Tributary.Server.AgentHandler.LinkTokens;
using Tributary.Server.AgentHandler.ToolPacks;
using Tributary.Server.Auth;
using Tributary.Server.Conventions;
using Tributary.Server.Errors;
using Tributary.Server.FileStorage.Live;
using Tributary.Server.FileStorage.Writes;
using Tributary.Server.Sync;

namespace Tributary.Server.AgentHandler.Mcp;

/// <summary>Who the MCP URL acts for: a tool pack's connectors and a registered user's credentials.</summary>
internal sealed record McpTarget(ToolPack Pack, RegisteredUser User, IReadOnlyList<PackEntry> Connectors, string PublicBaseUrl);

internal sealed record PackEntry(ToolPackConnector Row, IntegrationDefinition Integration, IReadOnlyList<ToolDefinition> Tools);

/// <summary>A listed tool.</summary>
internal sealed record ListedTool(string Name, string Description, JsonObject InputSchema);

/// <summary>A tool call's answer: the JSON the agent reads and whether it is an error result.</summary>
internal sealed record ToolOutcome(JsonObject Payload, bool IsError, string? ErrorReason = null)
{
    /// <summary>When the user must open a link first: the link session (its id doubles as the elicitation id) and URL.</summary>
    public (Guid Id, string Url, string Message)? Elicitation { get; init; }
}

/// <summary>
/// The Agent Handler's tools for one (tool pack, registered user): which tools the agent sees and
/// what calling them does. Data tools run with the credential <see cref="AgentCredentials"/>
/// finds for this user alone; every call is logged (secrets redacted).
/// </summary>
internal sealed class AgentTools(
    TributaryDbContext db, IntegrationCatalog catalog, TenantContext tenant, AgentLinkTokens linkTokens, LiveConnectors live,
    SyncRunner sync, ConnectorResolver resolver, CursorCodec cursors, TimeProvider time, ILogger<AgentTools> logger)
{
    public async Task<McpTarget?> ResolveAsync(Guid toolPackId, Guid registeredUserId, string publicBaseUrl, CancellationToken ct)
    {
        // Both under the tenant filters: another organization's pack or user (or a production user under a test key) is not found.
        var pack = await db.ToolPacks.AsNoTracking().SingleOrDefaultAsync(p => p.Id == toolPackId, ct);
        var user = await db.RegisteredUsers.AsNoTracking().SingleOrDefaultAsync(u => u.Id == registeredUserId, ct);
        if (pack is null || user is null)
        {
            return null;
        }
        var rows = await db.ToolPackConnectors.AsNoTracking().Where(c => c.ToolPackId == pack.Id).ToListAsync(ct);
        var entries = rows.OrderBy(r => r.ConnectorSlug, StringComparer.Ordinal)
            .Select(r => (Row: r, Integration: catalog.Find(r.ConnectorSlug)))
            .Where(e => e.Integration is not null)
            .Select(e => new PackEntry(e.Row, e.Integration!, ToolPacksEndpoints.EnabledTools(e.Row, e.Integration!)))
            .ToList();
        return new McpTarget(pack, user, entries, publicBaseUrl);
    }

    /// <summary>
    /// Data tools of authenticated connectors; <c>authenticate_&lt;slug&gt;</c> for the others unless
    /// <paramref name="authenticatedOnly"/>. With <paramref name="stable"/>, data tools of
    /// unauthenticated connectors are listed too (calling one answers with the magic link), so the
    /// list does not change when the user authenticates.
    /// </summary>
    public async Task<List<ListedTool>> ListAsync(McpTarget target, bool authenticatedOnly, bool stable, CancellationToken ct)
    {
        var tools = new List<ListedTool>();
        foreach (var entry in target.Connectors)
        {
            var account = await AgentCredentials.FindAsync(db, target.User, entry.Integration.Slug, entry.Row.AuthScope, ct);
            if (account is not null || (stable && !authenticatedOnly))
            {
                tools.AddRange(entry.Tools.Select(t => new ListedTool(t.FullName(entry.Integration.Slug), t.Description, (JsonObject)t.InputSchema.DeepClone())));
            }
            if (account is null && !authenticatedOnly)
            {
                tools.Add(new ListedTool(ConnectorTools.AuthenticatePrefix + entry.Integration.Slug,
                    $"Connect the user's {entry.Integration.Name} account: returns a link the user opens to authenticate. Call it before using {entry.Integration.Name} tools.",
                    new JsonObject { ["type"] = "object", ["properties"] = new JsonObject(), ["additionalProperties"] = false }));
            }
        }
        return tools;
    }

    /// <summary>Runs one tool call and logs it.</summary>
    public async Task<ToolOutcome> CallAsync(McpTarget target, string name, IReadOnlyDictionary<string, JsonElement>? arguments, HttpContext http, CancellationToken ct)
    {
        var started = time.GetUtcNow();
        var watch = Stopwatch.StartNew();
        string? connector = null;
        ToolOutcome outcome;
        try
        {
            (connector, outcome) = await DispatchAsync(target, name, arguments ?? new Dictionary<string, JsonElement>(), ct);
        }
        catch (ProviderException e)
        {
            outcome = Error("provider_error", $"{connector ?? "The provider"} failed ({e.Kind}): {e.Message}",
                e.Kind == ProviderErrorKind.Transient || e.Kind == ProviderErrorKind.RateLimited ? "Try again later." : "Do not retry the same call unchanged.");
        }
        watch.Stop();
        await LogAsync(target, name, connector, arguments, outcome, http, started.UtcDateTime, (int)watch.ElapsedMilliseconds, ct);
        return outcome;
    }

    private async Task<(string? Connector, ToolOutcome Outcome)> DispatchAsync(
        McpTarget target, string name, IReadOnlyDictionary<string, JsonElement> arguments, CancellationToken ct)
    {
        if (name.StartsWith(ConnectorTools.AuthenticatePrefix, StringComparison.Ordinal))
        {
            var slug = name[ConnectorTools.AuthenticatePrefix.Length..];
            var entry = target.Connectors.FirstOrDefault(c => c.Integration.Slug == slug);
            if (entry is null)
            {
                return (null, NotFound(target, name));
            }
            var account = await AgentCredentials.FindAsync(db, target.User, slug, entry.Row.AuthScope, ct);
            if (account is { Status: LinkedAccountStatus.Complete })
            {
                return (slug, new ToolOutcome(new JsonObject { ["message"] = $"Already connected to {entry.Integration.Name}. Its tools are ready to use." }, false));
            }
            return (slug, await AuthenticationNeededAsync(target, entry, reauth: false, ct));
        }

        var separator = name.IndexOf(ConnectorTools.Separator, StringComparison.Ordinal);
        var pack = separator <= 0 ? null : target.Connectors.FirstOrDefault(c => c.Integration.Slug == name[..separator]);
        var tool = pack?.Tools.FirstOrDefault(t => t.Action == name[(separator + ConnectorTools.Separator.Length)..]);
        if (pack is null || tool is null)
        {
            return (pack?.Integration.Slug, NotFound(target, name));
        }
        var slugName = pack.Integration.Slug;
        var problems = ToolInput.Validate(tool.InputSchema, arguments);
        if (problems.Count > 0)
        {
            return (slugName, Error("invalid_input", $"Invalid arguments for {name}: {string.Join(" ", problems)}", "Fix the arguments and call again.",
                new JsonObject { ["problems"] = new JsonArray(problems.Select(p => (JsonNode)JsonValue.Create(p)).ToArray()), ["input_schema"] = tool.InputSchema.DeepClone() }));
        }
        var linked = await AgentCredentials.FindAsync(db, target.User, slugName, pack.Row.AuthScope, ct);
        if (linked is null)
        {
            return (slugName, await AuthenticationNeededAsync(target, pack, reauth: false, ct));
        }
        if (linked.Status == LinkedAccountStatus.RelinkNeeded)
        {
            return (slugName, await AuthenticationNeededAsync(target, pack, reauth: true, ct));
        }
        if (resolver.Find(linked.IntegrationSlug) is null)
        {
            return (slugName, Error("not_supported", $"{pack.Integration.Name} tools are not available on this server yet.", "Do not retry."));
        }
        tenant.SetLinkedAccount(linked.Id);
        try
        {
            return (slugName, await RunFileStorageToolAsync(tool.Action, linked, arguments, ct));
        }
        catch (ProviderException e) when (e.Kind == ProviderErrorKind.Unauthorized)
        {
            // The provider refused the credential: the account needs the user again.
            await db.LinkedAccounts.IgnoreQueryFilters().Where(a => a.Id == linked.Id)
                .ExecuteUpdateAsync(s => s.SetProperty(a => a.Status, LinkedAccountStatus.RelinkNeeded)
                    .SetProperty(a => a.StatusDetail, "The provider refused the stored credential during an agent tool call."), ct);
            logger.LogWarning("Linked account {LinkedAccountId} needs relinking: the provider refused its credential", linked.Id);
            return (slugName, await AuthenticationNeededAsync(target, pack, reauth: true, ct));
        }
        catch (ValidationException e)
        {
            return (slugName, Error("invalid_input", $"Invalid arguments for {name}: {e.Message}", "Fix the arguments and call again."));
        }
    }

    private async Task<ToolOutcome> AuthenticationNeededAsync(McpTarget target, PackEntry entry, bool reauth, CancellationToken ct)
    {
        if (entry.Row.AuthScope == AuthScopes.Shared && target.User.OriginCompanyId is null)
        {
            return Error("missing_company",
                $"{entry.Integration.Name} uses a SHARED (per-company) credential in this tool pack, but this registered user has no shared_credential_group.origin_company_id.",
                "Do not retry: the application must set the user's company first.");
        }
        var link = await linkTokens.CreateAsync(db, new AgentLinkRequest(target.User, entry.Integration, entry.Row.AuthScope, null, null,
            AgentLinkTokens.DefaultExpiryMinutes), target.PublicBaseUrl, ct);
        var name = entry.Integration.Name;
        if (reauth)
        {
            return new ToolOutcome(new JsonObject
            {
                ["error"] = "reauth_required",
                ["message"] = $"The user's {name} connection stopped working and must be renewed. Share this link with the user to reconnect: {link.MagicLinkUrl} " +
                    "DO NOT RETRY until the user has reconnected.",
                ["magic_link_url"] = link.MagicLinkUrl,
                ["link_token"] = link.LinkToken,
            }, IsError: true, "reauth_required") { Elicitation = (link.SessionId, link.MagicLinkUrl, $"Reconnect your {name} account.") };
        }
        return new ToolOutcome(new JsonObject
        {
            ["message"] = $"The user must authenticate with {name}. Share this link with the user to connect their account: {link.MagicLinkUrl} " +
                "Once authenticated, you must refetch tools or restart your MCP connection.",
            ["magic_link_url"] = link.MagicLinkUrl,
            ["link_token"] = link.LinkToken,
            ["expires_at"] = link.ExpiresAt,
        }, IsError: false, "authentication_required") { Elicitation = (link.SessionId, link.MagicLinkUrl, $"Connect your {name} account.") };
    }

    private static ToolOutcome NotFound(McpTarget target, string name) => Error("not_found",
        $"No tool \"{name}\" in this tool pack. Call tools/list for the tools available ({string.Join(", ", target.Connectors.Select(c => c.Integration.Slug))}).",
        "Do not guess tool names.");

    private static ToolOutcome Error(string error, string message, string hint, JsonObject? extra = null)
    {
        var payload = new JsonObject { ["error"] = error, ["message"] = message + " " + hint };
        foreach (var (key, value) in extra ?? [])
        {
            payload[key] = value?.DeepClone();
        }
        return new ToolOutcome(payload, IsError: true, error);
    }

    // Case-insensitive name matching: EF translates ToLower().Contains to LOWER(..) LIKE on both databases; the
    // StringComparison overloads CA1862 suggests do not translate.
#pragma warning disable CA1862
    private async Task<ToolOutcome> RunFileStorageToolAsync(string action, LinkedAccount account, IReadOnlyDictionary<string, JsonElement> args, CancellationToken ct)
    {
        await EnsureSyncedAsync(account.Id, ct);
        switch (action)
        {
            case "list_files":
            {
                IQueryable<StoredFile> files = db.Files.AsNoTracking().Where(f => !f.RemoteWasDeleted);
                if (GuidArg(args, "folder_id") is { } folder)
                {
                    files = files.Where(f => f.FolderId == folder);
                }
                if (GuidArg(args, "drive_id") is { } drive)
                {
                    files = files.Where(f => f.DriveId == drive);
                }
                if (StringArg(args, "name_contains") is { } fragment)
                {
                    var lower = fragment.ToLowerInvariant();
                    files = files.Where(f => f.Name != null && f.Name.ToLower().Contains(lower));
                }
                var page = await files.ToPageAsync(cursors, "mcp-files", StringArg(args, "cursor"), IntArg(args, "page_size") ?? 25,
                    f => f.CreatedAt, f => f.Id, descending: false, FileSummary, ct);
                return Ok(new JsonObject { ["results"] = new JsonArray([.. page.Results]), ["next_cursor"] = page.Next });
            }
            case "list_folders":
            {
                IQueryable<StoredFolder> folders = db.Folders.AsNoTracking().Where(f => !f.RemoteWasDeleted);
                if (GuidArg(args, "parent_folder_id") is { } parent)
                {
                    folders = folders.Where(f => f.ParentFolderId == parent);
                }
                if (GuidArg(args, "drive_id") is { } drive)
                {
                    folders = folders.Where(f => f.DriveId == drive);
                }
                var page = await folders.ToPageAsync(cursors, "mcp-folders", StringArg(args, "cursor"), IntArg(args, "page_size") ?? 25,
                    f => f.CreatedAt, f => f.Id, descending: false, FolderSummary, ct);
                return Ok(new JsonObject { ["results"] = new JsonArray([.. page.Results]), ["next_cursor"] = page.Next });
            }
            case "search":
            {
                var lower = StringArg(args, "query")!.ToLowerInvariant();
                var take = IntArg(args, "page_size") ?? 25;
                var files = await db.Files.AsNoTracking().Where(f => !f.RemoteWasDeleted && f.Name != null && f.Name.ToLower().Contains(lower))
                    .OrderBy(f => f.Name).ThenBy(f => f.Id).Take(take).ToListAsync(ct);
                var folders = await db.Folders.AsNoTracking().Where(f => !f.RemoteWasDeleted && f.Name != null && f.Name.ToLower().Contains(lower))
                    .OrderBy(f => f.Name).ThenBy(f => f.Id).Take(take).ToListAsync(ct);
                return Ok(new JsonObject
                {
                    ["files"] = new JsonArray([.. files.Select(FileSummary)]),
                    ["folders"] = new JsonArray([.. folders.Select(FolderSummary)]),
                });
            }
            case "get_file_metadata":
            {
                var file = await FileAsync(args, ct);
                return file is null ? MissingFile(args) : Ok(FileSummary(file));
            }
            case "read_file_content":
                return await ReadContentAsync(account, args, ct);
            case "create_folder":
            {
                var parentId = GuidArg(args, "parent_folder_id");
                var parent = parentId is null ? null : await db.Folders.AsNoTracking().SingleOrDefaultAsync(f => f.Id == parentId && !f.RemoteWasDeleted, ct);
                if (parentId is not null && parent is null)
                {
                    return Error("invalid_input", $"parent_folder_id {parentId} is not a folder of this account.", "Use an id from list_folders or search.");
                }
                var driveRemoteId = await WriteSupport.DriveRemoteIdAsync(db, null, parent, ct);
                var created = await live.CallAsync(account, (c, context) => c.CreateFolderAsync(context, StringArg(args, "name")!, parent?.RemoteId, driveRemoteId, ct), ct);
                await sync.StoreWrittenAsync(account.Id, created, ct);
                var id = StoreIds.For(account.Id, StoreMapper.FolderModel, created.RemoteId);
                return Ok(FolderSummary(await db.Folders.AsNoTracking().SingleAsync(f => f.Id == id, ct)));
            }
            case "upload_file":
            {
                var folderId = GuidArg(args, "folder_id");
                var folder = folderId is null ? null : await db.Folders.AsNoTracking().SingleOrDefaultAsync(f => f.Id == folderId && !f.RemoteWasDeleted, ct);
                if (folderId is not null && folder is null)
                {
                    return Error("invalid_input", $"folder_id {folderId} is not a folder of this account.", "Use an id from list_folders or search.");
                }
                var bytes = Encoding.UTF8.GetBytes(StringArg(args, "content") ?? "");
                var driveRemoteId = await WriteSupport.DriveRemoteIdAsync(db, null, folder, ct);
                var upload = new FileUpload(StringArg(args, "name")!, folder?.RemoteId, driveRemoteId, StringArg(args, "mime_type") ?? "text/plain", null, bytes.Length);
                var uploaded = await live.CallAsync(account, async (c, context) =>
                {
                    await using var content = new MemoryStream(bytes, writable: false);
                    return await c.UploadAsync(context, upload, content, ct);
                }, ct);
                await sync.StoreWrittenAsync(account.Id, uploaded.File, ct);
                var id = StoreIds.For(account.Id, StoreMapper.FileModel, uploaded.File.RemoteId);
                return Ok(FileSummary(await db.Files.AsNoTracking().SingleAsync(f => f.Id == id, ct)));
            }
            default:
                throw new UnreachableException($"Unhandled File Storage tool {action}.");
        }
    }

#pragma warning restore CA1862

    private async Task<ToolOutcome> ReadContentAsync(LinkedAccount account, IReadOnlyDictionary<string, JsonElement> args, CancellationToken ct)
    {
        var file = await FileAsync(args, ct);
        if (file is null)
        {
            return MissingFile(args);
        }
        var max = IntArg(args, "max_bytes") ?? ConnectorTools.MaxReadBytes;
        if (file.MimeType is { } mime && !IsTextual(mime))
        {
            return Error("unsupported_content", $"{file.Name} is {mime}, not text: read_file_content returns text only.", "Use get_file_metadata for its link instead.");
        }
        var (bytes, total) = await live.CallAsync(account, async (c, context) =>
        {
            await using var content = await c.DownloadAsync(context, file.RemoteId, null, new ByteRange(0, max - 1), ct);
            var buffer = new byte[max];
            var read = 0;
            int n;
            while (read < max && (n = await content.Body.ReadAsync(buffer.AsMemory(read, max - read), ct)) > 0)
            {
                read += n;
            }
            return (buffer[..read], content.TotalLength ?? content.Length ?? file.Size);
        }, ct);
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(TrimPartialUtf8(bytes));
        }
        catch (DecoderFallbackException)
        {
            return Error("unsupported_content", $"{file.Name} is not UTF-8 text.", "Use get_file_metadata for its link instead.");
        }
        if (text.Contains('\0', StringComparison.Ordinal))
        {
            return Error("unsupported_content", $"{file.Name} looks binary, not text.", "Use get_file_metadata for its link instead.");
        }
        var truncated = total is { } size ? size > bytes.Length : bytes.Length == max;
        return Ok(new JsonObject
        {
            ["file_id"] = file.Id, ["name"] = file.Name, ["mime_type"] = file.MimeType, ["size"] = total,
            ["bytes_returned"] = bytes.Length, ["truncated"] = truncated, ["content"] = text,
        });
    }

    // A range cut may split a multi-byte character: drop the incomplete tail instead of calling the file binary.
    private static byte[] TrimPartialUtf8(byte[] bytes)
    {
        var end = bytes.Length;
        var back = 0;
        while (back < 3 && end - back - 1 >= 0 && (bytes[end - back - 1] & 0xC0) == 0x80)
        {
            back++;
        }
        if (end - back - 1 >= 0)
        {
            var lead = bytes[end - back - 1];
            var needed = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
            if (needed > back + 1)
            {
                return bytes[..(end - back - 1)];
            }
        }
        return bytes;
    }

    private static bool IsTextual(string mime) =>
        mime.StartsWith("text/", StringComparison.OrdinalIgnoreCase)
        || mime.Contains("json", StringComparison.OrdinalIgnoreCase) || mime.Contains("xml", StringComparison.OrdinalIgnoreCase)
        || mime.Contains("javascript", StringComparison.OrdinalIgnoreCase) || mime.Contains("yaml", StringComparison.OrdinalIgnoreCase)
        || mime.Contains("csv", StringComparison.OrdinalIgnoreCase) || mime.Equals("application/octet-stream", StringComparison.OrdinalIgnoreCase);

    /// <summary>Data tools read the synced store: before the first sync finished, it runs (or is waited for) here.</summary>
    private async Task EnsureSyncedAsync(Guid accountId, CancellationToken ct)
    {
        var done = await db.SyncStates.IgnoreQueryFilters().AsNoTracking()
            .AnyAsync(s => s.LinkedAccountId == accountId && s.Category == SyncRunner.Category && s.InitialSyncDone, ct);
        if (!done)
        {
            await sync.RunAsync(accountId, fullResync: false, ct);
            db.ChangeTracker.Clear();
        }
    }

    private Task<StoredFile?> FileAsync(IReadOnlyDictionary<string, JsonElement> args, CancellationToken ct)
    {
        var id = GuidArg(args, "file_id");
        return db.Files.AsNoTracking().SingleOrDefaultAsync(f => f.Id == id && !f.RemoteWasDeleted, ct);
    }

    private static ToolOutcome MissingFile(IReadOnlyDictionary<string, JsonElement> args) =>
        Error("not_found", $"No file {GuidArg(args, "file_id")} in this account.", "Use an id from list_files or search.");

    private static JsonObject FileSummary(StoredFile f) => new()
    {
        ["id"] = f.Id, ["name"] = f.Name, ["mime_type"] = f.MimeType, ["size"] = f.Size, ["folder_id"] = f.FolderId, ["drive_id"] = f.DriveId,
        ["file_url"] = f.FileUrl, ["description"] = f.Description, ["remote_created_at"] = f.RemoteCreatedAt, ["remote_updated_at"] = f.RemoteUpdatedAt,
    };

    private static JsonObject FolderSummary(StoredFolder f) => new()
    {
        ["id"] = f.Id, ["name"] = f.Name, ["parent_folder_id"] = f.ParentFolderId, ["drive_id"] = f.DriveId, ["folder_url"] = f.FolderUrl,
        ["remote_created_at"] = f.RemoteCreatedAt, ["remote_updated_at"] = f.RemoteUpdatedAt,
    };

    private static ToolOutcome Ok(JsonObject payload) => new(payload, false);

    private static string? StringArg(IReadOnlyDictionary<string, JsonElement> args, string name) =>
        args.TryGetValue(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static Guid? GuidArg(IReadOnlyDictionary<string, JsonElement> args, string name) =>
        StringArg(args, name) is { } s && Guid.TryParse(s, out var id) ? id : null;

    private static int? IntArg(IReadOnlyDictionary<string, JsonElement> args, string name) =>
        args.TryGetValue(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) ? i : null;

    private async Task LogAsync(
        McpTarget target, string name, string? connector, IReadOnlyDictionary<string, JsonElement>? arguments, ToolOutcome outcome,
        HttpContext http, DateTime started, int durationMs, CancellationToken ct)
    {
        db.ChangeTracker.Clear();
        db.ToolCallLogs.Add(new ToolCallLog
        {
            Id = Guid.CreateVersion7(new DateTimeOffset(started)),
            OrganizationId = target.User.OrganizationId,
            Environment = target.User.Environment,
            ToolPackId = target.Pack.Id,
            RegisteredUserId = target.User.Id,
            ToolName = name.Length <= 200 ? name : name[..200],
            ConnectorSlug = connector,
            ToolArgs = ToolCallRedaction.Arguments(arguments),
            Result = ToolCallRedaction.Text(outcome.Payload.ToJsonString()),
            Headers = ToolCallRedaction.Headers(http.Request.Headers),
            Status = outcome.IsError ? "ERROR" : "SUCCESS",
            ErrorReason = outcome.ErrorReason,
            ClientTraceId = TraceId(http.Request.Headers["traceparent"].ToString()),
            StartedAt = started,
            DurationMs = durationMs,
        });
        await db.SaveChangesAsync(ct);
    }

    // W3C traceparent: version-traceid-parentid-flags; the trace id is 32 lowercase hex digits.
    private static string? TraceId(string traceparent)
    {
        var parts = traceparent.Split('-');
        return parts.Length == 4 && parts[1].Length == 32 && parts[1].All(char.IsAsciiHexDigitLower) ? parts[1] : null;
    }
}
