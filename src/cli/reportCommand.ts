import type { Command } from 'commander';
import { printJson, printLine } from './common.js';
import { resolveNow } from './queryArgs.js';
import { listLimitOption, parseLimit, queryCommand, type QueryOpts } from './queryCommands.js';
import { layoutFor } from './terminalLayout.js';
import { settingsFor } from './querySettings.js';
import { oneLine, wrapLines } from './terminalText.js';

/** How many entries each list of workflows, pairs and projects shows unless --limit says otherwise. */
const REPORT_LIMIT = 5;

export function buildReportCommand(): Command {
  return queryCommand(
    'report',
    'readable overview: agent table, workflows, coordination overhead with its recommendation, open workflows, hand-offs, gaps, estimates, bottlenecks (--json: one document with every section)',
  )
    .addOption(listLimitOption(REPORT_LIMIT))
    .action(async (opts: QueryOpts & { limit: string }) => {
      const nowUs = resolveNow(opts.now);
      const limit = parseLimit(opts.limit);
      // No API route holds the whole report: it is computed here, from the checkpoint or a replay.
      const settings = settingsFor(opts);
      const dir = settings.nats.url ?? settings.dir;
      const [{ loadQueryState }, { reportSections, renderReport }] = await Promise.all([import('./loadQueryState.js'), import('./reportSections.js')]);
      const state = await loadQueryState(opts, settings);
      if (opts.json) printJson(reportSections(state, nowUs, limit));
      else {
        const layout = layoutFor(opts);
        printLine(wrapLines(renderReport(`oak-telemetry report for ${oneLine(dir)}`, state, nowUs, layout, limit), layout.width).join('\n'));
      }
    });
}
