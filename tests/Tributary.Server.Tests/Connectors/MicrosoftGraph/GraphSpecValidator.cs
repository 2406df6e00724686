using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.OpenApi;
using Tributary.Server.Tests.Connectors.Fakes;
using Tributary.Server.Tests.Connectors.Specs;

namespace Tributary.Server.Tests.Connectors.MicrosoftGraph;

/// <summary>
/// Checks Graph traffic against <c>shared/provider-specs/microsoft-graph/graph-v1.0-files-subset.openapi.json</c>
/// with the shared <see cref="OpenApiSpecValidator"/>, after translating what Graph really sends into
/// what the generated description can express:
/// <list type="bullet">
/// <item><c>…/delta</c> (and <c>root/delta</c>) is the spec's <c>…/delta()</c>; with <c>?token=</c> it is <c>…/delta(token='{token}')</c>.</item>
/// <item>Colon path addressing (<c>items/{parent}:/{name}:/content</c>) addresses an item, so it is checked as <c>items/{id}/content</c>.</item>
/// <item>Graph's documented <c>?format=</c> (content conversion) and <c>?search=</c> (sites) are the spec's <c>$format</c> and <c>$search</c>.</item>
/// <item>OData instance annotations (<c>@microsoft.graph.conflictBehavior</c>) in a query or request body are protocol, not schema properties.</item>
/// <item><c>POST /$batch</c> (OData, absent from the OpenAPI) is unpacked: each sub-request and sub-response is validated as if sent alone.</item>
/// <item>The generated schemas mark <c>@odata.type</c> required on every object (the converter's discriminator setting);
/// Graph sends it only on derived-type entries (e.g. group members), so that one requirement is dropped.</item>
/// <item>A 302 from <c>/content</c> (documented, not in the description) and requests to the identity platform (the
/// consent page, the token endpoint, the browser's favicon fetch there) or to pre-authenticated URLs are outside the description.</item>
/// </list>
/// </summary>
internal sealed partial class GraphSpecValidator(OpenApiSpecValidator inner) : ISpecValidator
{
    private static readonly Lazy<OpenApiSpecValidator> Shared = new(() =>
    {
        var validator = new OpenApiSpecValidator(ProviderSpecs.File("microsoft-graph/graph-v1.0-files-subset.openapi.json"));
        DropRequiredODataType(validator.Document);
        return validator;
    });

    public static GraphSpecValidator Create() => new(Shared.Value);

    public IEnumerable<string> ValidateRequest(FakeRequest request)
    {
        if (Outside(request))
        {
            return [];
        }
        if (IsBatch(request))
        {
            return ValidateBatchRequest(request);
        }
        return inner.ValidateRequest(Translate(request));
    }

    public IEnumerable<string> ValidateResponse(FakeRequest request, int status, string? contentType, string? body)
    {
        if (Outside(request) || (status == 302 && request.Path.EndsWith("/content", StringComparison.Ordinal)))
        {
            return [];
        }
        if (IsBatch(request))
        {
            return ValidateBatchResponse(request, status, body);
        }
        return inner.ValidateResponse(Translate(request), status, contentType, body);
    }

    /// <summary>The identity platform (token endpoint, consent page and the browser's favicon fetch on it) and pre-authenticated URLs.</summary>
    private static bool Outside(FakeRequest request) =>
        request.Path.StartsWith("/_preauth/", StringComparison.Ordinal) || OAuthPath().IsMatch(request.Path) || request.Path == "/favicon.ico";

    private static bool IsBatch(FakeRequest request) => request.Method == "POST" && request.Path == "/v1.0/$batch";

    private List<string> ValidateBatchRequest(FakeRequest request)
    {
        var errors = new List<string>();
        if (JsonNode.Parse(request.Body ?? "null") is not JsonObject { } body || body["requests"] is not JsonArray { Count: > 0 and <= 20 } requests)
        {
            return ["$batch: the body needs a \"requests\" array of 1 to 20 entries"];
        }
        foreach (var entry in requests)
        {
            if (entry is not JsonObject sub || sub["id"] is null || sub["method"] is null || sub["url"]?.GetValue<string>() is not { } url)
            {
                errors.Add("$batch: every request needs id, method and url");
                continue;
            }
            if (url.StartsWith("http", StringComparison.Ordinal) || !url.StartsWith('/'))
            {
                errors.Add($"$batch: url {url} must be relative to the version root (e.g. /drives/…)");
                continue;
            }
            errors.AddRange(inner.ValidateRequest(Translate(SubRequest(request, sub))).Select(e => $"$batch {sub["id"]} {url}: {e}"));
        }
        return errors;
    }

    private List<string> ValidateBatchResponse(FakeRequest request, int status, string? body)
    {
        if (status != 200)
        {
            return [];
        }
        var subRequests = (JsonNode.Parse(request.Body ?? "null")?["requests"] as JsonArray ?? [])
            .OfType<JsonObject>().Where(r => r["id"] is not null)
            .ToDictionary(r => r["id"]!.ToString(), r => r, StringComparer.Ordinal);
        if (JsonNode.Parse(body ?? "null") is not JsonObject { } answer || answer["responses"] is not JsonArray responses)
        {
            return ["$batch: the response needs a \"responses\" array"];
        }
        var errors = new List<string>();
        foreach (var response in responses.OfType<JsonObject>())
        {
            var id = response["id"]?.ToString();
            if (id is null || !subRequests.TryGetValue(id, out var sub) || response["status"] is not JsonValue statusValue)
            {
                errors.Add($"$batch: response {id} answers no request or has no status");
                continue;
            }
            var unknown = response.Select(p => p.Key).Except(["id", "status", "headers", "body"], StringComparer.Ordinal).ToList();
            errors.AddRange(unknown.Select(k => $"$batch {id}: property '{k}' is not part of a batch response"));
            var subStatus = statusValue.GetValue<int>();
            errors.AddRange(inner.ValidateResponse(Translate(SubRequest(request, sub)), subStatus, "application/json", response["body"]?.ToJsonString())
                .Select(e => $"$batch {id} → {subStatus}: {e}"));
        }
        return errors;
    }

