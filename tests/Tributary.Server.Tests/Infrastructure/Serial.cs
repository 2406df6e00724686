namespace Tributary.Server.Tests.Infrastructure;

/// <summary>
/// Tests that observe process-wide state (OpenTelemetry listeners, exporter shutdown timing) run
/// alone: on a busy 2-core machine, parallel apps starving the exporter's shutdown budget made the
/// shutdown assertion flaky.
/// </summary>
[CollectionDefinition(DisableParallelization = true)]
public sealed class Serial;
