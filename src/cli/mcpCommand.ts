import { Command } from 'commander';
import path from 'node:path';
import { DEFAULT_MAX_LINE_BYTES } from '../decode/decodeLine.js';
import { readToEnd, resume, type Resumed, startFresh } from '../io/resume.js';
import { dirOption, resolveDir } from './common.js';

/** The overhead alert's default window, for the windowed figure of coordination_overhead. */
const OVERHEAD_WINDOW = 50;

export function buildMcpCommand(version: string): Command {
  return new Command('mcp')
    .description(
      "Model Context Protocol server over stdio: tools best_agent, agent_stats, agent_trend, workflow_status, open_workflows, coordination_overhead. Reads the daemon's checkpoint (or replays) and follows the files between calls",
    )
    .addOption(dirOption())
    .option('--state-dir <path>', 'where the daemon keeps its checkpoint (default: <dir>/.oak-telemetry)')
    .action(async (opts: { dir?: string; stateDir?: string }) => {
      // Loaded here: the other commands should not pay for the SDK.
      const [{ buildMcpServer }, { StdioServerTransport }] = await Promise.all([
        import('../mcp/mcpServer.js'),
        import('@modelcontextprotocol/sdk/server/stdio.js'),
      ]);
      const dir = resolveDir(opts.dir);
      const stateDir = path.resolve(opts.stateDir ?? path.join(dir, '.oak-telemetry'));
      // As `--source auto`: the checkpoint plus what the files gained, else a replay; then, before
      // each call, whatever was appended since (a rewritten file means a fresh replay).
      let loaded: Resumed = resume(stateDir, dir, DEFAULT_MAX_LINE_BYTES, {});
      const current = () => {
        if (!readToEnd(loaded)) {
          loaded = startFresh(dir, DEFAULT_MAX_LINE_BYTES, {}, null, 'quick');
          readToEnd(loaded);
        }
        return loaded.ingest.state;
      };
      current();
      const server = buildMcpServer({ current, clock: Date.now, overheadWindow: OVERHEAD_WINDOW }, version);
      await server.connect(new StdioServerTransport());
      // stdout is the protocol's: nothing else may print there. The process lives while stdin is open.
    });
}
