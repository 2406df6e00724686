namespace Tributary.Server.Errors;

internal static class StatusCodeBodies
{
    /// <summary>
    /// Routing misses (unknown path, wrong method) get the same JSON shape as every other error,
    /// worded as Django REST Framework words them.
    /// </summary>
    public static IApplicationBuilder UseJsonStatusCodeBodies(this IApplicationBuilder app) =>
        app.UseStatusCodePages(async context =>
        {
            var response = context.HttpContext.Response;
            var detail = response.StatusCode switch
            {
                StatusCodes.Status404NotFound => "Not found.",
                StatusCodes.Status405MethodNotAllowed => $"Method \"{context.HttpContext.Request.Method}\" not allowed.",
                StatusCodes.Status415UnsupportedMediaType => "Unsupported media type: send the body as application/json.",
                _ => null,
            };
            if (detail is not null)
            {
                await response.WriteAsJsonAsync(ApiExceptionHandler.Detail(detail), ApiJson.Options);
            }
        });
}
