using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;
using Tributary.Server.Tests.Infrastructure;

namespace Tributary.Server.Tests.Errors;

/// <summary>
/// Fires a table of malformed requests at every endpoint: whatever a client sends, the answer is
/// below 500 and carries a JSON body (the SDK retries 5xx, POSTs included).
/// </summary>
public sealed class NoServerErrorSweepTests
{
    private static readonly string[] GetEndpoints =
    [
        "/api/filestorage/v1/audit-trail",
        "/api/filestorage/v1/linked-accounts",
        "/api/filestorage/v1/account-details",
    ];

    private static readonly string[] PostEndpoints =
    [
        "/api/filestorage/v1/generate-key",
        "/api/filestorage/v1/regenerate-key",
    ];

    private static readonly string[] BadQueries =
    [
        "page_size=abc", "page_size=99999999999999999999", "page_size=-2147483648", "page_size=%00", "page_size=1&page_size=abc",
        "cursor=garbage", "cursor=%00", "cursor=AAAA", "cursor=====", "cursor=%F0%9F%92%A9", "cursor=" + new string('A', 10_000),
        "cursor=" + WebEncoders.Base64UrlEncode(new byte[42]),
        "start_date=0001-01-01T00:00:00%2B14:00", "end_date=9999-12-31T23:59:59-14:00", "start_date=9999-12-31T23:59:59.9999999Z",
        "start_date=0001-01-01", "end_date=0001-01-01T00:00:00Z", "start_date=%00", "start_date=2024-01-01T00:00:00Z%00",
        "start_date=2024-01-01T00:00:00%2B99:00", "end_date=2024-01-01T00:00:00.12345678901Z",
        "event_type=%00", "user_email=%00", "user_email=a%00b", "user_email=%F0%9F%92%A9",
        "ids=,,,", "ids=%00", "id=00000000-0000-0000-0000-000000000000", "id=%00", "category=%00", "status=%00",
        "end_user_email_address=%00", "end_user_organization_name=a%00", "end_user_origin_id=%00", "end_user_origin_ids=a%00,b",
        "end_user_origin_ids=" + string.Join(",", Enumerable.Range(0, 2000).Select(i => $"origin-{i}")),
        "ids=" + string.Join(",", Enumerable.Range(0, 500).Select(_ => Guid.NewGuid())),
        "integration_name=%00", "integration_name=%F0%9F%92%A9", "is_test_account=%00", "expand=%00",
        "x=" + new string('x', 20_000), "%00=%00", "&&&&", "==", "a=%ZZ", "%E2%9C%93",
    ];

    private static readonly (string Body, string? ContentType)[] BadBodies =
    [
        ("{", "application/json"),
        ("[]", "application/json"),
        ("null", "application/json"),
        ("\"s\"", "application/json"),
        ("5", "application/json"),
        ("{\"name\": 5}", "application/json"),
        ("{\"name\": {\"a\": 1}}", "application/json"),
        ("{\"name\": \"a\\u0000b\"}", "application/json"),
        ("{\"name\": \"\\uD800\"}", "application/json"),
        ("{\"name\": \"\\uDC00x\\uD800\"}", "application/json"),
        ("{\"name\": " + new string('[', 1000) + new string(']', 1000) + "}", "application/json"),
        (new string('{', 5000), "application/json"),
        ("{\"name\": \"" + new string('n', 300) + "\"}", "application/json"),
        ("{\"name\": \"   \"}", "application/json"),
        ("{\"name\": \"a\", \"name\": 5}", "application/json"),
        ("{\"name\": 1e400}", "application/json"),
        ("{\"name\": \"a\"}", "text/plain"),
        ("{\"name\": \"a\"}", "application/xml"),
        ("--x\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\na\r\n--x--", "multipart/form-data; boundary=x"),
        ("name=a", "application/x-www-form-urlencoded"),
        ("{\"name\": \"a\"}", "application/json; charset=\"unclosed"),
        ("{\"name\": \"a\"}", "not a media type"),
        ("", "application/json"),
        ("", null),
        ("{\"name\": \"a\"}", null),
    ];

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Endpoints_AnswerBelow500WithJson_ForMalformedRequests(DatabaseKind kind)
    {
        await using var app = await TributaryApplication.StartAsync(kind, new Dictionary<string, string?> { ["Tributary:RateLimitPerMinute"] = "100000" });
        var org = await app.CreateOrganizationAsync();
        var account = await app.CreateLinkedAccountAsync(org.Id);
        var keys = new Keys(org.ProductionKey, org.TestKey);
        var failures = new List<string>();
        var count = 0;

        foreach (var (label, build, key) in Requests(account.Token))
        {
            using var client = app.CreateApiClient(null);
            using var request = build(key switch { "production" => keys.Production, "test" => keys.Test, _ => key });
            var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
            count++;
            var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            if ((int)response.StatusCode >= 500 || !IsJson(response, text))
            {
                failures.Add($"{label} → {(int)response.StatusCode} {response.Content.Headers.ContentType}: {Truncate(text)}");
            }
            // regenerate-key may succeed on a well-formed request; keep using the live key.
            if (response.StatusCode == HttpStatusCode.OK && request.RequestUri!.OriginalString.Contains("regenerate-key", StringComparison.Ordinal))
            {
                var newKey = JsonDocument.Parse(text).RootElement.GetProperty("key").GetString()!;
                keys = newKey.StartsWith("trb_test_", StringComparison.Ordinal) ? keys with { Test = newKey } : keys with { Production = newKey };
            }
        }

        Assert.True(count > 400, $"only {count} requests");
        Assert.True(failures.Count == 0, $"{failures.Count} of {count} requests failed:\n" + string.Join("\n", failures));
    }

