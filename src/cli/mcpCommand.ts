import { Command } from 'commander';
import { dirOption, natsOptions } from './common.js';
import { settingsFor, settingsOptions, type SettingsOpts } from './querySettings.js';

export function buildMcpCommand(version: string): Command {
  const command = new Command('mcp')
    .description(
      "Model Context Protocol server over stdio: tools best_agent, agent_stats, agent_trend, workflow_status, open_workflows, coordination_overhead. Reads the daemon's checkpoint (or replays) and follows the files (with --nats: the stream) between calls",
    )
    .addOption(dirOption());
  for (const option of settingsOptions()) command.addOption(option);
  for (const option of natsOptions()) command.addOption(option);
  return command.action(async (opts: SettingsOpts) => {
    // Loaded here: the other commands should not pay for the SDK or the state machinery.
    const [{ buildMcpServer }, { BoundedStdioTransport }, { createLogger }, { openState }, { naming, requireTelemetryDir }, { decodeWorkerSetting }] = await Promise.all([
      import('../mcp/mcpServer.js'),
      import('../mcp/boundedStdioTransport.js'),
      import('../log.js'),
      import('../state/openState.js'),
      import('./loadState.js'),
      import('./decodeWorkerSetting.js'),
    ]);
    const settings = settingsFor(opts);
    const nats = settings.nats.url === null ? null : { url: settings.nats.url, stream: settings.nats.stream };
    if (nats === null) requireTelemetryDir(settings.dir);
    // As `--source auto`: the checkpoint plus what the log gained, else a replay; then, before
    // each call, whatever was appended since (a rewritten file means a fresh replay).
    const followed = await openState({ dir: settings.dir, stateDir: settings.stateDir, maxLineBytes: settings.maxLineBytes, source: 'auto', nats, decodeWorker: decodeWorkerSetting() });
    const current = nats === null ? () => naming(settings.dir, () => followed.current()) : () => followed.current();
    current();
    const server = buildMcpServer({ current, clock: Date.now, overheadWindow: settings.alerts.overhead.window }, version);
    // stdout is the protocol's: nothing else may print there, so refusals are logged on stderr.
    // The process lives while stdin is open.
    await server.connect(new BoundedStdioTransport(process.stdin, process.stdout, createLogger('info', process.stderr)));
  });
}
