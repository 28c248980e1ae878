import type { Command } from 'commander';
import { printJson, printLine } from './common.js';
import { resolveNow } from './queryArgs.js';
import { queryCommand, type QueryOpts } from './queryCommands.js';
import { settingsFor } from './querySettings.js';
import { oneLine } from './terminalText.js';

export function buildReportCommand(): Command {
  return queryCommand(
    'report',
    'readable overview: agent table, workflows, coordination overhead with its recommendation, open workflows, hand-offs, gaps, estimates, bottlenecks (--json: one document with every section)',
  ).action(async (opts: QueryOpts) => {
    const nowUs = resolveNow(opts.now);
    // No API route holds the whole report: it is computed here, from the checkpoint or a replay.
    const settings = settingsFor(opts);
    const dir = settings.nats.url ?? settings.dir;
    const [{ loadQueryState }, { reportSections, renderReport }] = await Promise.all([import('./loadQueryState.js'), import('./reportSections.js')]);
    const state = await loadQueryState(opts, settings);
    if (opts.json) printJson(reportSections(state, nowUs));
    else printLine(renderReport(`oak-telemetry report for ${oneLine(dir)}`, state, nowUs));
  });
}
