using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using Tributary.Data.Entities;
using Tributary.Integrations.Catalog;
using Tributary.Server.Auth;

namespace Tributary.Server.Linking.Pages;

/// <summary>
/// Hands embedded Link the public token after the provider sign-in finished in a popup. The
/// popup's own window cannot reach the iframe reliably (providers' opener policies cut the link),
/// so the iframe, having seen the session complete, posts here and gets a freshly minted public
/// token; the one minted at the callback, never shown to anyone, stops working.
/// </summary>
internal sealed class FinishModel(LinkPageServices services, IntegrationCatalog catalog) : LinkPageModel(services)
{
    public IActionResult OnGet(string token) => Redirect(Ui.Url($"/link/{Uri.EscapeDataString(token)}"));

    public async Task<IActionResult> OnPostAsync(string token, CancellationToken ct)
    {
        if (!await OpenAsync(token, ct, allowCompleted: true) || !FormIsGenuine())
        {
            return Page();
        }
        var now = Services.Time.GetUtcNow().UtcDateTime;
        if (Session.Status != LinkSessionStatus.Completed || Session.PublicTokenExpiresAt <= now || Session.LinkedAccountId is null)
        {
            // Still open: the sign-in has not finished; back to the start of the flow.
            return Session.Status == LinkSessionStatus.Open ? SeeOther(Ui.Url($"/link/{Uri.EscapeDataString(token)}")) : ShowUsed();
        }
        var slug = await Services.Db.LinkedAccounts.IgnoreQueryFilters().AsNoTracking()
            .Where(a => a.Id == Session.LinkedAccountId).Select(a => a.IntegrationSlug).SingleOrDefaultAsync(ct);
        if (slug is null || catalog.Find(slug) is not { } integration)
        {
            return ShowUsed();
        }
        var publicToken = Secrets.Create(Secrets.PublicTokenPrefix);
        Session.PublicTokenHash = Secrets.Hash(publicToken);
        Session.PublicTokenExpiresAt = now + LinkedAccounts.AccountTokenEndpoints.PublicTokenLifetime;
        await Services.Db.SaveChangesAsync(ct);
        return ShowDone(integration, publicToken, inPopup: false);
    }

    private PageResult ShowUsed() =>
        ShowProblem(new LinkProblem(StatusCodes.Status410Gone, Text["problem.used.title"], Text["problem.used.lead", OrganizationName]),
            "used_link_token", "The link token was already used and its public token collected or expired.");
}
