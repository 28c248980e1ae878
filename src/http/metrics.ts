import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { SOURCE_FILES, SOURCE_KINDS, type SourceKind } from '../domain/sources.js';
import { pyRound } from '../domain/pyRound.js';
import type { HostHealth } from '../domain/streamPosition.js';
import type { Fault, IoErrorCount } from '../io/faults.js';
import type { IngestTotals } from '../pipeline/ingest.js';
import type { TelemetryState } from '../projections/folds/telemetryState.js';
import { isCompleted } from '../projections/folds/workflowStats.js';
import * as q from '../queries/telemetryQueries.js';

/** What /metrics reads from the running daemon, at scrape time. */
export interface MetricsSource {
  state(): TelemetryState;
  totals(): IngestTotals;
  lagBytes(): Record<SourceKind, number>;
  /** Stream mode: per shipping host, messages applied, the last one's time and what waits. */
  hosts(): readonly HostHealth[];
  activeAlertNames(): readonly string[];
  /** Notices sent so far (alerts with no state to resolve, such as estimate_overrun), by name. */
  alertNotices?(): ReadonlyMap<string, number>;
  /** Lines the Claude Code hook wrote to hook-errors.jsonl. */
  hookErrors?(): number;
  /** Files changed other than by appending: rebuilt from the files, or told apart and applied as changes. */
  rewrites?(): { readonly rebuilds: number; readonly asChanges: number };
  /** The OTLP receiver (`daemon --otlp`), or null/absent without one. */
  otlp?(): OtlpReceiverFigures | null;
  /** The daemon's I/O faults: active now, and every failed attempt so far. */
  readonly faults: { faults(): readonly Fault[]; errorCounts(): readonly IoErrorCount[] };
  readonly overheadWindow: number;
  readonly rollingWindow: number;
}

/** What the OTLP receiver has done (src/intake/otlp/receiverCounts.ts). */
export interface OtlpReceiverFigures {
  readonly inFlight: number;
  readonly spansAccepted: number;
  readonly spansRejected: number;
  requestCounts(): ReadonlyArray<{ readonly route: string; readonly code: number; readonly count: number }>;
}

const ALERT_NAMES = ['coordination_overhead', 'open_workflow_too_long', 'agent_success_low'] as const;
const STATUSES = ['success', 'failure', 'partial', 'unknown'] as const;
const DURATION_BUCKETS = [60, 300, 600, 1800, 3600, 2 * 3600, 4 * 3600, 8 * 3600, 24 * 3600];

/**
 * The Prometheus exposition (prom-client): every figure is read from the state when scraped,
 * with the same queries and rounding as the snapshot, so the two agree at the same moment.
 * Base units, `_total` for counters, `_ratio` for 0-1 values.
 */
export class DaemonMetrics {
  readonly registry = new Registry();
  private readonly snapshotWrites: Counter;
  private readonly snapshotWriteSeconds: Histogram;

