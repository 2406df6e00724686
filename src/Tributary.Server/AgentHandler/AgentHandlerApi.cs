using Tributary.Server.AgentHandler.CallbackOrigins;
using Tributary.Server.AgentHandler.Connectors;
using Tributary.Server.AgentHandler.Credentials;
using Tributary.Server.AgentHandler.LinkTokens;
using Tributary.Server.AgentHandler.Logs;
using Tributary.Server.AgentHandler.Mcp;
using Tributary.Server.AgentHandler.RegisteredUsers;
using Tributary.Server.AgentHandler.ToolPacks;
using Tributary.Server.Auth;

namespace Tributary.Server.AgentHandler;

/// <summary>Merge Agent Handler's REST API under <c>/api/v1</c> and the MCP endpoint.</summary>
internal static class AgentHandlerApi
{
    public static IServiceCollection AddAgentHandler(this IServiceCollection services)
    {
        services.AddSingleton<AgentLinkTokens>();
        services.AddScoped<AgentTools>();
        return services;
    }

    public static IEndpointRouteBuilder MapAgentHandler(this IEndpointRouteBuilder app)
    {
        var v1 = app.MapGroup("/api/v1").RequireApiKey();
        v1.MapRegisteredUsers();
        v1.MapAgentLinkTokens();
        v1.MapToolPacks();
        v1.MapConnectors();
        v1.MapCredentials();
        v1.MapAllowedCallbackOrigins();
        v1.MapAgentLogs();
        v1.MapMcp();
        return app;
    }
}
