using System.Net;

namespace Tributary.Server.Errors;

/// <summary>
/// An expected failure with Merge's error body: <c>{"detail": …}</c> for 401/403/404/429, or
/// DRF-style <c>{"field": ["message"]}</c> for validation. Rendered by <see cref="ApiExceptionHandler"/>.
/// </summary>
internal class ApiException(int statusCode, object body, string message) : Exception(message)
{
    public int StatusCode { get; } = statusCode;
    public object Body { get; } = body;
    public IDictionary<string, string> Headers { get; } = new Dictionary<string, string>();

    public static ApiException Detail(HttpStatusCode status, string detail) =>
        new((int)status, new Dictionary<string, string> { ["detail"] = detail }, detail);

    public static ApiException Unauthorized(string detail) => Detail(HttpStatusCode.Unauthorized, detail);
    public static ApiException Forbidden(string detail) => Detail(HttpStatusCode.Forbidden, detail);
    public static ApiException NotFound(string detail = "Not found.") => Detail(HttpStatusCode.NotFound, detail);
}

/// <summary>A 400 naming each field that is wrong and how to fix it.</summary>
internal sealed class ValidationException(IReadOnlyDictionary<string, List<string>> errors)
    : ApiException(400, errors, string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}")))
{
    public IReadOnlyDictionary<string, List<string>> Errors { get; } = errors;

    public static ValidationException For(string field, string message) =>
        new(new Dictionary<string, List<string>> { [field] = [message] });
}
