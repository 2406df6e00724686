using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Tributary.Server.Auth;

namespace Tributary.Server.Hosting;

/// <summary>
/// Turns endpoint metadata into the parts of <c>/openapi/v1.json</c> the framework cannot infer:
/// the bearer scheme, <c>X-Account-Token</c>, hand-parsed query parameters, the category path
/// parameter, and Merge's error bodies. One operation transformer renders all of them.
/// </summary>
internal static class ApiDocumentation
{
    public const string SecuritySchemeId = "ApiKey";
    public const string ErrorSchemaId = "Error";
    public const string ValidationErrorSchemaId = "ValidationError";

    public static void Configure(OpenApiOptions options)
    {
        options.AddDocumentTransformer(DescribeDocumentAsync);
        options.AddOperationTransformer(DescribeOperationAsync);
    }

    private static Task DescribeDocumentAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken ct)
    {
        document.Info.Title = "Tributary";
        document.Info.Description =
            "Merge-compatible unified API. Authenticate with `Authorization: Bearer <API key>`; account-scoped endpoints " +
            "also need `X-Account-Token`. Errors are JSON: `{\"detail\": \"…\"}`, or `{\"field\": [\"…\"]}` for invalid input. " +
            "Every response carries `X-Request-Id`; quote it when reporting a problem.";
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[SecuritySchemeId] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "API key",
            Description = "An organization API key (`trb_live_…` production, `trb_test_…` test), sent as `Authorization: Bearer <key>`.",
        };
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        document.Components.Schemas[ErrorSchemaId] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "Merge's error body.",
            Required = new HashSet<string> { "detail" },
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["detail"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "What went wrong and what to do about it." },
            },
        };
        document.Components.Schemas[ValidationErrorSchemaId] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "Invalid input, Django REST Framework style: each invalid parameter or body field (`non_field_errors` " +
                "for the body as a whole) with messages that say what to fix.",
            AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } },
        };
        return Task.CompletedTask;
    }

    private static Task DescribeOperationAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        var document = context.Document;
        operation.Parameters ??= [];

        foreach (var path in metadata.OfType<PathParameter>().DistinctBy(p => p.Name))
        {
            // The route template still carries constraints here: "{category:regex(…)}".
            var template = context.Description.RelativePath ?? "";
            if (template.Contains($"{{{path.Name}}}", StringComparison.Ordinal) || template.Contains($"{{{path.Name}:", StringComparison.Ordinal))
            {
                Replace(operation.Parameters, new OpenApiParameter
                {
                    Name = path.Name,
                    In = ParameterLocation.Path,
                    Required = true,
                    Description = path.Description,
                    Schema = Schema(ParameterType.String, path.Enum),
                });
            }
        }

        var requiresKey = metadata.OfType<RequiresApiKey>().Any();
        var requiresAccount = metadata.OfType<RequiresAccountToken>().Any();
        if (requiresAccount)
        {
            Replace(operation.Parameters, new OpenApiParameter
            {
                Name = ApiAuthenticationMiddleware.AccountTokenHeader,
                In = ParameterLocation.Header,
                Required = true,
                Description = "The linked account's token (`trb_acct_…`), from `GET account-token/{public_token}`.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            });
        }

        var query = metadata.OfType<QueryParameter>().ToList();
        foreach (var parameter in query)
        {
            var list = parameter.Type is ParameterType.StringList or ParameterType.UuidList;
            var schema = Schema(parameter.Type, parameter.Enum);
            schema.MaxLength = parameter.MaxLength;
            if (parameter.Minimum is { } min)
            {
                schema.Minimum = min.ToString(CultureInfo.InvariantCulture);
            }
            if (parameter.Maximum is { } max)
            {
                schema.Maximum = max.ToString(CultureInfo.InvariantCulture);
            }
            Replace(operation.Parameters, new OpenApiParameter
            {
                Name = parameter.Name,
                In = ParameterLocation.Query,
                Description = parameter.Description,
                Schema = schema,
                Style = list ? ParameterStyle.Form : null,
                Explode = !list,
            });
        }

        operation.Responses ??= new OpenApiResponses();
        var hasBody = operation.RequestBody is not null;
        if (query.Count > 0 || hasBody)
        {
            AddError(operation, document, StatusCodes.Status400BadRequest,
                "Invalid input: the body names each parameter or field to fix.", validation: true);
        }
        if (requiresKey)
        {
            operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SecuritySchemeId, document)] = [] }];
            AddError(operation, document, StatusCodes.Status401Unauthorized, requiresAccount
                ? "The API key is missing, unknown or revoked, or X-Account-Token is missing or names no linked account of the key's organization and environment."
                : "The API key is missing, unknown or revoked.");
        }
        foreach (var error in metadata.OfType<ErrorResponse>())
        {
            AddError(operation, document, error.StatusCode, error.Description);
        }
        if (hasBody)
        {
            AddError(operation, document, StatusCodes.Status413PayloadTooLarge, "The body is larger than Tributary:MaxRequestBodyBytes.");
            AddError(operation, document, StatusCodes.Status415UnsupportedMediaType, "The body is not sent as application/json.");
        }
        if (requiresAccount)
        {
            AddError(operation, document, StatusCodes.Status429TooManyRequests,
                "The linked account's requests-per-minute budget is spent; retry after Retry-After seconds.",
                headers: new Dictionary<string, IOpenApiHeader>
                {
                    ["Retry-After"] = new OpenApiHeader
                    {
                        Description = "Seconds until the budget resets.",
                        Schema = new OpenApiSchema { Type = JsonSchemaType.Integer },
                    },
                });
        }
        return Task.CompletedTask;
    }

    private static OpenApiSchema Schema(ParameterType type, IReadOnlyList<string>? values)
    {
        var item = type switch
        {
            ParameterType.Integer => new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32" },
            ParameterType.Boolean => new OpenApiSchema { Type = JsonSchemaType.Boolean },
            ParameterType.DateTime => new OpenApiSchema { Type = JsonSchemaType.String, Format = "date-time" },
            ParameterType.Uuid or ParameterType.UuidList => new OpenApiSchema { Type = JsonSchemaType.String, Format = "uuid" },
            _ => new OpenApiSchema { Type = JsonSchemaType.String },
        };
        if (values is not null)
        {
            item.Enum = [.. values.Select(v => (JsonNode)JsonValue.Create(v))];
        }
        return type is ParameterType.StringList or ParameterType.UuidList
            ? new OpenApiSchema { Type = JsonSchemaType.Array, Items = item }
            : item;
    }

    // A parameter declared twice (e.g. by the framework and by metadata) is written once, ours winning.
    private static void Replace(IList<IOpenApiParameter> parameters, OpenApiParameter parameter)
    {
        for (var i = parameters.Count - 1; i >= 0; i--)
        {
            if (parameters[i].Name == parameter.Name && parameters[i].In == parameter.In)
            {
                parameters.RemoveAt(i);
            }
        }
        parameters.Add(parameter);
    }

    private static void AddError(
        OpenApiOperation operation, OpenApiDocument? document, int status, string description,
        bool validation = false, Dictionary<string, IOpenApiHeader>? headers = null)
    {
        var key = status.ToString(CultureInfo.InvariantCulture);
        if (operation.Responses!.TryGetValue(key, out var existing) && existing.Content?.Count > 0)
        {
            return;
        }
        IOpenApiSchema schema = validation
            ? new OpenApiSchema
            {
                AnyOf = [new OpenApiSchemaReference(ValidationErrorSchemaId, document), new OpenApiSchemaReference(ErrorSchemaId, document)],
            }
            : new OpenApiSchemaReference(ErrorSchemaId, document);
        operation.Responses[key] = new OpenApiResponse
        {
            Description = description,
            Headers = headers,
            Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = schema } },
        };
    }
}
