using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using Tributary.Data;
using Tributary.Data.Entities;
using Tributary.Integrations.Catalog;
using Tributary.Server.Linking.OAuth;
using Tributary.Server.Linking.Ui;
using Tributary.Server.OAuthApps;

namespace Tributary.Server.Linking.Pages;

/// <summary>The services every Link page uses, injected as one.</summary>
internal sealed class LinkPageServices(
    LinkFlow flow, OAuthFlow oauth, TributaryDbContext db, LinkCsrf csrf, LinkPageContext ui, LinkAssets assets, TimeProvider time)
{
    public LinkFlow Flow { get; } = flow;
    public OAuthFlow OAuth { get; } = oauth;
    public TributaryDbContext Db { get; } = db;
    public LinkCsrf Csrf { get; } = csrf;
    public LinkPageContext Ui { get; } = ui;
    public LinkAssets Assets { get; } = assets;
    public TimeProvider Time { get; } = time;
}

/// <summary>A clear error screen: what happened and what the end user can do.</summary>
internal sealed record LinkProblem(int Status, string Title, string Lead)
{
    /// <summary>A link back into the flow ("Back", "Try again"), if there is one.</summary>
    public (string Label, string Url)? Action { get; init; }
}

/// <summary>The success screen's content.</summary>
internal sealed record LinkDone(IntegrationDefinition Integration, bool InPopup);

/// <summary>
/// Base of the Link pages: loads the link session a token names (unknown, expired and used tokens
/// become their own clear screens), checks form tokens and finishes the session.
/// </summary>
internal abstract class LinkPageModel(LinkPageServices services) : PageModel
{
    protected LinkPageServices Services { get; } = services;
    public LinkPageContext Ui => Services.Ui;
    public LinkText Text => Services.Ui.Text;
    public LinkAssets Assets => Services.Assets;

    /// <summary>The link token from the URL (empty on pages reached by OAuth state).</summary>
    public string Token { get; protected set; } = "";

    public LinkSession Session { get; protected set; } = null!;
    public string OrganizationName => Ui.OrganizationName ?? "";
    public LinkProblem? Problem { get; private set; }
    public LinkDone? Done { get; private set; }

    /// <summary>An Agent Handler callback in a custom scheme (myapp://…): browsers need the user's click to open it.</summary>
    public string? OpenAppUrl { get; private set; }

    /// <summary>This session's form token, for every form's hidden <c>__csrf</c> field.</summary>
    public string Csrf => Services.Csrf.TokenFor(Session.Id);

    public string LinkBase => $"/link/{Uri.EscapeDataString(Token)}";

    /// <summary>Loads the open session of <paramref name="token"/>, or sets the problem screen and returns false.</summary>
    protected async Task<bool> OpenAsync(string token, CancellationToken ct, bool allowCompleted = false)
    {
        Token = token;
        var (state, session) = await Services.Flow.FindAsync(token, ct);
        if (session is not null)
        {
            await UseSessionAsync(session, ct);
        }
        switch (state)
        {
            case LinkSessionState.Open:
                return true;
            case LinkSessionState.Finished when allowCompleted && session!.Status == LinkSessionStatus.Completed:
                return true;
            case LinkSessionState.Unknown:
                ShowProblem(new LinkProblem(StatusCodes.Status404NotFound, Text["problem.unknown.title"], Text["problem.unknown.lead"]),
                    "unknown_link_token", "The link token is unknown: it was never issued by this server, or is incomplete.");
                return false;
            case LinkSessionState.Expired:
                ShowProblem(new LinkProblem(StatusCodes.Status410Gone, Text["problem.expired.title"], Text["problem.expired.lead", OrganizationName]),
                    "expired_link_token", $"The link token expired at {session!.ExpiresAt:O}; create a new one with POST /link-token.");
                return false;
            default:
                if (session!.Status == LinkSessionStatus.Exited)
                {
                    ShowProblem(new LinkProblem(StatusCodes.Status410Gone, Text["exit.title"], Text["exit.lead", OrganizationName]),
                        "exited_link_token", "The end user already left Link with this link token; create a new one with POST /link-token.");
                    return false;
                }
                ShowProblem(new LinkProblem(StatusCodes.Status410Gone, Text["problem.used.title"], Text["problem.used.lead", OrganizationName]),
                    "used_link_token", "The link token was already used to link an account; create a new one with POST /link-token.");
                return false;
        }
    }

    /// <summary>Adopts a session found some other way (OAuth state): language and organization name.</summary>
    protected async Task UseSessionAsync(LinkSession session, CancellationToken ct)
    {
        Session = session;
        Ui.Text = LinkText.For(session.Language);
        Ui.OrganizationName = await Services.Db.Organizations.IgnoreQueryFilters().AsNoTracking()
            .Where(o => o.Id == session.OrganizationId).Select(o => o.Name).SingleOrDefaultAsync(ct);
    }

