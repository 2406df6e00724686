using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tributary.Integrations.Catalog;

/// <summary>What Tributary knows about an integration without calling it: names, categories, colours, how end users connect.</summary>
public sealed record IntegrationDefinition(string Slug, string Name, string AbbreviatedName, IReadOnlyList<string> Categories, string Color)
{
    /// <summary>Accounts of this integration are always TEST accounts (the built-in Sandbox).</summary>
    public bool IsTestData { get; init; }

    /// <summary>How an end user connects this integration in Link.</summary>
    public IntegrationAuth Auth { get; init; } = IntegrationAuth.None;

    /// <summary>
    /// The provider's API base URLs by role (e.g. <c>api</c>, <c>content</c>, <c>upload</c>), without a
    /// trailing slash. Connectors call only these; passthrough may reach only these hosts. Operators
    /// (and tests) override them with <c>Integrations:{slug}:ApiBaseUrls:{role}</c>.
    /// </summary>
    public IReadOnlyDictionary<string, string> ApiBaseUrls { get; init; } = new Dictionary<string, string>();

    /// <summary>The base URL for <paramref name="role"/>; a catalog without it is a programming error.</summary>
    public string ApiBaseUrl(string role) => ApiBaseUrls.TryGetValue(role, out var url)
        ? url.TrimEnd('/')
        : throw new InvalidOperationException($"The catalog entry for {Slug} has no \"{role}\" API base URL.");
}

/// <summary>How Link obtains an integration's credential.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<AuthMode>))]
public enum AuthMode
{
    /// <summary>Nothing to ask: one click connects (the sandbox).</summary>
    [JsonStringEnumMemberName("none")]
    None,

    /// <summary>OAuth 2.0 authorization code grant (with PKCE where the provider supports it).</summary>
    [JsonStringEnumMemberName("oauth2")]
    OAuth2,

    /// <summary>A form (URL, username, password, …) validated live against the provider before it is saved.</summary>
    [JsonStringEnumMemberName("credentials")]
    Credentials,
}

/// <summary>
/// An integration's auth settings from the catalog. The OAuth endpoints, scopes and extra
/// parameters are data, so an operator can override them (<c>Integrations:{slug}:AuthorizationUrl</c>, …)
/// without a release; the client id and secret are never here (see the OAuth app store).
/// </summary>
public sealed record IntegrationAuth
{
    public static readonly IntegrationAuth None = new();

    public AuthMode Mode { get; init; }

    /// <summary>The provider's authorization endpoint (the end user's browser goes there).</summary>
    public string? AuthorizationUrl { get; init; }

    /// <summary>The provider's token endpoint (Tributary exchanges the code there, client_secret_post).</summary>
    public string? TokenUrl { get; init; }

    /// <summary>Scopes requested for reading.</summary>
    public IReadOnlyList<string> Scopes { get; init; } = [];

    /// <summary>Scopes added when the link token's common-model scopes enable writes.</summary>
    public IReadOnlyList<string> WriteScopes { get; init; } = [];

    /// <summary>Whether the provider accepts PKCE (S256) on the authorization code grant.</summary>
    public bool Pkce { get; init; }

    /// <summary>Extra query parameters on the authorization URL (e.g. Google's <c>access_type=offline</c>).</summary>
    public IReadOnlyDictionary<string, string> AuthorizationParams { get; init; } = new Dictionary<string, string>();

    /// <summary>Where an organization registers its OAuth app with the provider (shown when none is configured).</summary>
    public string? AppRegistrationUrl { get; init; }

    /// <summary>The form fields of a credentials integration, in order.</summary>
    public IReadOnlyList<CredentialField> Fields { get; init; } = [];
}

/// <summary>One field of a credential form. Labels are localized by the Link UI from the name.</summary>
public sealed record CredentialField(string Name, string Type);

/// <summary>The integrations Tributary offers, read from the embedded <c>integrations.json</c>.</summary>
public sealed class IntegrationCatalog
{
    private static readonly JsonSerializerOptions FileOptions = new(JsonSerializerDefaults.Web);
    private readonly Dictionary<string, IntegrationDefinition> _bySlug;

    public IntegrationCatalog(IEnumerable<IntegrationDefinition> integrations) =>
        _bySlug = integrations.ToDictionary(i => i.Slug, StringComparer.Ordinal);

    public IReadOnlyCollection<IntegrationDefinition> All => _bySlug.Values;

    public IntegrationDefinition? Find(string slug) => _bySlug.GetValueOrDefault(slug);

    /// <summary>A copy of this catalog with each integration's auth settings passed through <paramref name="configure"/>.</summary>
    public IntegrationCatalog WithAuth(Func<IntegrationDefinition, IntegrationAuth> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return new IntegrationCatalog(_bySlug.Values.Select(i => i with { Auth = configure(i) }));
    }

    /// <summary>A copy of this catalog with each integration passed through <paramref name="configure"/>.</summary>
    public IntegrationCatalog With(Func<IntegrationDefinition, IntegrationDefinition> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return new IntegrationCatalog(_bySlug.Values.Select(configure));
    }

    public static IntegrationCatalog LoadEmbedded()
    {
        using var stream = typeof(IntegrationCatalog).Assembly.GetManifestResourceStream("integrations.json")
            ?? throw new InvalidOperationException("The embedded integrations.json is missing from Tributary.Integrations.");
        var file = JsonSerializer.Deserialize<CatalogFile>(stream, FileOptions)
            ?? throw new InvalidOperationException("integrations.json is empty.");
        return new IntegrationCatalog(file.Integrations);
    }

    private sealed record CatalogFile(IReadOnlyList<IntegrationDefinition> Integrations);
}
