using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Tributary.Server.Tests.Connectors.Fakes;

namespace Tributary.Server.Tests.Connectors.Dropbox;

/// <summary>One route of the Dropbox spec: its URL path and attributes (host, style, auth) and its arg/result/error types.</summary>
internal sealed record StoneRoute(string UrlPath, string Host, string Style, string Auth, JsonElement Arg, JsonElement Result, JsonElement Error);

/// <summary>
/// The official Dropbox API v2 spec (Stone IDL) as parsed by Dropbox's own Stone frontend:
/// <c>shared/provider-specs/dropbox/dropbox-api.stone-ir.json</c>. Checks JSON values against Stone
/// types the way Dropbox serializes them: structs as objects (fields along the <c>parent</c> chain;
/// required = not nullable and no default), polymorphic structs with the <c>.tag</c> of one of their
/// <c>enumerated_subtypes</c>, unions as <c>{".tag": …}</c> (a void tag may be a bare string; a struct
/// member's fields inline, any other member under its tag name), and primitives with their
/// length, pattern, range and timestamp-format constraints.
/// </summary>
internal sealed class DropboxStoneSpec
{
    private static readonly Lazy<DropboxStoneSpec> Loaded = new(() => new DropboxStoneSpec(Locate()));
    private readonly JsonElement _namespaces;
    private readonly Dictionary<string, StoneRoute> _routes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Regex> _patterns = new(StringComparer.Ordinal);

