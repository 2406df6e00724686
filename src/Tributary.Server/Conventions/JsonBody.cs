using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;
using Tributary.Server.Errors;

namespace Tributary.Server.Conventions;

/// <summary>
/// Reads a JSON request body and turns every way it can be wrong into a 400 that names the field,
/// instead of the framework's bare 400 or a 500.
/// </summary>
internal static partial class JsonBody
{
    private const string NotAnObject = "The request body must be a JSON object, e.g. {\"name\": \"value\"}.";

    public static async Task<T> ReadAsync<T>(HttpRequest request, CancellationToken cancellationToken) where T : class
    {
        if (request.ContentLength is 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count == 0))
        {
            throw ValidationException.For("non_field_errors", "A JSON request body is required.");
        }
        if (!request.HasJsonContentType())
        {
            throw ApiException.Detail(System.Net.HttpStatusCode.UnsupportedMediaType,
                $"Unsupported media type \"{request.ContentType}\" in request: send the body as application/json.");
        }

        try
        {
            return await JsonSerializer.DeserializeAsync<T>(request.Body, ApiJson.Options, cancellationToken)
                ?? throw ValidationException.For("non_field_errors", NotAnObject);
        }
        catch (JsonException e)
        {
            throw ToValidationException(e, typeof(T));
        }
    }

    internal static ValidationException ToValidationException(JsonException e) => ToValidationException(e, target: null);

    /// <summary>
    /// Words <paramref name="e"/> for the client. <paramref name="target"/>, the type being read, lets
    /// a wrong-typed value name the type its field expects: STJ's own message names the declaring
    /// type instead when the field is a constructor parameter (as in records).
    /// </summary>
    internal static ValidationException ToValidationException(JsonException e, Type? target)
    {
        if (e.Message.Contains("missing required properties", StringComparison.Ordinal))
        {
            return new ValidationException(RequiredFields(e.Message).ToDictionary(f => f, _ => new List<string> { "This field is required." }));
        }

        var field = e.Path is null or "$" ? "non_field_errors" : e.Path.TrimStart('$', '.');
        // A syntax error: the serializer wraps the reader's own exception.
        if (e.InnerException is JsonException reader)
        {
            return ValidationException.For("non_field_errors", "Invalid JSON: " + Syntax(reader.Message, e));
        }
        if (e.InnerException is InvalidOperationException { Message: var inner } && inner.Contains("UTF-16", StringComparison.Ordinal))
        {
            return ValidationException.For(field, "Invalid value: the string contains an unpaired UTF-16 surrogate escape.");
        }
        if (e.InnerException is null && !ConvertedTo().IsMatch(e.Message))
        {
            // A converter's own complaint about the value.
            return ValidationException.For(field, "Invalid value: " + Trailerless(e.Message));
        }

        var expected = target is null ? null : ExpectedAt(target, e.Path);
        if (expected is null)
        {
            var match = ConvertedTo().Match(e.Message);
            expected = match.Success ? Describe(match.Groups[1].Value) : "a value of the documented type";
        }
        if (field == "non_field_errors" && expected == "a JSON object")
        {
            return ValidationException.For(field, NotAnObject);
        }
        return ValidationException.For(field, $"Invalid value: expected {expected}.");
    }

    /// <summary>What the JSON at <paramref name="path"/> (STJ's <c>$.a.b[0]</c>) should be, read from the serializer's contract.</summary>
    private static string? ExpectedAt(Type target, string? path)
    {
        JsonTypeInfo info;
        try
        {
            info = ApiJson.Options.GetTypeInfo(target);
            foreach (var segment in PathSegment().Matches(path ?? "$").Select(m => m.Value))
            {
                JsonTypeInfo? next = null;
                if (segment.StartsWith('[') && info.ElementType is { } element)
                {
                    next = ApiJson.Options.GetTypeInfo(element);
                }
                else if (!segment.StartsWith('['))
                {
                    var name = segment.TrimStart('.');
                    var property = info.Properties.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));
                    if (property is not null)
                    {
                        next = ApiJson.Options.GetTypeInfo(property.PropertyType);
                    }
                    else if (info.Kind == JsonTypeInfoKind.Dictionary && info.ElementType is { } value)
                    {
                        next = ApiJson.Options.GetTypeInfo(value);
                    }
                }
                if (next is null)
                {
                    return null;
                }
                info = next;
            }
        }
        catch (NotSupportedException)
        {
            return null;
        }
        return Describe(info);
    }

    private static string Describe(JsonTypeInfo info)
    {
        var type = Nullable.GetUnderlyingType(info.Type) ?? info.Type;
        return type switch
        {
            _ when type == typeof(string) => "a string",
            _ when type == typeof(bool) => "a boolean (true or false)",
            _ when type == typeof(int) || type == typeof(long) || type == typeof(short) || type == typeof(byte) => "an integer",
            _ when type == typeof(double) || type == typeof(decimal) || type == typeof(float) => "a number",
            _ when type == typeof(DateTime) || type == typeof(DateTimeOffset) => "an ISO 8601 datetime",
            _ when type == typeof(Guid) => "a UUID string",
            _ when type.IsEnum => "one of the documented choices",
            _ => info.Kind switch
            {
                JsonTypeInfoKind.Enumerable => "a list",
                JsonTypeInfoKind.Object or JsonTypeInfoKind.Dictionary => "a JSON object",
                _ => "a value of the documented type",
            },
        };
    }

    private static string Describe(string clrType) => clrType switch
    {
        "System.String" => "a string",
        "System.Int32" or "System.Int64" or "System.Nullable`1[System.Int32]" or "System.Nullable`1[System.Int64]" => "an integer",
        "System.Boolean" or "System.Nullable`1[System.Boolean]" => "a boolean (true or false)",
        "System.DateTime" or "System.Nullable`1[System.DateTime]" => "an ISO 8601 datetime",
        _ when clrType.StartsWith("System.Collections", StringComparison.Ordinal) || clrType.EndsWith("[]", StringComparison.Ordinal) => "a list",
        _ when clrType.Contains("Enum", StringComparison.Ordinal) => "one of the documented choices",
        _ => "a value of the documented type",
    };

    /// <summary>The reader's complaint without STJ's "Path: … | LineNumber: …" trailer, and where it happened.</summary>
    private static string Syntax(string message, JsonException e)
    {
        var raw = Trailerless(message);
        var text = raw switch
        {
            _ when raw.Contains("Expected depth to be zero", StringComparison.Ordinal) => "the body ends inside an unclosed object or array.",
            _ when raw.Contains("trailing comma", StringComparison.Ordinal) => "trailing commas are not allowed.",
            _ when raw.Contains("maximum configured depth", StringComparison.Ordinal) => "the body is nested too deeply.",
            _ => raw.Replace(" Change the reader options.", "", StringComparison.Ordinal),
        };
        return e.LineNumber is { } line && e.BytePositionInLine is { } position
            ? $"{text.TrimEnd('.')} (line {line + 1}, byte {position + 1})."
            : text;
    }

    private static string Trailerless(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        if (cut < 0)
        {
            cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        }
        return cut > 0 ? message[..cut] : message;
    }

    private static IEnumerable<string> RequiredFields(string message)
    {
        var match = MissingRequired().Match(message);
        return match.Success
            ? match.Groups[1].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(f => f.Trim('\''))
            : ["non_field_errors"];
    }

    [GeneratedRegex(@"could not be converted to (.+?)\. Path")]
    private static partial Regex ConvertedTo();

    [GeneratedRegex(@"missing required properties including: (.+?)\.?(?: Path|$)")]
    private static partial Regex MissingRequired();

    // "$.model.permissions[0].type" → ".model", ".permissions", "[0]", ".type"; "$['odd key']" → "['odd key']".
    [GeneratedRegex(@"\.[^.\[]+|\[[^\]]*\]")]
    private static partial Regex PathSegment();
}
