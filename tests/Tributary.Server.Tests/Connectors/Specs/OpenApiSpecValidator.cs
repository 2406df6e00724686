using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;
using Tributary.Server.Tests.Connectors.Fakes;

namespace Tributary.Server.Tests.Connectors.Specs;

/// <summary>How a fake's URL space and quirks relate to the provider's OpenAPI description.</summary>
internal sealed class OpenApiSpecValidatorOptions
{
    /// <summary>
    /// Extra path prefixes the fake serves the API under. The path part of every server URL in the
    /// description (document, path and operation level, variables at their defaults) is always included.
    /// </summary>
    public IList<string> BasePaths { get; } = [];

    /// <summary>
    /// Rewrites a request path (already without its base-path prefix) before it is matched against the
    /// spec's templates, for aliases the spec spells differently (Graph's <c>/me/drive</c> → <c>/drives/{id}</c>).
    /// </summary>
    public Func<FakeRequest, string, string>? MapPath { get; set; }

    /// <summary>Requests outside the description (an OAuth consent page, a pre-signed download host).</summary>
    public Func<FakeRequest, bool>? Ignore { get; set; }

    /// <summary>
    /// Component schemas validated as another component (by name), where the provider documents a
    /// behaviour the schema does not: Box's <c>fields</c> parameter adds requested fields to a mini representation.
    /// </summary>
    public IDictionary<string, string> SchemaSubstitutions { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>An operation that declares its own servers must be called under one of their paths.</summary>
    public bool EnforceOperationServers { get; set; } = true;

    /// <summary>
    /// A property a schema does not declare is drift unless the schema allows additional properties
    /// (an <c>additionalProperties</c> schema, or an object schema with no properties at all).
    /// </summary>
    public bool UnknownPropertiesAreDrift { get; set; } = true;
}

/// <summary>
/// Validates a fake's traffic against an OpenAPI 3.x description (loaded with Microsoft.OpenApi):
/// the request's path matches a templated spec path under a server base path, the method exists,
/// query parameters are declared (required ones present, typed values parse, enums hold), a JSON
/// or form body matches the request body schema; the response status is declared and a JSON body
/// matches the response schema — unknown properties, required properties, enums, types, formats,
/// <c>allOf</c>/<c>oneOf</c>/<c>anyOf</c> and <c>$ref</c>.
/// </summary>
/// <remarks>
/// Microsoft.OpenApi 2.x folds OpenAPI 3.0's <c>nullable: true</c> into the type set, but drops it on
/// a schema without a <c>type</c> (typically <c>allOf: [$ref], nullable: true</c>), so such an untyped
/// schema accepts <c>null</c>: the validator cannot tell, and a false alarm would teach people to ignore it.
/// </remarks>
internal sealed class OpenApiSpecValidator : ISpecValidator
{
    private static readonly ConcurrentDictionary<string, Lazy<OpenApiDocument>> Documents = new(StringComparer.Ordinal);

    private readonly OpenApiDocument _document;
    private readonly OpenApiSpecValidatorOptions _options;
    private readonly List<PathTemplate> _templates;
    private readonly List<string> _basePaths;

    public OpenApiSpecValidator(string specFile, OpenApiSpecValidatorOptions? options = null)
    {
        _document = Load(specFile);
        _options = options ?? new OpenApiSpecValidatorOptions();
        _templates = BuildTemplates(_document);
        _basePaths = _options.BasePaths.Select(TrimSlash)
            .Concat(AllServers(_document).Select(ServerPath))
            .Distinct(StringComparer.Ordinal)
            .OrderByDescending(p => p.Length)
            .ToList();
    }

    public OpenApiDocument Document => _document;

    /// <summary>Loads (once per process) and caches a description; loading Box's 1.8 MB file takes about a second.</summary>
    public static OpenApiDocument Load(string specFile) =>
        Documents.GetOrAdd(Path.GetFullPath(specFile), file => new Lazy<OpenApiDocument>(() => Read(file))).Value;

    private static OpenApiDocument Read(string file)
    {
        using var stream = new MemoryStream(File.ReadAllBytes(file));
        var result = OpenApiDocument.Load(stream, "json", new OpenApiReaderSettings());
        return result.Document ?? throw new InvalidOperationException(
            $"{file} is not a readable OpenAPI description: {string.Join("; ", result.Diagnostic?.Errors.Select(e => e.ToString()) ?? [])}");
    }

