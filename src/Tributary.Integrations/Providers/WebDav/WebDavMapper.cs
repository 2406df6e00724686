using System.Globalization;
using System.Xml.Linq;
using Tributary.Integrations.FileStorage;

namespace Tributary.Integrations.Providers.WebDav;

/// <summary>One <c>&lt;d:response&gt;</c> of a PROPFIND multistatus, with its path relative to the account's base URL.</summary>
internal sealed record DavEntry(string Path, bool IsCollection, string? Name, long? Length, string? ContentType, string? ETag, DateTimeOffset? Modified, DateTimeOffset? Created);

/// <summary>
/// Pure mapping of WebDAV (RFC 4918) PROPFIND answers to the common models. The remote id of a file
/// or folder is its path below the account's base URL (<c>/Projects/plan.txt</c>): plain WebDAV has
/// no stable ids, so a rename or move is a delete plus an add. WebDAV has no sharing model either,
/// so items carry no permissions.
/// </summary>
internal static class WebDavMapper
{
    private static readonly XNamespace Dav = "DAV:";

    public const string PropfindBody = """
        <?xml version="1.0" encoding="utf-8"?>
        <d:propfind xmlns:d="DAV:"><d:prop><d:resourcetype/><d:displayname/><d:getcontentlength/><d:getcontenttype/><d:getetag/><d:getlastmodified/><d:creationdate/></d:prop></d:propfind>
        """;

    /// <summary>The entries of a multistatus document whose hrefs lie under <paramref name="basePath"/> (the escaped path of the base URL, ending in '/').</summary>
    public static IReadOnlyList<DavEntry> ParseMultistatus(XDocument document, string basePath)
    {
        var entries = new List<DavEntry>();
        foreach (var response in document.Root?.Elements(Dav + "response") ?? [])
        {
            var href = response.Element(Dav + "href")?.Value;
            if (href is null || RelativePath(href, basePath) is not { } path)
            {
                continue;
            }
            var prop = response.Elements(Dav + "propstat")
                .Where(p => p.Element(Dav + "status")?.Value.Contains(" 200 ", StringComparison.Ordinal) ?? false)
                .Select(p => p.Element(Dav + "prop")).FirstOrDefault(p => p is not null);
            var isCollection = prop?.Element(Dav + "resourcetype")?.Element(Dav + "collection") is not null;
            entries.Add(new DavEntry(
                path.Length > 1 ? path.TrimEnd('/') : path,
                isCollection,
                Nonempty(prop?.Element(Dav + "displayname")?.Value),
                long.TryParse(prop?.Element(Dav + "getcontentlength")?.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var length) ? length : null,
                Nonempty(prop?.Element(Dav + "getcontenttype")?.Value),
                Nonempty(prop?.Element(Dav + "getetag")?.Value),
                Date(prop?.Element(Dav + "getlastmodified")?.Value),
                Date(prop?.Element(Dav + "creationdate")?.Value)));
        }
        return entries;
    }

    /// <summary>The decoded path of <paramref name="href"/> below the base path, starting with '/', or null when outside it.</summary>
    public static string? RelativePath(string href, string basePath)
    {
        var path = Uri.TryCreate(href, UriKind.Absolute, out var absolute) && absolute.Scheme.StartsWith("http", StringComparison.Ordinal)
            ? absolute.AbsolutePath
            : href;
        var decodedBase = Uri.UnescapeDataString(basePath);
        var decoded = Uri.UnescapeDataString(path);
        if (!decoded.StartsWith(decodedBase.TrimEnd('/'), StringComparison.Ordinal))
        {
            return null;
        }
        var relative = decoded[decodedBase.TrimEnd('/').Length..];
        return relative.Length == 0 ? "/" : relative.StartsWith('/') ? relative : null;
    }

    public static string NameOf(string path) => path.TrimEnd('/')[(path.TrimEnd('/').LastIndexOf('/') + 1)..];

    /// <summary>The parent folder's remote id, or null for items at the root.</summary>
    public static string? ParentOf(string path)
    {
        var trimmed = path.TrimEnd('/');
        var slash = trimmed.LastIndexOf('/');
        return slash <= 0 ? null : trimmed[..slash];
    }

    public static RemoteFolder ToFolder(DavEntry entry, string driveId, string baseUrl) => new(
        entry.Path, entry.Name ?? NameOf(entry.Path), Url(baseUrl, entry.Path, folder: true), null, null, ParentOf(entry.Path), driveId, [],
        entry.Created ?? entry.Modified, entry.Modified);

    public static RemoteFile ToFile(DavEntry entry, string driveId, string baseUrl) => new(
        entry.Path, entry.Name ?? NameOf(entry.Path), Url(baseUrl, entry.Path, folder: false), null, entry.Length,
        entry.ContentType ?? "application/octet-stream", null, ParentOf(entry.Path), driveId, null, [], entry.Created ?? entry.Modified, entry.Modified);

    /// <summary>The absolute URL of a path below the base URL, each segment escaped.</summary>
    public static string Url(string baseUrl, string path, bool folder)
    {
        var escaped = string.Join('/', path.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.EscapeDataString));
        return baseUrl.TrimEnd('/') + "/" + escaped + (folder && escaped.Length > 0 ? "/" : "");
    }

    private static string? Nonempty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static DateTimeOffset? Date(string? value) =>
        DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date) ? date.ToUniversalTime() : null;
}