    /// <summary>The integration <paramref name="slug"/> if this session offers it, else sets the problem screen.</summary>
    protected IntegrationDefinition? OfferedIntegration(string slug)
    {
        var integration = Services.Flow.OfferedIntegrations(Session).FirstOrDefault(i => i.Slug == slug);
        if (integration is null)
        {
            ShowProblem(new LinkProblem(StatusCodes.Status404NotFound, Text["problem.integration.title"], Text["problem.integration.lead"])
            {
                Action = (Text["back"], Ui.Url(LinkBase)),
            });
        }
        return integration;
    }

    /// <summary>
    /// The OAuth client for <paramref name="integration"/>: the organization's app, else the server's.
    /// Without one the integration cannot be connected: that is shown, and reported to the embedding page.
    /// </summary>
    protected async Task<OAuthClient?> OAuthClientAsync(IntegrationDefinition integration, CancellationToken ct)
    {
        var client = integration.Auth is { AuthorizationUrl: not null, TokenUrl: not null }
            ? await Services.OAuth.FindClientAsync(Session, integration, ct)
            : null;
        if (client is null)
        {
            var redirectUri = OAuthAppStore.RedirectUri(PublicUrls.Base(HttpContext), integration.Slug);
            ShowProblem(
                new LinkProblem(StatusCodes.Status409Conflict, Text["notconfigured.title", integration.Name], Text["notconfigured.lead", integration.Name, OrganizationName]),
                "integration_not_configured",
                $"No OAuth app is configured for {integration.Name}: register one with PUT /api/v1/oauth-apps/{integration.Slug} " +
                $"(redirect URI {redirectUri}) or set Integrations:{integration.Slug}:ClientId and ClientSecret in the server configuration.");
        }
        return client;
    }

    protected async Task<bool> OAuthConfiguredAsync(IntegrationDefinition integration, CancellationToken ct) =>
        await OAuthClientAsync(integration, ct) is not null;

    /// <summary>Shows the problem screen; in embedded Link, <paramref name="problemType"/> also reaches the host page's <c>onValidationError</c>.</summary>
    protected PageResult ShowProblem(LinkProblem problem, string? problemType = null, string? detail = null)
    {
        Problem = problem;
        Response.StatusCode = problem.Status;
        Ui.Title = problem.Title;
        if (problemType is not null)
        {
            Ui.EmbedMessage = new
            {
                type = "validation-error",
                errors = new[] { new { title = problem.Title, detail = detail ?? problem.Lead, problem_type = problemType } },
            };
        }
        return Page();
    }

    /// <summary>Whether this POST carries the session's form token; if not, the problem screen is set.</summary>
    protected bool FormIsGenuine()
    {
        if (Services.Csrf.IsValid(Request, Session.Id))
        {
            return true;
        }
        ShowProblem(new LinkProblem(StatusCodes.Status403Forbidden, Text["problem.csrf.title"], Text["problem.csrf.lead"]));
        return false;
    }

    /// <summary>Stores the credential, finishes the session and shows the success screen (handing embedded Link the public token).</summary>
    protected async Task<PageResult> CompleteAsync(IntegrationDefinition integration, JsonElement credential, CancellationToken ct)
    {
        var issued = await Services.Flow.CompleteAsync(Session, integration, credential, ct);
        return ShowDone(integration, issued, inPopup: false, issued);
    }

    /// <summary>
    /// The success screen. <paramref name="issued"/> is what completing the session returned (the
    /// public token, or the authorization code of an Agent Handler session with a state): a magic
    /// link with a callback URL sends the browser there instead.
    /// </summary>
    protected PageResult ShowDone(IntegrationDefinition integration, string? publicToken, bool inPopup, string? issued = null)
    {
        Done = new LinkDone(integration, inPopup);
        Ui.Title = Text["done.title", integration.Name];
        Ui.ClosesWindow = inPopup;
        Ui.BackUrl = null;
        if (Ui.Embedded && publicToken is not null)
        {
            Ui.EmbedMessage = new { type = "success", publicToken, integration = integration.Slug };
        }
        if (!Ui.Embedded && !inPopup && Session.CallbackUrl is not null)
        {
            var code = Session.CallbackState is not null ? issued : null;
            GoToCallback(AgentHandler.LinkTokens.AgentCallback.Url(Session, AgentHandler.LinkTokens.AgentCallback.Success, code));
        }
        return Page();
    }

    /// <summary>
    /// Sends the browser to the integrator's callback. The page itself does it: a 303 answering a form
    /// POST would break CSP form-action 'self', and browsers open custom schemes (myapp://) only on a
    /// click, so the page also shows the link as a button.
    /// </summary>
    protected void GoToCallback(string url)
    {
        OpenAppUrl = url;
        if (AgentHandler.LinkTokens.AgentCallback.IsWeb(url))
        {
            Ui.RedirectUrl = url;
        }
    }

    /// <summary>A 303 to <paramref name="url"/>: the browser follows a POST's answer with a GET.</summary>
    protected IActionResult SeeOther(string url)
    {
        Response.Headers.Location = url;
        return StatusCode(StatusCodes.Status303SeeOther);
    }
}