    public IEnumerable<string> ValidateRequest(FakeRequest request)
    {
        if (_options.Ignore?.Invoke(request) == true)
        {
            return [];
        }
        var errors = new List<string>();
        var operations = FindOperations(request, errors);
        if (operations.Count == 0)
        {
            return errors;
        }
        // A path the spec lists twice (Box's "/oauth2/token" and "/oauth2/token#refresh") is fine if either fits.
        return Best(operations.Select(op => CheckRequest(request, op)));
    }

    public IEnumerable<string> ValidateResponse(FakeRequest request, int status, string? contentType, string? body)
    {
        if (_options.Ignore?.Invoke(request) == true)
        {
            return [];
        }
        var operations = FindOperations(request, []);
        if (operations.Count == 0)
        {
            return []; // already reported for the request
        }
        return Best(operations.Select(op => CheckResponse(op, status, contentType, body)));
    }

    private static List<string> Best(IEnumerable<List<string>> candidates) =>
        candidates.OrderBy(c => c.Count).First();

    // ---------------------------------------------------------------- paths and operations

    private sealed record PathTemplate(string Key, string Path, Regex Pattern, int LiteralLength, IOpenApiPathItem Item);

    private sealed record MatchedOperation(PathTemplate Template, OpenApiOperation Operation, string BasePath);

    private static List<PathTemplate> BuildTemplates(OpenApiDocument document)
    {
        var templates = new List<PathTemplate>();
        foreach (var (key, item) in document.Paths)
        {
            var path = key.Split('#')[0];
            var pattern = new Regex(
                "^" + Regex.Replace(Regex.Escape(path), @"\\\{[^}]+}", "[^/]+") + "$",
                RegexOptions.CultureInvariant);
            var literal = Regex.Replace(path, "{[^}]+}", "").Length;
            templates.Add(new PathTemplate(key, path, pattern, literal, item));
        }
        return templates;
    }

    private List<MatchedOperation> FindOperations(FakeRequest request, List<string> errors)
    {
        var raw = request.Path;
        var candidates = _basePaths
            .Where(b => b.Length == 0 || raw.Equals(b, StringComparison.Ordinal) || raw.StartsWith(b + "/", StringComparison.Ordinal))
            .ToList();
        if (candidates.Count == 0)
        {
            errors.Add($"the path is under none of the spec's server base paths ({string.Join(", ", _basePaths)})");
            return [];
        }
        // Longest prefix first, but a shorter one (Box's OAuth endpoints at the host root) may be the one that fits.
        string basePath = candidates[0], path = "";
        List<PathTemplate> matches = [];
        foreach (var candidate in candidates)
        {
            basePath = candidate;
            path = raw[candidate.Length..] is { Length: > 0 } rest ? rest : "/";
            if (_options.MapPath is { } map)
            {
                path = map(request, path);
            }
            matches = _templates.Where(t => t.Pattern.IsMatch(path)).ToList();
            if (matches.Count > 0)
            {
                break;
            }
        }
        if (matches.Count == 0)
        {
            errors.Add($"no path in the spec matches {raw} under any of the base paths ({string.Join(", ", candidates.Select(c => c.Length == 0 ? "/" : c))})");
            return [];
        }
        var best = matches.Max(t => t.LiteralLength);
        var method = new HttpMethod(request.Method);
        var found = new List<MatchedOperation>();
        foreach (var template in matches.Where(t => t.LiteralLength == best))
        {
            if (template.Item.Operations?.TryGetValue(method, out var operation) == true)
            {
                found.Add(new MatchedOperation(template, operation, basePath));
            }
        }
        if (found.Count == 0)
        {
            var declared = matches.Where(t => t.LiteralLength == best)
                .SelectMany(t => t.Item.Operations?.Keys.AsEnumerable() ?? [])
                .Select(m => m.Method).Distinct();
            errors.Add($"{request.Method} is not declared for {matches.First(t => t.LiteralLength == best).Path} (declared: {string.Join(", ", declared)})");
        }
        return found;
    }

    private static IEnumerable<OpenApiServer> OperationServers(MatchedOperation matched) =>
        matched.Operation.Servers is { Count: > 0 } own ? own
        : matched.Template.Item.Servers is { Count: > 0 } pathLevel ? pathLevel
        : [];

    private static IEnumerable<OpenApiServer> AllServers(OpenApiDocument document)
    {
        foreach (var server in document.Servers ?? [])
        {
            yield return server;
        }
        foreach (var item in document.Paths.Values)
        {
            foreach (var server in item.Servers ?? [])
            {
                yield return server;
            }
            foreach (var operation in item.Operations?.Values.AsEnumerable() ?? [])
            {
                foreach (var server in operation.Servers ?? [])
                {
                    yield return server;
                }
            }
        }
    }

