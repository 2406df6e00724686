using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.WebUtilities;
using Tributary.Server.Hosting;

namespace Tributary.Server.Linking.Ui;

/// <summary>
/// Cross-site request forgery protection for Link's forms without cookies. Link runs in a
/// third-party iframe, where browsers block or partition cookies, so ASP.NET's cookie-paired
/// antiforgery tokens would fail exactly where Link is used most. Instead each form carries a
/// token derived from the link session (HMAC under a key derived from the master key): only a page
/// Tributary rendered for that session has it, it is checked in constant time, and on top the
/// browser's own <c>Sec-Fetch-Site</c>/<c>Origin</c> headers must say the POST came from Tributary.
/// </summary>
internal sealed class LinkCsrf(MasterKey masterKey)
{
    public const string FieldName = "__csrf";
    private readonly byte[] _key = masterKey.Derive("tributary/link/csrf/v1");

    public string TokenFor(Guid sessionId) =>
        WebEncoders.Base64UrlEncode(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes($"link-form:{sessionId:N}")));

    /// <summary>Whether this POST carries the session's token and was sent by a Tributary page.</summary>
    public bool IsValid(HttpRequest request, Guid sessionId)
    {
        if (!CameFromTributary(request) || !request.HasFormContentType)
        {
            return false;
        }
        var supplied = request.Form[FieldName].ToString();
        var expected = TokenFor(sessionId);
        return supplied.Length == expected.Length
            && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(supplied), Encoding.ASCII.GetBytes(expected));
    }

    // Fetch metadata says who initiated the request; old browsers send only Origin, which must then be ours.
    private static bool CameFromTributary(HttpRequest request)
    {
        var site = request.Headers["Sec-Fetch-Site"].ToString();
        if (site.Length > 0)
        {
            return site is "same-origin" or "none";
        }
        var origin = request.Headers.Origin.ToString();
        return origin.Length == 0 || string.Equals(origin, $"{request.Scheme}://{request.Host}", StringComparison.OrdinalIgnoreCase)
            || string.Equals(origin, PublicUrls.Base(request.HttpContext), StringComparison.OrdinalIgnoreCase);
    }
}

/// <summary>
/// Headers every Link UI response gets: a strict CSP (no inline script, frame-ancestors only the
/// embedding origin or none, form-action only Tributary plus a provider's authorization origin
/// when the page starts OAuth), nosniff, no referrer (link tokens are in URLs) and no caching.
/// </summary>
internal sealed class LinkSecurityHeaders(RequestDelegate next)
{
    public static bool IsLinkPath(PathString path) =>
        path.StartsWithSegments("/link", StringComparison.OrdinalIgnoreCase) || path.StartsWithSegments("/magic-link", StringComparison.OrdinalIgnoreCase);

    public Task InvokeAsync(HttpContext context, LinkPageContext page)
    {
        if (!IsLinkPath(context.Request.Path))
        {
            return next(context);
        }
        page.HostOrigin = LinkPageContext.ParseOrigin(context.Request.Query[LinkPageContext.OriginParameter]);
        page.Text = LinkText.ForRequest(context.Request);
        context.Response.OnStarting(() =>
        {
            var headers = context.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            var isAsset = context.Request.Path.StartsWithSegments("/link/assets", StringComparison.OrdinalIgnoreCase)
                || context.Request.Path.Equals("/link/embed.js", StringComparison.OrdinalIgnoreCase);
            if (isAsset)
            {
                return Task.CompletedTask;
            }
            var formAction = string.Join(' ', ["'self'", .. page.FormActionOrigins.Distinct(StringComparer.Ordinal)]);
            var ancestors = page.HostOrigin ?? "'none'";
            headers.ContentSecurityPolicy =
                $"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
                $"object-src 'none'; base-uri 'none'; form-action {formAction}; frame-ancestors {ancestors}";
            if (page.HostOrigin is null)
            {
                headers.XFrameOptions = "DENY";
            }
            headers.CacheControl = "no-store";
            return Task.CompletedTask;
        });
        return next(context);
    }
}
