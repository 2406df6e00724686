using Tributary.Data.Entities;

namespace Tributary.Server.Linking.Ui;

/// <summary>The Link UI's non-page endpoints: assets, the embed script and the session status the OAuth wait screen polls.</summary>
internal static class LinkUiEndpoints
{
    public static IEndpointRouteBuilder MapLinkUi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/link/embed.js", (HttpContext http, LinkAssets assets) => assets.Serve(http, "embed.js", versioned: false))
            .ExcludeFromDescription();
        app.MapGet("/link/assets/{**path}", (string path, HttpContext http, LinkAssets assets) => assets.Serve(http, path, versioned: true))
            .ExcludeFromDescription();
        app.MapGet("/link/{token}/status", StatusAsync).ExcludeFromDescription();
        return app;
    }

    /// <summary>
    /// Where a link session stands, for the embedded page waiting on an OAuth popup: <c>open</c>,
    /// <c>completed</c> (the public token can be collected), <c>expired</c>, <c>used</c> or <c>unknown</c>.
    /// </summary>
    internal static async Task<IResult> StatusAsync(string token, LinkFlow flow, TimeProvider time, CancellationToken ct)
    {
        var (state, session) = await flow.FindAsync(token, ct);
        var status = state switch
        {
            LinkSessionState.Open => "open",
            LinkSessionState.Expired => "expired",
            LinkSessionState.Finished when session is { Status: LinkSessionStatus.Completed } && session.PublicTokenExpiresAt > time.GetUtcNow().UtcDateTime => "completed",
            LinkSessionState.Finished => "used",
            _ => "unknown",
        };
        return Results.Json(new { status }, LinkJson.Options, statusCode: state == LinkSessionState.Unknown ? StatusCodes.Status404NotFound : StatusCodes.Status200OK);
    }
}