    private static string ServerPath(OpenApiServer server)
    {
        var url = server.Url ?? "";
        foreach (var (name, variable) in server.Variables ?? new Dictionary<string, OpenApiServerVariable>())
        {
            url = url.Replace("{" + name + "}", variable.Default ?? "", StringComparison.Ordinal);
        }
        return Uri.TryCreate(url, UriKind.Absolute, out var uri) ? TrimSlash(uri.AbsolutePath) : TrimSlash(url);
    }

    private static string TrimSlash(string path) => path.TrimEnd('/');

    // ---------------------------------------------------------------- requests

    private List<string> CheckRequest(FakeRequest request, MatchedOperation matched)
    {
        var errors = new List<string>();
        var servers = OperationServers(matched).Select(ServerPath).ToList();
        if (_options.EnforceOperationServers && servers.Count > 0 && !servers.Contains(matched.BasePath, StringComparer.Ordinal))
        {
            errors.Add($"{matched.Template.Path} is served under {string.Join(" or ", servers)}, not {matched.BasePath}");
        }

        var parameters = (matched.Template.Item.Parameters ?? [])
            .Concat(matched.Operation.Parameters ?? [])
            .Where(p => p.In == ParameterLocation.Query && p.Name is not null)
            .GroupBy(p => p.Name!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal);
        foreach (var (name, value) in request.Query)
        {
            if (!parameters.TryGetValue(name, out var parameter))
            {
                errors.Add($"query parameter '{name}' is not declared (declared: {string.Join(", ", parameters.Keys.Order(StringComparer.Ordinal))})");
                continue;
            }
            if (parameter.Schema is { } schema)
            {
                CheckQueryValue(name, value, schema, errors);
            }
        }
        foreach (var (name, parameter) in parameters)
        {
            if (parameter.Required && !request.Query.ContainsKey(name))
            {
                errors.Add($"required query parameter '{name}' is missing");
            }
        }

        var body = matched.Operation.RequestBody;
        var mediaType = MediaType(request.ContentType);
        if (body?.Content is { Count: > 0 } content && mediaType is not null)
        {
            var declared = FindContent(content, mediaType);
            if (declared is null)
            {
                errors.Add($"request content type {mediaType} is not declared (declared: {string.Join(", ", content.Keys)})");
            }
            else if (declared.Schema is { } schema && request.Body is { Length: > 0 } text)
            {
                if (mediaType.Contains("json", StringComparison.OrdinalIgnoreCase))
                {
                    ValidateJson(text, schema, Direction.Request, "request body", errors);
                }
                else if (mediaType.Equals("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase))
                {
                    Validate(ParseForm(text), schema, "form", errors, Direction.Request, form: true);
                }
            }
        }
        else if (body is null && request.Body is { Length: > 0 })
        {
            errors.Add("the operation declares no request body, but one was sent");
        }
        return errors;
    }

    private void CheckQueryValue(string name, string value, IOpenApiSchema schema, List<string> errors)
    {
        schema = Resolve(schema);
        var type = schema.Type ?? 0;
        if (type.HasFlag(JsonSchemaType.Array))
        {
            if (schema.Items is { } items)
            {
                foreach (var part in value.Split(','))
                {
                    CheckQueryValue(name, part, items, errors);
                }
            }
            return;
        }
        Validate(JsonValue.Create(value), schema, $"query parameter '{name}'", errors, Direction.Request, form: true);
    }

    private static JsonObject ParseForm(string text)
    {
        var form = new JsonObject();
        foreach (var pair in text.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var at = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Uri.UnescapeDataString((at < 0 ? pair : pair[..at]).Replace('+', ' '));
            var value = at < 0 ? "" : Uri.UnescapeDataString(pair[(at + 1)..].Replace('+', ' '));
            form[key] = value;
        }
        return form;
    }

    // ---------------------------------------------------------------- responses

    private List<string> CheckResponse(MatchedOperation matched, int status, string? contentType, string? body)
    {
        var errors = new List<string>();
        var responses = matched.Operation.Responses ?? new OpenApiResponses();
        var code = status.ToString(CultureInfo.InvariantCulture);
        var response = responses.TryGetValue(code, out var exact) ? exact
            : responses.TryGetValue(code[0] + "XX", out var range) ? range
            : responses.TryGetValue("default", out var fallback) ? fallback
            : null;
        if (response is null)
        {
            errors.Add($"status {status} is not declared (declared: {string.Join(", ", responses.Keys)})");
            return errors;
        }
        var mediaType = MediaType(contentType);
        if (mediaType is null)
        {
            return errors;
        }
        if (response.Content is not { Count: > 0 } content)
        {
            if (body is { Length: > 0 })
            {
                errors.Add($"status {status} declares no body, but a {mediaType} body was returned");
            }
            return errors;
        }
        var declared = FindContent(content, mediaType);
        if (declared is null)
        {
            errors.Add($"content type {mediaType} is not declared for status {status} (declared: {string.Join(", ", content.Keys)})");
            return errors;
        }
        if (body is not null && declared.Schema is { } schema)
        {
            ValidateJson(body, schema, Direction.Response, "$", errors);
        }
        return errors;
    }

    private static string? MediaType(string? contentType) =>
        string.IsNullOrWhiteSpace(contentType) ? null : contentType.Split(';')[0].Trim().ToLowerInvariant();

    private static OpenApiMediaType? FindContent(IDictionary<string, OpenApiMediaType> content, string mediaType)
    {
        foreach (var (key, value) in content)
        {
            var declared = key.Split(';')[0].Trim();
            if (declared.Equals(mediaType, StringComparison.OrdinalIgnoreCase) || declared == "*/*"
                || (declared.EndsWith("/*", StringComparison.Ordinal) && mediaType.StartsWith(declared[..^1], StringComparison.OrdinalIgnoreCase)))
            {
                return value;
            }
        }
        return null;
    }

    // ---------------------------------------------------------------- schemas

    private enum Direction
    {
        Request,
        Response,
    }

    private void ValidateJson(string text, IOpenApiSchema schema, Direction direction, string at, List<string> errors)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(text);
        }
        catch (JsonException e)
        {
            errors.Add($"{at}: not valid JSON ({e.Message})");
            return;
        }
        Validate(node, schema, at, errors, direction, form: false);
    }

