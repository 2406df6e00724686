using System.Text.RegularExpressions;

namespace Tributary.Server.AgentHandler.CallbackOrigins;

/// <summary>
/// Callback origins: scheme and host (and port), compared exactly. Web apps use https (http only
/// for loopback hosts during development); native apps use their own scheme (<c>myapp://</c>).
/// </summary>
internal static partial class CallbackOrigin
{
    private static readonly string[] Forbidden = ["javascript", "data", "file", "vbscript", "blob", "about", "ftp", "ws", "wss"];
    private static readonly string[] LoopbackHosts = ["localhost", "127.0.0.1", "[::1]"];

    /// <summary>Parses <paramref name="value"/> into (scheme, authority, rest) or says what is wrong.</summary>
    public static bool TryParse(string value, out string origin, out string rest, out string? problem)
    {
        origin = rest = "";
        problem = null;
        var match = UrlShape().Match(value.Trim());
        if (!match.Success)
        {
            problem = "Expected an absolute URL with a scheme, e.g. https://app.example.com/callback or myapp:///integrations/complete.";
            return false;
        }
        var scheme = match.Groups["scheme"].Value.ToLowerInvariant();
        var authority = match.Groups["authority"].Value.ToLowerInvariant();
        rest = match.Groups["rest"].Value;
        if (Forbidden.Contains(scheme))
        {
            problem = $"The scheme \"{scheme}\" cannot be a callback; use https, or your app's own scheme such as myapp://.";
            return false;
        }
        if (authority.Contains('@', StringComparison.Ordinal))
        {
            problem = "A callback URL may not carry user information (user@host).";
            return false;
        }
        if (scheme is "http" or "https" && authority.Length == 0)
        {
            problem = "An http(s) callback URL needs a host.";
            return false;
        }
        if (scheme == "http" && !LoopbackHosts.Contains(HostOf(authority)))
        {
            problem = "Use https: plain http is accepted only for localhost, 127.0.0.1 and [::1] during development.";
            return false;
        }
        origin = $"{scheme}://{authority}";
        return true;
    }

    /// <summary>Normalizes an origin for registration: scheme://host[:port] with nothing after it.</summary>
    public static bool TryNormalize(string value, out string origin, out string? problem)
    {
        if (!TryParse(value, out origin, out var rest, out problem))
        {
            return false;
        }
        if (rest is not ("" or "/"))
        {
            problem = $"An origin is a scheme and host only, e.g. {origin}; leave out the path, query and fragment (\"{rest}\").";
            return false;
        }
        return true;
    }

    private static string HostOf(string authority)
    {
        if (authority.StartsWith('['))
        {
            var end = authority.IndexOf(']', StringComparison.Ordinal);
            return end < 0 ? authority : authority[..(end + 1)];
        }
        var colon = authority.LastIndexOf(':');
        return colon < 0 ? authority : authority[..colon];
    }

    [GeneratedRegex(@"^(?<scheme>[A-Za-z][A-Za-z0-9+.\-]*)://(?<authority>[^/?#\s]*)(?<rest>[^\s]*)$")]
    private static partial Regex UrlShape();
}
