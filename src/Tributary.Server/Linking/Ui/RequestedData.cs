using System.Text.Json.Nodes;

namespace Tributary.Server.Linking.Ui;

/// <summary>One line of the requested-data screen.</summary>
internal sealed record RequestedModel(string Category, string ModelName, bool Write, bool FieldsLimited);

/// <summary>
/// Reads Merge's <c>category_common_model_scopes</c> (kept on the link session) into what the
/// requested-data screen shows. Models the token does not mention keep their defaults (read);
/// a model whose READ is disabled is not requested at all.
/// </summary>
internal static class RequestedData
{
    /// <summary>The common models each category offers, in the order end users read them.</summary>
    public static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> DefaultModels = new Dictionary<string, IReadOnlyList<string>>
    {
        ["filestorage"] = ["File", "Folder", "Drive", "User", "Group"],
    };

    public static IReadOnlyList<RequestedModel> For(IEnumerable<string> categories, string? scopesJson)
    {
        var scopes = ScopesJson.Parse(scopesJson);
        var result = new List<RequestedModel>();
        foreach (var category in categories)
        {
            var given = new Dictionary<string, JsonObject>(StringComparer.OrdinalIgnoreCase);
            foreach (var model in (scopes?[category] as JsonArray)?.OfType<JsonObject>() ?? [])
            {
                if (model["model_name"] is JsonValue value && value.TryGetValue<string>(out var modelName))
                {
                    given.TryAdd(modelName, model);
                }
            }
            var names = DefaultModels.GetValueOrDefault(category, []).Concat(given.Keys).Distinct(StringComparer.OrdinalIgnoreCase);
            foreach (var name in names)
            {
                if (!given.TryGetValue(name, out var model))
                {
                    result.Add(new RequestedModel(category, Canonical(category, name), Write: false, FieldsLimited: false));
                    continue;
                }
                if (!Enabled(model, "READ", whenMissing: true))
                {
                    continue;
                }
                var disabled = model["field_permissions"]?["disabled_fields"] as JsonArray;
                result.Add(new RequestedModel(category, Canonical(category, name), Enabled(model, "WRITE", whenMissing: false), disabled is { Count: > 0 }));
            }
        }
        return result;
    }

    /// <summary>Whether any model of the token's scopes enables WRITE (OAuth then asks for the write scopes too).</summary>
    public static bool WritesEnabled(string? scopesJson) =>
        ScopesJson.Parse(scopesJson) is { } scopes
        && scopes.Select(c => c.Value).OfType<JsonArray>().SelectMany(a => a.OfType<JsonObject>()).Any(m => Enabled(m, "WRITE", whenMissing: false));

    private static bool Enabled(JsonObject model, string permission, bool whenMissing) =>
        model["model_permissions"]?[permission]?["is_enabled"] is JsonValue value && value.TryGetValue<bool>(out var enabled) ? enabled : whenMissing;

    private static string Canonical(string category, string name) =>
        DefaultModels.GetValueOrDefault(category, []).FirstOrDefault(m => string.Equals(m, name, StringComparison.OrdinalIgnoreCase)) ?? name;
}