    private static FakeRequest SubRequest(FakeRequest batch, JsonObject sub)
    {
        var url = sub["url"]!.GetValue<string>();
        var question = url.IndexOf('?', StringComparison.Ordinal);
        var query = question < 0
            ? new Dictionary<string, string>(StringComparer.Ordinal)
            : Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(url[question..]).ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.Ordinal);
        var path = Uri.UnescapeDataString(question < 0 ? url : url[..question]);
        return new FakeRequest(batch.At, sub["method"]!.GetValue<string>(), "/v1.0" + path, query,
            new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase), sub["body"] is null ? null : "application/json", sub["body"]?.ToJsonString());
    }

    /// <summary>The request as the generated description spells it (see the class remarks).</summary>
    internal static FakeRequest Translate(FakeRequest request)
    {
        var path = request.Path;
        var colon = path.IndexOf(":/", StringComparison.Ordinal);
        if (colon >= 0 && path.IndexOf(':', colon + 2) is var close and > 0)
        {
            path = path[..colon] + path[(close + 1)..];
        }
        var query = new Dictionary<string, string>(request.Query, StringComparer.Ordinal);
        if (DeltaPath().Match(path) is { Success: true } delta)
        {
            var item = delta.Groups["item"].Value == "root" ? "items/root" : delta.Groups["item"].Value;
            path = $"{delta.Groups["drive"].Value}/{item}/" + (query.Remove("token", out var token) ? $"delta(token='{token}')" : "delta()");
        }
        foreach (var (documented, spec) in (ReadOnlySpan<(string, string)>)[("format", "$format"), ("search", "$search")])
        {
            if (query.Remove(documented, out var value))
            {
                query[spec] = value;
            }
        }
        foreach (var annotation in query.Keys.Where(k => k.StartsWith("@microsoft.graph.", StringComparison.Ordinal)).ToList())
        {
            query.Remove(annotation);
        }
        var body = request.Body;
        if (body is { Length: > 0 } && request.ContentType?.Contains("json", StringComparison.OrdinalIgnoreCase) == true && JsonNode.Parse(body) is { } json)
        {
            StripAnnotations(json);
            body = json.ToJsonString();
        }
        return request with { Path = path, Query = query, Body = body };
    }

    private static void StripAnnotations(JsonNode node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var key in obj.Select(p => p.Key).Where(k => k.StartsWith("@microsoft.graph.", StringComparison.Ordinal)).ToList())
                {
                    obj.Remove(key);
                }
                foreach (var (_, child) in obj)
                {
                    if (child is not null)
                    {
                        StripAnnotations(child);
                    }
                }
                break;
            case JsonArray array:
                foreach (var child in array.OfType<JsonNode>())
                {
                    StripAnnotations(child);
                }
                break;
        }
    }

    private static void DropRequiredODataType(OpenApiDocument document)
    {
        var seen = new HashSet<OpenApiSchema>(ReferenceEqualityComparer.Instance);
        void Walk(IOpenApiSchema? schema)
        {
            if (schema is not OpenApiSchema concrete || !seen.Add(concrete))
            {
                return;
            }
            concrete.Required?.Remove("@odata.type");
            foreach (var part in (concrete.AllOf ?? []).Concat(concrete.AnyOf ?? []).Concat(concrete.OneOf ?? []))
            {
                Walk(part);
            }
            foreach (var property in concrete.Properties?.Values.AsEnumerable() ?? [])
            {
                Walk(property);
            }
            Walk(concrete.Items);
            Walk(concrete.AdditionalProperties);
        }
        foreach (var schema in document.Components?.Schemas?.Values.AsEnumerable() ?? [])
        {
            Walk(schema);
        }
        foreach (var response in document.Components?.Responses?.Values.AsEnumerable() ?? [])
        {
            foreach (var media in response.Content?.Values.AsEnumerable() ?? [])
            {
                Walk(media.Schema);
            }
        }
        foreach (var item in document.Paths.Values)
        {
            foreach (var operation in item.Operations?.Values.AsEnumerable() ?? [])
            {
                foreach (var media in (operation.Responses?.Values.AsEnumerable() ?? []).SelectMany(r => r.Content?.Values.AsEnumerable() ?? []))
                {
                    Walk(media.Schema);
                }
                foreach (var media in operation.RequestBody?.Content?.Values.AsEnumerable() ?? [])
                {
                    Walk(media.Schema);
                }
            }
        }
    }

    [GeneratedRegex(@"^/[^/]+/oauth2/v2\.0/")]
    private static partial Regex OAuthPath();

    [GeneratedRegex(@"^(?<drive>/v1\.0/drives/[^/]+)/(?<item>items/[^/]+|root)/delta(\(\))?$")]
    private static partial Regex DeltaPath();
}
