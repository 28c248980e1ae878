import type { InvocationStatus } from '../../domain/events.js';
import { formatTimestampUs } from '../../domain/time.js';
import { Float64Column, RefColumn, type RefRows, Uint8Column } from './columns.js';
import { KeyIndex, type KeyIndexData } from './keyIndex.js';
import { StringPool } from './stringPool.js';
import { TaskTexts, type TaskTextsData } from './taskTexts.js';

/**
 * An invocation as currently known: its latest record, at the position of its first line,
 * with the pooled numbers of its strings (see InvocationTable).
 */
export interface StoredInvocation {
  /** First-seen position among invocations (0-based); kept when a later record replaces it. */
  readonly seq: number;
  readonly timestamp: string;
  /** Epoch microseconds, or NaN when the timestamp does not parse. */
  readonly timeUs: number;
  /** The session id's number in the ledger's session index; -1 when session_id is null. */
  readonly sessionRef: number;
  readonly workflowId: string | null;
  /** -1 when workflowId is null. */
  readonly workflowRef: number;
  readonly agentName: string;
  readonly agentRef: number;
  readonly agentType: string;
  /** task_description, lower-cased: the only form any question reads. */
  readonly taskLower: string;
  readonly taskType: string | null;
  readonly status: InvocationStatus;
  readonly durationSeconds: number | null;
  readonly errorMessage: string | null;
}

/**
 * The current record of every invocation, one row per invocation (its first-seen position),
 * one typed column per field. Strings are pooled: `words` for the small vocabularies (agent
 * names, types, task types, error messages), `workflows` for workflow ids, `sessions` for
 * session ids. Task texts are kept lower-cased, the only form best-agent reads.
 */

const STATUSES: readonly InvocationStatus[] = ['success', 'failure', 'partial', 'unknown'];
const STATUS_CODE = new Map<InvocationStatus, number>(STATUSES.map((status, code) => [status, code]));

export const SUCCESS = 0;
export const FAILURE = 1;
export const UNKNOWN = 3;

export function statusCode(status: InvocationStatus): number {
  return STATUS_CODE.get(status) as number;
}

/**
 * formatTimestampUs writes exactly this shape, and a string of this shape that parsed to an
 * exact microsecond count (a safe integer: years ~1685-2255) formats back to itself, so such
 * timestamps are stored as their microseconds alone (test/unit/time.test.ts checks both).
 */
const CANONICAL_TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

function isCanonicalTimestamp(timestamp: string, timeUs: number): boolean {
  return Number.isSafeInteger(timeUs) && timestamp.length === 27 && CANONICAL_TIMESTAMP.test(timestamp);
}

export interface InvocationTableData {
  readonly words: readonly string[];
  readonly workflows: readonly string[];
  readonly sessions: KeyIndexData;
  /** ref + 1 per row (RefColumn). */
  readonly agent: RefRows;
  readonly agentType: RefRows;
  readonly taskType: RefRows;
  readonly workflow: RefRows;
  readonly session: RefRows;
  readonly error: RefRows;
  readonly status: Uint8Array;
  readonly duration: Float64Array;
  readonly timeUs: Float64Array;
  readonly task: TaskTextsData;
  readonly oddTimestamps: ReadonlyArray<readonly [number, string]>;
}

export class InvocationTable {
  readonly words = new StringPool();
  readonly workflows = new StringPool();
  readonly sessions = new KeyIndex();
  private agent = new RefColumn();
  private agentType = new RefColumn();
  private taskType = new RefColumn();
  private workflow = new RefColumn();
  private session = new RefColumn();
  private error = new RefColumn();
  private statusCodes = new Uint8Column();
  private duration = new Float64Column(NaN);
  private time = new Float64Column(NaN);
  private task = new TaskTexts();
  /** Timestamps that are not the canonical form of their microseconds (formatTimestampUs). */
  private readonly oddTimestamps = new Map<number, string>();

