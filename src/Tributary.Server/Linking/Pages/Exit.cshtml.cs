using Microsoft.AspNetCore.Mvc;

namespace Tributary.Server.Linking.Pages;

/// <summary>The end user left Link without connecting (the magic link's Cancel): the session ends, the exit screen shows.</summary>
internal sealed class ExitModel(LinkPageServices services) : LinkPageModel(services)
{
    public IActionResult OnGet(string token) => Redirect(Ui.Url($"/link/{Uri.EscapeDataString(token)}"));

    public async Task<IActionResult> OnPostAsync(string token, CancellationToken ct)
    {
        if (!await OpenAsync(token, ct) || !FormIsGenuine())
        {
            return Page();
        }
        await Services.Flow.ExitAsync(Session, ct);
        Ui.Title = Text["exit.title"];
        if (Ui.Embedded)
        {
            Ui.EmbedMessage = new { type = "exit" };
        }
        else if (Session.CallbackUrl is not null)
        {
            GoToCallback(AgentHandler.LinkTokens.AgentCallback.Url(Session, AgentHandler.LinkTokens.AgentCallback.Exit, code: null));
        }
        return Page();
    }
}
