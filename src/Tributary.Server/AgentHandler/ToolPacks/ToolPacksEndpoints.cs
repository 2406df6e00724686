using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Tributary.Data;
using Tributary.Data.Entities.AgentHandler;
using Tributary.Integrations.Catalog;
using Tributary.Server.AgentHandler.Connectors;
using Tributary.Server.AgentHandler.Logs;
using Tributary.Server.Auth;
using Tributary.Server.Conventions;
using Tributary.Server.Errors;
using Tributary.Server.Linking;
using Tributary.Server.Organization;

namespace Tributary.Server.AgentHandler.ToolPacks;

/// <summary>Merge Agent Handler's <c>ConnectorPublic</c>: a connector as configured in a pack, with its enabled tools.</summary>
internal sealed record PackConnectorDto(
    Guid ConnectorId, string Slug, string Name, string? SourceUrl, string LogoUrl, IReadOnlyList<string> Categories,
    string AuthScope, IReadOnlyList<ToolDto> Tools);

/// <summary>Merge Agent Handler's <c>ToolPack</c>.</summary>
internal sealed record ToolPackDto(Guid Id, string Name, string? Description, IReadOnlyList<PackConnectorDto> Connectors, DateTime CreatedAt, DateTime ModifiedAt);

/// <summary>One item of a pack's connector list in a request. <c>ToolNames</c> null = the field was left out.</summary>
internal sealed record ConnectorItem(string Slug, string? AuthScope, IReadOnlyList<string>? ToolNames);

internal static class ToolPacksEndpoints
{
    public static RouteGroupBuilder MapToolPacks(this RouteGroupBuilder v1)
    {
        var packs = v1.MapGroup("/tool-packs").WithTags("Agent Handler");
        packs.MapGet("", ListAsync).WithName("ListToolPacks").WithSummary("Tool packs, oldest first");
        packs.MapPost("", CreateAsync).WithName("CreateToolPack")
            .WithSummary("Create a tool pack {name, description, connectors: [{slug, auth_scope, tool_names}]}; tool_names left out = all tools");
        packs.MapGet("/{id:guid}", GetAsync).WithName("GetToolPack").WithSummary("One tool pack with its connectors and enabled tools");
        packs.MapPut("/{id:guid}", ReplaceAsync).WithName("ReplaceToolPack")
            .WithSummary("Replace a tool pack: name, description and the whole connector list");
        packs.MapPatch("/{id:guid}", PatchAsync).WithName("UpdateToolPack")
            .WithSummary("Change a tool pack; connectors given are merged (unlisted connectors stay; tool_names [] removes one)");
        packs.MapDelete("/{id:guid}", DeleteAsync).WithName("DeleteToolPack").WithSummary("Delete a tool pack");
        packs.MapGet("/{id:guid}/connectors", ListConnectorsAsync).WithName("ListToolPackConnectors").WithSummary("A pack's connectors");
        packs.MapPut("/{id:guid}/connectors", PutConnectorsAsync).WithName("ReplaceToolPackConnectors")
            .WithSummary("Declarative replace of a pack's connectors: [{slug, auth_scope?, tool_names?}]; tool_names left out = all, [] = remove");
        packs.MapPatch("/{id:guid}/connectors", PatchConnectorsAsync).WithName("MergeToolPackConnectors")
            .WithSummary("Merge into a pack's connectors: unlisted connectors untouched; tool_names left out on an existing connector = unchanged");
        packs.MapDelete("/{id:guid}/connectors/{slug}", DeleteConnectorAsync).WithName("RemoveToolPackConnector")
            .WithSummary("Remove one connector from a pack");
        return v1;
    }

    internal static async Task<Ok<Paginated<ToolPackDto>>> ListAsync(
        HttpContext http, TributaryDbContext db, CursorCodec cursors, IntegrationCatalog catalog, CancellationToken ct)
    {
        var query = QueryReader.From(http.Request);
        var cursor = query.String("cursor");
        var pageSize = query.PageSize();
        query.ThrowIfInvalid();
        var page = await db.ToolPacks.AsNoTracking().ToPageAsync(cursors, "tool-packs", cursor, pageSize, p => p.CreatedAt, p => p.Id, descending: false, p => p, ct);
        var ids = page.Results.Select(p => p.Id).ToList();
        var connectors = await db.ToolPackConnectors.AsNoTracking().Where(c => ids.Contains(c.ToolPackId)).ToListAsync(ct);
        var baseUrl = PublicUrls.Base(http);
        var results = page.Results.Select(p => ToDto(p, connectors.Where(c => c.ToolPackId == p.Id), catalog, baseUrl)).ToList();
        return TypedResults.Ok(new Paginated<ToolPackDto>(page.Next, page.Previous, results));
    }

