using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Tributary.Data;
using Tributary.Server.Errors;
using Tributary.Server.OAuthApps;

namespace Tributary.Server.Push;

/// <summary>
/// Where providers post change notifications: one endpoint per provider, each verifying the
/// provider's own proof (channel token, clientState, HMAC signature) before asking for a debounced
/// incremental sync of the accounts it names. Notifications carry no data; the sync reads the
/// provider's change feed. No API key: the provider's proof is the authentication.
/// </summary>
internal static class PushEndpoints
{
    public static IEndpointRouteBuilder MapPush(this IEndpointRouteBuilder app)
    {
        // Providers call these, not API clients: they stay out of the OpenAPI document (docs/operations.md lists them).
        var push = app.MapGroup("/api/push").WithTags("Provider push").ExcludeFromDescription();
        push.MapPost("/google-drive", GoogleDriveAsync).WithName("PushGoogleDrive")
            .WithSummary("Google Drive channel notifications (changes.watch): X-Goog-Channel-ID and X-Goog-Channel-Token");
        push.MapPost("/microsoft-graph", MicrosoftGraphAsync).WithName("PushMicrosoftGraph")
            .WithSummary("Microsoft Graph change notifications: validationToken echo, clientState checked per notification");
        push.MapGet("/dropbox", DropboxChallenge).WithName("PushDropboxChallenge").WithSummary("Dropbox webhook verification: echoes ?challenge=");
        push.MapGet("/dropbox/{organizationId:guid}", DropboxChallenge).WithName("PushDropboxChallengeForOrganization")
            .WithSummary("Dropbox webhook verification for an organization's own Dropbox app");
        push.MapPost("/dropbox", (HttpContext http, TributaryDbContext db, OAuthAppStore apps, PushDebouncer debouncer, CancellationToken ct) =>
                DropboxAsync(null, http, db, apps, debouncer, ct))
            .WithName("PushDropbox").WithSummary("Dropbox notifications for the server-wide Dropbox app (X-Dropbox-Signature)");
        push.MapPost("/dropbox/{organizationId:guid}", (Guid organizationId, HttpContext http, TributaryDbContext db, OAuthAppStore apps, PushDebouncer debouncer, CancellationToken ct) =>
                DropboxAsync(organizationId, http, db, apps, debouncer, ct))
            .WithName("PushDropboxForOrganization").WithSummary("Dropbox notifications for an organization's own Dropbox app (X-Dropbox-Signature)");
        push.MapPost("/box", BoxAsync).WithName("PushBox")
            .WithSummary("Box webhook v2 deliveries: BOX-SIGNATURE-PRIMARY/SECONDARY over the body and BOX-DELIVERY-TIMESTAMP");
        return app;
    }

    internal static async Task<IResult> GoogleDriveAsync(
        HttpRequest request, TributaryDbContext db, PushChannels channels, PushDebouncer debouncer, CancellationToken ct)
    {
        var channelId = request.Headers["X-Goog-Channel-ID"].ToString();
        if (channelId.Length == 0)
        {
            throw ApiException.Detail(System.Net.HttpStatusCode.BadRequest, "X-Goog-Channel-ID is missing: this endpoint takes Google Drive channel notifications.");
        }
        var found = await PushChannels.FindAsync(db, PushProviders.GoogleDrive, [channelId], null, ct);
        if (found.Count == 0)
        {
            throw ApiException.NotFound("Unknown channel.");
        }
        var token = request.Headers["X-Goog-Channel-Token"].ToString();
        foreach (var channel in found)
        {
            if (!await channels.SecretMatchesAsync(db, channel, token, ct))
            {
                throw ApiException.Unauthorized("The channel token does not match.");
            }
        }
        // "sync" only confirms the channel was created; changes come as "change" (changes.watch) or update/add/remove/trash (files.watch).
        if (!string.Equals(request.Headers["X-Goog-Resource-State"], "sync", StringComparison.Ordinal))
        {
            foreach (var channel in found)
            {
                debouncer.Notify(channel.LinkedAccountId);
            }
        }
        return Results.Ok();
    }

