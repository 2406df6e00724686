using System.Collections.Frozen;
using System.Security.Cryptography;
using Microsoft.Net.Http.Headers;

namespace Tributary.Server.Linking.Ui;

/// <summary>
/// Link's own CSS, scripts and logos, embedded in the server assembly and served by it: the pages
/// load nothing from third parties. Asset URLs carry a content hash (<c>?v=</c>), so they are
/// cached for a year and a release replaces them at once.
/// </summary>
internal sealed class LinkAssets
{
    private const string ResourcePrefix = "link-assets/";
    private readonly FrozenDictionary<string, Asset> _assets;

    public LinkAssets()
    {
        var assembly = typeof(LinkAssets).Assembly;
        var assets = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var bytes = buffer.ToArray();
            var path = name[ResourcePrefix.Length..].Replace('\\', '/');
            var version = Convert.ToHexStringLower(SHA256.HashData(bytes))[..12];
            assets[path] = new Asset(bytes, ContentType(path), version);
        }
        _assets = assets.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>The versioned URL of an asset, e.g. <c>/link/assets/link.css?v=…</c>.</summary>
    public string Url(string path) => _assets.TryGetValue(path, out var asset)
        ? $"/link/assets/{path}?v={asset.Version}"
        : throw new InvalidOperationException($"The Link asset '{path}' is not embedded.");

    /// <summary>The logo of an integration; every catalog integration has one (a test checks).</summary>
    public string LogoUrl(string slug) => _assets.ContainsKey($"logos/{slug}.svg") ? Url($"logos/{slug}.svg") : Url("logos/generic.svg");

    public bool Has(string path) => _assets.ContainsKey(path);

    public IResult Serve(HttpContext http, string path, bool versioned)
    {
        if (!_assets.TryGetValue(path, out var asset))
        {
            return Results.NotFound();
        }
        var headers = http.Response.Headers;
        var immutable = versioned && http.Request.Query["v"] == asset.Version;
        headers.CacheControl = immutable ? "public, max-age=31536000, immutable" : "public, max-age=300";
        var etag = new EntityTagHeaderValue($"\"{asset.Version}\"");
        headers.ETag = etag.ToString();
        if (http.Request.GetTypedHeaders().IfNoneMatch.Any(e => e.Compare(etag, useStrongComparison: false)))
        {
            return Results.StatusCode(StatusCodes.Status304NotModified);
        }
        return Results.Bytes(asset.Content, asset.ContentType);
    }

    private static string ContentType(string path) => Path.GetExtension(path) switch
    {
        ".css" => "text/css; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".svg" => "image/svg+xml",
        _ => "application/octet-stream",
    };

    private sealed record Asset(byte[] Content, string ContentType, string Version);
}
