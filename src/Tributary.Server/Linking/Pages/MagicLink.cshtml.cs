using Microsoft.AspNetCore.Mvc;
using Tributary.Integrations.Catalog;

namespace Tributary.Server.Linking.Pages;

/// <summary>
/// <c>GET /magic-link/{link_token}</c>: Link as a page of its own. Mail scanners fetch links before
/// people do, so the GET only shows who asks whom to connect what; the end user's click (a POST
/// with the session's form token) starts the flow.
/// </summary>
internal sealed class MagicLinkModel(LinkPageServices services) : LinkPageModel(services)
{
    public IntegrationDefinition? Integration { get; private set; }

    /// <summary>What is to be connected when no integration is preselected, e.g. "your file storage".</summary>
    public string What { get; private set; } = "";

    public async Task<IActionResult> OnGetAsync(string token, CancellationToken ct)
    {
        if (!await OpenAsync(token, ct))
        {
            return Page();
        }
        var offered = Services.Flow.OfferedIntegrations(Session);
        Integration = Session.Integration is null || offered.Count == 0 ? null : offered[0];
        What = Session.Categories.Split(',').Contains("filestorage") ? Text["magic.your.filestorage"] : Text["magic.your.other"];
        Ui.Title = Text["magic.title", OrganizationName, Integration?.Name ?? What];
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(string token, CancellationToken ct)
    {
        if (!await OpenAsync(token, ct) || !FormIsGenuine())
        {
            return Page();
        }
        return SeeOther(Ui.Url($"/link/{Uri.EscapeDataString(token)}"));
    }
}
