using System.Net;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Unicode;
using Microsoft.Extensions.WebEncoders;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Tributary.Server.Linking.Credentials;
using Tributary.Server.Linking.OAuth;
using Tributary.Server.Linking.Pages;

namespace Tributary.Server.Linking.Ui;

internal static class LinkUiServices
{
    /// <summary>The hosted Link UI: Razor Pages under Linking/Pages, its security, OAuth and credential checks.</summary>
    public static IServiceCollection AddLinkUi(this IServiceCollection services)
    {
        services.AddRazorPages(o =>
        {
            o.RootDirectory = "/Linking/Pages";
            // Link runs in third-party iframes where cookies are blocked: forms carry a per-session token instead (LinkCsrf).
            o.Conventions.ConfigureFilter(new IgnoreAntiforgeryTokenAttribute());
        });
        // German text stays readable in the HTML (ä, not &#xE4;); markup characters are still encoded.
        services.Configure<WebEncoderOptions>(o => o.TextEncoderSettings = new TextEncoderSettings(UnicodeRanges.All));
        services.AddScoped<LinkPageContext>();
        services.AddScoped<LinkPageServices>();
        services.AddScoped<OAuthFlow>();
        services.AddScoped<CredentialForms>();
        services.AddSingleton<LinkCsrf>();
        services.AddSingleton<LinkAssets>();
        // Provider calls never follow redirects: a token endpoint has no reason to, and a WebDAV
        // redirect is reported on the form (with the Authorization header it would otherwise drop).
        // The OAuth token client (OAuthFlow.HttpClientName) is registered with the connectors: token refresh needs it in CLI verbs too.
        services.AddHttpClient(CredentialForms.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(15))
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false });
        return services;
    }
}

/// <summary>An unexpected error on a Link page is an HTML page for the end user, not the API's JSON.</summary>
internal sealed class LinkExceptionHandler(ILogger<LinkExceptionHandler> logger, LinkAssets assets) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (!LinkSecurityHeaders.IsLinkPath(httpContext.Request.Path) || httpContext.Response.HasStarted
            || exception is OperationCanceledException && httpContext.RequestAborted.IsCancellationRequested)
        {
            return false;
        }
        logger.LogError(exception, "Unhandled error on Link page {Path}", httpContext.Request.Path.Value?.Split('/').Take(2).LastOrDefault());
        var text = httpContext.RequestServices.GetService<LinkPageContext>()?.Text ?? LinkText.ForRequest(httpContext.Request);
        httpContext.Response.Clear();
        httpContext.Response.StatusCode = StatusCodes.Status500InternalServerError;
        httpContext.Response.ContentType = "text/html; charset=utf-8";
        var html = new StringBuilder()
            .Append("<!DOCTYPE html><html lang=\"").Append(text.Language).Append("\"><head><meta charset=\"utf-8\">")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>")
            .Append(WebUtility.HtmlEncode(text["problem.error.title"])).Append("</title><link rel=\"stylesheet\" href=\"")
            .Append(assets.Url("link.css")).Append("\"></head><body class=\"standalone\"><main class=\"card\"><div class=\"card-body\"><h1 id=\"page-title\">")
            .Append(WebUtility.HtmlEncode(text["problem.error.title"])).Append("</h1><p class=\"lead\">")
            .Append(WebUtility.HtmlEncode(text["problem.error.lead"])).Append(" (").Append(WebUtility.HtmlEncode(httpContext.TraceIdentifier))
            .Append(")</p></div></main></body></html>");
        await httpContext.Response.WriteAsync(html.ToString(), cancellationToken);
        return true;
    }
}
