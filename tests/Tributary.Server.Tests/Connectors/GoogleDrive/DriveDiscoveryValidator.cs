using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Tributary.Server.Tests.Connectors.Fakes;

namespace Tributary.Server.Tests.Connectors.GoogleDrive;

/// <summary>
/// Checks Drive traffic against Google's own Discovery document
/// (<c>shared/provider-specs/google-drive/drive-v3.discovery.json</c>):
/// <list type="bullet">
/// <item>the method and path exist (<c>resources.*.methods.*</c> <c>httpMethod</c> + <c>path</c> with <c>{params}</c>,
/// or a <c>mediaUpload</c> protocol path);</item>
/// <item>every query parameter is declared by the method or globally, required ones are there, and values
/// have the declared type, bounds and enum;</item>
/// <item>the <c>fields</c> selection names only fields the response schema has;</item>
/// <item>JSON request bodies and responses carry only keys of <c>schemas.X.properties</c> (an unknown key is
/// drift), with the declared types (int64 travels as a string), enum values (formal <c>enum</c>, or the
/// "Supported values include" list of the description), only fields the request's <c>fields</c> selected,
/// and the fields Google documents as always present when selected.</item>
/// </list>
/// Google's resumable session URIs (<c>upload_id</c>) are opaque and outside the document; for them it checks
/// the protocol instead: PUT with <c>Content-Range</c>, chunks a multiple of 256 KiB except the last.
/// </summary>
internal sealed partial class DriveDiscoveryValidator : ISpecValidator
{
    private const string ServicePrefix = "/drive/v3/";
    private const int ChunkGranularity = 256 * 1024;

    /// <summary>
    /// Fields the Drive reference documents as always present on a resource (when the <c>fields</c>
    /// selection includes them): the Discovery format itself has no "required" for responses.
    /// </summary>
    private static readonly Dictionary<string, string[]> AlwaysPresent = new(StringComparer.Ordinal)
    {
        ["File"] = ["id", "name", "mimeType"],
        ["Permission"] = ["id", "type", "role"],
        ["User"] = ["permissionId", "displayName"],
        ["Drive"] = ["id", "name"],
        ["Change"] = ["changeType", "removed"],
        ["FileList"] = ["files"],
        ["DriveList"] = ["drives"],
        ["PermissionList"] = ["permissions"],
        ["StartPageToken"] = ["startPageToken"],
    };

    private static readonly Lazy<JsonDocument> Shared = new(() => JsonDocument.Parse(File.ReadAllBytes(SpecPath())));

    private readonly JsonElement _root;
    private readonly JsonElement _schemas;
    private readonly JsonElement _globalParameters;
    private readonly List<DiscoveryMethod> _methods = [];

    public DriveDiscoveryValidator()
    {
        _root = Shared.Value.RootElement;
        _schemas = _root.GetProperty("schemas");
        _globalParameters = _root.GetProperty("parameters");
        foreach (var resource in _root.GetProperty("resources").EnumerateObject())
        {
            if (!resource.Value.TryGetProperty("methods", out var methods))
            {
                continue;
            }
            foreach (var method in methods.EnumerateObject())
            {
                var m = method.Value;
                var id = m.GetProperty("id").GetString()!;
                var http = m.GetProperty("httpMethod").GetString()!;
                _methods.Add(new DiscoveryMethod(id, http, ServicePrefix.TrimEnd('/') + "/" + m.GetProperty("path").GetString(), m, IsUpload: false));
                if (m.TryGetProperty("mediaUpload", out var upload))
                {
                    foreach (var protocol in upload.GetProperty("protocols").EnumerateObject())
                    {
                        _methods.Add(new DiscoveryMethod(id, http, protocol.Value.GetProperty("path").GetString()!, m, IsUpload: true));
                    }
                }
            }
        }
    }

