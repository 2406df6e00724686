using Tributary.Data;
using Tributary.Data.Entities;
using Tributary.Data.Entities.AgentHandler;
using Tributary.Integrations.Catalog;
using Tributary.Server.Auth;

namespace Tributary.Server.AgentHandler.LinkTokens;

/// <summary>What a new Agent Handler link token is for.</summary>
internal sealed record AgentLinkRequest(
    RegisteredUser User, IntegrationDefinition Connector, string AuthScope, string? CallbackUrl, string? State, int ExpiryMinutes);

internal sealed record AgentLinkToken(Guid SessionId, string LinkToken, string MagicLinkUrl, DateTime ExpiresAt);

/// <summary>
/// Creates the link session of an Agent Handler link token: a normal Link session (so the hosted
/// Link UI, the embed script and the magic link complete it) that belongs to a registered user
/// and a connector, and carries the callback URL and state.
/// </summary>
internal sealed class AgentLinkTokens(TimeProvider time)
{
    public const int DefaultExpiryMinutes = 30;

    /// <summary>How long a code handed to the callback can be exchanged.</summary>
    public static readonly TimeSpan CodeLifetime = TimeSpan.FromMinutes(5);

    public async Task<AgentLinkToken> CreateAsync(TributaryDbContext db, AgentLinkRequest request, string publicBaseUrl, CancellationToken ct)
    {
        var user = request.User;
        var token = Secrets.Create(Secrets.LinkTokenPrefix);
        var now = time.GetUtcNow();
        var session = new LinkSession
        {
            Id = Guid.CreateVersion7(now),
            OrganizationId = user.OrganizationId,
            Environment = user.Environment,
            LinkTokenHash = Secrets.Hash(token),
            // The magic link page shows who the link is for ("created for {who} at {where}").
            EndUserEmailAddress = Truncate(user.OriginUserEmail ?? user.OriginUserName ?? user.OriginUserId),
            EndUserOrganizationName = Truncate(user.OriginCompanyName ?? user.OriginCompanyId ?? user.OriginUserId),
            EndUserOriginId = user.OriginUserId,
            Categories = string.Join(',', request.Connector.Categories),
            Integration = request.Connector.Slug,
            IsMagicLink = true,
            HideAdminMagicLink = true,
            Language = "en",
            Status = LinkSessionStatus.Open,
            CreatedAt = now.UtcDateTime,
            ExpiresAt = now.AddMinutes(request.ExpiryMinutes).UtcDateTime,
            LinkedAccountId = await AgentCredentials.ExistingAsync(db, user, request.Connector.Slug, request.AuthScope, ct),
            RegisteredUserId = user.Id,
            AgentAuthScope = request.AuthScope,
            SharedCredentialGroup = request.AuthScope == AuthScopes.Shared ? user.OriginCompanyId : null,
            CallbackUrl = request.CallbackUrl,
            CallbackState = request.State,
        };
        db.LinkSessions.Add(session);
        await db.SaveChangesAsync(ct);
        return new AgentLinkToken(session.Id, token, $"{publicBaseUrl}/magic-link/{token}", session.ExpiresAt);
    }

    private static string Truncate(string value) => value.Length <= 100 ? value : value[..100];
}

/// <summary>The query parameters Tributary appends to a callback URL, and the redirect itself.</summary>
internal static class AgentCallback
{
    /// <summary>The documented <c>status</c> values.</summary>
    public const string Success = "success";
    public const string Exit = "exit";

    public static string Url(LinkSession session, string status, string? code)
    {
        var url = session.CallbackUrl!;
        var fragment = "";
        var hash = url.IndexOf('#', StringComparison.Ordinal);
        if (hash >= 0)
        {
            fragment = url[hash..];
            url = url[..hash];
        }
        var parameters = new List<string> { "status=" + Uri.EscapeDataString(status) };
        if (code is not null)
        {
            parameters.Add("code=" + Uri.EscapeDataString(code));
        }
        if (session.CallbackState is not null)
        {
            parameters.Add("state=" + Uri.EscapeDataString(session.CallbackState));
        }
        return url + (url.Contains('?', StringComparison.Ordinal) ? "&" : "?") + string.Join('&', parameters) + fragment;
    }

    /// <summary>Browsers follow a redirect to https (or loopback http); other schemes need the user's click.</summary>
    public static bool IsWeb(string url) =>
        url.StartsWith("https://", StringComparison.OrdinalIgnoreCase) || url.StartsWith("http://", StringComparison.OrdinalIgnoreCase);
}
