using System.Text.Json;

namespace Tributary.Server.Linking.Ui;

/// <summary>
/// What one Link UI response needs besides its page model: the language, the embedding page's
/// origin (from the <c>origin</c> query parameter the embed script sets), extra CSP form-action
/// origins and the message for the embedding page. Scoped per request; the layout and the
/// security-header middleware read it.
/// </summary>
internal sealed class LinkPageContext
{
    public const string OriginParameter = "origin";

    public LinkText Text { get; set; } = LinkText.For("en");

    /// <summary>The origin of the page embedding Link in an iframe, or null when Link is a page of its own (magic link).</summary>
    public string? HostOrigin { get; set; }

    public bool Embedded => HostOrigin is not null;

    /// <summary>Origins a form on this page may submit (or be redirected) to, besides Tributary itself.</summary>
    public List<string> FormActionOrigins { get; } = [];

    /// <summary>The integrating organization's name, shown in headings.</summary>
    public string? OrganizationName { get; set; }

    /// <summary>Title of the page (the browser tab).</summary>
    public string Title { get; set; } = "Tributary";

    /// <summary>A message the page posts to its embedding page once loaded (success, validation errors).</summary>
    public object? EmbedMessage { get; set; }

    /// <summary>The page is the OAuth callback in a popup: it closes itself when done.</summary>
    /// <summary>An Agent Handler callback to go to at once (meta refresh: CSP form-action forbids redirecting a form POST off-site).</summary>
    public string? RedirectUrl { get; set; }

    public bool ClosesWindow { get; set; }

    /// <summary>Where the back arrow leads, if anywhere.</summary>
    public string? BackUrl { get; set; }

    public string? EmbedMessageJson => EmbedMessage is null ? null : JsonSerializer.Serialize(EmbedMessage, LinkJson.Options);

    /// <summary>
    /// <paramref name="path"/> with the embedding origin carried along, so every page of an embedded
    /// flow keeps its frame-ancestors and postMessage target.
    /// </summary>
    public string Url(string path) =>
        HostOrigin is null ? path : $"{path}{(path.Contains('?', StringComparison.Ordinal) ? '&' : '?')}{OriginParameter}={Uri.EscapeDataString(HostOrigin)}";

    /// <summary>
    /// The normalized origin (<c>scheme://host[:port]</c>) if <paramref name="value"/> is a valid
    /// http(s) origin and nothing more (no path, query or credentials), else null.
    /// </summary>
    public static string? ParseOrigin(string? value)
    {
        if (string.IsNullOrWhiteSpace(value) || value.Length > 300
            || !Uri.TryCreate(value, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)
            || uri.UserInfo.Length > 0 || uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.Fragment.Length > 0
            || value.TrimEnd('/').Length != uri.GetLeftPart(UriPartial.Authority).Length)
        {
            return null;
        }
        return uri.GetLeftPart(UriPartial.Authority).ToLowerInvariant();
    }
}

internal static class LinkJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);
}