    internal static async Task<Created<ToolPackDto>> CreateAsync(
        HttpContext http, TenantContext tenant, TributaryDbContext db, IntegrationCatalog catalog, TimeProvider time, AuditTrail audit, CancellationToken ct)
    {
        var body = await JsonBody.ReadAsync<JsonObject>(http.Request, ct);
        var errors = new FieldErrors();
        var name = errors.Required("name", Text(body, "name", errors), 256);
        var description = Optional(body, "description", errors, 2000);
        var items = body.ContainsKey("connectors") ? ReadItems(body["connectors"], "connectors", catalog, errors) : [];
        errors.ThrowIfAny();

        var now = time.GetUtcNow();
        var pack = new ToolPack
        {
            Id = Guid.CreateVersion7(now), OrganizationId = tenant.RequiredOrganizationId, Name = name!, Description = description,
            CreatedAt = now.UtcDateTime, ModifiedAt = now.UtcDateTime,
        };
        db.ToolPacks.Add(pack);
        Replace(db, pack, [], items, now.UtcDateTime);
        audit.Record(db, pack.OrganizationId, AuditActor.ApiKey(http, tenant.ApiKeyName!), AgentAuditEvents.ToolPackCreated, $"Created tool pack {pack.Id} \"{pack.Name}\".");
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/api/v1/tool-packs/{pack.Id}", await LoadDtoAsync(http, db, catalog, pack.Id, ct));
    }

    internal static async Task<Ok<ToolPackDto>> GetAsync(Guid id, HttpContext http, TributaryDbContext db, IntegrationCatalog catalog, CancellationToken ct) =>
        TypedResults.Ok(await LoadDtoAsync(http, db, catalog, id, ct));

    internal static Task<Ok<ToolPackDto>> ReplaceAsync(
        Guid id, HttpContext http, TenantContext tenant, TributaryDbContext db, IntegrationCatalog catalog, TimeProvider time, AuditTrail audit, CancellationToken ct) =>
        UpdateAsync(id, http, tenant, db, catalog, time, audit, merge: false, ct);

    internal static Task<Ok<ToolPackDto>> PatchAsync(
        Guid id, HttpContext http, TenantContext tenant, TributaryDbContext db, IntegrationCatalog catalog, TimeProvider time, AuditTrail audit, CancellationToken ct) =>
        UpdateAsync(id, http, tenant, db, catalog, time, audit, merge: true, ct);

    private static async Task<Ok<ToolPackDto>> UpdateAsync(
        Guid id, HttpContext http, TenantContext tenant, TributaryDbContext db, IntegrationCatalog catalog, TimeProvider time, AuditTrail audit,
        bool merge, CancellationToken ct)
    {
        var pack = await db.ToolPacks.SingleOrDefaultAsync(p => p.Id == id, ct) ?? throw NotFound(id);
        var body = await JsonBody.ReadAsync<JsonObject>(http.Request, ct);
        var errors = new FieldErrors();
        string? name = null;
        if (!merge || body.ContainsKey("name"))
        {
            name = errors.Required("name", Text(body, "name", errors), 256);
        }
        var description = Optional(body, "description", errors, 2000);
        var items = !merge || body.ContainsKey("connectors") ? ReadItems(body["connectors"] ?? new JsonArray(), "connectors", catalog, errors) : null;
        errors.ThrowIfAny();

        var now = time.GetUtcNow().UtcDateTime;
        pack.Name = name ?? pack.Name;
        if (!merge || body.ContainsKey("description"))
        {
            pack.Description = description;
        }
        pack.ModifiedAt = now;
        if (items is not null)
        {
            var existing = await db.ToolPackConnectors.Where(c => c.ToolPackId == id).ToListAsync(ct);
            if (merge)
            {
                Merge(db, pack, existing, items, now);
            }
            else
            {
                Replace(db, pack, existing, items, now);
            }
        }
        audit.Record(db, pack.OrganizationId, AuditActor.ApiKey(http, tenant.ApiKeyName!), AgentAuditEvents.ToolPackUpdated, $"Updated tool pack {pack.Id} \"{pack.Name}\".");
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(await LoadDtoAsync(http, db, catalog, id, ct));
    }

