using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tributary.Server.AgentHandler.Mcp;

/// <summary>
/// Checks tool arguments against the tool's input schema (the subset our schemas use: object,
/// required, additionalProperties false, string lengths and uuid format, integer bounds) and says
/// what to fix, so the agent can correct itself instead of guessing.
/// </summary>
internal static class ToolInput
{
    public static List<string> Validate(JsonObject schema, IReadOnlyDictionary<string, JsonElement> arguments)
    {
        var problems = new List<string>();
        var properties = schema["properties"] as JsonObject ?? [];
        foreach (var required in (schema["required"] as JsonArray ?? []).Select(r => r!.GetValue<string>()))
        {
            if (!arguments.TryGetValue(required, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                problems.Add($"\"{required}\" is required.");
            }
        }
        foreach (var (name, value) in arguments)
        {
            if (properties[name] is not JsonObject property)
            {
                problems.Add($"\"{name}\" is not an argument of this tool; use only: {string.Join(", ", properties.Select(p => p.Key))}.");
                continue;
            }
            if (value.ValueKind == JsonValueKind.Null)
            {
                continue;
            }
            switch (property["type"]?.GetValue<string>())
            {
                case "string":
                    if (value.ValueKind != JsonValueKind.String)
                    {
                        problems.Add($"\"{name}\" must be a string.");
                        break;
                    }
                    var text = value.GetString()!;
                    if (property["minLength"] is { } min && text.Length < min.GetValue<int>())
                    {
                        problems.Add($"\"{name}\" must not be empty.");
                    }
                    if (property["maxLength"] is { } max && text.Length > max.GetValue<int>())
                    {
                        problems.Add($"\"{name}\" must be at most {max.GetValue<int>()} characters.");
                    }
                    if (property["format"]?.GetValue<string>() == "uuid" && !Guid.TryParse(text, out _))
                    {
                        problems.Add($"\"{name}\" must be a UUID (an id from another tool's result), not \"{Shorten(text)}\".");
                    }
                    break;
                case "integer":
                    if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var number))
                    {
                        problems.Add($"\"{name}\" must be an integer.");
                        break;
                    }
                    var low = property["minimum"]!.GetValue<int>();
                    var high = property["maximum"]!.GetValue<int>();
                    if (number < low || number > high)
                    {
                        problems.Add($"\"{name}\" must be between {low} and {high}.");
                    }
                    break;
            }
        }
        return problems;
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
