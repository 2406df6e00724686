using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Tributary.Integrations.Catalog;
using Tributary.Server.Linking.Ui;

namespace Tributary.Server.Linking.Credentials;

/// <summary>The outcome of checking a credential form: field errors (localized), or the credential to store.</summary>
internal sealed record CredentialCheck(IReadOnlyDictionary<string, string> Errors, JsonElement? Credential)
{
    public bool IsValid => Errors.Count == 0 && Credential is not null;
}

/// <summary>
/// Validates a credentials integration's form live against the provider before anything is saved,
/// so a typo is reported on the form rather than as a failed first sync. WebDAV: a
/// <c>PROPFIND</c> with <c>Depth: 0</c> on the URL; 207 means the server, URL and login are good.
/// </summary>
internal sealed class CredentialForms(IHttpClientFactory httpClients, ILogger<CredentialForms> logger)
{
    public const string HttpClientName = "tributary-credential-check";

    private const string PropfindBody = """<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="DAV:"><d:prop><d:resourcetype/></d:prop></d:propfind>""";

    public async Task<CredentialCheck> CheckAsync(IntegrationDefinition integration, IReadOnlyDictionary<string, string> values, LinkText text, CancellationToken ct)
    {
        var errors = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var field in integration.Auth.Fields)
        {
            if (string.IsNullOrWhiteSpace(values.GetValueOrDefault(field.Name)))
            {
                errors[field.Name] = text["credentials.required"];
            }
            else if (field.Type == "url" && !IsHttpUrl(values[field.Name].Trim()))
            {
                errors[field.Name] = text["credentials.url"];
            }
        }
        if (errors.Count > 0)
        {
            return new CredentialCheck(errors, null);
        }
        return integration.Slug switch
        {
            "webdav" => await CheckWebDavAsync(values["url"].Trim(), values["username"], values["password"], text, ct),
            _ => new CredentialCheck(errors, JsonSerializer.SerializeToElement(integration.Auth.Fields.ToDictionary(f => f.Name, f => values[f.Name]))),
        };
    }

    private async Task<CredentialCheck> CheckWebDavAsync(string url, string username, string password, LinkText text, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(new HttpMethod("PROPFIND"), url)
        {
            Content = new StringContent(PropfindBody, Encoding.UTF8, "application/xml"),
        };
        request.Headers.Add("Depth", "0");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{username}:{password}")));
        HttpResponseMessage response;
        try
        {
            response = await httpClients.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            logger.LogInformation("WebDAV check: {Host} could not be reached: {Error}", new Uri(url).Host, e.Message);
            return Field("url", text["credentials.unreachable"]);
        }
        using (response)
        {
            var status = response.StatusCode;
            return status switch
            {
                HttpStatusCode.MultiStatus => new CredentialCheck(
                    new Dictionary<string, string>(),
                    JsonSerializer.SerializeToElement(new Dictionary<string, string> { ["url"] = url, ["username"] = username, ["password"] = password })),
                HttpStatusCode.Unauthorized => Field("password", text["credentials.unauthorized"]),
                HttpStatusCode.Forbidden => Field("url", text["credentials.forbidden"]),
                >= HttpStatusCode.MovedPermanently and < HttpStatusCode.BadRequest when response.Headers.Location is { } location =>
                    Field("url", text["credentials.redirect", new Uri(new Uri(url), location).ToString()]),
                _ => Field("url", text["credentials.notdav", (int)status]),
            };
        }
    }

    private static CredentialCheck Field(string name, string message) => new(new Dictionary<string, string> { [name] = message }, null);

    private static bool IsHttpUrl(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
        && uri.UserInfo.Length == 0 && !string.IsNullOrEmpty(uri.Host);
}
