import { Command } from 'commander';
import path from 'node:path';
import { DEFAULT_MAX_LINE_BYTES } from '../decode/decodeLine.js';
import { readToEnd, resume, type Resumed, startFresh } from '../io/resume.js';
import { dirOption, natsOptions, resolveDir } from './common.js';
import { naming, requireTelemetryDir } from './loadState.js';
import type { TelemetryState } from '../projections/folds/telemetryState.js';

/** The overhead alert's default window, for the windowed figure of coordination_overhead. */
const OVERHEAD_WINDOW = 50;

export function buildMcpCommand(version: string): Command {
  const command = new Command('mcp')
    .description(
      "Model Context Protocol server over stdio: tools best_agent, agent_stats, agent_trend, workflow_status, open_workflows, coordination_overhead. Reads the daemon's checkpoint (or replays) and follows the files (with --nats: the stream) between calls",
    )
    .addOption(dirOption())
    .option('--state-dir <path>', "where the daemon keeps its checkpoint (default: <dir>/.oak-telemetry); with --nats, the aggregator's");
  for (const option of natsOptions()) command.addOption(option);
  return command.action(async (opts: { dir?: string; stateDir?: string; nats?: string; stream: string }) => {
      // Loaded here: the other commands should not pay for the SDK.
      const [{ buildMcpServer }, { BoundedStdioTransport }, { createLogger }] = await Promise.all([
        import('../mcp/mcpServer.js'),
        import('../mcp/boundedStdioTransport.js'),
        import('../log.js'),
      ]);
      const dir = resolveDir(opts.dir);
      const stateDir = path.resolve(opts.stateDir ?? path.join(dir, '.oak-telemetry'));
      const current = opts.nats === undefined ? followFiles(dir, stateDir) : await followNats(opts.nats, opts.stream, stateDir);
      current();
      const server = buildMcpServer({ current, clock: Date.now, overheadWindow: OVERHEAD_WINDOW }, version);
      // stdout is the protocol's: nothing else may print there, so refusals are logged on stderr.
      // The process lives while stdin is open.
      await server.connect(new BoundedStdioTransport(process.stdin, process.stdout, createLogger('info', process.stderr)));
    });
}

/** The aggregator's checkpoint when there is one, then the stream, followed between calls. */
async function followNats(url: string, stream: string, stateDir: string): Promise<() => TelemetryState> {
  const { followStream } = await import('../transport/streamReplay.js');
  const view = await followStream(url, stream, stateDir);
  return () => view.current();
}

/**
 * As `--source auto`: the checkpoint plus what the files gained, else a replay; then, before
 * each call, whatever was appended since (a rewritten file means a fresh replay).
 */
function followFiles(dir: string, stateDir: string): () => TelemetryState {
  requireTelemetryDir(dir);
  let loaded: Resumed = naming(dir, () => resume(stateDir, dir, DEFAULT_MAX_LINE_BYTES, {}));
  return () => naming(dir, () => {
    if (!readToEnd(loaded)) {
      loaded = startFresh(dir, DEFAULT_MAX_LINE_BYTES, {}, null, 'quick');
      readToEnd(loaded);
    }
    return loaded.ingest.state;
  });
}
