using Tributary.Integrations.Catalog;

namespace Tributary.Server.Linking.OAuth;

/// <summary>
/// Applies the operator's <c>Integrations:{slug}:*</c> settings over the catalog's auth data:
/// <c>AuthorizationUrl</c>, <c>TokenUrl</c>, <c>Scopes</c> and <c>WriteScopes</c> (space-separated),
/// <c>Pkce</c>, <c>AuthorizationParams:{name}</c> and <c>ApiBaseUrls:{role}</c>. The same section holds the server-wide
/// <c>ClientId</c>/<c>ClientSecret</c> fallback read by the OAuth app store.
/// </summary>
internal static class IntegrationAuthConfiguration
{
    public static IntegrationCatalog Apply(IntegrationCatalog catalog, IConfiguration configuration) =>
        ApplyAuth(catalog, configuration).With(integration =>
        {
            var overrides = configuration.GetSection($"Integrations:{integration.Slug}:ApiBaseUrls").GetChildren().ToList();
            if (overrides.Count == 0)
            {
                return integration;
            }
            var urls = new Dictionary<string, string>(integration.ApiBaseUrls, StringComparer.Ordinal);
            foreach (var child in overrides)
            {
                urls[child.Key] = IsHttpUrl(child.Value) ? child.Value!.TrimEnd('/') : throw new InvalidOperationException(
                    $"Integrations:{integration.Slug}:ApiBaseUrls:{child.Key} must be an absolute http(s) URL, not \"{child.Value}\".");
            }
            return integration with { ApiBaseUrls = urls };
        });

    private static IntegrationCatalog ApplyAuth(IntegrationCatalog catalog, IConfiguration configuration) =>
        catalog.WithAuth(integration =>
        {
            var section = configuration.GetSection($"Integrations:{integration.Slug}");
            var auth = integration.Auth;
            if (!section.Exists())
            {
                return auth;
            }
            var parameters = new Dictionary<string, string>(auth.AuthorizationParams, StringComparer.Ordinal);
            foreach (var child in section.GetSection("AuthorizationParams").GetChildren())
            {
                if (child.Value is null)
                {
                    parameters.Remove(child.Key);
                }
                else
                {
                    parameters[child.Key] = child.Value;
                }
            }
            return auth with
            {
                AuthorizationUrl = Url(section, "AuthorizationUrl") ?? auth.AuthorizationUrl,
                TokenUrl = Url(section, "TokenUrl") ?? auth.TokenUrl,
                Scopes = SplitScopes(section["Scopes"]) ?? auth.Scopes,
                WriteScopes = SplitScopes(section["WriteScopes"]) ?? auth.WriteScopes,
                Pkce = section.GetValue("Pkce", auth.Pkce),
                AuthorizationParams = parameters,
            };
        });

    public static IReadOnlyList<string>? SplitScopes(string? scopes) =>
        scopes is null ? null : scopes.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static bool IsHttpUrl(string? value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp);

    private static string? Url(IConfigurationSection section, string key)
    {
        var value = section[key];
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            throw new InvalidOperationException($"Integrations:{section.Key}:{key} must be an absolute http(s) URL, not \"{value}\".");
        }
        return value;
    }
}
