using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Tributary.Server.Tests.Hosting;

/// <summary>One log call as a provider saw it: message, structured values, scopes and exception.</summary>
public sealed record CapturedLog(
    string Category,
    LogLevel Level,
    string Message,
    IReadOnlyList<KeyValuePair<string, string?>> State,
    IReadOnlyList<KeyValuePair<string, string?>> Scopes,
    IReadOnlyList<string?> ScopeTexts,
    string? Exception)
{
    /// <summary>Everything a sink (console, OTLP, a file) could write for this entry.</summary>
    public IEnumerable<string> AllText()
    {
        yield return Message;
        foreach (var (key, value) in State.Concat(Scopes))
        {
            yield return key;
            yield return value ?? "";
        }
        foreach (var text in ScopeTexts)
        {
            yield return text ?? "";
        }
        yield return Exception ?? "";
    }

    public string? Scope(string key) => Scopes.LastOrDefault(s => s.Key == key).Value;
}

/// <summary>Records every log entry the application's filters let through, with its scopes.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider, ISupportExternalScope
{
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    public ConcurrentQueue<CapturedLog> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    private static List<KeyValuePair<string, string?>> Pairs(object? value) =>
        value is IEnumerable<KeyValuePair<string, object?>> pairs
            ? pairs.Select(p => new KeyValuePair<string, string?>(p.Key, Convert.ToString(p.Value, System.Globalization.CultureInfo.InvariantCulture))).ToList()
            : [];

    private sealed class Logger(CapturingLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => provider._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var scopes = new List<KeyValuePair<string, string?>>();
            var scopeTexts = new List<string?>();
            provider._scopes.ForEachScope((scope, _) =>
            {
                scopes.AddRange(Pairs(scope));
                scopeTexts.Add(scope?.ToString());
            }, (object?)null);
            provider.Entries.Enqueue(new CapturedLog(
                category, logLevel, formatter(state, exception), Pairs(state), scopes, scopeTexts, exception?.ToString()));
        }
    }
}