  constructor(source: MetricsSource) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    new Counter({
      name: 'oak_events_applied_total',
      help: 'Telemetry lines folded into the state, per file.',
      labelNames: ['file'],
      registers,
      collect() {
        this.reset();
        const perSource = source.totals().perSource;
        for (const kind of SOURCE_KINDS) this.inc({ file: SOURCE_FILES[kind] }, perSource[kind].applied);
      },
    });
    new Counter({
      name: 'oak_lines_rejected_total',
      help: 'Bad lines reported and kept in rejected.jsonl, per file and kind of reason.',
      labelNames: ['file', 'reason'],
      registers,
      collect() {
        this.reset();
        for (const [key, count] of source.totals().rejectedByKind) {
          const [kind, reason] = key.split('/') as [SourceKind, string];
          this.inc({ file: SOURCE_FILES[kind], reason }, count);
        }
      },
    });
    new Gauge({
      name: 'oak_source_lag_bytes',
      help: 'Bytes in each file beyond the last complete line folded.',
      labelNames: ['file'],
      registers,
      collect() {
        const lag = source.lagBytes();
        for (const kind of SOURCE_KINDS) this.set({ file: SOURCE_FILES[kind] }, lag[kind]);
      },
    });
    new Gauge({
      name: 'oak_host_lag_messages',
      help: 'Stream mode: messages of each shipping host in the stream and not yet folded.',
      labelNames: ['host'],
      registers,
      collect() {
        this.reset();
        for (const h of source.hosts()) this.set({ host: h.host }, h.lag_messages);
      },
    });
    new Gauge({
      name: 'oak_host_last_event_timestamp_seconds',
      help: 'Stream mode: when JetStream stored the last folded message of each shipping host (Unix seconds).',
      labelNames: ['host'],
      registers,
      collect() {
        this.reset();
        for (const h of source.hosts()) if (h.last_event_at !== null) this.set({ host: h.host }, Date.parse(h.last_event_at) / 1000);
      },
    });
    new Gauge({
      name: 'oak_coordination_overhead_ratio',
      help: 'Share of workflow time outside agents: over all completed workflows, and over the alert window (as the snapshot rounds it).',
      labelNames: ['window'],
      registers,
      collect() {
        this.reset();
        const state = source.state();
        this.set({ window: 'all' }, pyRound(q.overhead(state).coordination_overhead_pct / 100, 4));
        const recent = q.recentOverhead(state, source.overheadWindow).view;
        this.set({ window: String(source.overheadWindow) }, pyRound(recent.coordination_overhead_pct / 100, 4));
      },
    });
    new Counter({
      name: 'oak_file_rewrites_total',
      help: 'Files changed other than by appending, by how the state followed: rebuilt from the files, or the changed records applied as replacements.',
      labelNames: ['handled_as'],
      registers,
      collect() {
        this.reset();
        const rewrites = source.rewrites?.();
        if (rewrites === undefined) return;
        this.inc({ handled_as: 'rebuild' }, rewrites.rebuilds);
        this.inc({ handled_as: 'changes' }, rewrites.asChanges);
      },
    });
    new Gauge({
      name: 'oak_workflows_open',
      help: 'Workflows started and not completed.',
      registers,
      collect() {
        this.set(source.state().open.open.size);
      },
    });
    new Counter({
      name: 'oak_workflows_completed_total',
      help: 'Completed workflows (the last complete line of each), by success.',
      labelNames: ['success'],
      registers,
      collect() {
        this.reset();
        const workflows = source.state().workflows;
        this.inc({ success: 'true' }, workflows.successes);
        this.inc({ success: 'false' }, workflows.completedCount - workflows.successes);
      },
    });
    new Histogram({
      name: 'oak_workflow_duration_seconds',
      help: 'duration_seconds of completed workflows.',
      buckets: DURATION_BUCKETS,
      registers,
      collect() {
        this.reset();
        const workflows = source.state().workflows;
        for (let ref = 0; ref < workflows.completeDuration.length; ref++) {
          if (isCompleted(workflows, ref)) this.observe(workflows.completeDuration.get(ref));
        }
      },
    });
    new Counter({
      name: 'oak_agent_invocations_total',
      help: 'Invocations (current records) per agent and status.',
      labelNames: ['agent', 'status'],
      registers,
      collect() {
        this.reset();
        const table = source.state().ledger.table;
        const counts = new Map<number, number[]>();
        for (let seq = 0; seq < table.size; seq++) {
          const agent = table.agentRefAt(seq);
          let row = counts.get(agent);
          if (row === undefined) {
            row = [0, 0, 0, 0];
            counts.set(agent, row);
          }
          row[table.statusAt(seq)] = (row[table.statusAt(seq)] as number) + 1;
        }
        for (const [agent, row] of counts) {
          STATUSES.forEach((status, code) => this.inc({ agent: table.words.at(agent), status }, row[code] as number));
        }
      },
    });
    new Gauge({
      name: 'oak_agent_rolling_success_ratio',
      help: "Each agent's success rate over its last decided invocations (the snapshot's rolling_success_rate).",
      labelNames: ['agent'],
      registers,
      collect() {
        this.reset();
        for (const agent of q.agents(source.state(), source.rollingWindow)) {
          if (agent.rolling_success_rate !== null) this.set({ agent: agent.agent_name }, agent.rolling_success_rate);
        }
      },
    });
    new Gauge({
      name: 'oak_alert_active',
      help: 'Alerts firing now, per alert (agent_success_low counts the agents it fires for).',
      labelNames: ['alert'],
      registers,
      collect() {
        const active = source.activeAlertNames();
        for (const name of ALERT_NAMES) this.set({ alert: name }, active.filter((a) => a === name).length);
      },
    });
    new Counter({
      name: 'oak_alert_notices_total',
      help: 'Notices sent (alerts with no state to resolve: estimate_overrun, a workflow completing at more than twice its estimate), per alert.',
      labelNames: ['alert'],
      registers,
      collect() {
        this.reset();
        for (const [alert, count] of source.alertNotices?.() ?? []) this.inc({ alert }, count);
      },
    });
    new Counter({
      name: 'oak_hook_errors_total',
      help: 'Errors the Claude Code hook logged to hook-errors.jsonl in the state dir (the hook exits 0 whatever happens; these are what it could not do).',
      registers,
      collect() {
        this.reset();
        this.inc(source.hookErrors?.() ?? 0);
      },
    });
    new Counter({
      name: 'oak_io_errors_total',
      help: 'Failed I/O attempts (reading a telemetry file, writing a state file...), per operation, file and error code.',
      labelNames: ['op', 'file', 'code'],
      registers,
      collect() {
        this.reset();
        for (const { op, file, code, count } of source.faults.errorCounts()) this.inc({ op, file, code }, count);
      },
    });
    new Gauge({
      name: 'oak_io_faults_active',
      help: 'I/O faults active now: 1 per failing operation on a file, with its error code (none while all is well).',
      labelNames: ['op', 'file', 'code'],
      registers,
      collect() {
        this.reset();
        for (const { op, file, code } of source.faults.faults()) this.set({ op, file, code }, 1);
      },
    });
    new Counter({
      name: 'oak_otlp_requests_total',
      help: 'OTLP/HTTP requests answered by the receiver (daemon --otlp), per route (/v1/traces, /v1/logs, /v1/metrics, other) and status code.',
      labelNames: ['route', 'code'],
      registers,
      collect() {
        this.reset();
        for (const { route, code, count } of source.otlp?.()?.requestCounts() ?? []) this.inc({ route, code: String(code) }, count);
      },
    });
    new Counter({
      name: 'oak_otlp_spans_total',
      help: 'Spans the OTLP receiver took (accepted) or counted in partialSuccess or a 503 (rejected).',
      labelNames: ['result'],
      registers,
      collect() {
        this.reset();
        const otlp = source.otlp?.() ?? null;
        if (otlp === null) return;
        this.inc({ result: 'accepted' }, otlp.spansAccepted);
        this.inc({ result: 'rejected' }, otlp.spansRejected);
      },
    });
    new Gauge({
      name: 'oak_otlp_requests_in_flight',
      help: 'OTLP requests being read or handled now (beyond otlp.maxRequestsInFlight: 429).',
      registers,
      collect() {
        this.reset();
        const otlp = source.otlp?.() ?? null;
        if (otlp !== null) this.set(otlp.inFlight);
      },
    });
    this.snapshotWrites = new Counter({ name: 'oak_snapshot_writes_total', help: 'snapshot.json writes.', registers });
    this.snapshotWriteSeconds = new Histogram({
      name: 'oak_snapshot_write_seconds',
      help: 'Time to build and write snapshot.json.',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    });
  }

  snapshotWritten(seconds: number): void {
    this.snapshotWrites.inc();
    this.snapshotWriteSeconds.observe(seconds);
  }

  exposition(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
