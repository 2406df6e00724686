using System.Linq.Expressions;
using System.Reflection;
using Microsoft.EntityFrameworkCore;
using Tributary.Server.Errors;

namespace Tributary.Server.Conventions;

/// <summary>Merge's list envelope. <c>next</c> and <c>previous</c> are bare cursor tokens, not URLs.</summary>
internal sealed record Paginated<T>(string? Next, string? Previous, IReadOnlyList<T> Results);

/// <summary>One page of rows and the cursors around it, before it is rendered.</summary>
internal sealed record KeysetPage<TRow>(string? Next, string? Previous, List<TRow> Rows);

/// <summary>
/// A keyset order: the (sort timestamp, id) key as EF expressions over the entity, and the same key
/// read back from a projected row to mint cursors.
/// </summary>
internal sealed record KeysetOrder<TEntity, TRow>(
    Expression<Func<TEntity, DateTime>> SortKey,
    Expression<Func<TEntity, Guid>> Id,
    Func<TRow, DateTime> RowSortKey,
    Func<TRow, Guid> RowId);

/// <summary>
/// Keyset pagination over (sort timestamp, id). A page costs the same at any depth, and rows
/// inserted while a client pages never shift the rows it has not read yet.
/// </summary>
internal static class Paging
{
    /// <summary>
    /// Reads one page of <paramref name="source"/> ordered by <paramref name="sortKey"/> then
    /// <paramref name="id"/>. <paramref name="listing"/> names the listing and its order; a cursor
    /// minted for another listing is rejected.
    /// </summary>
    public static async Task<Paginated<TResult>> ToPageAsync<TEntity, TResult>(
        this IQueryable<TEntity> source,
        CursorCodec codec,
        string listing,
        string? cursor,
        int pageSize,
        Expression<Func<TEntity, DateTime>> sortKey,
        Expression<Func<TEntity, Guid>> id,
        bool descending,
        Func<TEntity, TResult> project,
        CancellationToken cancellationToken)
    {
        var order = new KeysetOrder<TEntity, TEntity>(sortKey, id, sortKey.Compile(), id.Compile());
        var page = await source.ToKeysetPageAsync(codec, listing, cursor, pageSize, order, descending, e => e, cancellationToken);
        return new Paginated<TResult>(page.Next, page.Previous, page.Rows.Select(project).ToList());
    }

    /// <summary>
    /// Reads one page of <paramref name="source"/> in <paramref name="order"/>, as rows of
    /// <paramref name="projection"/>: only the columns the response needs. <paramref name="order"/> is
    /// meant to be a static instance, so nothing is compiled per request.
    /// </summary>
    public static async Task<KeysetPage<TRow>> ToKeysetPageAsync<TEntity, TRow>(
        this IQueryable<TEntity> source,
        CursorCodec codec,
        string listing,
        string? cursor,
        int pageSize,
        KeysetOrder<TEntity, TRow> order,
        bool descending,
        Expression<Func<TEntity, TRow>> projection,
        CancellationToken cancellationToken)
    {
        var walk = KeysetWalk.Start(codec, listing, cursor, descending);
        var rows = await KeysetQuery.Build(source, walk, pageSize, order.SortKey, order.Id).Select(projection).ToListAsync(cancellationToken);
        var hasMore = rows.Count > pageSize;
        if (hasMore)
        {
            rows.RemoveAt(rows.Count - 1);
        }
        if (walk.Backward)
        {
            rows.Reverse();
        }
        var (next, previous) = rows.Count > 0
            ? walk.Cursors(hasMore, Key(rows[0]), Key(rows[^1]))
            : (null, null);
        return new KeysetPage<TRow>(next, previous, rows);

        (DateTime Sort, Guid Id) Key(TRow row) => (order.RowSortKey(row), order.RowId(row));
    }

    // (sort, id) > (s, i) written out, because EF translates neither tuple nor Guid comparison operators.
    internal static Expression<Func<TEntity, bool>> After<TEntity>(
        Expression<Func<TEntity, DateTime>> sortKey, Expression<Func<TEntity, Guid>> id, DateTime sort, Guid idValue, bool descending)
    {
        var row = sortKey.Parameters[0];
        var sortBody = sortKey.Body;
        var idBody = new ParameterReplacer(id.Parameters[0], row).Visit(id.Body);
        var sortConst = Expression.Property(Expression.Constant(new Box<DateTime>(sort)), Box<DateTime>.ValueProperty);
        var idConst = Expression.Property(Expression.Constant(new Box<Guid>(idValue)), Box<Guid>.ValueProperty);
        var compareId = Expression.Call(idBody, GuidCompareTo, idConst);
        var zero = Expression.Constant(0);

        var body = descending
            ? Expression.OrElse(
                Expression.LessThan(sortBody, sortConst),
                Expression.AndAlso(Expression.Equal(sortBody, sortConst), Expression.LessThan(compareId, zero)))
            : Expression.OrElse(
                Expression.GreaterThan(sortBody, sortConst),
                Expression.AndAlso(Expression.Equal(sortBody, sortConst), Expression.GreaterThan(compareId, zero)));
        return Expression.Lambda<Func<TEntity, bool>>(body, row);
    }

