using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Tributary.Server.AgentHandler.Mcp;

/// <summary>What goes into tool-call logs: secrets out, size bounded.</summary>
internal static partial class ToolCallRedaction
{
    public const int MaxLoggedChars = 16_384;
    private const string Redacted = "[redacted]";

    /// <summary>Tributary's own bearer secrets (keys, account, link and public tokens, codes) keep only their prefix.</summary>
    public static string Text(string text)
    {
        var redacted = TributarySecret().Replace(text, m => m.Groups[1].Value + Redacted);
        return redacted.Length <= MaxLoggedChars ? redacted : redacted[..MaxLoggedChars] + "…[truncated]";
    }

    /// <summary>Arguments as JSON, values of secret-sounding keys replaced.</summary>
    public static string Arguments(IReadOnlyDictionary<string, JsonElement>? arguments)
    {
        var copy = new JsonObject();
        foreach (var (name, value) in arguments ?? new Dictionary<string, JsonElement>())
        {
            copy[name] = IsSecretName(name) ? Redacted : JsonNode.Parse(value.GetRawText());
        }
        return Text(copy.ToJsonString());
    }

    /// <summary>The request's <c>X-</c> headers as a JSON object; credential-like ones redacted.</summary>
    public static string Headers(IHeaderDictionary headers)
    {
        var copy = new JsonObject();
        foreach (var (name, value) in headers.Where(h => h.Key.StartsWith("X-", StringComparison.OrdinalIgnoreCase)).OrderBy(h => h.Key, StringComparer.OrdinalIgnoreCase))
        {
            copy[name] = IsSecretName(name) ? Redacted : Text(value.ToString());
        }
        return copy.ToJsonString();
    }

    private static bool IsSecretName(string name)
    {
        var lower = name.ToLowerInvariant();
        return lower.Contains("token", StringComparison.Ordinal) || lower.Contains("secret", StringComparison.Ordinal)
            || lower.Contains("password", StringComparison.Ordinal) || lower.Contains("auth", StringComparison.Ordinal)
            || lower.Contains("key", StringComparison.Ordinal) || lower.Contains("cookie", StringComparison.Ordinal);
    }

    [GeneratedRegex("(trb_(?:live|test|acct|link|pub|code)_)[A-Za-z0-9_-]+")]
    private static partial Regex TributarySecret();
}
