using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tributary.Server.Linking;

/// <summary>Merge's <c>EndUserDetailsRequest</c>, the body of <c>POST /link-token</c>. Unknown keys are ignored.</summary>
internal sealed record LinkTokenRequest(
    string? EndUserEmailAddress,
    string? EndUserOrganizationName,
    string? EndUserOriginId,
    IReadOnlyList<string>? Categories,
    string? Integration,
    int? LinkExpiryMins,
    bool? ShouldCreateMagicLinkUrl,
    bool? HideAdminMagicLink,
    JsonArray? CommonModels,
    JsonObject? CategoryCommonModelScopes,
    string? Language,
    bool? AreSyncsDisabled,
    JsonObject? IntegrationSpecificConfig);

/// <summary>Merge's <c>LinkToken</c>.</summary>
internal sealed record LinkTokenResponse(string LinkToken, string? IntegrationName, string? MagicLinkUrl);

internal static class LinkLanguages
{
    public static readonly IReadOnlyList<string> All = ["en", "de"];
}

internal static class ScopesJson
{
    public static string? Serialize(JsonObject? scopes) => scopes?.ToJsonString(ApiJson.Options);

    public static JsonObject? Parse(string? json) => json is null ? null : JsonNode.Parse(json) as JsonObject;

    public static JsonElement? Element(string? json) => json is null ? null : JsonDocument.Parse(json).RootElement.Clone();
}
