using System.Text.Json;
using System.Text.RegularExpressions;
using Tributary.Server.Errors;

namespace Tributary.Server.Conventions;

/// <summary>
/// Reads a JSON request body and turns every way it can be wrong into a 400 that names the field,
/// instead of the framework's bare 400 or a 500.
/// </summary>
internal static partial class JsonBody
{
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
                ?? throw ValidationException.For("non_field_errors", "The request body must be a JSON object, not null.");
        }
        catch (JsonException e)
        {
            throw ToValidationException(e);
        }
    }

    internal static ValidationException ToValidationException(JsonException e)
    {
        var field = e.Path is null or "$" ? "non_field_errors" : e.Path.TrimStart('$', '.');
        var match = ConvertedTo().Match(e.Message);
        var message = match.Success
            ? $"Invalid value: expected {Describe(match.Groups[1].Value)}."
            : e.Message.Contains("missing required properties", StringComparison.Ordinal)
                ? MissingProperties(e.Message)
                : "Invalid JSON: " + (e.InnerException?.Message ?? FirstSentence(e.Message));
        if (e.Message.Contains("missing required properties", StringComparison.Ordinal))
        {
            return new ValidationException(RequiredFields(e.Message).ToDictionary(f => f, _ => new List<string> { "This field is required." }));
        }
        return ValidationException.For(field, message);
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

    private static IEnumerable<string> RequiredFields(string message)
    {
        var match = MissingRequired().Match(message);
        return match.Success
            ? match.Groups[1].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(f => f.Trim('\''))
            : ["non_field_errors"];
    }

    private static string MissingProperties(string message) => "This field is required: " + string.Join(", ", RequiredFields(message));

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }

    [GeneratedRegex(@"could not be converted to ([\w`\.\[\], ]+?)\. Path")]
    private static partial Regex ConvertedTo();

    [GeneratedRegex(@"missing required properties including: (.+?)\.?(?: Path|$)")]
    private static partial Regex MissingRequired();
}
