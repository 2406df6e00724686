using Tributary.Data;
using Tributary.Data.Entities;

namespace Tributary.Server.Events;

/// <summary>
/// What happened to a linked account and its data, told to whoever turns it into outbound webhooks.
/// Each call adds rows to the given context without saving: the caller's next save commits the
/// event together with the change that caused it (an outbox), so an event is never lost or sent for
/// a change that rolled back.
/// </summary>
internal interface IAccountEvents
{
    /// <summary>
    /// A link (or relink) completed: Merge's <c>LinkedAccount.linked</c>. With
    /// <paramref name="withAccountToken"/> (magic links, where no frontend receives a public token) and a
    /// receiver subscribed, the account's token is minted now and sent in the event.
    /// </summary>
    ValueTask LinkedAsync(TributaryDbContext db, LinkedAccount account, bool isRelink, bool withAccountToken, CancellationToken ct);

    /// <summary>The account was deleted: <c>LinkedAccount.deleted</c>.</summary>
    ValueTask DeletedAsync(TributaryDbContext db, LinkedAccount account, CancellationToken ct);

    /// <summary>A committed sync page added, changed or removed rows of one common model (store ids), e.g. <c>FileStorageFile.added</c>.</summary>
    ValueTask RecordsChangedAsync(
        TributaryDbContext db, LinkedAccount account, string commonModel, IReadOnlyList<Guid> added, IReadOnlyList<Guid> changed, IReadOnlyList<Guid> removed,
        CancellationToken ct);

    /// <summary>A sync run finished (successfully or not): <c>LinkedAccount.sync_completed</c>.</summary>
    ValueTask SyncCompletedAsync(TributaryDbContext db, LinkedAccount account, string category, bool succeeded, long records, CancellationToken ct);

    /// <summary>The provider refused the credential for good; the account is now <c>RELINK_NEEDED</c>.</summary>
    ValueTask RelinkNeededAsync(TributaryDbContext db, LinkedAccount account, string reason, CancellationToken ct);
}

/// <summary>Used until outbound webhooks are registered: events go nowhere.</summary>
internal sealed class NoAccountEvents : IAccountEvents
{
    public ValueTask LinkedAsync(TributaryDbContext db, LinkedAccount account, bool isRelink, bool withAccountToken, CancellationToken ct) => ValueTask.CompletedTask;

    public ValueTask DeletedAsync(TributaryDbContext db, LinkedAccount account, CancellationToken ct) => ValueTask.CompletedTask;

    public ValueTask RecordsChangedAsync(
        TributaryDbContext db, LinkedAccount account, string commonModel, IReadOnlyList<Guid> added, IReadOnlyList<Guid> changed, IReadOnlyList<Guid> removed,
        CancellationToken ct) => ValueTask.CompletedTask;

    public ValueTask SyncCompletedAsync(TributaryDbContext db, LinkedAccount account, string category, bool succeeded, long records, CancellationToken ct) =>
        ValueTask.CompletedTask;

    public ValueTask RelinkNeededAsync(TributaryDbContext db, LinkedAccount account, string reason, CancellationToken ct) => ValueTask.CompletedTask;
}
