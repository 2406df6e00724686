using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Tributary.Server.Tests.Connectors.Fakes;

namespace Tributary.Server.Tests.Connectors.MicrosoftGraph;

/// <summary>A change-notification subscription the Graph fake holds.</summary>
internal sealed record FakeGraphSubscription(string Id, string DriveId, string Resource, Uri NotificationUrl, string? ClientState)
{
    public DateTimeOffset ExpiresAt { get; set; }
}

/// <summary>
/// Graph's change notifications, as Graph does them: <c>POST /subscriptions</c> first validates the
/// notification URL (<c>POST {url}?validationToken=…</c>, which must answer 200 <c>text/plain</c> with the
/// token within 10 s) and fails the creation otherwise; driveItem subscriptions take only <c>updated</c>,
/// only a drive root, and at most 42,300 minutes; a change anywhere in the drive then sends
/// <c>{"value": [{subscriptionId, clientState, changeType, resource, subscriptionExpirationDateTime, tenantId}]}</c>
/// to every live subscription on it.
/// </summary>
internal sealed partial class GraphFake
{
    public const int MaxSubscriptionMinutes = 42_300;
    public const string TenantId = "0d1b7a3c-7c36-4a8e-9a5d-6f3f0f9c2b11";

    public ConcurrentDictionary<string, FakeGraphSubscription> Subscriptions { get; } = new(StringComparer.Ordinal);

    public FakeNotifier Notifier { get; } = new();

    /// <summary>How long the validation request may take (Graph: 10 s).</summary>
    public TimeSpan ValidationTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Validation requests sent, with what came back.</summary>
    public ConcurrentQueue<(Uri Url, int Status, string? ContentType, string Body)> Validations { get; } = new();

    private async Task<(int, JsonNode?)> CreateSubscriptionAsync(HttpContext context)
    {
        var body = await JsonNode.ParseAsync(context.Request.Body) as JsonObject;
        var changeType = body?["changeType"]?.GetValue<string>();
        var resource = body?["resource"]?.GetValue<string>();
        var url = body?["notificationUrl"]?.GetValue<string>();
        var expiration = body?["expirationDateTime"]?.GetValue<string>();
        if (changeType is null || resource is null || url is null || expiration is null)
        {
            return (400, ErrorJson("InvalidRequest", "changeType, notificationUrl, resource and expirationDateTime are required."));
        }
        if (changeType != "updated")
        {
            return (400, ErrorJson("InvalidRequest", $"'{changeType}' is not a supported change type for driveItem; only 'updated' is."));
        }
        if (!Uri.TryCreate(url, UriKind.Absolute, out var notificationUrl) || notificationUrl.Scheme is not ("https" or "http"))
        {
            return (400, ErrorJson("InvalidRequest", "notificationUrl must be an absolute URL."));
        }
        if (!DateTimeOffset.TryParse(expiration, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var expiresAt))
        {
            return (400, ErrorJson("InvalidRequest", "expirationDateTime is not a date."));
        }
        if (ExpirationProblem(expiresAt) is { } problem)
        {
            return problem;
        }
        var driveId = DriveOfResource(resource);
        if (driveId is null)
        {
            return (400, ErrorJson("InvalidRequest", $"Resource '{resource}' is not supported: driveItem subscriptions are only allowed on the root of a drive."));
        }
        if (Drive(driveId) is null)
        {
            return NotFound("drive");
        }

        // Graph validates the endpoint synchronously and fails the creation unless it echoes the token in time.
        var token = "Validation: Testing client application reachability for subscription Request-Id: " + Guid.NewGuid();
        var validationUrl = new UriBuilder(notificationUrl) { Query = Append(notificationUrl.Query, "validationToken=" + Uri.EscapeDataString(token)) }.Uri;
        using var validation = new HttpRequestMessage(HttpMethod.Post, validationUrl) { Content = new StringContent("", System.Text.Encoding.UTF8, "text/plain") };
        var (status, contentType, answer) = await Notifier.RequestAsync(validation, ValidationTimeout);
        Validations.Enqueue((validationUrl, status, contentType, answer));
        if (status != 200 || contentType != "text/plain" || answer != token)
        {
            return (400, ErrorJson("InvalidRequest",
                "Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request."));
        }

        var subscription = new FakeGraphSubscription(Guid.NewGuid().ToString(), driveId, resource, notificationUrl, body?["clientState"]?.GetValue<string>())
        {
            ExpiresAt = expiresAt,
        };
        Subscriptions[subscription.Id] = subscription;
        return (201, SubscriptionJson(subscription));
    }