    private DropboxStoneSpec(string file)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(file));
        _namespaces = document.RootElement.GetProperty("namespaces").Clone();
        foreach (var ns in _namespaces.EnumerateObject())
        {
            foreach (var route in ns.Value.GetProperty("routes").EnumerateArray())
            {
                var attrs = route.GetProperty("attrs");
                var url = route.GetProperty("url_path").GetString()!;
                _routes[url] = new StoneRoute(url, attrs.GetProperty("host").GetString()!, attrs.GetProperty("style").GetString()!,
                    attrs.TryGetProperty("auth", out var auth) ? auth.GetString() ?? "user" : "user",
                    route.GetProperty("arg"), route.GetProperty("result"), route.GetProperty("error"));
            }
        }
    }

    public static DropboxStoneSpec Instance => Loaded.Value;

    public StoneRoute? Route(string urlPath) => _routes.GetValueOrDefault(urlPath);

    /// <summary>A type reference like <c>files.Metadata</c> as the type JSON the checker takes.</summary>
    public static JsonElement Ref(string reference) => JsonSerializer.SerializeToElement(new Dictionary<string, string> { ["ref"] = reference });

    /// <summary>Every way <paramref name="value"/> (null = absent) breaks <paramref name="type"/>; empty when it conforms.</summary>
    public List<string> Check(JsonElement? value, JsonElement type, string at)
    {
        var errors = new List<string>();
        CheckType(value, type, at, errors);
        return errors;
    }

    private void CheckType(JsonElement? value, JsonElement type, string at, List<string> errors)
    {
        if (type.TryGetProperty("nullable", out var inner))
        {
            if (value is null || value.Value.ValueKind == JsonValueKind.Null)
            {
                return;
            }
            CheckType(value, inner, at, errors);
            return;
        }
        if (type.TryGetProperty("list", out var item))
        {
            if (value is not { ValueKind: JsonValueKind.Array } array)
            {
                errors.Add($"{at}: expected a list, got {Kind(value)}");
                return;
            }
            var count = array.GetArrayLength();
            if (type.TryGetProperty("min_items", out var min) && count < min.GetInt32())
            {
                errors.Add($"{at}: {count} items, the spec wants at least {min}");
            }
            if (type.TryGetProperty("max_items", out var max) && count > max.GetInt32())
            {
                errors.Add($"{at}: {count} items, the spec allows at most {max}");
            }
            var i = 0;
            foreach (var element in array.EnumerateArray())
            {
                CheckType(element, item, $"{at}[{i++}]", errors);
            }
            return;
        }
        if (type.TryGetProperty("ref", out var reference))
        {
            var name = reference.GetString()!;
            var (kind, definition) = Resolve(name);
            switch (kind)
            {
                case "alias":
                    CheckType(value, definition, at, errors);
                    break;
                case "struct":
                    CheckStruct(value, name, definition, at, errors, tagAllowed: false);
                    break;
                case "union":
                    CheckUnion(value, name, definition, at, errors);
                    break;
            }
            return;
        }
        CheckPrimitive(value, type, at, errors);
    }

    private void CheckStruct(JsonElement? value, string name, JsonElement definition, string at, List<string> errors, bool tagAllowed)
    {
        if (value is not { ValueKind: JsonValueKind.Object } obj)
        {
            errors.Add($"{at}: expected a {name} object, got {Kind(value)}");
            return;
        }
        if (definition.TryGetProperty("enumerated_subtypes", out var subtypes) && subtypes.ValueKind == JsonValueKind.Array && subtypes.GetArrayLength() > 0)
        {
            var tag = obj.TryGetProperty(".tag", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            var subtype = subtypes.EnumerateArray().FirstOrDefault(s => s.GetProperty("tag").GetString() == tag);
            if (subtype.ValueKind != JsonValueKind.Object)
            {
                errors.Add($"{at}: {name} needs a \".tag\" naming one of its subtypes ({string.Join(", ", subtypes.EnumerateArray().Select(s => s.GetProperty("tag").GetString()))}), got {tag ?? "none"}");
                return;
            }
            var concrete = subtype.GetProperty("type").GetString()!;
            CheckStruct(obj, concrete, Resolve(concrete).Definition, at, errors, tagAllowed: true);
            return;
        }

        var fields = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        for (var current = definition; ;)
        {
            foreach (var field in current.GetProperty("fields").EnumerateArray())
            {
                fields.TryAdd(field.GetProperty("name").GetString()!, field);
            }
            if (current.GetProperty("parent").ValueKind != JsonValueKind.String)
            {
                break;
            }
            current = Resolve(current.GetProperty("parent").GetString()!).Definition;
        }
        foreach (var property in obj.EnumerateObject())
        {
            if (property.Name == ".tag" && tagAllowed)
            {
                continue;
            }
            if (!fields.ContainsKey(property.Name))
            {
                errors.Add($"{at}: {name} has no field \"{property.Name}\"");
            }
        }
        foreach (var (fieldName, field) in fields)
        {
            var fieldType = field.GetProperty("type");
            var present = obj.TryGetProperty(fieldName, out var fieldValue);
            var optional = fieldType.TryGetProperty("nullable", out _) || (field.TryGetProperty("has_default", out var d) && d.GetBoolean());
            if (!present || fieldValue.ValueKind == JsonValueKind.Null)
            {
                if (!optional)
                {
                    errors.Add($"{at}: {name} requires field \"{fieldName}\"");
                }
                continue;
            }
            CheckType(fieldValue, fieldType, $"{at}.{fieldName}", errors);
        }
    }

    private void CheckUnion(JsonElement? value, string name, JsonElement definition, string at, List<string> errors)
    {
        var tags = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        for (var current = definition; ;)
        {
            foreach (var tag in current.GetProperty("tags").EnumerateArray())
            {
                tags.TryAdd(tag.GetProperty("name").GetString()!, tag.GetProperty("type"));
            }
            if (current.GetProperty("parent").ValueKind != JsonValueKind.String)
            {
                break;
            }
            current = Resolve(current.GetProperty("parent").GetString()!).Definition;
        }
        string? tagName;
        JsonElement? obj = null;
        if (value is { ValueKind: JsonValueKind.String } text)
        {
            tagName = text.GetString();
        }
        else if (value is { ValueKind: JsonValueKind.Object } o && o.TryGetProperty(".tag", out var t) && t.ValueKind == JsonValueKind.String)
        {
            tagName = t.GetString();
            obj = o;
        }
        else
        {
            errors.Add($"{at}: expected a {name} union (a tag string or an object with \".tag\"), got {Kind(value)}");
            return;
        }
        if (tagName is null || !tags.TryGetValue(tagName, out var memberType))
        {
            errors.Add($"{at}: {name} has no tag \"{tagName}\" (tags: {string.Join(", ", tags.Keys)})");
            return;
        }
        var isVoid = memberType.TryGetProperty("primitive", out var primitive) && primitive.GetString() == "Void";
        if (obj is null)
        {
            if (!isVoid && !memberType.TryGetProperty("nullable", out _))
            {
                errors.Add($"{at}: {name}.{tagName} carries a value, so it cannot be a bare tag string");
            }
            return;
        }
        if (isVoid)
        {
            foreach (var property in obj.Value.EnumerateObject().Where(p => p.Name != ".tag"))
            {
                errors.Add($"{at}: {name}.{tagName} is void but has \"{property.Name}\"");
            }
            return;
        }
        var target = memberType.TryGetProperty("nullable", out var n) ? n : memberType;
        if (target.TryGetProperty("ref", out var r) && Resolve(r.GetString()!) is ("struct", var structDefinition))
        {
            CheckStruct(obj, r.GetString()!, structDefinition, at, errors, tagAllowed: true);
            return;
        }
        foreach (var property in obj.Value.EnumerateObject().Where(p => p.Name != ".tag" && p.Name != tagName))
        {
            errors.Add($"{at}: {name}.{tagName} has an unexpected \"{property.Name}\"");
        }
        var present = obj.Value.TryGetProperty(tagName, out var member);
        CheckType(present ? member : null, memberType, $"{at}.{tagName}", errors);
    }

    private void CheckPrimitive(JsonElement? value, JsonElement type, string at, List<string> errors)
    {
        var primitive = type.GetProperty("primitive").GetString();
        if (primitive == "Void")
        {
            if (value is { ValueKind: not JsonValueKind.Null })
            {
                errors.Add($"{at}: expected nothing (Void), got {Kind(value)}");
            }
            return;
        }
        if (value is not { } v || v.ValueKind == JsonValueKind.Null)
        {
            errors.Add($"{at}: a {primitive} is required");
            return;
        }
        switch (primitive)
        {
            case "String":
            case "Timestamp":
                if (v.ValueKind != JsonValueKind.String)
                {
                    errors.Add($"{at}: expected a string, got {Kind(v)}");
                    return;
                }
                var s = v.GetString()!;
                var length = s.EnumerateRunes().Count();
                if (type.TryGetProperty("min_length", out var minLength) && length < minLength.GetInt32())
                {
                    errors.Add($"{at}: \"{s}\" is shorter than {minLength}");
                }
                if (type.TryGetProperty("max_length", out var maxLength) && length > maxLength.GetInt32())
                {
                    errors.Add($"{at}: \"{s}\" is longer than {maxLength}");
                }
                if (type.TryGetProperty("pattern", out var pattern) && !Pattern(pattern.GetString()!).IsMatch(s))
                {
                    errors.Add($"{at}: \"{s}\" does not match the spec's pattern {pattern.GetString()}");
                }
                if (type.TryGetProperty("format", out var format) && !Pattern(TimestampPattern(format.GetString()!)).IsMatch(s))
                {
                    errors.Add($"{at}: \"{s}\" is not a timestamp in the format {format.GetString()}");
                }
                return;
            case "Boolean":
                if (v.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                {
                    errors.Add($"{at}: expected a boolean, got {Kind(v)}");
                }
                return;
            case "Int32" or "Int64" or "UInt32" or "UInt64":
                if (v.ValueKind != JsonValueKind.Number || !decimal.TryParse(v.GetRawText(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var number))
                {
                    errors.Add($"{at}: expected an integer ({primitive}), got {v.GetRawText()}");
                    return;
                }
                var (low, high) = primitive switch
                {
                    "Int32" => ((decimal)int.MinValue, (decimal)int.MaxValue),
                    "Int64" => (long.MinValue, long.MaxValue),
                    "UInt32" => (0m, uint.MaxValue),
                    _ => (0m, (decimal)ulong.MaxValue),
                };
                if (type.TryGetProperty("min_value", out var minValue))
                {
                    low = Math.Max(low, minValue.GetDecimal());
                }
                if (type.TryGetProperty("max_value", out var maxValue))
                {
                    high = Math.Min(high, maxValue.GetDecimal());
                }
                if (number < low || number > high)
                {
                    errors.Add($"{at}: {number} is outside {low}..{high}");
                }
                return;
            case "Float32" or "Float64":
                if (v.ValueKind != JsonValueKind.Number)
                {
                    errors.Add($"{at}: expected a number, got {Kind(v)}");
                }
                return;
            case "Bytes":
                if (v.ValueKind != JsonValueKind.String)
                {
                    errors.Add($"{at}: expected base64 bytes, got {Kind(v)}");
                }
                return;
            default:
                errors.Add($"{at}: the checker does not know the primitive {primitive}");
                return;
        }
    }

    private (string Kind, JsonElement Definition) Resolve(string reference)
    {
        var dot = reference.IndexOf('.', StringComparison.Ordinal);
        var ns = _namespaces.GetProperty(reference[..dot]);
        var name = reference[(dot + 1)..];
        if (ns.GetProperty("data_types").TryGetProperty(name, out var dataType))
        {
            return (dataType.GetProperty("kind").GetString()!, dataType);
        }
        if (ns.GetProperty("aliases").TryGetProperty(name, out var alias))
        {
            return ("alias", alias);
        }
        throw new InvalidOperationException($"The Dropbox spec has no type {reference}.");
    }

    private Regex Pattern(string pattern)
    {
        lock (_patterns)
        {
            if (!_patterns.TryGetValue(pattern, out var regex))
            {
                // Stone patterns are Python regexes that must match the whole value.
                _patterns[pattern] = regex = new Regex(@"\A(?:" + pattern + @")\z", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
            }
            return regex;
        }
    }

    private static string TimestampPattern(string format)
    {
        var pattern = new StringBuilder();
        for (var i = 0; i < format.Length; i++)
        {
            if (format[i] == '%' && i + 1 < format.Length)
            {
                pattern.Append(format[++i] switch { 'Y' => @"\d{4}", 'm' or 'd' or 'H' or 'M' or 'S' => @"\d{2}", var other => Regex.Escape("%" + other) });
            }
            else
            {
                pattern.Append(Regex.Escape(format[i].ToString()));
            }
        }
        return pattern.ToString();
    }

    private static string Kind(JsonElement? value) => value is null ? "nothing" : value.Value.ValueKind.ToString().ToLowerInvariant();

    private static string Locate()
    {
        const string Variable = "TRIBUTARY_PROVIDER_SPECS";
        if (Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } configured)
        {
            return Path.Combine(configured, "dropbox", "dropbox-api.stone-ir.json");
        }
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "provider-specs", "dropbox", "dropbox-api.stone-ir.json");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new FileNotFoundException($"No shared/provider-specs/dropbox/dropbox-api.stone-ir.json above {AppContext.BaseDirectory}; set {Variable}.");
    }
}

/// <summary>
/// Checks the Dropbox fake's traffic against the Stone spec: every API request is a POST to a route
/// the spec has, on the route's host (the fake serves <c>/api</c>, <c>/content</c> and <c>/notify</c>
/// prefixes for Dropbox's three hosts) and in its style (rpc: JSON body; upload: <c>Dropbox-API-Arg</c>
/// header and octet-stream body; download: <c>Dropbox-API-Arg</c> header or <c>arg</c> query), with
/// an argument of the route's type; every response is the route's result (200), the route's error
/// in Dropbox's envelope (409), an <c>auth</c> error (401, 403, 429), or plain text (400).
/// </summary>
internal sealed class DropboxSpecValidator : ISpecValidator
{
    private static readonly Regex ApiPath = new(@"^/(?<host>api|content|notify)(?<route>/2/.+)$", RegexOptions.CultureInvariant);

    public DropboxStoneSpec Spec { get; } = DropboxStoneSpec.Instance;

    public IEnumerable<string> ValidateRequest(FakeRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (IsOutsideTheApi(request.Path))
        {
            yield break;
        }
        if (!TryRoute(request.Path, out var host, out var route, out var problem))
        {
            yield return problem;
            yield break;
        }
        if (request.Method != "POST")
        {
            yield return $"Dropbox routes are POST only, not {request.Method}";
        }
        if (host != route.Host)
        {
            yield return $"{route.UrlPath} is served by the {route.Host} host, not {host}";
        }
        if (route.Auth != "noauth" && !(request.Headers.TryGetValue("Authorization", out var authorization) && authorization.StartsWith("Bearer ", StringComparison.Ordinal)))
        {
            yield return $"{route.UrlPath} needs Authorization: Bearer";
        }
        foreach (var key in request.Query.Keys.Where(k => !(route.Style == "download" && k is "arg" or "authorization")))
        {
            yield return $"query parameter \"{key}\" is not part of the Dropbox API";
        }
        JsonElement? arg;
        string? argProblem;
        if (route.Style == "rpc")
        {
            var isVoid = route.Arg.TryGetProperty("primitive", out var p) && p.GetString() == "Void";
            if (string.IsNullOrEmpty(request.Body) || request.Body.Trim() == "null")
            {
                (arg, argProblem) = (null, null);
            }
            else if (request.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) != true)
            {
                (arg, argProblem) = (null, $"an rpc route takes a JSON body, not {request.ContentType ?? "no content type"}");
            }
            else
            {
                (arg, argProblem) = Parse(request.Body, "the body");
            }
            if (isVoid && arg is not null)
            {
                argProblem = "the route takes no argument, but the body has one";
            }
        }
        else
        {
            var header = request.Headers.GetValueOrDefault("Dropbox-API-Arg") ?? (route.Style == "download" ? request.Query.GetValueOrDefault("arg") : null);
            (arg, argProblem) = header is null ? (null, $"a {route.Style} route takes its argument in the Dropbox-API-Arg header") : Parse(header, "Dropbox-API-Arg");
            if (header is not null && header.Any(c => c > 127))
            {
                argProblem = "Dropbox-API-Arg must be ASCII (escape the rest as \\uXXXX)";
            }
            if (route.Style == "upload" && request.ContentType?.StartsWith("application/octet-stream", StringComparison.OrdinalIgnoreCase) != true)
            {
                yield return $"an upload route takes application/octet-stream, not {request.ContentType ?? "no content type"}";
            }
        }
        if (argProblem is not null)
        {
            yield return argProblem;
            yield break;
        }
        foreach (var error in Spec.Check(arg, route.Arg, "arg"))
        {
            yield return error;
        }
    }

    public IEnumerable<string> ValidateResponse(FakeRequest request, int status, string? contentType, string? body)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (IsOutsideTheApi(request.Path) || !TryRoute(request.Path, out _, out var route, out _))
        {
            return [];
        }
        return ValidateResponse(route, status, contentType, body);
    }

    /// <summary>The response checks for a route the caller already found (also used by the negative tests).</summary>
    public IEnumerable<string> ValidateResponse(StoneRoute route, int status, string? contentType, string? body)
    {
        ArgumentNullException.ThrowIfNull(route);
        var isJson = contentType?.Contains("json", StringComparison.OrdinalIgnoreCase) == true;
        switch (status)
        {
            case 200 or 206:
                if (route.Style == "download")
                {
                    return isJson ? [$"a download route answers with the bytes, not JSON"] : [];
                }
                return CheckJson(body, isJson, route.Result, "result");
            case 409:
                return CheckError(body, isJson, route.Error);
            case 401:
                return CheckError(body, isJson, DropboxStoneSpec.Ref("auth.AuthError"));
            case 403:
                return CheckError(body, isJson, DropboxStoneSpec.Ref("auth.AccessError"));
            case 429:
                return CheckError(body, isJson, DropboxStoneSpec.Ref("auth.RateLimitError"));
            case 400:
                return isJson ? ["Dropbox answers 400 (bad input) in plain text, not JSON"] : [];
            case >= 500:
                return [];
            default:
                return [$"Dropbox does not answer HTTP {status}"];
        }
    }

    /// <summary>A download's <c>Dropbox-API-Result</c> header against the route's result type.</summary>
    public IEnumerable<string> ValidateDownloadResult(string urlPath, string header)
    {
        var route = Spec.Route(urlPath) ?? throw new InvalidOperationException($"No route {urlPath}.");
        if (header.Any(c => c > 127))
        {
            return ["Dropbox-API-Result must be ASCII"];
        }
        var (value, problem) = Parse(header, "Dropbox-API-Result");
        return problem is not null ? [problem] : Spec.Check(value, route.Result, "Dropbox-API-Result");
    }

    private List<string> CheckJson(string? body, bool isJson, JsonElement type, string at)
    {
        if (!isJson)
        {
            return ["the result must be JSON"];
        }
        var (value, problem) = Parse(body ?? "", at);
        return problem is not null ? [problem] : Spec.Check(value, type, at);
    }

    private List<string> CheckError(string? body, bool isJson, JsonElement errorType)
    {
        if (!isJson)
        {
            return ["a Dropbox error body is JSON: {error_summary, error}"];
        }
        var (value, problem) = Parse(body ?? "", "error body");
        if (problem is not null)
        {
            return [problem];
        }
        var errors = new List<string>();
        if (value is not { ValueKind: JsonValueKind.Object } envelope)
        {
            return ["the error body must be an object"];
        }
        foreach (var property in envelope.EnumerateObject().Where(p => p.Name is not ("error_summary" or "error" or "user_message")))
        {
            errors.Add($"the error envelope has no field \"{property.Name}\"");
        }
        if (!envelope.TryGetProperty("error_summary", out var summary) || summary.ValueKind != JsonValueKind.String)
        {
            errors.Add("the error envelope requires \"error_summary\"");
        }
        errors.AddRange(Spec.Check(envelope.TryGetProperty("error", out var error) ? error : null, errorType, "error"));
        return errors;
    }

    private bool TryRoute(string path, out string host, out StoneRoute route, out string problem)
    {
        var match = ApiPath.Match(path);
        (host, route, problem) = ("", null!, "");
        if (!match.Success)
        {
            problem = $"{path} is not a Dropbox API path (/{{api|content|notify}}/2/{{namespace}}/{{route}})";
            return false;
        }
        host = match.Groups["host"].Value;
        if (Spec.Route(match.Groups["route"].Value) is not { } found)
        {
            problem = $"the Dropbox spec has no route {match.Groups["route"].Value}";
            return false;
        }
        route = found;
        return true;
    }

    /// <summary>
    /// Traffic the API spec does not describe: OAuth (<c>/api/oauth2/token</c>) and whatever a browser asks
    /// of the www host during consent (<c>/www/…</c>, <c>/favicon.ico</c>). Everything under the three API
    /// host prefixes is checked.
    /// </summary>
    private static bool IsOutsideTheApi(string path) =>
        path.StartsWith("/api/oauth2/", StringComparison.Ordinal)
        || !(path.StartsWith("/api/", StringComparison.Ordinal) || path.StartsWith("/content/", StringComparison.Ordinal) || path.StartsWith("/notify/", StringComparison.Ordinal));

    private static (JsonElement? Value, string? Problem) Parse(string text, string what)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return (document.RootElement.Clone(), null);
        }
        catch (JsonException e)
        {
            return (null, $"{what} is not JSON: {e.Message}");
        }
    }
}
