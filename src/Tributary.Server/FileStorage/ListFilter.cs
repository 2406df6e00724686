using System.Linq.Expressions;
using System.Reflection;
using Tributary.Data.Entities.FileStorage;

namespace Tributary.Server.FileStorage;

/// <summary>
/// One filter of a common-model list, said once and rendered twice: as a LINQ predicate for EF
/// (<see cref="Apply{T}"/>) and as SQL by the SQLite page reader (<see cref="SqliteRenderedPages"/>).
/// Filters compare one mapped property of the row with a value; a null value means <c>IS NULL</c>.
/// </summary>
internal abstract record ListFilter(string Property)
{
    public static ListFilter Equal(string property, object? value) => new EqualTo(property, value);

    public static ListFilter In(string property, IReadOnlyList<string> values) => new OneOf(property, [.. values]);

    public static ListFilter After(string property, DateTime value) => new Later(property, value);

    public static ListFilter Before(string property, DateTime value) => new Earlier(property, value);

    internal sealed record EqualTo(string Property, object? Value) : ListFilter(Property);

    internal sealed record OneOf(string Property, List<string> Values) : ListFilter(Property);

    internal sealed record Later(string Property, DateTime Value) : ListFilter(Property);

    internal sealed record Earlier(string Property, DateTime Value) : ListFilter(Property);

    /// <summary>The rows of <paramref name="rows"/> that pass every filter.</summary>
    public static IQueryable<T> Apply<T>(IQueryable<T> rows, IEnumerable<ListFilter> filters) where T : SyncedRecord
    {
        foreach (var filter in filters)
        {
            rows = rows.Where(filter.Predicate<T>());
        }
        return rows;
    }

    private Expression<Func<T, bool>> Predicate<T>()
    {
        var row = Expression.Parameter(typeof(T), "r");
        var member = Expression.Property(row, Property);
        Expression body = this switch
        {
            // Two possible values: inlined, so EF writes NOT (column) as it would for !r.Flag.
            EqualTo { Value: bool flag } => flag ? member : Expression.Not(member),
            EqualTo equal => Expression.Equal(member, Parameter(member.Type, equal.Value)),
            OneOf oneOf => Expression.AndAlso(
                Expression.NotEqual(member, Expression.Constant(null, member.Type)),
                Expression.Call(ContainsString, Parameter(typeof(List<string>), oneOf.Values), member)),
            Later later => Expression.GreaterThan(member, Parameter(member.Type, later.Value)),
            Earlier earlier => Expression.LessThan(member, Parameter(member.Type, earlier.Value)),
            _ => throw new InvalidOperationException($"Unknown list filter {GetType().Name}."),
        };
        return Expression.Lambda<Func<T, bool>>(body, row);
    }

    private static readonly MethodInfo ContainsString = typeof(Enumerable).GetMethods()
        .Single(m => m.Name == nameof(Enumerable.Contains) && m.GetParameters().Length == 2)
        .MakeGenericMethod(typeof(string));

    // A value read through a property of an object, as a closure would be: EF sends it as a
    // parameter instead of compiling one query per value.
    private static MemberExpression Parameter(Type type, object? value)
    {
        var box = Activator.CreateInstance(typeof(Box<>).MakeGenericType(type), value)!;
        return Expression.Property(Expression.Constant(box), nameof(Box<object>.Value));
    }

    private sealed class Box<TValue>(TValue value)
    {
        public TValue Value { get; } = value;
    }
}
