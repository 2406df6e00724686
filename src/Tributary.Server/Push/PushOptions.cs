namespace Tributary.Server.Push;

/// <summary>Inbound provider notifications (section <c>Push</c>).</summary>
internal sealed class PushOptions
{
    public const string SectionName = "Push";

    /// <summary>
    /// The first notification for an account asks for a sync at once; more within this window are
    /// folded into one more sync when it ends. Providers send bursts (one per changed item). A change
    /// notified inside the window waits for its end, so the window plus one incremental sync is the
    /// worst-case push-to-API latency: 1 s keeps that under 2 s (docs/benchmarks.md, push) while a
    /// burst still costs at most one sync per second per account.
    /// </summary>
    public TimeSpan DebounceWindow { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Box app's primary signature key (Developer Console → Webhooks → Manage signature keys).</summary>
    public string? BoxPrimaryKey { get; set; }

    /// <summary>Box app's secondary signature key, valid alongside the primary while you rotate.</summary>
    public string? BoxSecondaryKey { get; set; }

    /// <summary>How old a Box delivery timestamp may be (Box's guidance: 10 minutes).</summary>
    public TimeSpan BoxMaxAge { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// The address providers reach this deployment at (e.g. <c>https://tributary.example.com</c>);
    /// notifications go to <c>{PublicBaseUrl}/api/push/{provider}</c>. Unset: no provider-side
    /// subscriptions are created and accounts are only polled.
    /// </summary>
    public Uri? PublicBaseUrl { get; set; }

    /// <summary>Subscriptions that expire within this window are renewed (Drive channels live a week at most).</summary>
    public TimeSpan RenewBefore { get; set; } = TimeSpan.FromDays(1);

    /// <summary>How often the subscription job looks for accounts without a live subscription or with one about to expire.</summary>
    public TimeSpan SubscriptionCheckInterval { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How long deleting an account waits for the provider to stop its subscriptions before deleting anyway.</summary>
    public TimeSpan UnsubscribeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The notification address of <paramref name="provider"/>, or null when push subscriptions are off.</summary>
    public Uri? NotificationUrl(string provider) =>
        PublicBaseUrl is null ? null : new Uri(PublicBaseUrl.AbsoluteUri.TrimEnd('/') + "/api/push/" + provider);
}

/// <summary>Names the setting to fix when a push option cannot work.</summary>
internal sealed class PushOptionsValidator : Microsoft.Extensions.Options.IValidateOptions<PushOptions>
{
    public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, PushOptions options)
    {
        var failures = new List<string>();
        if (options.PublicBaseUrl is { } url && (!url.IsAbsoluteUri || url.Scheme is not ("https" or "http") || !string.IsNullOrEmpty(url.Query)))
        {
            failures.Add($"Push:PublicBaseUrl must be an absolute https:// address without a query, where providers can reach this server " +
                $"(e.g. Push__PublicBaseUrl=https://tributary.example.com); \"{url}\" is not.");
        }
        if (options.RenewBefore <= TimeSpan.Zero)
        {
            failures.Add("Push:RenewBefore must be more than zero.");
        }
        if (options.SubscriptionCheckInterval < TimeSpan.FromSeconds(1))
        {
            failures.Add("Push:SubscriptionCheckInterval must be at least one second.");
        }
        if (options.SubscriptionCheckInterval >= options.RenewBefore)
        {
            failures.Add("Push:SubscriptionCheckInterval must be shorter than Push:RenewBefore, or subscriptions lapse between two checks.");
        }
        if (options.UnsubscribeTimeout <= TimeSpan.Zero)
        {
            failures.Add("Push:UnsubscribeTimeout must be more than zero.");
        }
        return failures.Count == 0 ? Microsoft.Extensions.Options.ValidateOptionsResult.Success : Microsoft.Extensions.Options.ValidateOptionsResult.Fail(failures);
    }
}