    /// <summary>The Discovery document: <c>shared/provider-specs/</c> beside the repository (or above a worktree).</summary>
    public static string SpecPath()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "provider-specs", "google-drive", "drive-v3.discovery.json");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new FileNotFoundException("shared/provider-specs/google-drive/drive-v3.discovery.json was not found above " + AppContext.BaseDirectory);
    }

    public IEnumerable<string> ValidateRequest(FakeRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (IsTokenEndpoint(request.Path))
        {
            return [];
        }
        if (request.Query.ContainsKey("upload_id"))
        {
            return ValidateSessionRequest(request);
        }
        var method = Resolve(request.Method, request.Path, out var pathParameters);
        if (method is null)
        {
            return [$"no Discovery method is {request.Method} {request.Path}"];
        }
        var problems = new List<string>();
        problems.AddRange(ValidateQuery(method, request.Query, pathParameters));
        if (method.IsUpload && request.Query.GetValueOrDefault("uploadType") is not ("media" or "multipart" or "resumable"))
        {
            problems.Add($"{method.Id}: an upload needs uploadType=media|multipart|resumable, not \"{request.Query.GetValueOrDefault("uploadType")}\"");
        }
        if (request.Body is { Length: > 0 } body && request.ContentType?.Contains("json", StringComparison.OrdinalIgnoreCase) == true)
        {
            if (!method.Json.TryGetProperty("request", out var requestRef))
            {
                problems.Add($"{method.Id} takes no JSON body");
            }
            else
            {
                using var document = JsonDocument.Parse(body);
                problems.AddRange(ValidateValue(document.RootElement, requestRef, "request", mask: null, checkPresence: false));
            }
        }
        return problems;
    }

    public IEnumerable<string> ValidateResponse(FakeRequest request, int status, string? contentType, string? body)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (IsTokenEndpoint(request.Path) || body is null || body.Length == 0)
        {
            return [];
        }
        using var document = JsonDocument.Parse(body);
        if (status >= 400)
        {
            return ValidateError(document.RootElement);
        }
        var method = request.Query.ContainsKey("upload_id")
            ? _methods.First(m => m.Id == "drive.files.create" && !m.IsUpload)
            : Resolve(request.Method, request.Path, out _);
        if (method is null || !method.Json.TryGetProperty("response", out var responseRef) || request.Query.GetValueOrDefault("alt") == "media")
        {
            return [];
        }
        var mask = request.Query.TryGetValue("fields", out var fields) ? FieldMask.Parse(fields) : null;
        return ValidateValue(document.RootElement, responseRef, "response", mask, checkPresence: true).ToList();
    }

    /// <summary>
    /// Google's OAuth hosts, which the fake serves on the same origin: the token endpoint, the consent page, and
    /// the favicon the browser fetches for that page. None of them is the Drive API the Discovery document describes.
    /// </summary>
    private static bool IsTokenEndpoint(string path) =>
        path.StartsWith("/token", StringComparison.Ordinal) || path.StartsWith("/o/oauth2", StringComparison.Ordinal) || path == "/favicon.ico";

    private DiscoveryMethod? Resolve(string httpMethod, string path, out Dictionary<string, string> parameters)
    {
        DiscoveryMethod? best = null;
        var bestLiterals = -1;
        parameters = [];
        foreach (var method in _methods.Where(m => m.HttpMethod == httpMethod))
        {
            if (Match(method.PathTemplate, path) is { } bound && bound.Literals > bestLiterals)
            {
                best = method;
                bestLiterals = bound.Literals;
                parameters = bound.Parameters;
            }
        }
        return best;
    }

    private static (int Literals, Dictionary<string, string> Parameters)? Match(string template, string path)
    {
        var t = template.Trim('/').Split('/');
        var p = path.Trim('/').Split('/');
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        var literals = 0;
        for (var i = 0; i < t.Length; i++)
        {
            if (t[i].StartsWith("{+", StringComparison.Ordinal))
            {
                parameters[t[i][2..^1]] = string.Join('/', p.Skip(i));
                return p.Length > i ? (literals, parameters) : null;
            }
            if (i >= p.Length)
            {
                return null;
            }
            if (t[i].StartsWith('{') && t[i].EndsWith('}'))
            {
                parameters[t[i][1..^1]] = Uri.UnescapeDataString(p[i]);
            }
            else if (t[i] == p[i])
            {
                literals++;
            }
            else
            {
                return null;
            }
        }
        return t.Length == p.Length ? (literals, parameters) : null;
    }

    private IEnumerable<string> ValidateQuery(DiscoveryMethod method, IReadOnlyDictionary<string, string> query, Dictionary<string, string> pathParameters)
    {
        var declared = method.Json.TryGetProperty("parameters", out var p) ? p : default;
        foreach (var (name, value) in query)
        {
            JsonElement parameter;
            if (declared.ValueKind == JsonValueKind.Object && declared.TryGetProperty(name, out var own))
            {
                if (own.GetProperty("location").GetString() != "query")
                {
                    yield return $"{method.Id}: {name} is a {own.GetProperty("location").GetString()} parameter, not a query parameter";
                    continue;
                }
                parameter = own;
            }
            else if (_globalParameters.TryGetProperty(name, out var global))
            {
                parameter = global;
            }
            else
            {
                yield return $"{method.Id}: query parameter \"{name}\" is not declared by the method or globally";
                continue;
            }
            foreach (var problem in ValidateScalar(value, parameter, $"{method.Id} ?{name}"))
            {
                yield return problem;
            }
            if (name == "fields" && method.Json.TryGetProperty("response", out var responseRef))
            {
                FieldMask? mask = null;
                string? syntax = null;
                try
                {
                    mask = FieldMask.Parse(value);
                }
                catch (FormatException e)
                {
                    syntax = e.Message;
                }
                if (syntax is not null)
                {
                    yield return $"{method.Id}: fields=\"{value}\" is malformed: {syntax}";
                }
                else
                {
                    foreach (var problem in ValidateMask(mask!, Resolve(responseRef), "fields"))
                    {
                        yield return $"{method.Id}: {problem}";
                    }
                }
            }
        }
        if (declared.ValueKind == JsonValueKind.Object)
        {
            foreach (var parameter in declared.EnumerateObject())
            {
                var required = parameter.Value.TryGetProperty("required", out var r) && r.GetBoolean();
                var location = parameter.Value.GetProperty("location").GetString();
                if (required && location == "query" && !query.ContainsKey(parameter.Name))
                {
                    yield return $"{method.Id}: required query parameter \"{parameter.Name}\" is missing";
                }
                if (location == "path" && !method.IsUpload && !pathParameters.ContainsKey(parameter.Name))
                {
                    yield return $"{method.Id}: path parameter \"{parameter.Name}\" is missing";
                }
            }
        }
    }

    /// <summary>The names a <c>fields</c> selection uses must exist in the schema it selects from.</summary>
    private IEnumerable<string> ValidateMask(FieldMask mask, JsonElement schema, string where)
    {
        foreach (var (name, sub) in mask.Fields)
        {
            if (name == "*")
            {
                continue;
            }
            if (!TryProperty(schema, name, out var property))
            {
                yield return $"{where} selects \"{name}\", which {SchemaName(schema)} does not have";
                continue;
            }
            if (sub is null)
            {
                continue;
            }
            var target = Element(Resolve(property));
            if (target.TryGetProperty("additionalProperties", out _))
            {
                continue;
            }
            foreach (var problem in ValidateMask(sub, target, $"{where}/{name}"))
            {
                yield return problem;
            }
        }
    }

    /// <summary>A JSON value against a Discovery schema node (a <c>$ref</c>, a typed node or an inline object).</summary>
    private IEnumerable<string> ValidateValue(JsonElement value, JsonElement schemaNode, string where, FieldMask? mask, bool checkPresence)
    {
        var schema = Resolve(schemaNode);
        var type = schema.TryGetProperty("type", out var t) ? t.GetString() : null;
        if (type == "array")
        {
            if (value.ValueKind != JsonValueKind.Array)
            {
                yield return $"{where} should be an array, not {value.ValueKind}";
                yield break;
            }
            var i = 0;
            foreach (var item in value.EnumerateArray())
            {
                foreach (var problem in ValidateValue(item, schema.GetProperty("items"), $"{where}[{i++}]", mask, checkPresence))
                {
                    yield return problem;
                }
            }
            yield break;
        }
        if (type == "object" || schema.TryGetProperty("properties", out _))
        {
            if (value.ValueKind != JsonValueKind.Object)
            {
                yield return $"{where} should be an object, not {value.ValueKind}";
                yield break;
            }
            if (schema.TryGetProperty("additionalProperties", out var additional))
            {
                foreach (var entry in value.EnumerateObject())
                {
                    foreach (var problem in ValidateValue(entry.Value, additional, $"{where}.{entry.Name}", null, checkPresence))
                    {
                        yield return problem;
                    }
                }
                yield break;
            }
            foreach (var entry in value.EnumerateObject())
            {
                if (!TryProperty(schema, entry.Name, out var property))
                {
                    yield return $"{where}.{entry.Name} is not a property of {SchemaName(schemaNode)} (drift from the spec)";
                    continue;
                }
                if (mask is not null && !mask.Selects(entry.Name))
                {
                    yield return $"{where}.{entry.Name} was returned but the request's fields did not select it";
                    continue;
                }
                foreach (var problem in ValidateValue(entry.Value, property, $"{where}.{entry.Name}", mask?.Under(entry.Name), checkPresence))
                {
                    yield return problem;
                }
            }
            if (checkPresence)
            {
                foreach (var problem in ValidatePresence(value, schemaNode, where, mask))
                {
                    yield return problem;
                }
            }
            yield break;
        }
        foreach (var problem in ValidateJsonScalar(value, schema, where))
        {
            yield return problem;
        }
    }

    private static IEnumerable<string> ValidatePresence(JsonElement value, JsonElement schemaNode, string where, FieldMask? mask)
    {
        var name = SchemaName(schemaNode);
        if (AlwaysPresent.TryGetValue(name, out var required))
        {
            foreach (var field in required.Where(f => (mask is null || mask.Selects(f)) && !value.TryGetProperty(f, out _)))
            {
                yield return $"{where} lacks \"{field}\", which Drive always returns for a {name}";
            }
        }
        if (name == "ChangeList" && (mask is null || (mask.Selects("nextPageToken") && mask.Selects("newStartPageToken")))
            && value.TryGetProperty("nextPageToken", out _) == value.TryGetProperty("newStartPageToken", out _))
        {
            yield return $"{where} must carry exactly one of nextPageToken (more pages) and newStartPageToken (last page)";
        }
        if (name == "Change" && value.TryGetProperty("changeType", out var changeType) && changeType.GetString() == "file"
            && (mask is null || mask.Selects("fileId")) && !value.TryGetProperty("fileId", out _))
        {
            yield return $"{where} is a file change without fileId";
        }
    }

    private static IEnumerable<string> ValidateJsonScalar(JsonElement value, JsonElement schema, string where)
    {
        var type = schema.TryGetProperty("type", out var t) ? t.GetString() : null;
        var format = schema.TryGetProperty("format", out var f) ? f.GetString() : null;
        switch (type)
        {
            case "string" when value.ValueKind != JsonValueKind.String:
                yield return $"{where} should be a string{(format is "int64" or "uint64" ? " (Discovery sends int64 as a JSON string)" : "")}, not {value.ValueKind}";
                yield break;
            case "boolean" when value.ValueKind is not (JsonValueKind.True or JsonValueKind.False):
                yield return $"{where} should be a boolean, not {value.ValueKind}";
                yield break;
            case "integer" or "number" when value.ValueKind != JsonValueKind.Number:
                yield return $"{where} should be a number, not {value.ValueKind}";
                yield break;
            case "string":
                foreach (var problem in ValidateScalar(value.GetString()!, schema, where))
                {
                    yield return problem;
                }
                break;
        }
    }

    /// <summary>A string value (query parameter or JSON string) against type, format, bounds and enum.</summary>
    private static IEnumerable<string> ValidateScalar(string value, JsonElement schema, string where)
    {
        var type = schema.TryGetProperty("type", out var t) ? t.GetString() : null;
        var format = schema.TryGetProperty("format", out var f) ? f.GetString() : null;
        if (type == "boolean" && value is not ("true" or "false"))
        {
            yield return $"{where}=\"{value}\" should be true or false";
        }
        if (type == "integer" || format is "int64" or "int32" or "uint64")
        {
            if (!long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
            {
                yield return $"{where}=\"{value}\" should be an integer";
            }
            else
            {
                if (schema.TryGetProperty("minimum", out var min) && number < long.Parse(min.GetString()!, CultureInfo.InvariantCulture))
                {
                    yield return $"{where}={number} is below the minimum {min.GetString()}";
                }
                if (schema.TryGetProperty("maximum", out var max) && number > long.Parse(max.GetString()!, CultureInfo.InvariantCulture))
                {
                    yield return $"{where}={number} is above the maximum {max.GetString()}";
                }
            }
        }
        if (format == "date-time" && !DateTimeOffset.TryParseExact(value, ["yyyy-MM-ddTHH:mm:ss.fffZ", "yyyy-MM-ddTHH:mm:ssZ", "yyyy-MM-ddTHH:mm:ss.fffK"],
                CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _))
        {
            yield return $"{where}=\"{value}\" is not an RFC 3339 date-time";
        }
        if (AllowedValues(schema) is { } allowed && !allowed.Contains(value))
        {
            yield return $"{where}=\"{value}\" is not one of {string.Join(", ", allowed)}";
        }
    }

    /// <summary>The formal <c>enum</c>, else the values a description lists ("Supported values include: * `a` * `b`", "Possible values are `a` and `b`").</summary>
    internal static IReadOnlySet<string>? AllowedValues(JsonElement schema)
    {
        if (schema.TryGetProperty("enum", out var values))
        {
            return values.EnumerateArray().Select(v => v.GetString()!).ToHashSet(StringComparer.Ordinal);
        }
        if (!schema.TryGetProperty("description", out var description) || description.GetString() is not { } text)
        {
            return null;
        }
        if (BulletedValues().Match(text) is { Success: true } bulleted)
        {
            return bulleted.Groups["value"].Captures.Select(c => c.Value).ToHashSet(StringComparer.Ordinal);
        }
        if (InlineValues().Match(text) is { Success: true } inline)
        {
            return inline.Groups["value"].Captures.Select(c => c.Value).ToHashSet(StringComparer.Ordinal);
        }
        return null;
    }

    [GeneratedRegex(@"(?:Supported|Possible|Valid|Allowed) values (?:include|are):?(?:\s*\*\s*`(?<value>[^`]+)`)+")]
    private static partial Regex BulletedValues();

    [GeneratedRegex(@"(?:Possible|Valid|Allowed) values are `(?<value>[^`]+)`(?:(?:,| and| or)\s*`(?<value>[^`]+)`)+")]
    private static partial Regex InlineValues();

    /// <summary>Google's JSON error envelope (documented by Google; the Discovery document has none).</summary>
    private static List<string> ValidateError(JsonElement root)
    {
        var problems = new List<string>();
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("error", out var error) || error.ValueKind != JsonValueKind.Object)
        {
            return ["an error response must be {\"error\": {...}}"];
        }
        string[] known = ["code", "message", "errors", "status", "details"];
        problems.AddRange(error.EnumerateObject().Where(p => !known.Contains(p.Name)).Select(p => $"error.{p.Name} is not part of Google's error envelope"));
        if (!error.TryGetProperty("code", out var code) || code.ValueKind != JsonValueKind.Number)
        {
            problems.Add("error.code (a number) is missing");
        }
        if (!error.TryGetProperty("message", out _))
        {
            problems.Add("error.message is missing");
        }
        if (error.TryGetProperty("errors", out var errors))
        {
            string[] itemKeys = ["domain", "reason", "message", "location", "locationType", "extendedHelp"];
            foreach (var item in errors.EnumerateArray())
            {
                problems.AddRange(item.EnumerateObject().Where(p => !itemKeys.Contains(p.Name)).Select(p => $"error.errors[].{p.Name} is not part of Google's error envelope"));
            }
        }
        return problems;
    }

    /// <summary>A resumable session request: PUT with Content-Range; every chunk but the last a multiple of 256 KiB.</summary>
    private static List<string> ValidateSessionRequest(FakeRequest request)
    {
        if (request.Method != "PUT")
        {
            return [$"a resumable session URI takes PUT, not {request.Method}"];
        }
        if (!request.Headers.TryGetValue("Content-Range", out var header))
        {
            return ["a resumable chunk needs Content-Range"];
        }
        var match = ContentRange().Match(header);
        if (!match.Success)
        {
            return [$"Content-Range \"{header}\" is not bytes a-b/total, bytes a-b/* or bytes */total"];
        }
        if (!match.Groups["from"].Success)
        {
            return [];
        }
        var from = long.Parse(match.Groups["from"].Value, CultureInfo.InvariantCulture);
        var to = long.Parse(match.Groups["to"].Value, CultureInfo.InvariantCulture);
        var total = match.Groups["total"].Value;
        var last = total != "*" && to + 1 == long.Parse(total, CultureInfo.InvariantCulture);
        return !last && (to - from + 1) % ChunkGranularity != 0
            ? [$"chunk {header} is {to - from + 1} bytes: all but the last chunk must be multiples of 256 KiB"]
            : [];
    }

    [GeneratedRegex(@"^bytes (?:(?<from>\d+)-(?<to>\d+)|\*)/(?<total>\d+|\*)$")]
    private static partial Regex ContentRange();

    private JsonElement Resolve(JsonElement node) =>
        node.TryGetProperty("$ref", out var reference) ? _schemas.GetProperty(reference.GetString()!) : node;

    /// <summary>The object schema an array or map node holds (what a field selection descends into).</summary>
    private JsonElement Element(JsonElement schema) =>
        schema.TryGetProperty("type", out var t) && t.GetString() == "array" ? Resolve(schema.GetProperty("items")) : schema;

    private bool TryProperty(JsonElement schema, string name, out JsonElement property)
    {
        schema = Element(Resolve(schema));
        if (schema.TryGetProperty("properties", out var properties) && properties.TryGetProperty(name, out property))
        {
            return true;
        }
        property = default;
        return false;
    }

    private static string SchemaName(JsonElement node) =>
        node.TryGetProperty("$ref", out var r) ? r.GetString()! : node.TryGetProperty("id", out var id) ? id.GetString()! : "(inline object)";

    private sealed record DiscoveryMethod(string Id, string HttpMethod, string PathTemplate, JsonElement Json, bool IsUpload);
}

