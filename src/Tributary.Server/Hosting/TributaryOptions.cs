using System.ComponentModel.DataAnnotations;

namespace Tributary.Server.Hosting;

/// <summary>The <c>Tributary</c> configuration section (appsettings.json or TRIBUTARY__* variables).</summary>
internal sealed class TributaryOptions
{
    public const string SectionName = "Tributary";

    /// <summary>Where the embedded database and the generated master key live.</summary>
    [Required(ErrorMessage = "Tributary:DataDirectory must name a writable directory, e.g. Tributary__DataDirectory=/var/lib/tributary.")]
    public string DataDirectory { get; set; } = "data";

    /// <summary>
    /// Base64 of 32 random bytes (<c>openssl rand -base64 32</c>). Optional on SQLite, where a key
    /// file is created in the data directory; required on PostgreSQL so every replica shares it.
    /// </summary>
    public string? MasterKey { get; set; }

    /// <summary>Requests per minute per linked account, unless the organization sets its own.</summary>
    [Range(1, 1_000_000, ErrorMessage =
        "Tributary:RateLimitPerMinute must be between 1 and 1000000 requests per minute per linked account, e.g. Tributary__RateLimitPerMinute=600.")]
    public int RateLimitPerMinute { get; set; } = 600;

    /// <summary>
    /// How long a successful API-key or account-token lookup is reused in this process, in seconds
    /// (0 = look every request up). A key revoked, rotated or deleted through this process stops
    /// working at once; through another replica or the CLI, within this many seconds
    /// (docs/decisions/0009-credential-cache.md).
    /// </summary>
    [Range(0, 60, ErrorMessage =
        "Tributary:AuthCacheSeconds must be between 0 (off) and 60 seconds, e.g. Tributary__AuthCacheSeconds=1.")]
    public double AuthCacheSeconds { get; set; } = 1;

    /// <summary>Largest JSON request body accepted, in bytes.</summary>
    [Range(1024, 1L << 30, ErrorMessage =
        "Tributary:MaxRequestBodyBytes must be between 1024 and 1073741824 bytes, e.g. Tributary__MaxRequestBodyBytes=1048576 (1 MiB).")]
    public long MaxRequestBodyBytes { get; set; } = 1 << 20;

    /// <summary>
    /// Largest file accepted by a multipart upload (POST /files), in bytes; default 1 GiB. The file
    /// is streamed to the provider, never held whole; the JSON limit above still bounds the model part.
    /// </summary>
    [Range(1024, 1L << 40)]
    public long MaxUploadBytes { get; set; } = 1L << 30;

    /// <summary>
    /// The origin end users and providers reach this server at (e.g. https://tributary.example.com),
    /// used in magic links and OAuth redirect URIs. Defaults to the origin of the request.
    /// </summary>
    [Url]
    public string? PublicUrl { get; set; }

    /// <summary>Apply pending migrations at start (the default); turn off to migrate with the CLI verb.</summary>
    public bool MigrateOnStart { get; set; } = true;
}