    private void Validate(JsonNode? node, IOpenApiSchema schema, string at, List<string> errors, Direction direction, bool form) =>
        Validate(node, schema, at, errors, direction, form, new HashSet<string>(StringComparer.Ordinal));

    private void Validate(JsonNode? node, IOpenApiSchema schema, string at, List<string> errors, Direction direction, bool form, IReadOnlySet<string> inheritedKnown)
    {
        var parts = Flatten(schema);
        if (node is null)
        {
            // Only the schema's own type decides: an untyped wrapper (allOf: [$ref], nullable: true) lost its
            // nullable flag in Microsoft.OpenApi, so it accepts null rather than raise a false alarm.
            if (parts[0].Type is { } declared && !declared.HasFlag(JsonSchemaType.Null))
            {
                errors.Add($"{at}: null, but {Name(parts[0])} allows only {Describe(declared)}");
            }
            return;
        }

        var known = new HashSet<string>(inheritedKnown, StringComparer.Ordinal);
        foreach (var part in parts)
        {
            foreach (var key in part.Properties?.Keys ?? [])
            {
                known.Add(key);
            }
        }

        foreach (var part in parts)
        {
            if (part.Type is { } type && !HasType(node, type, form))
            {
                errors.Add($"{at}: {Kind(node)}, but {Name(part)} requires {Describe(type)}");
                return;
            }
            if (part.Enum is { Count: > 0 } values && node is JsonValue && !values.Any(v => SameValue(v, node, form)))
            {
                errors.Add($"{at}: {node.ToJsonString()} is not one of {Name(part)}'s values ({string.Join(", ", values.Select(v => v?.ToJsonString() ?? "null"))})");
            }
            if (part.Format is { } format && node is JsonValue value && value.TryGetValue<string>(out var text) && !FormatHolds(format, text))
            {
                errors.Add($"{at}: \"{text}\" is not a valid {format}");
            }
        }

        if (node is JsonObject obj)
        {
            ValidateObject(obj, parts, known, at, errors, direction, form);
        }
        else if (node is JsonArray array)
        {
            foreach (var part in parts)
            {
                if (part.Items is { } items)
                {
                    for (var i = 0; i < array.Count; i++)
                    {
                        Validate(array[i], items, $"{at}[{i}]", errors, direction, form);
                    }
                }
            }
        }

        foreach (var part in parts)
        {
            if (part.OneOf is { Count: > 0 } oneOf)
            {
                ValidateAlternatives(node, oneOf, exactlyOne: true, known, at, errors, direction, form);
            }
            if (part.AnyOf is { Count: > 0 } anyOf)
            {
                ValidateAlternatives(node, anyOf, exactlyOne: false, known, at, errors, direction, form);
            }
        }
    }

