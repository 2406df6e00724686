namespace Tributary.Server.Push;

/// <summary>Inbound provider notifications (section <c>Push</c>).</summary>
internal sealed class PushOptions
{
    public const string SectionName = "Push";

    /// <summary>
    /// The first notification for an account asks for a sync at once; more within this window are
    /// folded into one more sync when it ends. Providers send bursts (one per changed item).
    /// </summary>
    public TimeSpan DebounceWindow { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Box app's primary signature key (Developer Console → Webhooks → Manage signature keys).</summary>
    public string? BoxPrimaryKey { get; set; }

    /// <summary>Box app's secondary signature key, valid alongside the primary while you rotate.</summary>
    public string? BoxSecondaryKey { get; set; }

    /// <summary>How old a Box delivery timestamp may be (Box's guidance: 10 minutes).</summary>
    public TimeSpan BoxMaxAge { get; set; } = TimeSpan.FromMinutes(10);
}