    internal static async Task<Ok<JsonObject>> DeleteAsync(Guid id, HttpContext http, TenantContext tenant, TributaryDbContext db, AuditTrail audit, CancellationToken ct)
    {
        var pack = await db.ToolPacks.SingleOrDefaultAsync(p => p.Id == id, ct) ?? throw NotFound(id);
        db.ToolPacks.Remove(pack);
        audit.Record(db, pack.OrganizationId, AuditActor.ApiKey(http, tenant.ApiKeyName!), AgentAuditEvents.ToolPackDeleted, $"Deleted tool pack {pack.Id} \"{pack.Name}\".");
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(new JsonObject());
    }

    internal static async Task<Ok<IReadOnlyList<PackConnectorDto>>> ListConnectorsAsync(
        Guid id, HttpContext http, TributaryDbContext db, IntegrationCatalog catalog, CancellationToken ct) =>
        TypedResults.Ok((await LoadDtoAsync(http, db, catalog, id, ct)).Connectors);

    internal static Task<Ok<IReadOnlyList<PackConnectorDto>>> PutConnectorsAsync(
        Guid id, HttpContext http, TenantContext tenant, TributaryDbContext db, IntegrationCatalog catalog, TimeProvider time, AuditTrail audit, CancellationToken ct) =>
        ChangeConnectorsAsync(id, http, tenant, db, catalog, time, audit, merge: false, ct);

    internal static Task<Ok<IReadOnlyList<PackConnectorDto>>> PatchConnectorsAsync(
        Guid id, HttpContext http, TenantContext tenant, TributaryDbContext db, IntegrationCatalog catalog, TimeProvider time, AuditTrail audit, CancellationToken ct) =>
        ChangeConnectorsAsync(id, http, tenant, db, catalog, time, audit, merge: true, ct);

    private static async Task<Ok<IReadOnlyList<PackConnectorDto>>> ChangeConnectorsAsync(
        Guid id, HttpContext http, TenantContext tenant, TributaryDbContext db, IntegrationCatalog catalog, TimeProvider time, AuditTrail audit,
        bool merge, CancellationToken ct)
    {
        var pack = await db.ToolPacks.SingleOrDefaultAsync(p => p.Id == id, ct) ?? throw NotFound(id);
        var body = await JsonBody.ReadAsync<JsonNode>(http.Request, ct);
        var errors = new FieldErrors();
        var items = ReadItems(body, "non_field_errors", catalog, errors);
        errors.ThrowIfAny();
        var now = time.GetUtcNow().UtcDateTime;
        var existing = await db.ToolPackConnectors.Where(c => c.ToolPackId == id).ToListAsync(ct);
        if (merge)
        {
            Merge(db, pack, existing, items, now);
        }
        else
        {
            Replace(db, pack, existing, items, now);
        }
        pack.ModifiedAt = now;
        audit.Record(db, pack.OrganizationId, AuditActor.ApiKey(http, tenant.ApiKeyName!), AgentAuditEvents.ToolPackUpdated,
            $"{(merge ? "Merged" : "Replaced")} the connectors of tool pack {pack.Id} \"{pack.Name}\".");
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok((await LoadDtoAsync(http, db, catalog, id, ct)).Connectors);
    }

    internal static async Task<Ok<JsonObject>> DeleteConnectorAsync(
        Guid id, string slug, HttpContext http, TenantContext tenant, TributaryDbContext db, TimeProvider time, AuditTrail audit, CancellationToken ct)
    {
        var pack = await db.ToolPacks.SingleOrDefaultAsync(p => p.Id == id, ct) ?? throw NotFound(id);
        var row = await db.ToolPackConnectors.SingleOrDefaultAsync(c => c.ToolPackId == id && c.ConnectorSlug == slug, ct)
            ?? throw ApiException.NotFound($"Tool pack {id} has no connector \"{slug}\".");
        db.ToolPackConnectors.Remove(row);
        pack.ModifiedAt = time.GetUtcNow().UtcDateTime;
        audit.Record(db, pack.OrganizationId, AuditActor.ApiKey(http, tenant.ApiKeyName!), AgentAuditEvents.ToolPackUpdated,
            $"Removed connector {slug} from tool pack {pack.Id} \"{pack.Name}\".");
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(new JsonObject());
    }

