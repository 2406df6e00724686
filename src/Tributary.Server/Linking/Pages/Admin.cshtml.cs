using Microsoft.AspNetCore.Mvc;
using Tributary.Integrations.Catalog;

namespace Tributary.Server.Linking.Pages;

/// <summary>
/// The admin-needed screen: a magic link to this same session for the end user's admin of the
/// provider, unless the link token set <c>hide_admin_magic_link</c>.
/// </summary>
internal sealed class AdminModel(LinkPageServices services) : LinkPageModel(services)
{
    public IntegrationDefinition? Integration { get; private set; }
    public string? AdminLink { get; private set; }

    public async Task<IActionResult> OnGetAsync(string token, string integration, CancellationToken ct)
    {
        if (!await OpenAsync(token, ct) || (Integration = OfferedIntegration(integration)) is null)
        {
            return Page();
        }
        Ui.BackUrl = Ui.Url($"{LinkBase}/{Integration.Slug}/connect");
        Ui.Title = Text["admin.title", Integration.Name];
        if (!Session.HideAdminMagicLink)
        {
            AdminLink = $"{PublicUrls.Base(HttpContext)}/magic-link/{Uri.EscapeDataString(Token)}";
        }
        return Page();
    }
}
