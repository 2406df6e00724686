using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.Connectors.Fakes;

/// <summary>One request a fake received, as the spec validator and the tests see it.</summary>
internal sealed record FakeRequest(
    DateTimeOffset At, string Method, string Path, IReadOnlyDictionary<string, string> Query, IReadOnlyDictionary<string, string> Headers,
    string? ContentType, string? Body)
{
    public int Status { get; set; }
    public bool Faulted { get; set; }
}

/// <summary>What a fake does instead of answering, for the next matching requests.</summary>
internal enum FaultKind
{
    /// <summary>The provider's own rate-limit answer (429 + Retry-After, Drive's 403 rateLimitExceeded, …).</summary>
    RateLimit,

    /// <summary>A 5xx.</summary>
    ServerError,
}

internal sealed record Fault(FaultKind Kind, int Times, TimeSpan? Wait, Func<HttpRequest, bool>? Match)
{
    public int Remaining = Times;
}

/// <summary>How a provider says "slow down" or "broken": each fake renders faults in its own dialect.</summary>
internal interface IFakeDialect
{
    Task RenderRateLimitAsync(HttpContext context, TimeSpan? wait);

    Task RenderServerErrorAsync(HttpContext context);
}

/// <summary>
/// Checks a fake's traffic against the provider's machine-readable API description in
/// <c>shared/provider-specs/</c>. Returns one message per mismatch; empty means conformant.
/// </summary>
internal interface ISpecValidator
{
    IEnumerable<string> ValidateRequest(FakeRequest request);

    IEnumerable<string> ValidateResponse(FakeRequest request, int status, string? contentType, string? body);
}

/// <summary>
/// Hosts a provider fake on a loopback port and wraps every exchange: it logs requests, injects
/// faults, and runs the spec validator over each request and each JSON response, collecting
/// violations a test then asserts to be empty (so a fake cannot drift from the real API unnoticed).
/// </summary>
internal sealed class ProviderFakeHost : IAsyncDisposable
{
    private const int MaxCapturedBody = 4 * 1024 * 1024;
    private readonly ConcurrentQueue<Fault> _faults = new();
    private LoopbackServer _server = null!;

    private ProviderFakeHost(IFakeDialect dialect, ISpecValidator? validator)
    {
        Dialect = dialect;
        Validator = validator;
    }

    public IFakeDialect Dialect { get; }
    public ISpecValidator? Validator { get; }
    public ConcurrentQueue<FakeRequest> Requests { get; } = new();
    public ConcurrentQueue<string> Violations { get; } = new();

    /// <summary>e.g. http://127.0.0.1:41234 (no trailing slash).</summary>
    public string Origin => _server.Origin;

    public static async Task<ProviderFakeHost> StartAsync(IFakeDialect dialect, ISpecValidator? validator, Action<WebApplication> map)
    {
        var host = new ProviderFakeHost(dialect, validator);
        host._server = await LoopbackServer.StartAsync(app =>
        {
            app.Use(host.InterceptAsync);
            map(app);
        });
        return host;
    }

    /// <summary>The next <paramref name="times"/> matching requests get the fault instead of an answer.</summary>
    public void Inject(FaultKind kind, int times, TimeSpan? wait = null, Func<HttpRequest, bool>? match = null) =>
        _faults.Enqueue(new Fault(kind, times, wait, match));

    /// <summary>Fails the calling test with every spec violation seen so far.</summary>
    public void AssertConformant()
    {
        if (!Violations.IsEmpty)
        {
            throw new Xunit.Sdk.XunitException("The fake's traffic does not match the provider's spec:\n" + string.Join('\n', Violations.Distinct()));
        }
    }

    private async Task InterceptAsync(HttpContext context, RequestDelegate next)
    {
        var request = context.Request;
        string? body = null;
        if (request.ContentType is { } type && (type.Contains("json", StringComparison.OrdinalIgnoreCase) || type.Contains("x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase)))
        {
            request.EnableBuffering();
            using var reader = new StreamReader(request.Body, Encoding.UTF8, leaveOpen: true);
            body = await reader.ReadToEndAsync(context.RequestAborted);
            request.Body.Position = 0;
        }
        var seen = new FakeRequest(
            TimeProvider.System.GetUtcNow(), request.Method, request.Path.Value ?? "/",
            request.Query.ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.Ordinal),
            request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
            request.ContentType, body);
        Requests.Enqueue(seen);
        if (Validator is not null)
        {
            foreach (var violation in Validator.ValidateRequest(seen))
            {
                Violations.Enqueue($"{seen.Method} {seen.Path}: {violation}");
            }
        }

        if (NextFault(request) is { } fault)
        {
            seen.Faulted = true;
            await (fault.Kind == FaultKind.RateLimit ? Dialect.RenderRateLimitAsync(context, fault.Wait) : Dialect.RenderServerErrorAsync(context));
            seen.Status = context.Response.StatusCode;
            return;
        }

        var original = context.Response.Body;
        await using var capture = new CapturingStream(original, MaxCapturedBody);
        context.Response.Body = capture;
        try
        {
            await next(context);
        }
        finally
        {
            context.Response.Body = original;
        }
        seen.Status = context.Response.StatusCode;
        var contentType = context.Response.ContentType;
        if (Validator is not null && !capture.Overflowed)
        {
            var text = contentType is not null && contentType.Contains("json", StringComparison.OrdinalIgnoreCase) ? capture.Text : null;
            foreach (var violation in Validator.ValidateResponse(seen, seen.Status, contentType, text))
            {
                Violations.Enqueue($"{seen.Method} {seen.Path} → {seen.Status}: {violation}");
            }
        }
    }

    private Fault? NextFault(HttpRequest request)
    {
        foreach (var fault in _faults)
        {
            if (fault.Remaining > 0 && (fault.Match is null || fault.Match(request)) && Interlocked.Decrement(ref fault.Remaining) >= 0)
            {
                return fault;
            }
        }
        return null;
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    /// <summary>Writes through to the real body and keeps a copy of the first bytes for validation.</summary>
    private sealed class CapturingStream(Stream inner, int limit) : Stream
    {
        private readonly MemoryStream _copy = new();

        public bool Overflowed { get; private set; }
        public string Text => Encoding.UTF8.GetString(_copy.GetBuffer(), 0, (int)_copy.Length);

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush() => inner.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
            Keep(buffer.AsSpan(offset, count));
            inner.Write(buffer, offset, count);
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Keep(buffer.Span);
            await inner.WriteAsync(buffer, cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        private void Keep(ReadOnlySpan<byte> bytes)
        {
            if (Overflowed)
            {
                return;
            }
            if (_copy.Length + bytes.Length > limit)
            {
                Overflowed = true;
                _copy.SetLength(0);
                return;
            }
            _copy.Write(bytes);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _copy.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