    public static async Task<ToolPackDto> LoadDtoAsync(HttpContext http, TributaryDbContext db, IntegrationCatalog catalog, Guid id, CancellationToken ct)
    {
        var pack = await db.ToolPacks.AsNoTracking().SingleOrDefaultAsync(p => p.Id == id, ct) ?? throw NotFound(id);
        var connectors = await db.ToolPackConnectors.AsNoTracking().Where(c => c.ToolPackId == id).ToListAsync(ct);
        return ToDto(pack, connectors, catalog, PublicUrls.Base(http));
    }

    /// <summary>The tools of <paramref name="row"/> that are enabled: all of the connector's, or the listed ones.</summary>
    public static IReadOnlyList<ToolDefinition> EnabledTools(ToolPackConnector row, IntegrationDefinition integration)
    {
        var all = ConnectorTools.For(integration);
        if (row.ToolNamesJson is null)
        {
            return all;
        }
        var enabled = JsonSerializer.Deserialize<List<string>>(row.ToolNamesJson) ?? [];
        return all.Where(t => enabled.Contains(t.Action)).ToList();
    }

    private static ToolPackDto ToDto(ToolPack pack, IEnumerable<ToolPackConnector> connectors, IntegrationCatalog catalog, string baseUrl) => new(
        pack.Id, pack.Name, pack.Description,
        connectors.OrderBy(c => c.ConnectorSlug, StringComparer.Ordinal)
            .Select(c => (Row: c, Integration: catalog.Find(c.ConnectorSlug)))
            .Where(c => c.Integration is not null)
            .Select(c => new PackConnectorDto(
                ConnectorTools.ConnectorId(c.Row.ConnectorSlug), c.Row.ConnectorSlug, c.Integration!.Name, c.Integration.Auth.AppRegistrationUrl,
                $"{baseUrl}/link/assets/logos/{c.Row.ConnectorSlug}.svg", c.Integration.Categories, c.Row.AuthScope,
                EnabledTools(c.Row, c.Integration).Select(t => ToolDto.From(c.Row.ConnectorSlug, t)).ToList()))
            .ToList(),
        pack.CreatedAt, pack.ModifiedAt);

    private static void Replace(TributaryDbContext db, ToolPack pack, List<ToolPackConnector> existing, IReadOnlyList<ConnectorItem> items, DateTime now)
    {
        db.ToolPackConnectors.RemoveRange(existing);
        foreach (var item in items.Where(i => i.ToolNames is not { Count: 0 }))
        {
            // A row removed above and added again under the same slug would collide on the unique index: reuse it.
            var row = existing.FirstOrDefault(e => e.ConnectorSlug == item.Slug);
            if (row is not null)
            {
                db.Entry(row).State = Microsoft.EntityFrameworkCore.EntityState.Modified;
                row.AuthScope = item.AuthScope ?? AuthScopes.Individual;
                row.ToolNamesJson = ToolNamesJson(item.ToolNames);
                continue;
            }
            db.ToolPackConnectors.Add(NewRow(pack, item, now));
        }
    }

    private static void Merge(TributaryDbContext db, ToolPack pack, List<ToolPackConnector> existing, IReadOnlyList<ConnectorItem> items, DateTime now)
    {
        foreach (var item in items)
        {
            var row = existing.FirstOrDefault(e => e.ConnectorSlug == item.Slug);
            if (item.ToolNames is { Count: 0 })
            {
                if (row is not null)
                {
                    db.ToolPackConnectors.Remove(row);
                }
                continue;
            }
            if (row is null)
            {
                db.ToolPackConnectors.Add(NewRow(pack, item, now));
                continue;
            }
            row.AuthScope = item.AuthScope ?? row.AuthScope;
            if (item.ToolNames is not null)
            {
                row.ToolNamesJson = ToolNamesJson(item.ToolNames);
            }
        }
    }

