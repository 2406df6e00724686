namespace Tributary.Integrations.FileStorage;

/// <summary>How a provider call failed, which decides what the platform does next.</summary>
public enum ProviderErrorKind
{
    /// <summary>The credential was refused: refresh once, then the account needs relinking.</summary>
    Unauthorized,

    /// <summary>Too many requests: wait <see cref="ProviderException.RetryAfter"/> before trying again.</summary>
    RateLimited,

    NotFound,

    /// <summary>The request itself was wrong (e.g. an export format the file does not offer).</summary>
    InvalidRequest,

    /// <summary>A 5xx, timeout or connection failure: try again later.</summary>
    Transient,
}

public sealed class ProviderException : Exception
{
    public ProviderException(ProviderErrorKind kind, string message, TimeSpan? retryAfter = null, Exception? inner = null)
        : base(message, inner)
    {
        Kind = kind;
        RetryAfter = retryAfter;
    }

    public ProviderException()
    {
    }

    public ProviderException(string message) : base(message)
    {
    }

    public ProviderException(string message, Exception innerException) : base(message, innerException)
    {
    }

    public ProviderErrorKind Kind { get; }
    public TimeSpan? RetryAfter { get; }

    /// <summary>The provider's HTTP status, when the failure was an HTTP answer (e.g. Graph's 410 on an expired delta token, which is not a 404).</summary>
    public int? HttpStatus { get; init; }
}