    internal static async Task<IResult> MicrosoftGraphAsync(
        HttpRequest request, TributaryDbContext db, PushChannels channels, PushDebouncer debouncer, CancellationToken ct)
    {
        if (request.Query.TryGetValue("validationToken", out var validation))
        {
            // Graph checks the endpoint by asking for its token back, as plain text, within 10 s.
            request.HttpContext.Response.Headers.XContentTypeOptions = "nosniff";
            return Results.Text(validation.ToString(), "text/plain", Encoding.UTF8);
        }
        using var body = await ReadJsonAsync(request, ct);
        if (!body.RootElement.TryGetProperty("value", out var value) || value.ValueKind != JsonValueKind.Array)
        {
            throw ValidationException.For("value", "Expected Graph's change notification collection: {\"value\": [{\"subscriptionId\", \"clientState\", …}]}.");
        }
        var notifications = value.EnumerateArray()
            .Select(n => (Subscription: n.TryGetProperty("subscriptionId", out var s) ? s.GetString() : null,
                          ClientState: n.TryGetProperty("clientState", out var c) ? c.GetString() : null))
            .Where(n => !string.IsNullOrEmpty(n.Subscription)).ToList();
        var found = await PushChannels.FindAsync(db, PushProviders.MicrosoftGraph, notifications.Select(n => n.Subscription!).Distinct().ToList(), null, ct);
        var accounts = new HashSet<Guid>();
        foreach (var (subscription, clientState) in notifications)
        {
            foreach (var channel in found.Where(c => c.ExternalId == subscription))
            {
                // One forged item fails the whole batch: nothing in it is trusted.
                if (!await channels.SecretMatchesAsync(db, channel, clientState, ct))
                {
                    throw ApiException.Unauthorized("A notification's clientState does not match its subscription.");
                }
                accounts.Add(channel.LinkedAccountId);
            }
        }
        foreach (var account in accounts)
        {
            debouncer.Notify(account);
        }
        return Results.Accepted();
    }

    internal static IResult DropboxChallenge(HttpContext http, string? challenge)
    {
        if (string.IsNullOrEmpty(challenge))
        {
            throw ValidationException.For("challenge", "Dropbox verifies this endpoint with ?challenge=…; it is missing.");
        }
        http.Response.Headers.XContentTypeOptions = "nosniff";
        return Results.Text(challenge, "text/plain", Encoding.UTF8);
    }

