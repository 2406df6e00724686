using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Tributary.Server.Tests.Connectors.Fakes;

namespace Tributary.Server.Tests.Connectors.Dropbox;

/// <summary>
/// Dropbox's app webhook: one URI per app, set in the App Console (here by the test, as <see cref="WebhookUri"/>),
/// and on every change a POST of <c>{"list_folder": {"accounts": [...]}, "delta": {"users": [...]}}</c> signed with
/// <c>X-Dropbox-Signature</c> = hex HMAC-SHA256(app secret, body). Dropbox has no API to subscribe.
/// </summary>
internal sealed partial class DropboxFake
{
    /// <summary>The legacy numeric user id the <c>delta</c> part of a notification names.</summary>
    public const long LegacyUserId = 12345678;

    /// <summary>The app's webhook URI (App Console → Webhooks); null sends nothing.</summary>
    public Uri? WebhookUri { get; set; }

    /// <summary>The app secret the notifications are signed with.</summary>
    public string AppSecret { get; set; } = FakeTokens.ClientSecret;

    public FakeNotifier Notifier { get; } = new();

    private void NotifyWebhook(FakeChange change, FakeItem item)
    {
        if (WebhookUri is not { } uri)
        {
            return;
        }
        var body = new JsonObject
        {
            ["list_folder"] = new JsonObject { ["accounts"] = new JsonArray(AccountId(Tree.Me.Id)) },
            ["delta"] = new JsonObject { ["users"] = new JsonArray(LegacyUserId) },
        }.ToJsonString();
        var signature = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(AppSecret), Encoding.UTF8.GetBytes(body)));
        Notifier.Send(uri, body, "application/json", request => request.Headers.Add("X-Dropbox-Signature", signature));
    }
}