    private static IEnumerable<(string Label, Func<string?, HttpRequestMessage> Build, string? Key)> Requests(string accountToken)
    {
        foreach (var path in GetEndpoints)
        {
            foreach (var query in BadQueries)
            {
                yield return ($"GET {path}?{Truncate(query)}", key => Make(HttpMethod.Get, $"{path}?{query}", key, accountToken), "production");
            }
            foreach (var (body, contentType) in BadBodies)
            {
                yield return ($"POST {path} {contentType} {Truncate(body)}", key => Make(HttpMethod.Post, path, key, accountToken, body, contentType), "production");
            }
        }
        foreach (var path in PostEndpoints)
        {
            foreach (var (body, contentType) in BadBodies)
            {
                foreach (var key in new[] { "production", "test" })
                {
                    yield return ($"POST {path} ({key}) {contentType} {Truncate(body)}", k => Make(HttpMethod.Post, path, k, accountToken, body, contentType), key);
                }
            }
            foreach (var query in BadQueries.Take(10))
            {
                yield return ($"POST {path}?{Truncate(query)}", k => Make(HttpMethod.Post, $"{path}?{query}", k, accountToken, "{", "application/json"), "production");
            }
        }

        string?[] badAuthorizations =
        [
            null, "", "Bearer", "Bearer " + new string('k', 10_000), "Bearer \u00e9t\u00e9", "Bearer a b c", "Bearer\tkey",
            "Bearer trb_live_%00", "Basic Zm9vOmJhcg==", "Bearer " + new string('=', 64),
        ];
        string?[] badAccountTokens = [null, "", "garbage", new string('t', 10_000), "\u00e9", "trb_acct_", accountToken + " trailing"];
        foreach (var path in GetEndpoints.Concat(PostEndpoints))
        {
            var method = PostEndpoints.Contains(path) ? HttpMethod.Post : HttpMethod.Get;
            foreach (var authorization in badAuthorizations)
            {
                yield return ($"{method} {path} Authorization={Truncate(authorization ?? "(none)")}",
                    _ => Make(method, path, null, accountToken, "{\"name\": 1}", "application/json", authorization), null);
            }
            foreach (var token in badAccountTokens)
            {
                yield return ($"{method} {path} X-Account-Token={Truncate(token ?? "(none)")}",
                    key => Make(method, path, key, token, "{\"name\": 1}", "application/json"), "production");
            }
            foreach (var variant in new[] { path + "/", path.Replace("filestorage", "FILESTORAGE", StringComparison.Ordinal), path + "//", path + "/%20", path + "%2F" })
            {
                yield return ($"{method} {variant}", key => Make(method, variant, key, accountToken, "{\"name\": 1}", "application/json"), "production");
            }
            foreach (var other in new[] { HttpMethod.Put, HttpMethod.Delete, HttpMethod.Patch, HttpMethod.Options, new HttpMethod("PROPFIND") })
            {
                yield return ($"{other} {path}", key => Make(other, path, key, accountToken, "{", "application/json"), "production");
            }
        }
    }

    private static HttpRequestMessage Make(
        HttpMethod method, string path, string? key, string? accountToken, string? body = null, string? contentType = null, string? authorization = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }
        else if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }
        if (accountToken is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Account-Token", accountToken);
        }
        if (body is not null && method != HttpMethod.Get)
        {
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
            if (contentType is not null)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            }
        }
        return request;
    }

    private static bool IsJson(HttpResponseMessage response, string text)
    {
        if (response.Content.Headers.ContentType?.MediaType?.Contains("json", StringComparison.Ordinal) != true || text.Length == 0)
        {
            return false;
        }
        try
        {
            using var _ = JsonDocument.Parse(text);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static string Truncate(string text) => text.Length <= 80 ? text : text[..80] + "…";

    private sealed record Keys(string Production, string Test);
}