    // Reflection looked up once, not on every deep page.
    private static readonly MethodInfo GuidCompareTo = typeof(Guid).GetMethod(nameof(Guid.CompareTo), [typeof(Guid)])!;

    // Wrapping values in a closure-like object makes EF send them as parameters, not inline literals.
    private sealed class Box<T>(T value)
    {
        public static readonly PropertyInfo ValueProperty = typeof(Box<T>).GetProperty(nameof(Value))!;

        public T Value { get; } = value;
    }

    private sealed class ParameterReplacer(ParameterExpression from, ParameterExpression to) : ExpressionVisitor
    {
        protected override Expression VisitParameter(ParameterExpression node) => node == from ? to : base.VisitParameter(node);
    }
}

/// <summary>
/// Where a keyset page starts and which way it walks: the decoded cursor, and the <c>next</c> and
/// <c>previous</c> cursors of the page once its rows are read. Readers walk <see cref="Descending"/>
/// from <see cref="Position"/>, read page size + 1 rows (the extra row says whether more follow)
/// and flip the rows when <see cref="Backward"/>.
/// </summary>
internal sealed class KeysetWalk
{
    private readonly CursorCodec codec;
    private readonly string listing;

    private KeysetWalk(CursorCodec codec, string listing, CursorPosition? position, bool descending)
    {
        this.codec = codec;
        this.listing = listing;
        Position = position;
        Backward = position?.Backward ?? false;
        Descending = descending != Backward;
    }

    public CursorPosition? Position { get; }

    /// <summary>Reading backward means walking the opposite order from the cursor, then flipping the page.</summary>
    public bool Backward { get; }

    /// <summary>The order rows are read in.</summary>
    public bool Descending { get; }

    public DateTime PositionSortKey => new(Position!.Value.SortTicks, DateTimeKind.Utc);

    /// <summary>The walk for <paramref name="cursor"/>, or a 400 naming the cursor when it is not one of this listing's.</summary>
    public static KeysetWalk Start(CursorCodec codec, string listing, string? cursor, bool descending)
    {
        CursorPosition? position = null;
        if (cursor is not null)
        {
            if (!codec.TryDecode(listing, cursor, out var decoded))
            {
                throw ValidationException.For("cursor",
                    "Invalid cursor: pass the 'next' or 'previous' value of an earlier page unchanged, with the same filters and order_by.");
            }
            position = decoded;
        }
        return new KeysetWalk(codec, listing, position, descending);
    }

    /// <summary>
    /// The page's <c>next</c> and <c>previous</c> cursors, given whether the read found the extra row
    /// and the keys of the first and last rows of the page as shown (after flipping).
    /// </summary>
    public (string? Next, string? Previous) Cursors(bool hasMore, (DateTime Sort, Guid Id) first, (DateTime Sort, Guid Id) last)
    {
        var moreAfter = Backward ? Position is not null : hasMore;
        var moreBefore = Backward ? hasMore : Position is not null;
        return (moreAfter ? Token(last, back: false) : null, moreBefore ? Token(first, back: true) : null);
    }

    private string Token((DateTime Sort, Guid Id) key, bool back) => codec.Encode(listing, new CursorPosition(back, key.Sort.Ticks, key.Id));
}

internal static class KeysetQuery
{
    /// <summary><paramref name="source"/> after the walk's position, in its order, limited to page size + 1.</summary>
    public static IQueryable<TEntity> Build<TEntity>(IQueryable<TEntity> source, KeysetWalk walk, int pageSize,
        Expression<Func<TEntity, DateTime>> sortKey, Expression<Func<TEntity, Guid>> id)
    {
        var query = source;
        if (walk.Position is not null)
        {
            query = query.Where(Paging.After(sortKey, id, walk.PositionSortKey, walk.Position.Value.Id, walk.Descending));
        }
        query = walk.Descending
            ? query.OrderByDescending(sortKey).ThenByDescending(id)
            : query.OrderBy(sortKey).ThenBy(id);
        return query.Take(pageSize + 1);
    }
}
