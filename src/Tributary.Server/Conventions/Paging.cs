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

        // Reading backward means walking the opposite order from the cursor, then flipping the page.
        var backward = position?.Backward ?? false;
        var walkDescending = descending != backward;
        var query = source;
        if (position is { } p)
        {
            query = query.Where(After(order.SortKey, order.Id, new DateTime(p.SortTicks, DateTimeKind.Utc), p.Id, walkDescending));
        }
        query = walkDescending
            ? query.OrderByDescending(order.SortKey).ThenByDescending(order.Id)
            : query.OrderBy(order.SortKey).ThenBy(order.Id);

        var rows = await query.Take(pageSize + 1).Select(projection).ToListAsync(cancellationToken);
        var hasMore = rows.Count > pageSize;
        if (hasMore)
        {
            rows.RemoveAt(rows.Count - 1);
        }
        if (backward)
        {
            rows.Reverse();
        }

        string? Token(TRow row, bool back) => codec.Encode(listing, new CursorPosition(back, order.RowSortKey(row).Ticks, order.RowId(row)));

        string? next = null, previous = null;
        if (rows.Count > 0)
        {
            var moreAfter = backward ? position is not null : hasMore;
            var moreBefore = backward ? hasMore : position is not null;
            next = moreAfter ? Token(rows[^1], back: false) : null;
            previous = moreBefore ? Token(rows[0], back: true) : null;
        }
        return new KeysetPage<TRow>(next, previous, rows);
    }

    // (sort, id) > (s, i) written out, because EF translates neither tuple nor Guid comparison operators.
    private static Expression<Func<TEntity, bool>> After<TEntity>(
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