    private void ValidateObject(JsonObject obj, List<IOpenApiSchema> parts, HashSet<string> known, string at, List<string> errors, Direction direction, bool form)
    {
        foreach (var part in parts)
        {
            foreach (var required in part.Required ?? new HashSet<string>())
            {
                var property = part.Properties?.TryGetValue(required, out var p) == true ? p : null;
                var skip = direction == Direction.Request ? property?.ReadOnly == true : property?.WriteOnly == true;
                // A required name no part declares (Box's shared_link "accessed") is a typo in the
                // description: sending it would be drift, so under the drift policy it is not demanded.
                var undeclared = _options.UnknownPropertiesAreDrift && !known.Contains(required);
                if (!skip && !undeclared && !obj.ContainsKey(required))
                {
                    errors.Add($"{at}: required property '{required}' of {Name(part)} is missing");
                }
            }
            foreach (var (key, propertySchema) in part.Properties ?? new Dictionary<string, IOpenApiSchema>())
            {
                if (obj.TryGetPropertyValue(key, out var child))
                {
                    Validate(child, propertySchema, $"{at}.{key}", errors, direction, form);
                }
            }
        }

        // Unknown properties are judged where the alternatives are: a oneOf branch knows its own.
        if (parts.Any(p => p.OneOf is { Count: > 0 } || p.AnyOf is { Count: > 0 }))
        {
            return;
        }
        var additional = parts.Select(p => p.AdditionalProperties).FirstOrDefault(a => a is not null);
        var freeForm = known.Count == 0;
        var forbidden = parts.Any(p => !p.AdditionalPropertiesAllowed);
        foreach (var (key, child) in obj)
        {
            if (known.Contains(key))
            {
                continue;
            }
            if (additional is not null)
            {
                Validate(child, additional, $"{at}.{key}", errors, direction, form);
            }
            else if (forbidden || (_options.UnknownPropertiesAreDrift && !freeForm))
            {
                errors.Add($"{at}.{key}: property not in the spec ({string.Join(" + ", parts.Select(Name).Where(n => n != "inline").Distinct())})");
            }
        }
    }

    private void ValidateAlternatives(JsonNode node, IList<IOpenApiSchema> alternatives, bool exactlyOne, HashSet<string> known, string at, List<string> errors, Direction direction, bool form)
    {
        var results = alternatives.Select(alternative =>
        {
            var branchErrors = new List<string>();
            Validate(node, alternative, at, branchErrors, direction, form, known);
            return (Schema: alternative, Errors: branchErrors);
        }).ToList();
        var passing = results.Count(r => r.Errors.Count == 0);
        if (passing == 0)
        {
            var closest = results.OrderBy(r => r.Errors.Count).First();
            var keyword = exactlyOne ? "oneOf" : "anyOf";
            errors.Add($"{at}: matches none of {keyword} ({string.Join(", ", alternatives.Select(Name))}); closest is {Name(closest.Schema)}: {string.Join("; ", closest.Errors)}");
        }
        else if (exactlyOne && passing > 1
            && results.Count(r => r.Errors.Count == 0 && !IsCatchAll(r.Schema)) is var specific && specific != 1)
        {
            // A catch-all alternative (Box's GenericSource: any object) overlaps every specific one; only
            // two specific alternatives that both fit make the document ambiguous.
            errors.Add($"{at}: matches {passing} oneOf alternatives ({string.Join(", ", results.Where(r => r.Errors.Count == 0).Select(r => Name(r.Schema)))})");
        }
    }

    /// <summary>An object schema that declares no properties of its own: it accepts any object.</summary>
    private bool IsCatchAll(IOpenApiSchema schema) =>
        Flatten(schema) is var parts
        && parts.All(p => p.Properties is not { Count: > 0 } && p.OneOf is not { Count: > 0 } && p.AnyOf is not { Count: > 0 } && p.Required is not { Count: > 0 })
        && parts.All(p => p.AdditionalPropertiesAllowed);

