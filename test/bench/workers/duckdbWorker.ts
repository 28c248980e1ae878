/**
 * The peer: DuckDB (@duckdb/node-api) computing the per-agent figures of `stats` (count, success
 * rate, average non-zero duration, average quality of the last rating per invocation) straight
 * from the JSONL files. Measured by the parent as a whole process, start-up included.
 * Usage: node duckdbWorker.js DIR [--auto]
 *   --auto  read_json_auto with schema inference instead of read_ndjson with the columns named
 * Prints {"loadMs", "queryMs", "agents": {name: {invocation_count, success_rate, ...}}}.
 */
import path from 'node:path';

/** The little of @duckdb/node-api used here; imported by name at run time so the build does not need it. */
interface DuckModule {
  DuckDBInstance: {
    create(path: string): Promise<{ connect(): Promise<{ runAndReadAll(sql: string): Promise<{ getRowObjectsJson(): Record<string, unknown>[] }> }> }>;
  };
}

const argv = process.argv.slice(2);
const dir = argv[0];
if (dir === undefined) throw new Error('usage: duckdbWorker DIR [--auto]');
const auto = argv.includes('--auto');

const sqlString = (text: string): string => `'${text.replaceAll("'", "''")}'`;
const invocationsFile = sqlString(path.join(dir, 'agent_invocations.jsonl'));
const metricsFile = sqlString(path.join(dir, 'success_metrics.jsonl'));

const invocations = auto
  ? `read_json_auto(${invocationsFile})`
  : `read_ndjson(${invocationsFile}, columns = {invocation_id: 'VARCHAR', agent_name: 'VARCHAR', duration_seconds: 'DOUBLE', outcome: 'STRUCT(status VARCHAR)'})`;
const metrics = auto
  ? `read_json_auto(${metricsFile})`
  : `read_ndjson(${metricsFile}, columns = {invocation_id: 'VARCHAR', timestamp: 'VARCHAR', quality_rating: 'DOUBLE'})`;

// The generated invocations file holds one line per invocation, so invocations need no
// de-duplication; ratings do (last one wins, by timestamp).
const sql = `
WITH rating AS (
  SELECT invocation_id, arg_max(quality_rating, timestamp) AS quality FROM ${metrics} GROUP BY invocation_id
)
SELECT i.agent_name AS agent,
  count(*) AS invocation_count,
  count(*) FILTER (WHERE i.outcome.status = 'success') AS successes,
  count(*) FILTER (WHERE i.outcome.status = 'failure') AS failures,
  avg(i.duration_seconds) FILTER (WHERE i.duration_seconds <> 0) AS average_duration_seconds,
  avg(r.quality) AS average_quality
FROM ${invocations} AS i LEFT JOIN rating AS r USING (invocation_id)
GROUP BY i.agent_name`;

const began = performance.now();
const specifier: string = '@duckdb/node-api';
const { DuckDBInstance } = (await import(specifier)) as DuckModule;
const instance = await DuckDBInstance.create(':memory:');
const connection = await instance.connect();
const loaded = performance.now();
const rows = (await connection.runAndReadAll(sql)).getRowObjectsJson();
const queried = performance.now();

const agents: Record<string, { invocation_count: number; success_rate: number; average_duration_seconds: number; average_quality: number }> = {};
for (const row of rows) {
  const successes = Number(row.successes);
  const decided = successes + Number(row.failures);
  agents[String(row.agent)] = {
    invocation_count: Number(row.invocation_count),
    success_rate: decided > 0 ? successes / decided : 0,
    average_duration_seconds: Number(row.average_duration_seconds ?? 0),
    average_quality: Number(row.average_quality ?? 0),
  };
}
process.stdout.write(`${JSON.stringify({ loadMs: loaded - began, queryMs: queried - loaded, agents })}\n`);