/// <summary>
/// Google's partial-response <c>fields</c> syntax: <c>a,b/c,d(e,f(g))</c>, <c>*</c> for everything.
/// A field mapped to null is selected whole.
/// </summary>
internal sealed class FieldMask
{
    private FieldMask(Dictionary<string, FieldMask?> fields) => Fields = fields;

    public Dictionary<string, FieldMask?> Fields { get; }

    public bool Selects(string name) => Fields.ContainsKey("*") || Fields.ContainsKey(name);

    /// <summary>The selection inside <paramref name="name"/>; null means all of it.</summary>
    public FieldMask? Under(string name) => Fields.TryGetValue(name, out var sub) ? sub : null;

    public static FieldMask Parse(string text)
    {
        var position = 0;
        var mask = ParseList(text, ref position);
        if (position != text.Length)
        {
            throw new FormatException($"unexpected \"{text[position]}\" at {position}");
        }
        return mask;
    }

    private static FieldMask ParseList(string text, ref int position)
    {
        var fields = new Dictionary<string, FieldMask?>(StringComparer.Ordinal);
        while (true)
        {
            var start = position;
            while (position < text.Length && (char.IsLetterOrDigit(text[position]) || text[position] is '_' or '*' or '/'))
            {
                position++;
            }
            if (position == start)
            {
                throw new FormatException($"a field name is missing at {position}");
            }
            var path = text[start..position].Split('/');
            FieldMask? sub = null;
            if (position < text.Length && text[position] == '(')
            {
                position++;
                sub = ParseList(text, ref position);
                if (position >= text.Length || text[position] != ')')
                {
                    throw new FormatException($"\")\" expected at {position}");
                }
                position++;
            }
            for (var i = path.Length - 1; i > 0; i--)
            {
                sub = new FieldMask(new Dictionary<string, FieldMask?>(StringComparer.Ordinal) { [path[i]] = sub });
            }
            fields[path[0]] = Combine(fields, path[0], sub);
            if (position >= text.Length || text[position] != ',')
            {
                return new FieldMask(fields);
            }
            position++;
        }
    }

    /// <summary>Selecting a field twice: whole wins over part; two parts merge.</summary>
    private static FieldMask? Combine(Dictionary<string, FieldMask?> fields, string name, FieldMask? sub) =>
        !fields.TryGetValue(name, out var existing) ? sub
        : existing is null || sub is null ? null
        : Merge(existing, sub);

    private static FieldMask Merge(FieldMask a, FieldMask b)
    {
        var merged = new Dictionary<string, FieldMask?>(a.Fields, StringComparer.Ordinal);
        foreach (var (name, sub) in b.Fields)
        {
            merged[name] = Combine(merged, name, sub);
        }
        return new FieldMask(merged);
    }
}
