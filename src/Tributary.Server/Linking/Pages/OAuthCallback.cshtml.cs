using Microsoft.AspNetCore.Mvc;
using Tributary.Integrations.Catalog;
using Tributary.Server.Linking.OAuth;
using Tributary.Server.OAuthApps;

namespace Tributary.Server.Linking.Pages;

/// <summary>
/// <c>/link/oauth/{integration}/callback</c>, the redirect URI registered with each provider. One
/// path per provider, and the state names the provider it was issued for, so an answer from one
/// provider cannot be replayed on another's path (mix-up). An unknown, reused or tampered state
/// stores nothing and shows a clear 400 page.
/// </summary>
internal sealed class OAuthCallbackModel(LinkPageServices services, IntegrationCatalog catalog) : LinkPageModel(services)
{
    public async Task<IActionResult> OnGetAsync(
        string integration, string? code, string? state, string? error, CancellationToken ct)
    {
        var definition = catalog.Find(integration);
        var session = definition is { Auth.Mode: AuthMode.OAuth2 } ? await Services.OAuth.FindByStateAsync(integration, state, ct) : null;
        if (definition is null || session is null)
        {
            return ShowProblem(new LinkProblem(StatusCodes.Status400BadRequest, Text["problem.state.title"], Text["problem.state.lead"]));
        }
        await UseSessionAsync(session, ct);
        var inPopup = session.OAuthInPopup;
        // The state stays valid after a refusal, so "Try again" can start over from this same session.
        LinkProblem Retryable(int status, string title, string lead) =>
            new(status, title, lead) { Action = (Text["retry"], RetryUrl(integration, state!)) };

        if (!string.IsNullOrEmpty(error) || string.IsNullOrEmpty(code))
        {
            // access_denied and friends: the end user (or the provider) said no.
            return ShowProblem(Retryable(StatusCodes.Status400BadRequest, Text["problem.denied.title"], Text["problem.denied.lead", definition.Name]));
        }
        if (OfferedIntegration(integration) is null || await OAuthClientAsync(definition, ct) is not { } client)
        {
            return Page();
        }
        var redirectUri = OAuthAppStore.RedirectUri(PublicUrls.Base(HttpContext), integration);
        var result = await Services.OAuth.ExchangeAsync(session, definition, client, code, redirectUri, ct);
        if (result is not TokenExchangeResult.Success success)
        {
            return ShowProblem(Retryable(StatusCodes.Status502BadGateway,
                Text["problem.exchange.title", definition.Name], Text["problem.exchange.lead", definition.Name, OrganizationName]));
        }
        OAuthFlow.Clear(session);
        var issued = await Services.Flow.CompleteAsync(session, definition, success.Credential, ct);
        return ShowDone(definition, publicToken: null, inPopup, issued);
    }

    /// <summary>"Try again" after the provider said no: a fresh state for the same session, back to the provider.</summary>
    public async Task<IActionResult> OnGetRetryAsync(string integration, string? state, CancellationToken ct)
    {
        var definition = catalog.Find(integration);
        var session = definition is { Auth.Mode: AuthMode.OAuth2 } ? await Services.OAuth.FindByStateAsync(integration, state, ct) : null;
        if (definition is null || session is null || Request.Headers["Sec-Fetch-Site"].ToString() is "cross-site" or "same-site")
        {
            return ShowProblem(new LinkProblem(StatusCodes.Status400BadRequest, Text["problem.state.title"], Text["problem.state.lead"]));
        }
        await UseSessionAsync(session, ct);
        if (OfferedIntegration(integration) is null || await OAuthClientAsync(definition, ct) is not { } client)
        {
            return Page();
        }
        var redirectUri = OAuthAppStore.RedirectUri(PublicUrls.Base(HttpContext), integration);
        return Redirect(await Services.OAuth.StartAsync(session, definition, client, redirectUri, session.OAuthInPopup, ct));
    }

    private static string RetryUrl(string integration, string state) =>
        $"/link/oauth/{Uri.EscapeDataString(integration)}/callback?handler=retry&state={Uri.EscapeDataString(state)}";
}