  get size(): number {
    return this.task.size;
  }

  write(inv: StoredInvocation): void {
    const seq = inv.seq;
    this.agent.set(seq, inv.agentRef);
    this.agentType.set(seq, this.words.ref(inv.agentType));
    this.taskType.set(seq, this.words.refOrNull(inv.taskType));
    this.workflow.set(seq, inv.workflowRef);
    this.session.set(seq, inv.sessionRef);
    this.error.set(seq, this.words.refOrNull(inv.errorMessage));
    this.statusCodes.set(seq, statusCode(inv.status));
    this.duration.set(seq, inv.durationSeconds ?? NaN);
    this.time.set(seq, inv.timeUs);
    this.task.set(seq, inv.taskLower);
    if (!isCanonicalTimestamp(inv.timestamp, inv.timeUs)) this.oddTimestamps.set(seq, inv.timestamp);
    else this.oddTimestamps.delete(seq);
  }

  /**
   * The row as a record. With `beforeOverwrite` (the row is about to be replaced, and the record
   * must keep what it held) every field is copied out; without it, the record reads the columns
   * only when a field is asked for, so it is valid until the row is next written. Why: a rating
   * reads the row of its invocation and one fold asks it for the agent only; copying all twelve
   * fields was ~6% of a replay.
   */
  read(seq: number, beforeOverwrite = false): StoredInvocation {
    if (!beforeOverwrite) return new RowView(this, seq);
    const row = new StoredRow(this, seq);
    row.keepTimestamp();
    return row;
  }

  agentRefAt(seq: number): number {
    return this.agent.get(seq);
  }

  agentTypeRefAt(seq: number): number {
    return this.agentType.get(seq);
  }

  taskTypeRefAt(seq: number): number {
    return this.taskType.get(seq);
  }

  sessionRefAt(seq: number): number {
    return this.session.get(seq);
  }

  errorRefAt(seq: number): number {
    return this.error.get(seq);
  }

  workflowRefAt(seq: number): number {
    return this.workflow.get(seq);
  }

  statusAt(seq: number): number {
    return this.statusCodes.get(seq);
  }

  /** The duration in seconds; NaN when the record has none. */
  durationAt(seq: number): number {
    return this.duration.get(seq);
  }

  timeUsAt(seq: number): number {
    return this.time.get(seq);
  }

  taskLowerAt(seq: number): string {
    return this.task.at(seq);
  }

  /** Calls `hit(seq)` once for each invocation whose lower-cased task text contains `needle`. */
  forEachTaskContaining(needle: string, hit: (seq: number) => void): void {
    this.task.forEachContaining(needle, hit);
  }

  /** Adds 1 to `counts[seq]` for each invocation whose lower-cased task text contains `needle`. */
  countTasksContaining(needle: string, counts: Float64Array): void {
    this.task.countContaining(needle, counts);
  }

  timestampAt(seq: number): string {
    return this.oddTimestamps.get(seq) ?? formatTimestampUs(this.time.get(seq));
  }

  toData(): InvocationTableData {
    return {
      words: this.words.toData(),
      workflows: this.workflows.toData(),
      sessions: this.sessions.toData(),
      agent: this.agent.toArray(),
      agentType: this.agentType.toArray(),
      taskType: this.taskType.toArray(),
      workflow: this.workflow.toArray(),
      session: this.session.toArray(),
      error: this.error.toArray(),
      status: this.statusCodes.toArray(),
      duration: this.duration.toArray(),
      timeUs: this.time.toArray(),
      task: this.task.toData(),
      oddTimestamps: [...this.oddTimestamps],
    };
  }

