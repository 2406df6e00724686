using Tributary.Server.Conventions;

// Endpoint-facing metadata for the OpenAPI document (rendered by Hosting/ApiDocumentation.cs); in the
// root namespace so every endpoint file sees it.
namespace Tributary.Server;

/// <summary>How a documented parameter's value is written on the wire.</summary>
internal enum ParameterType
{
    String,
    Integer,
    Boolean,
    DateTime,
    Uuid,

    /// <summary>A comma list or a repeated key (<see cref="QueryReader.List"/>).</summary>
    StringList,
    UuidList,
}

/// <summary>
/// Endpoint metadata: a query parameter the handler reads itself (through <see cref="QueryReader"/>),
/// so the framework cannot see it. <see cref="Hosting.ApiDocumentation"/> renders it into the OpenAPI document.
/// </summary>
internal sealed record QueryParameter(string Name, ParameterType Type, string Description, IReadOnlyList<string>? Enum = null)
{
    public int? MaxLength { get; init; }
    public int? Minimum { get; init; }
    public int? Maximum { get; init; }

    public static QueryParameter Cursor { get; } = new("cursor", ParameterType.String,
        "The `next` (or `previous`) value of the page before, passed back unchanged with the same filters.");

    public static QueryParameter PageSize { get; } = new("page_size", ParameterType.Integer,
        $"Results per page, 1 to {QueryReader.MaxPageSize}; {QueryReader.MaxPageSize} when omitted.")
    {
        Minimum = 1,
        Maximum = QueryReader.MaxPageSize,
    };
}

/// <summary>Endpoint (or route group) metadata: a path parameter with a closed set of values.</summary>
internal sealed record PathParameter(string Name, string Description, IReadOnlyList<string> Enum);

/// <summary>Endpoint metadata: an error the handler itself can answer with, beyond the ones derived from auth and inputs.</summary>
internal sealed record ErrorResponse(int StatusCode, string Description);

internal static class ApiDocumentationExtensions
{
    /// <summary>Documents query parameters the handler parses by hand.</summary>
    public static RouteHandlerBuilder WithQueryParameters(this RouteHandlerBuilder builder, params QueryParameter[] parameters) =>
        builder.WithMetadata([.. parameters]);

    /// <summary>Documents an error response of this endpoint (<c>{"detail": …}</c>).</summary>
    public static RouteHandlerBuilder ProducesError(this RouteHandlerBuilder builder, int statusCode, string description) =>
        builder.WithMetadata(new ErrorResponse(statusCode, description));

    /// <summary>Documents a path parameter of every endpoint in the group.</summary>
    public static RouteGroupBuilder WithPathParameter(this RouteGroupBuilder group, PathParameter parameter) =>
        group.WithMetadata(parameter);
}

