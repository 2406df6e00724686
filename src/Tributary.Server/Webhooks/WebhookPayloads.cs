using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Tributary.Data;
using Tributary.Data.Entities;
using Tributary.Data.Entities.Webhooks;
using Tributary.Integrations.Catalog;
using Tributary.Server.FileStorage;
using Tributary.Server.Hosting;
using Tributary.Server.LinkedAccounts;

namespace Tributary.Server.Webhooks;

/// <summary>
/// Builds Merge's webhook body: <c>{"hook": {id, event, target}, "linked_account": {…}, "data": {…}}</c>
/// with Merge's JSON conventions (snake_case, nulls written).
/// </summary>
internal sealed class WebhookPayloads(IntegrationCatalog catalog, IOptions<TributaryOptions> options, IHttpContextAccessor http)
{
    public static string Envelope(WebhookEndpoint endpoint, string eventName, JsonNode? linkedAccount, JsonNode? data) =>
        new JsonObject
        {
            ["hook"] = new JsonObject { ["id"] = endpoint.Id.ToString(), ["event"] = eventName, ["target"] = endpoint.Url },
            ["linked_account"] = linkedAccount,
            ["data"] = data,
        }.ToJsonString(ApiJson.Options);

    /// <summary>Merge's <c>linked_account</c> block: <c>AccountDetails</c>, with the integration's display name.</summary>
    public JsonObject LinkedAccount(LinkedAccount account) =>
        JsonSerializer.SerializeToNode(AccountDetailsDto.From(account, catalog, ListenerUrl(account.Id)), ApiJson.Options)!.AsObject();

    /// <summary>Where providers post this account's third-party webhooks (its <c>webhook_listener_url</c>).</summary>
    public string ListenerUrl(Guid linkedAccountId)
    {
        var configured = options.Value.PublicUrl;
        var origin = !string.IsNullOrWhiteSpace(configured)
            ? configured.TrimEnd('/')
            : http.HttpContext is { } context ? $"{context.Request.Scheme}://{context.Request.Host}" : "";
        return $"{origin}/api/webhooks/listen/{linkedAccountId}";
    }

    public string IntegrationName(string slug) => catalog.Find(slug)?.Name ?? slug;

    /// <summary>
    /// The records of one model as <c>GET /{model}s/{id}</c> returns them (without remote data),
    /// by store id; a record that no longer exists is missing from the result.
    /// </summary>
    public static async Task<Dictionary<Guid, JsonNode>> RecordsAsync(TributaryDbContext db, string model, IReadOnlyCollection<Guid> ids, CancellationToken ct)
    {
        static Dictionary<Guid, JsonNode> ToNodes<T>(IEnumerable<(Guid Id, T Dto)> rows) =>
            rows.ToDictionary(r => r.Id, r => JsonSerializer.SerializeToNode(r.Dto, ApiJson.Options)!);

        return model switch
        {
            "File" => ToNodes((await db.Files.IgnoreQueryFilters().AsNoTracking().Where(r => ids.Contains(r.Id)).ToListAsync(ct))
                .Select(r => (r.Id, CommonModelDtos.File(r, remoteData: false)))),
            "Folder" => ToNodes((await db.Folders.IgnoreQueryFilters().AsNoTracking().Where(r => ids.Contains(r.Id)).ToListAsync(ct))
                .Select(r => (r.Id, CommonModelDtos.Folder(r, remoteData: false)))),
            "Drive" => ToNodes((await db.Drives.IgnoreQueryFilters().AsNoTracking().Where(r => ids.Contains(r.Id)).ToListAsync(ct))
                .Select(r => (r.Id, CommonModelDtos.Drive(r, remoteData: false)))),
            "User" => ToNodes((await db.Users.IgnoreQueryFilters().AsNoTracking().Where(r => ids.Contains(r.Id)).ToListAsync(ct))
                .Select(r => (r.Id, CommonModelDtos.User(r, remoteData: false)))),
            "Group" => ToNodes((await db.Groups.IgnoreQueryFilters().AsNoTracking().Where(r => ids.Contains(r.Id)).ToListAsync(ct))
                .Select(r => (r.Id, CommonModelDtos.Group(r, remoteData: false)))),
            _ => [],
        };
    }
}