  static fromData(data: InvocationTableData): InvocationTable {
    const table = new InvocationTable();
    const target = table as unknown as Record<string, unknown>;
    target.words = StringPool.fromData(data.words);
    target.workflows = StringPool.fromData(data.workflows);
    target.sessions = KeyIndex.fromData(data.sessions);
    table.agent = RefColumn.from(data.agent);
    table.agentType = RefColumn.from(data.agentType);
    table.taskType = RefColumn.from(data.taskType);
    table.workflow = RefColumn.from(data.workflow);
    table.session = RefColumn.from(data.session);
    table.error = RefColumn.from(data.error);
    table.statusCodes = Uint8Column.from(data.status);
    table.duration = Float64Column.from(data.duration, NaN);
    table.time = Float64Column.from(data.timeUs, NaN);
    table.task = TaskTexts.fromData(data.task);
    for (const [seq, timestamp] of data.oddTimestamps) table.oddTimestamps.set(seq, timestamp);
    return table;
  }
}

/** One row read back as a StoredInvocation (the change handed to projections on a retraction or rating). */
class StoredRow implements StoredInvocation {
  readonly timeUs: number;
  readonly sessionRef: number;
  readonly workflowRef: number;
  readonly workflowId: string | null;
  readonly agentRef: number;
  readonly agentName: string;
  readonly agentType: string;
  readonly taskLower: string;
  readonly taskType: string | null;
  readonly status: InvocationStatus;
  readonly durationSeconds: number | null;
  readonly errorMessage: string | null;

  constructor(
    private readonly table: InvocationTable,
    readonly seq: number,
  ) {
    const words = table.words;
    this.timeUs = table.timeUsAt(seq);
    this.sessionRef = table.sessionRefAt(seq);
    this.workflowRef = table.workflowRefAt(seq);
    this.workflowId = table.workflows.atOrNull(this.workflowRef);
    this.agentRef = table.agentRefAt(seq);
    this.agentName = words.at(this.agentRef);
    this.agentType = words.at(table.agentTypeRefAt(seq));
    this.taskLower = table.taskLowerAt(seq);
    this.taskType = words.atOrNull(table.taskTypeRefAt(seq));
    this.status = STATUSES[table.statusAt(seq)] as InvocationStatus;
    const duration = table.durationAt(seq);
    this.durationSeconds = Number.isNaN(duration) ? null : duration;
    this.errorMessage = words.atOrNull(table.errorRefAt(seq));
  }

  private kept: string | undefined;

  keepTimestamp(): void {
    this.kept = this.table.timestampAt(this.seq);
  }

  get timestamp(): string {
    return this.kept ?? this.table.timestampAt(this.seq);
  }
}

/** A row read in place: each field from the columns when asked (see InvocationTable.read). */
class RowView implements StoredInvocation {
  constructor(
    private readonly table: InvocationTable,
    readonly seq: number,
  ) {}

  get timestamp(): string {
    return this.table.timestampAt(this.seq);
  }

  get timeUs(): number {
    return this.table.timeUsAt(this.seq);
  }

  get sessionRef(): number {
    return this.table.sessionRefAt(this.seq);
  }

  get workflowRef(): number {
    return this.table.workflowRefAt(this.seq);
  }

  get workflowId(): string | null {
    return this.table.workflows.atOrNull(this.workflowRef);
  }

  get agentRef(): number {
    return this.table.agentRefAt(this.seq);
  }

  get agentName(): string {
    return this.table.words.at(this.agentRef);
  }

  get agentType(): string {
    return this.table.words.at(this.table.agentTypeRefAt(this.seq));
  }

  get taskLower(): string {
    return this.table.taskLowerAt(this.seq);
  }

  get taskType(): string | null {
    return this.table.words.atOrNull(this.table.taskTypeRefAt(this.seq));
  }

  get status(): InvocationStatus {
    return STATUSES[this.table.statusAt(this.seq)] as InvocationStatus;
  }

  get durationSeconds(): number | null {
    const duration = this.table.durationAt(this.seq);
    return Number.isNaN(duration) ? null : duration;
  }

  get errorMessage(): string | null {
    return this.table.words.atOrNull(this.table.errorRefAt(this.seq));
  }
}
