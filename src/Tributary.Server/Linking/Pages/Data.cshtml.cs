using Microsoft.AspNetCore.Mvc;
using Tributary.Integrations.Catalog;
using Tributary.Server.Linking.Ui;

namespace Tributary.Server.Linking.Pages;

/// <summary>The requested-data screen: which common models the organization will read (or write), from the link token's scopes.</summary>
internal sealed class DataModel(LinkPageServices services) : LinkPageModel(services)
{
    public IntegrationDefinition? Integration { get; private set; }
    public IReadOnlyList<RequestedModel> Models { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(string token, string integration, CancellationToken ct)
    {
        if (!await OpenAsync(token, ct) || (Integration = OfferedIntegration(integration)) is null)
        {
            return Page();
        }
        if (Session.Integration is null)
        {
            Ui.BackUrl = Ui.Url(LinkBase);
        }
        if (Integration.Auth.Mode == AuthMode.OAuth2 && !await OAuthConfiguredAsync(Integration, ct))
        {
            return Page();
        }
        Models = RequestedData.For(Integration.Categories.Where(Session.Categories.Split(',').Contains), Session.ScopesJson);
        Ui.Title = Text["data.title", OrganizationName, Integration.Name];
        return Page();
    }
}
