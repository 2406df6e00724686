using Tributary.Server.Tests.Connectors.Fakes;

namespace Tributary.Server.Tests.Connectors.MicrosoftGraph;

/// <summary>
/// Checks the Graph fake's traffic against <c>shared/provider-specs/microsoft-graph/graph-v1.0-files-subset.openapi.json</c>.
/// Placeholder until the shared OpenAPI validator lands: returns null (no validation).
/// </summary>
internal static class GraphSpecValidator
{
    public static ISpecValidator? Create() => null;
}