    internal static async Task<IResult> DropboxAsync(
        Guid? organizationId, HttpContext http, TributaryDbContext db, OAuthAppStore apps, PushDebouncer debouncer, CancellationToken ct)
    {
        var request = http.Request;
        var secret = organizationId is { } org
            ? (await apps.FindAsync(db, org, "dropbox", ct))?.ClientSecret
            : http.RequestServices.GetRequiredService<IConfiguration>()["Integrations:dropbox:ClientSecret"];
        if (string.IsNullOrEmpty(secret))
        {
            throw ApiException.NotFound("No Dropbox app is configured here, so its notifications cannot be verified.");
        }
        var raw = await ReadBytesAsync(request, ct);
        var presented = request.Headers["X-Dropbox-Signature"].ToString();
        var expected = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), raw));
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(presented.ToLowerInvariant())))
        {
            throw ApiException.Unauthorized("X-Dropbox-Signature does not match the body.");
        }
        using var body = Parse(raw);
        var ids = new List<string>();
        if (body.RootElement.TryGetProperty("list_folder", out var listFolder) && listFolder.TryGetProperty("accounts", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            ids.AddRange(list.EnumerateArray().Select(a => a.GetString()).OfType<string>());
        }
        foreach (var channel in await PushChannels.FindAsync(db, PushProviders.Dropbox, ids.Distinct().ToList(), organizationId, ct))
        {
            debouncer.Notify(channel.LinkedAccountId);
        }
        return Results.Ok();
    }

    internal static async Task<IResult> BoxAsync(
        HttpRequest request, TributaryDbContext db, PushDebouncer debouncer, IOptions<PushOptions> options, TimeProvider time, CancellationToken ct)
    {
        var o = options.Value;
        if (string.IsNullOrEmpty(o.BoxPrimaryKey) && string.IsNullOrEmpty(o.BoxSecondaryKey))
        {
            throw ApiException.NotFound("No Box signature keys are configured here (Push:BoxPrimaryKey), so Box notifications cannot be verified.");
        }
        var raw = await ReadBytesAsync(request, ct);
        var timestamp = request.Headers["BOX-DELIVERY-TIMESTAMP"].ToString();
        if (!DateTimeOffset.TryParse(timestamp, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var deliveredAt)
            || time.GetUtcNow() - deliveredAt > o.BoxMaxAge)
        {
            throw ApiException.Unauthorized("BOX-DELIVERY-TIMESTAMP is missing or older than allowed (replay protection).");
        }
        var signed = new byte[raw.Length + Encoding.UTF8.GetByteCount(timestamp)];
        raw.CopyTo(signed, 0);
        Encoding.UTF8.GetBytes(timestamp, signed.AsSpan(raw.Length));
        if (!BoxSignatureMatches(o.BoxPrimaryKey, signed, request.Headers["BOX-SIGNATURE-PRIMARY"])
            && !BoxSignatureMatches(o.BoxSecondaryKey, signed, request.Headers["BOX-SIGNATURE-SECONDARY"]))
        {
            throw ApiException.Unauthorized("Neither BOX-SIGNATURE-PRIMARY nor BOX-SIGNATURE-SECONDARY matches the body.");
        }
        using var body = Parse(raw);
        if (body.RootElement.TryGetProperty("webhook", out var webhook) && webhook.TryGetProperty("id", out var id) && id.GetString() is { } webhookId)
        {
            foreach (var channel in await PushChannels.FindAsync(db, PushProviders.Box, [webhookId], null, ct))
            {
                debouncer.Notify(channel.LinkedAccountId);
            }
        }
        return Results.Ok();
    }

    private static bool BoxSignatureMatches(string? key, byte[] signed, string? presented)
    {
        if (string.IsNullOrEmpty(key) || string.IsNullOrEmpty(presented))
        {
            return false;
        }
        var expected = Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), signed));
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(presented));
    }

    // The signature covers the exact bytes, so the body is read raw (the request body limit bounds it).
    private static async Task<byte[]> ReadBytesAsync(HttpRequest request, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, ct);
        return buffer.ToArray();
    }

    private static async Task<JsonDocument> ReadJsonAsync(HttpRequest request, CancellationToken ct) => Parse(await ReadBytesAsync(request, ct));

    private static JsonDocument Parse(byte[] raw)
    {
        try
        {
            return JsonDocument.Parse(raw);
        }
        catch (JsonException)
        {
            throw ApiException.Detail(System.Net.HttpStatusCode.BadRequest, "The notification body is not valid JSON.");
        }
    }
}

internal static class PushServices
{
    public static IServiceCollection AddPush(this IServiceCollection services)
    {
        services.AddOptions<PushOptions>().BindConfiguration(PushOptions.SectionName).ValidateOnStart();
        services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<PushOptions>, PushOptionsValidator>();
        services.AddSingleton<PushChannels>();
        services.AddSingleton<PushSubscriptionManager>();
        services.AddSingleton<PushSubscriptionRequests>();
        services.AddSingleton<PushDebouncer>();
        Microsoft.Extensions.DependencyInjection.Extensions.ServiceCollectionDescriptorExtensions.TryAddSingleton<ISyncRequests, SchedulerSyncRequests>(services);
        return services;
    }
}
