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
}
