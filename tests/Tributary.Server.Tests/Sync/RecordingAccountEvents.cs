using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Tributary.Data;
using Tributary.Data.Entities;
using Tributary.Server.Events;

namespace Tributary.Server.Tests.Sync;

/// <summary>An <see cref="IAccountEvents"/> that remembers every call, for asserting what the sync told the webhook side.</summary>
internal sealed class RecordingAccountEvents : IAccountEvents
{
    public sealed record Changed(string Model, IReadOnlyList<Guid> Added, IReadOnlyList<Guid> Changes, IReadOnlyList<Guid> Removed);

    public ConcurrentQueue<Changed> RecordsChanged { get; } = new();
    public ConcurrentQueue<(bool Succeeded, long Records)> SyncsCompleted { get; } = new();
    public ConcurrentQueue<string> RelinksNeeded { get; } = new();

    public Action<IServiceCollection> Install => services =>
    {
        services.RemoveAll<IAccountEvents>();
        services.AddSingleton<IAccountEvents>(this);
    };

    public ValueTask LinkedAsync(TributaryDbContext db, LinkedAccount account, bool isRelink, bool withAccountToken, CancellationToken ct) => ValueTask.CompletedTask;

    public ValueTask DeletedAsync(TributaryDbContext db, LinkedAccount account, CancellationToken ct) => ValueTask.CompletedTask;

    public ValueTask RecordsChangedAsync(
        TributaryDbContext db, LinkedAccount account, string commonModel, IReadOnlyList<Guid> added, IReadOnlyList<Guid> changed, IReadOnlyList<Guid> removed,
        CancellationToken ct)
    {
        RecordsChanged.Enqueue(new Changed(commonModel, [.. added], [.. changed], [.. removed]));
        return ValueTask.CompletedTask;
    }

    public ValueTask SyncCompletedAsync(TributaryDbContext db, LinkedAccount account, string category, bool succeeded, long records, CancellationToken ct)
    {
        SyncsCompleted.Enqueue((succeeded, records));
        return ValueTask.CompletedTask;
    }

    public ValueTask RelinkNeededAsync(TributaryDbContext db, LinkedAccount account, string reason, CancellationToken ct)
    {
        RelinksNeeded.Enqueue(reason);
        return ValueTask.CompletedTask;
    }
}
