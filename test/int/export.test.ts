/**
 * `export` gives one row per invocation (its last record, its last rating), per workflow and per
 * hand-off: a plain count(*) in DuckDB over the export equals what `stats` counts, where the same
 * count over the raw file over-counts (an update is a line of its own). Real CLI, real files,
 * the real DuckDB (@duckdb/node-api, a dev dependency).
 */
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, runCliJson } from '../support/cliRunner.js';
import { tempDirsPerFile } from '../support/tempDirs.js';

interface DuckModule {
  DuckDBInstance: {
    create(path: string): Promise<{ connect(): Promise<{ runAndReadAll(sql: string): Promise<{ getRowObjectsJson(): Record<string, unknown>[] }> }> }>;
  };
}

const duckMissing = ((): string | null => {
  try {
    createRequire(import.meta.url).resolve('@duckdb/node-api');
    return null;
  } catch {
    return '@duckdb/node-api is not installed';
  }
})();

const sqlString = (text: string): string => `'${text.replaceAll("'", "''")}'`;
const temp = tempDirsPerFile();
const TRICKY_TASK = 'Say "hi", then\nbye';
let dir: string;
let out: string;

function log(args: string[]): string {
  const r = runCli(['log', ...args, '--dir', dir]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim();
}

beforeAll(() => {
  dir = temp.make('oak-export-');
  out = temp.make('oak-export-out-');
  log(['workflow-start', '--workflow-id', 'wf-1', '--project', 'shop, east', '--plan', 'architect,backend', '--estimated-duration', '3600']);
  const ids = ['architect', 'backend', 'backend', 'qa'].map((agent, i) =>
    log(['invocation', '--agent', agent, '--agent-type', 'development', '--task', i === 1 ? TRICKY_TASK : `task ${i}`, '--workflow-id', 'wf-1']),
  );
  log(['update', '--invocation-id', ids[1] as string, '--duration', '420', '--status', 'success']);
  log(['metric', '--invocation-id', ids[1] as string, '--success', 'true', '--quality', '2']);
  log(['metric', '--invocation-id', ids[1] as string, '--success', 'true', '--quality', '5']);
  log(['handoff', '--workflow-id', 'wf-1', '--from', 'architect', '--to', 'backend', '--artifacts', 'docs/api.md,docs/db.md']);
  log(['workflow-complete', '--workflow-id', 'wf-1', '--duration', '3300', '--success', 'true', '--agents', 'architect,backend']);
  for (const [records, format] of [['invocations', 'jsonl'], ['invocations', 'csv'], ['workflows', 'csv'], ['handoffs', 'jsonl']] as const) {
    const r = runCli(['export', records, '--format', format, '--out', path.join(out, `${records}.${format}`), '--dir', dir]);
    expect([r.code, r.stdout, r.stderr]).toEqual([0, '', '']);
  }
});

async function query(sql: string): Promise<Record<string, unknown>[]> {
  const { DuckDBInstance } = (await import('@duckdb/node-api' as string)) as DuckModule;
  const connection = await (await DuckDBInstance.create(':memory:')).connect();
  return (await connection.runAndReadAll(sql)).getRowObjectsJson();
}

describe.skipIf(duckMissing !== null)(`export read by DuckDB${duckMissing === null ? '' : ` (skipped: ${duckMissing})`}`, () => {
  it('count(*) over the export is the invocation count stats gives; over the raw file it is one more (the update line)', async () => {
    const stats = runCliJson<{ total_invocations: number }>(['stats', '--json', '--dir', dir]);
    expect(stats.total_invocations).toBe(4);
    const [raw] = await query(`SELECT count(*) AS n FROM read_json_auto(${sqlString(path.join(dir, 'agent_invocations.jsonl'))})`);
    expect(Number(raw?.n)).toBe(5);
    const [jsonl] = await query(`SELECT count(*) AS n FROM read_json_auto(${sqlString(path.join(out, 'invocations.jsonl'))})`);
    const [csv] = await query(`SELECT count(*) AS n FROM read_csv(${sqlString(path.join(out, 'invocations.csv'))}, header = true)`);
    expect([Number(jsonl?.n), Number(csv?.n)]).toEqual([4, 4]);
  });

  it('the update and the last rating are applied; quotes, commas and newlines survive the CSV', async () => {
    const rows = await query(
      `SELECT task_description, status, duration_seconds, quality_rating FROM read_csv(${sqlString(path.join(out, 'invocations.csv'))}, header = true) WHERE agent_name = 'backend' AND quality_rating IS NOT NULL`,
    );
    // getRowObjectsJson gives numbers as text.
    expect(rows).toEqual([{ task_description: TRICKY_TASK.toLowerCase(), status: 'success', duration_seconds: '420', quality_rating: '5' }]);
    const [workflow] = await query(`SELECT workflow_id, project_name, success, duration_seconds, estimated_duration_seconds, handoffs FROM read_csv(${sqlString(path.join(out, 'workflows.csv'))}, header = true)`);
    expect(workflow).toEqual({ workflow_id: 'wf-1', project_name: 'shop, east', success: true, duration_seconds: '3300', estimated_duration_seconds: '3600', handoffs: '1' });
    const handoffs = fs.readFileSync(path.join(out, 'handoffs.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(handoffs).toMatchObject([{ workflow_id: 'wf-1', from_agent: 'architect', to_agent: 'backend', artifacts: 2 }]);
  });
});

describe('export on the command line', () => {
  it('stdout by default, jsonl by default; a wrong record kind is a usage error', () => {
    const r = runCli(['export', 'invocations', '--dir', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(4);
    expect(runCli(['export', 'agents', '--dir', dir]).code).toBe(2);
  });
});