    private async Task<(int, JsonNode?)> RenewSubscriptionAsync(HttpContext context, string id)
    {
        if (!Subscriptions.TryGetValue(id, out var subscription) || subscription.ExpiresAt <= TimeProvider.System.GetUtcNow())
        {
            return (404, ErrorJson("ResourceNotFound", $"The object was not found: subscription {id}."));
        }
        var body = await JsonNode.ParseAsync(context.Request.Body) as JsonObject;
        if (body?["expirationDateTime"]?.GetValue<string>() is not { } raw
            || !DateTimeOffset.TryParse(raw, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var expiresAt))
        {
            return (400, ErrorJson("InvalidRequest", "expirationDateTime is required."));
        }
        if (ExpirationProblem(expiresAt) is { } problem)
        {
            return problem;
        }
        subscription.ExpiresAt = expiresAt;
        return (200, SubscriptionJson(subscription));
    }

    private (int, JsonNode?) DeleteSubscription(string id) =>
        Subscriptions.TryRemove(id, out _) ? (204, null) : (404, ErrorJson("ResourceNotFound", $"The object was not found: subscription {id}."));

    private static (int, JsonNode?)? ExpirationProblem(DateTimeOffset expiresAt)
    {
        var now = TimeProvider.System.GetUtcNow();
        if (expiresAt <= now)
        {
            return (400, ErrorJson("InvalidRequest", "Subscription expiration must be in the future."));
        }
        if (expiresAt > now.AddMinutes(MaxSubscriptionMinutes))
        {
            return (400, ErrorJson("InvalidRequest", $"Subscription expiration can only be {MaxSubscriptionMinutes} minutes in the future."));
        }
        return null;
    }

    private string? DriveOfResource(string resource)
    {
        var segments = resource.Trim('/').Split('/');
        return segments switch
        {
            ["drives", var driveId, "root"] => driveId,
            ["me", "drive", "root"] when Flavor == GraphFlavor.OneDrive => Tree.Drives[0].Id,
            ["sites", var siteId, "drive", "root"] => Sites.FirstOrDefault(s => s.Id == siteId)?.DriveIds[0],
            _ => null,
        };
    }

    private static JsonObject SubscriptionJson(FakeGraphSubscription subscription) => new()
    {
        ["id"] = subscription.Id,
        ["resource"] = subscription.Resource,
        ["applicationId"] = FakeTokens.ClientId,
        ["changeType"] = "updated",
        ["clientState"] = subscription.ClientState,
        ["notificationUrl"] = subscription.NotificationUrl.AbsoluteUri,
        ["expirationDateTime"] = Date(subscription.ExpiresAt),
        ["creatorId"] = "user-me",
        ["latestSupportedTlsVersion"] = "v1_2",
        ["includeResourceData"] = false,
    };

    /// <summary>A change anywhere in a drive notifies every live subscription on that drive's root.</summary>
    private void NotifySubscribers(FakeChange change, FakeItem item)
    {
        var now = TimeProvider.System.GetUtcNow();
        foreach (var subscription in Subscriptions.Values.Where(s => s.DriveId == item.DriveId && s.ExpiresAt > now))
        {
            var body = new JsonObject
            {
                ["value"] = new JsonArray(new JsonObject
                {
                    ["subscriptionId"] = subscription.Id,
                    ["clientState"] = subscription.ClientState,
                    ["changeType"] = "updated",
                    ["resource"] = subscription.Resource,
                    ["subscriptionExpirationDateTime"] = Date(subscription.ExpiresAt),
                    ["tenantId"] = TenantId,
                }),
            };
            Notifier.Send(subscription.NotificationUrl, body.ToJsonString(), "application/json");
        }
    }

    private static string Append(string query, string parameter) => query.Length > 1 ? query[1..] + "&" + parameter : parameter;
}
