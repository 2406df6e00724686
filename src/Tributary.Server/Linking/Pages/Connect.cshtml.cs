using Microsoft.AspNetCore.Mvc;
using Tributary.Integrations.Catalog;
using Tributary.Server.Linking.Credentials;
using Tributary.Server.OAuthApps;

namespace Tributary.Server.Linking.Pages;

/// <summary>
/// The auth screen each integration needs: "Log in to X" (OAuth 2), a credential form validated
/// live against the provider, or the sandbox's one-click connect.
/// </summary>
internal sealed class ConnectModel(LinkPageServices services, CredentialForms forms) : LinkPageModel(services)
{
    public IntegrationDefinition? Integration { get; private set; }
    public IReadOnlyDictionary<string, string> Errors { get; private set; } = new Dictionary<string, string>();
    public IReadOnlyDictionary<string, string> Values { get; private set; } = new Dictionary<string, string>();

    /// <summary>Starts OAuth: a GET navigation (a popup in embedded Link), so CSP form-action stays 'self'.</summary>
    public string AuthorizeUrl => Ui.Url($"{LinkBase}/{Integration!.Slug}/connect?handler=authorize&mode={(Ui.Embedded ? "popup" : "page")}");

    public string StatusUrl => $"{LinkBase}/status";

    public async Task<IActionResult> OnGetAsync(string token, string integration, CancellationToken ct)
    {
        if (await LoadAsync(token, integration, ct) && Integration!.Auth.Mode == AuthMode.OAuth2)
        {
            await OAuthConfiguredAsync(Integration, ct);
        }
        return Page();
    }

    /// <summary>Sends the browser to the provider with a fresh state (and PKCE challenge) bound to this session.</summary>
    public async Task<IActionResult> OnGetAuthorizeAsync(string token, string integration, string? mode, CancellationToken ct)
    {
        if (!await LoadAsync(token, integration, ct))
        {
            return Page();
        }
        // Only a Tributary page starts a sign-in: a cross-site link cannot push an end user into one.
        if (Request.Headers["Sec-Fetch-Site"].ToString() is "cross-site" or "same-site")
        {
            ShowProblem(new LinkProblem(StatusCodes.Status403Forbidden, Text["problem.csrf.title"], Text["problem.csrf.lead"]));
            return Page();
        }
        if (Integration!.Auth.Mode != AuthMode.OAuth2 || await OAuthClientAsync(Integration, ct) is not { } client)
        {
            return Page();
        }
        var redirectUri = OAuthAppStore.RedirectUri(PublicUrls.Base(HttpContext), Integration.Slug);
        var url = await Services.OAuth.StartAsync(Session, Integration, client, redirectUri, popup: mode == "popup", ct);
        return Redirect(url);
    }

    /// <summary>Submits the credential form (validated live) or the sandbox's connect button.</summary>
    public async Task<IActionResult> OnPostAsync(string token, string integration, CancellationToken ct)
    {
        if (!await LoadAsync(token, integration, ct) || !FormIsGenuine())
        {
            return Page();
        }
        switch (Integration!.Auth.Mode)
        {
            case AuthMode.None:
                return await CompleteAsync(Integration, System.Text.Json.JsonSerializer.SerializeToElement(new { sandbox = true }), ct);
            case AuthMode.Credentials:
                var values = Integration.Auth.Fields.ToDictionary(f => f.Name, f => Request.Form[f.Name].ToString(), StringComparer.Ordinal);
                var check = await forms.CheckAsync(Integration, values, Text, ct);
                if (check.IsValid)
                {
                    return await CompleteAsync(Integration, check.Credential!.Value, ct);
                }
                Values = values;
                Errors = check.Errors;
                Response.StatusCode = StatusCodes.Status422UnprocessableEntity;
                return Page();
            default:
                return Redirect(AuthorizeUrl);
        }
    }

    private async Task<bool> LoadAsync(string token, string integration, CancellationToken ct)
    {
        if (!await OpenAsync(token, ct) || (Integration = OfferedIntegration(integration)) is null)
        {
            return false;
        }
        Ui.BackUrl = Ui.Url($"{LinkBase}/{Integration.Slug}");
        Ui.Title = Integration.Auth.Mode switch
        {
            AuthMode.OAuth2 => Text["oauth.title", Integration.Name],
            AuthMode.Credentials => Text["credentials.title", Integration.Name],
            _ => Text["sandbox.title"],
        };
        return true;
    }
}
