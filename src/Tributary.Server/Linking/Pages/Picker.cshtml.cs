using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Tributary.Integrations.Catalog;

namespace Tributary.Server.Linking.Pages;

/// <summary>The integration picker: the session's integrations with logos and a search; skipped when one is preselected.</summary>
internal sealed class PickerModel(LinkPageServices services, IntegrationCatalog catalog) : LinkPageModel(services)
{
    public IReadOnlyList<IntegrationDefinition> Offered { get; private set; } = [];
    public string? Query { get; private set; }

    /// <summary>The integration of the account this session relinks, if any.</summary>
    public IntegrationDefinition? Relinking { get; private set; }

    public async Task<IActionResult> OnGetAsync(string token, string? q, CancellationToken ct)
    {
        if (!await OpenAsync(token, ct))
        {
            return Page();
        }
        Offered = Services.Flow.OfferedIntegrations(Session);
        if (Session.Integration is not null && Offered.Count == 1)
        {
            return Redirect(Ui.Url($"{LinkBase}/{Offered[0].Slug}"));
        }
        Query = string.IsNullOrWhiteSpace(q) ? null : q.Trim();
        Ui.Title = Text["picker.title"];
        if (Session.LinkedAccountId is { } accountId)
        {
            var slug = await Services.Db.LinkedAccounts.IgnoreQueryFilters().AsNoTracking()
                .Where(a => a.Id == accountId).Select(a => a.IntegrationSlug).SingleOrDefaultAsync(ct);
            Relinking = slug is null ? null : catalog.Find(slug);
        }
        return Page();
    }

    public bool Matches(IntegrationDefinition integration) =>
        Query is null
        || integration.Name.Contains(Query, StringComparison.OrdinalIgnoreCase)
        || integration.Slug.Contains(Query, StringComparison.OrdinalIgnoreCase)
        || integration.AbbreviatedName.Contains(Query, StringComparison.OrdinalIgnoreCase);
}
