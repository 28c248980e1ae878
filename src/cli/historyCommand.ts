import type { Command } from 'commander';
import { parseTimestampUs } from '../domain/time.js';
import { UsageError } from '../errors.js';
import type { BucketChoice } from '../projections/views/runHistory.js';
import { answerQuery } from './answerQuery.js';
import { resolveNow } from './queryArgs.js';
import { queryCommand, type QueryOpts } from './queryCommands.js';
import { renderHistory, renderTimeline } from './renderHistory.js';

interface HistoryOpts extends QueryOpts {
  bucket: string;
  project?: string;
  since?: string;
  until?: string;
}

const BUCKETS: readonly BucketChoice[] = ['auto', 'hour', 'day'];

function timeOption(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const us = parseTimestampUs(raw);
  if (Number.isNaN(us)) throw new UsageError(`${flag} must be an ISO-8601 time, got ${JSON.stringify(raw)}`);
  return us;
}

/** `history` (runs, success and overhead per hour or day) and `timeline <workflow>`. */
export function buildHistoryCommands(): Command[] {
  const history = queryCommand('history', "runs, success rate and coordination overhead per day (or hour), by the data's own timestamps")
    .option('--bucket <size>', 'auto (hours when the data spans 48 h or less, else days), hour or day', 'auto')
    .option('--project <name>', 'only workflows of this project, and the invocations that name them')
    .option('--since <iso>', 'from this hour on (UTC, rounded down to the hour)')
    .option('--until <iso>', 'up to this hour, not included (UTC, rounded down to the hour)')
    .action((opts: HistoryOpts) => {
      if (!BUCKETS.includes(opts.bucket as BucketChoice)) throw new UsageError(`--bucket must be auto, hour or day, got ${JSON.stringify(opts.bucket)}`);
      const bucket = opts.bucket as BucketChoice;
      const sinceUs = timeOption('--since', opts.since);
      const untilUs = timeOption('--until', opts.until);
      resolveNow(opts.now);
      return answerQuery(opts, {
        api: { route: '/api/v1/history', params: { now: opts.now, bucket, project: opts.project, since: opts.since, until: opts.until } },
        compute: (state, q) => q.history(state, { bucket, project: opts.project, sinceUs, untilUs }),
        human: renderHistory,
      });
    });

  const timeline = queryCommand('timeline', "one workflow's invocations on its time axis, with the gaps and idle time between them")
    .argument('<workflow-id>', 'the workflow')
    .action((workflowId: string, opts: QueryOpts) => {
      resolveNow(opts.now);
      return answerQuery(opts, {
        api: { route: `/api/v1/workflows/${encodeURIComponent(workflowId)}/timeline`, params: { now: opts.now } },
        compute: (state, q) => q.timeline(state, workflowId),
        human: (view) => renderTimeline(view, workflowId),
      });
    });
  return [history, timeline];
}