    /// <summary>The schema and everything it inherits through allOf, references resolved.</summary>
    private List<IOpenApiSchema> Flatten(IOpenApiSchema schema)
    {
        var parts = new List<IOpenApiSchema>();
        var seen = new HashSet<IOpenApiSchema>(ReferenceEqualityComparer.Instance);
        void Add(IOpenApiSchema candidate)
        {
            var resolved = Resolve(candidate);
            if (!ReferenceEquals(resolved, candidate) && seen.Contains(Target(resolved)))
            {
                resolved = candidate; // the substitute inherits from what it replaces: keep the chain intact
            }
            if (!seen.Add(Target(resolved)))
            {
                return;
            }
            parts.Add(resolved);
            foreach (var inherited in resolved.AllOf ?? [])
            {
                Add(inherited);
            }
        }
        Add(schema);
        return parts;
    }

    private IOpenApiSchema Resolve(IOpenApiSchema schema)
    {
        if (schema is OpenApiSchemaReference reference && reference.Reference.Id is { } id
            && _options.SchemaSubstitutions.TryGetValue(id, out var substitute)
            && _document.Components?.Schemas?.ContainsKey(substitute) == true)
        {
            return new OpenApiSchemaReference(substitute, _document);
        }
        return schema;
    }

    private static IOpenApiSchema Target(IOpenApiSchema schema) =>
        schema is OpenApiSchemaReference { Target: { } target } ? target : schema;

    private static string Name(IOpenApiSchema schema) =>
        schema is OpenApiSchemaReference { Reference.Id: { } id } ? id
        : schema.Title is { Length: > 0 } title ? title
        : "inline";

    private static bool HasType(JsonNode node, JsonSchemaType type, bool form)
    {
        switch (node)
        {
            case JsonObject:
                return type.HasFlag(JsonSchemaType.Object);
            case JsonArray:
                return type.HasFlag(JsonSchemaType.Array);
            case JsonValue value:
                var kind = value.GetValueKind();
                if (form && kind == JsonValueKind.String)
                {
                    var text = value.GetValue<string>();
                    return type.HasFlag(JsonSchemaType.String)
                        || (type.HasFlag(JsonSchemaType.Integer) && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
                        || (type.HasFlag(JsonSchemaType.Number) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
                        || (type.HasFlag(JsonSchemaType.Boolean) && text is "true" or "false");
                }
                return kind switch
                {
                    JsonValueKind.String => type.HasFlag(JsonSchemaType.String),
                    JsonValueKind.True or JsonValueKind.False => type.HasFlag(JsonSchemaType.Boolean),
                    JsonValueKind.Number => type.HasFlag(JsonSchemaType.Number)
                        || (type.HasFlag(JsonSchemaType.Integer) && value.TryGetValue<decimal>(out var number) && number == decimal.Truncate(number)),
                    _ => type.HasFlag(JsonSchemaType.Null),
                };
            default:
                return false;
        }
    }

    private static bool SameValue(JsonNode? allowed, JsonNode node, bool form) =>
        JsonNode.DeepEquals(allowed, node)
        || (form && allowed is JsonValue a && node is JsonValue n && a.ToString() == n.ToString());

    private static bool FormatHolds(string format, string text) => format switch
    {
        "date-time" => DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out _),
        "date" => DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _),
        _ => true,
    };

    private static string Kind(JsonNode node) => node switch
    {
        JsonObject => "an object",
        JsonArray => "an array",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => "a string",
            JsonValueKind.Number => "a number",
            JsonValueKind.True or JsonValueKind.False => "a boolean",
            _ => "a value",
        },
        _ => "a value",
    };

    private static string Describe(JsonSchemaType type) =>
        string.Join(" or ", Enum.GetValues<JsonSchemaType>().Where(t => type.HasFlag(t)).Select(t => t.ToString().ToLowerInvariant()));
}

/// <summary>Finds <c>shared/provider-specs/</c> next to (or above) the checkout.</summary>
internal static class ProviderSpecs
{
    /// <summary>Environment variable that overrides where the provider specs live.</summary>
    public const string DirectoryVariable = "TRIBUTARY_PROVIDER_SPECS";

    public static string File(string relative)
    {
        var directory = Environment.GetEnvironmentVariable(DirectoryVariable) is { Length: > 0 } configured ? configured : Find();
        var file = Path.Combine(directory, relative);
        return System.IO.File.Exists(file) ? file : throw new FileNotFoundException($"Provider spec {relative} not found under {directory} (set {DirectoryVariable}).", file);
    }

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "provider-specs");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new DirectoryNotFoundException($"No shared/provider-specs above {AppContext.BaseDirectory}; set {DirectoryVariable}.");
    }
}