    private static ToolPackConnector NewRow(ToolPack pack, ConnectorItem item, DateTime now) => new()
    {
        Id = Guid.CreateVersion7(new DateTimeOffset(now)),
        OrganizationId = pack.OrganizationId,
        ToolPackId = pack.Id,
        ConnectorSlug = item.Slug,
        AuthScope = item.AuthScope ?? AuthScopes.Individual,
        ToolNamesJson = ToolNamesJson(item.ToolNames),
        CreatedAt = now,
    };

    private static string? ToolNamesJson(IReadOnlyList<string>? names) => names is null ? null : JsonSerializer.Serialize(names.Distinct().ToList());

    private static List<ConnectorItem> ReadItems(JsonNode? node, string field, IntegrationCatalog catalog, FieldErrors errors)
    {
        if (node is not JsonArray array)
        {
            errors.Add(field, "Expected a list of connectors: [{\"slug\": \"sandbox\", \"auth_scope\": \"INDIVIDUAL\", \"tool_names\": [\"list_files\"]}].");
            return [];
        }
        var items = new List<ConnectorItem>();
        for (var i = 0; i < array.Count; i++)
        {
            var path = field == "non_field_errors" ? $"[{i}]" : $"{field}[{i}]";
            if (array[i] is not JsonObject item)
            {
                errors.Add(path, "Expected an object {slug, auth_scope?, tool_names?}.");
                continue;
            }
            var slug = item["slug"] is JsonValue s && s.TryGetValue<string>(out var sv) ? sv : null;
            var integration = slug is null ? null : catalog.Find(slug);
            if (integration is null)
            {
                errors.Add($"{path}.slug", slug is null
                    ? "This field is required: the connector's slug."
                    : $"Unknown connector \"{slug}\". Use one of: {string.Join(", ", catalog.All.Select(c => c.Slug).Order(StringComparer.Ordinal))}.");
                continue;
            }
            if (items.Any(x => x.Slug == slug))
            {
                errors.Add($"{path}.slug", $"\"{slug}\" is listed twice.");
                continue;
            }
            string? scope = null;
            if (item["auth_scope"] is { } scopeNode)
            {
                scope = scopeNode is JsonValue sc && sc.TryGetValue<string>(out var scv) && AuthScopes.All.Contains(scv) ? scv : null;
                if (scope is null)
                {
                    errors.Add($"{path}.auth_scope", $"\"{scopeNode.ToJsonString()}\" is not a valid choice. Use INDIVIDUAL, SHARED or ORGANIZATION.");
                }
            }
            List<string>? toolNames = null;
            if (item.ContainsKey("tool_names") && item["tool_names"] is not null)
            {
                toolNames = [];
                var tools = ConnectorTools.For(integration);
                if (item["tool_names"] is not JsonArray names)
                {
                    errors.Add($"{path}.tool_names", "Expected a list of tool names.");
                    continue;
                }
                foreach (var n in names)
                {
                    var raw = n is JsonValue nv && nv.TryGetValue<string>(out var nvs) ? nvs : null;
                    var action = raw?.StartsWith(slug + ConnectorTools.Separator, StringComparison.Ordinal) == true ? raw[(slug!.Length + 2)..] : raw;
                    if (action is null || tools.All(t => t.Action != action))
                    {
                        errors.Add($"{path}.tool_names", $"\"{raw}\" is not a tool of {integration.Name}. Use any of: {string.Join(", ", tools.Select(t => t.FullName(integration.Slug)))}.");
                        continue;
                    }
                    toolNames.Add(action);
                }
            }
            items.Add(new ConnectorItem(slug!, scope, toolNames));
        }
        return items;
    }

    private static string? Text(JsonObject body, string name, FieldErrors errors)
    {
        var node = body[name];
        if (node is null)
        {
            return null;
        }
        if (node is JsonValue v && v.TryGetValue<string>(out var s))
        {
            return s;
        }
        errors.Add(name, "Invalid value: expected a string.");
        return null;
    }

    private static string? Optional(JsonObject body, string name, FieldErrors errors, int max)
    {
        var value = Text(body, name, errors);
        if (value is not null && value.Length > max)
        {
            errors.Add(name, $"Ensure this field has no more than {max} characters.");
        }
        return string.IsNullOrWhiteSpace(value) ? null : value;
    }

    public static ApiException NotFound(Guid id) => ApiException.NotFound($"No tool pack {id} in this organization.");
}
