using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Tributary.Integrations.Catalog;
using Tributary.Server.Conventions;
using Tributary.Server.Errors;
using Tributary.Server.Linking;

namespace Tributary.Server.AgentHandler.Connectors;

/// <summary>A tool as the REST API shows it.</summary>
internal sealed record ToolDto(string Name, string Description, JsonObject InputSchema, string CreditType)
{
    public static ToolDto From(string connector, ToolDefinition tool) =>
        new(tool.FullName(connector), tool.Description, (JsonObject)tool.InputSchema.DeepClone(), tool.Writes ? "WRITE" : "READ");
}

/// <summary>Merge Agent Handler's <c>ConnectorDetail</c>.</summary>
internal sealed record ConnectorDto(
    Guid Id, string Name, string Slug, string Description, string? SourceUrl, string LogoUrl, IReadOnlyList<string> Categories,
    IReadOnlyList<AuthOptionDto> AuthOptions, IReadOnlyList<ToolDto> Tools)
{
    public static ConnectorDto From(IntegrationDefinition integration, string baseUrl) => new(
        ConnectorTools.ConnectorId(integration.Slug), integration.Name, integration.Slug,
        $"{integration.Name} ({string.Join(", ", integration.Categories)}) through Tributary's unified connectors.",
        integration.Auth.AppRegistrationUrl, $"{baseUrl}/link/assets/logos/{integration.Slug}.svg", integration.Categories,
        [AuthOptionDto.From(integration.Auth)],
        ConnectorTools.For(integration).Select(t => ToolDto.From(integration.Slug, t)).ToList());
}

internal sealed record AuthOptionDto(string Type, IReadOnlyList<AuthSecretDto> Secrets)
{
    public static AuthOptionDto From(IntegrationAuth auth) => auth.Mode switch
    {
        AuthMode.OAuth2 => new("OAUTH", []),
        AuthMode.Credentials => new("CREDENTIALS", auth.Fields.Select(f => new AuthSecretDto(f.Name, f.Name, f.Type)).ToList()),
        _ => new("NONE", []),
    };
}

internal sealed record AuthSecretDto(string Name, string HumanReadableName, string FieldType);

internal static class ConnectorsEndpoints
{
    public static RouteGroupBuilder MapConnectors(this RouteGroupBuilder v1)
    {
        v1.MapGet("/connectors", List).WithName("ListConnectors").WithTags("Agent Handler")
            .WithSummary("The connectors agents can use, with their tools and input schemas");
        v1.MapGet("/connectors/{slug}", Get).WithName("GetConnector").WithTags("Agent Handler")
            .WithSummary("One connector, with its tools and input schemas");
        return v1;
    }

    internal static Ok<Paginated<ConnectorDto>> List(HttpContext http, IntegrationCatalog catalog)
    {
        var baseUrl = PublicUrls.Base(http);
        // The catalog is small and fixed: one page holds it all.
        var all = catalog.All.OrderBy(i => i.Slug, StringComparer.Ordinal).Select(i => ConnectorDto.From(i, baseUrl)).ToList();
        return TypedResults.Ok(new Paginated<ConnectorDto>(null, null, all));
    }

    internal static Ok<ConnectorDto> Get(string slug, HttpContext http, IntegrationCatalog catalog) =>
        TypedResults.Ok(ConnectorDto.From(Require(catalog, slug), PublicUrls.Base(http)));

    public static IntegrationDefinition Require(IntegrationCatalog catalog, string slug) =>
        catalog.Find(slug) ?? throw ApiException.NotFound(
            $"Unknown connector \"{slug}\". Use one of: {string.Join(", ", catalog.All.Select(i => i.Slug).Order(StringComparer.Ordinal))}.");
}
