/**
 * Decoded lines packed for a hand-over between threads: numbers and flags in typed arrays (their
 * buffers are transferred, not copied), strings in one array (copied flat, no objects). A batch
 * replay decodes in a worker and folds on the main thread; packing each event's fields this way
 * costs the receiver a fraction of what parsing the line, or a structured clone of the event
 * object, would. Pure: no threads here, only the format and its two ends.
 */
import type { DecodeOutcome } from '../decode/decodeLine.js';
import type { InvocationStatus, TelemetryEvent } from '../domain/events.js';

/** One batch as it crosses: the lines of one file, in order. */
export interface OutcomeBatch {
  readonly ints: Int32Array;
  readonly intCount: number;
  readonly nums: Float64Array;
  readonly numCount: number;
  readonly strs: ReadonlyArray<string | null>;
  /** Names first seen in this batch, numbered on from the ones before (see OutcomeBatchWriter.name). */
  readonly names: readonly string[];
  /** The bytes of each rejected line (or its head, for one over the length limit), in order. */
  readonly blobs: readonly Uint8Array[];
}

/** Where a rejected line was, and its bytes, as the splitter reported them. */
export interface RejectedLine {
  readonly line: number;
  readonly byteOffset: number;
  /** The line's bytes, or for a line over the limit (whole false) its first bytes. */
  readonly bytes: Uint8Array | null;
  readonly whole: boolean;
}

const enum Tag {
  Invocation,
  Metric,
  WorkflowStart,
  AgentHandoff,
  WorkflowComplete,
  UnknownWorkflowEvent,
  Blank,
  Skipped,
  Rejected,
  Text,
}

/**
 * Ints a line sent as text counts for in a batch's fill: a batch of them is ~500 lines, the
 * main thread's share of decoding taken in small steps.
 */
const TEXT_LINE_WEIGHT = 8;

const STATUSES: readonly InvocationStatus[] = ['success', 'failure', 'partial', 'unknown'];
/**
 * Distinct names numbered at most: past this, names cross as plain strings (still exact). Agent
 * names and types are a few dozen; the bound only keeps odd input from growing the table.
 */
const MAX_NAMES = 65536;
const NO_NAME = -1;
const NAME_AS_STRING = -2;
const STATUS_CODES: ReadonlyMap<InvocationStatus, number> = new Map(STATUSES.map((s, i) => [s, i]));

/** Fills one batch; `take()` hands it over and starts the next with fresh buffers. */
export class OutcomeBatchWriter {
  private ints = new Int32Array(4096);
  private intCount = 0;
  private nums = new Float64Array(2048);
  private numCount = 0;
  private textWeight = 0;
  private strs: Array<string | null> = [];
  private blobs: Uint8Array[] = [];
  private readonly nameRefs = new Map<string, number>();
  private names: string[] = [];

  /** How full the batch is: ints written since the last take, and lines sent as text. */
  get filled(): number {
    return this.intCount + this.textWeight;
  }

  add(outcome: DecodeOutcome, rejected: RejectedLine | null): void {
    switch (outcome.type) {
      case 'event':
        this.event(outcome.event);
        break;
      case 'blank':
        this.int(Tag.Blank);
        break;
      case 'skipped':
        this.int(Tag.Skipped);
        this.strs.push(outcome.reason);
        break;
      case 'rejected': {
        if (rejected === null) throw new Error('outcome batch: a rejected line needs its place');
        this.int(Tag.Rejected);
        this.int(rejected.line);
        this.int(rejected.whole ? 1 : 0);
        this.int(rejected.bytes === null ? 0 : 1);
        this.num(rejected.byteOffset);
        this.strs.push(outcome.reason);
        if (rejected.bytes !== null) this.blobs.push(rejected.bytes);
        break;
      }
    }
  }

  /**
   * A line not decoded here but handed over as its text, for the receiver to decode (a line of
   * valid UTF-8, at most the length limit): how the decoding is shared when the receiver is idle.
   */
  addText(text: string, line: number, byteOffset: number): void {
    this.int(Tag.Text);
    this.int(line);
    this.num(byteOffset);
    this.strs.push(text);
    this.textWeight += TEXT_LINE_WEIGHT;
  }

  /** The batch so far (its buffers are the receiver's from now on) and a fresh one started. */
  take(): { batch: OutcomeBatch; transfer: ArrayBuffer[] } {
    const batch: OutcomeBatch = { ints: this.ints, intCount: this.intCount, nums: this.nums, numCount: this.numCount, strs: this.strs, names: this.names, blobs: this.blobs };
    const transfer = [this.ints.buffer as ArrayBuffer, this.nums.buffer as ArrayBuffer];
    this.ints = new Int32Array(this.ints.length);
    this.nums = new Float64Array(this.nums.length);
    this.intCount = 0;
    this.numCount = 0;
    this.textWeight = 0;
    this.strs = [];
    this.blobs = [];
    this.names = [];
    return { batch, transfer };
  }

  private event(event: TelemetryEvent): void {
    const strs = this.strs;
    switch (event.kind) {
      case 'invocation':
        this.int(Tag.Invocation);
        this.int(STATUS_CODES.get(event.status) ?? 3);
        this.nullableNum(event.durationSeconds);
        this.num(event.timeUs);
        this.name(event.agentName);
        this.name(event.agentType);
        this.name(event.taskType);
        strs.push(event.invocationId, event.timestamp, event.sessionId, event.workflowId, event.taskDescription, event.errorMessage);
        return;
      case 'metric':
        this.int(Tag.Metric);
        this.int(event.success ? 1 : 0);
        this.num(event.qualityRating);
        strs.push(event.invocationId, event.timestamp);
        return;
      case 'workflow_start':
        this.int(Tag.WorkflowStart);
        this.int(event.agentPlan.length);
        this.nullableNum(event.estimatedDuration);
        this.num(event.timeUs);
        this.name(event.projectName);
        for (const name of event.agentPlan) this.name(name);
        strs.push(event.workflowId, event.sessionId, event.timestamp);
        return;
      case 'agent_handoff':
        this.int(Tag.AgentHandoff);
        this.int(event.artifacts.length);
        this.num(event.timeUs);
        this.name(event.fromAgent);
        this.name(event.toAgent);
        strs.push(event.workflowId, event.sessionId, event.timestamp);
        for (const artifact of event.artifacts) strs.push(artifact);
        return;
      case 'workflow_complete':
        this.int(Tag.WorkflowComplete);
        this.int(event.success ? 1 : 0);
        this.int(event.agentsExecuted.length);
        this.num(event.timeUs);
        this.num(event.durationSeconds);
        for (const name of event.agentsExecuted) this.name(name);
        strs.push(event.workflowId, event.sessionId, event.timestamp);
        return;
      case 'unknown_workflow_event':
        this.int(Tag.UnknownWorkflowEvent);
        this.num(event.timeUs);
        strs.push(event.workflowId, event.sessionId, event.timestamp, event.event);
        return;
    }
  }

  private int(value: number): void {
    if (this.intCount === this.ints.length) {
      const next = new Int32Array(this.ints.length * 2);
      next.set(this.ints);
      this.ints = next;
    }
    this.ints[this.intCount++] = value;
  }

  private num(value: number): void {
    if (this.numCount === this.nums.length) {
      const next = new Float64Array(this.nums.length * 2);
      next.set(this.nums);
      this.nums = next;
    }
    this.nums[this.numCount++] = value;
  }

  /**
   * A name (agent, type, project) as its number: each crosses once, so the receiver holds one
   * string per name, whose hash the pools then compute once instead of once per line.
   */
  private name(value: string | null): void {
    if (value === null) {
      this.int(NO_NAME);
      return;
    }
    let ref = this.nameRefs.get(value);
    if (ref === undefined) {
      if (this.nameRefs.size >= MAX_NAMES) {
        this.int(NAME_AS_STRING);
        this.strs.push(value);
        return;
      }
      ref = this.nameRefs.size;
      this.nameRefs.set(value, ref);
      this.names.push(value);
    }
    this.int(ref);
  }

  /** A flag in the ints (1: null), and the number only when there is one. */
  private nullableNum(value: number | null): void {
    this.int(value === null ? 1 : 0);
    if (value !== null) this.num(value);
  }
}

/** What a batch's reader hands each line to, in order. */
export interface OutcomeSink {
  event(event: TelemetryEvent): void;
  blank(): void;
  skipped(reason: string): void;
  rejected(reason: string, where: RejectedLine): void;
  /** A line handed over undecoded (see addText). */
  text(text: string, line: number, byteOffset: number): void;
}

/**
 * Unpacks batches, in the order they were written, into the events (objects shaped as decode
 * makes them) and outcomes they hold.
 */
export class OutcomeBatchReader {
  private readonly names: string[] = [];

  read(batch: OutcomeBatch, sink: OutcomeSink): void {
    for (const name of batch.names) this.names.push(name);
    const names = this.names;
    const { ints, nums, strs, blobs } = batch;
    let i = 0;
    let n = 0;
    let s = 0;
    let b = 0;
    const str = (): string => strs[s++] as string;
    const strOrNull = (): string | null => strs[s++] as string | null;
    const nameOrNull = (): string | null => {
      const ref = ints[i++] as number;
      if (ref >= 0) return names[ref] as string;
      return ref === NO_NAME ? null : str();
    };
    const name = (): string => nameOrNull() as string;
    const nameList = (length: number): string[] => {
      const out: string[] = [];
      for (let k = 0; k < length; k++) out.push(name());
      return out;
    };
    const list = (length: number): string[] => {
      const out = strs.slice(s, s + length) as string[];
      s += length;
      return out;
    };
    while (i < batch.intCount) {
      const tag = ints[i++] as Tag;
      switch (tag) {
        case Tag.Invocation: {
          const status = STATUSES[ints[i++] as number] as InvocationStatus;
          const durationSeconds = ints[i++] === 1 ? null : (nums[n++] as number);
          const timeUs = nums[n++] as number;
          const agentName = name();
          const agentType = name();
          const taskType = nameOrNull();
          const invocationId = str();
          const timestamp = str();
          const sessionId = strOrNull();
          const workflowId = strOrNull();
          const taskDescription = str();
          const errorMessage = strOrNull();
          sink.event({
            kind: 'invocation',
            invocationId,
            timestamp,
            timeUs,
            sessionId,
            workflowId,
            agentName,
            agentType,
            taskDescription,
            taskType,
            status,
            durationSeconds,
            errorMessage,
          });
          break;
        }
        case Tag.Metric: {
          const success = ints[i++] === 1;
          const qualityRating = nums[n++] as number;
          sink.event({ kind: 'metric', invocationId: str(), timestamp: str(), success, qualityRating });
          break;
        }
        case Tag.WorkflowStart: {
          const planLength = ints[i++] as number;
          const estimatedDuration = ints[i++] === 1 ? null : (nums[n++] as number);
          const timeUs = nums[n++] as number;
          const projectName = nameOrNull();
          const agentPlan = nameList(planLength);
          const workflowId = str();
          const sessionId = strOrNull();
          const timestamp = str();
          sink.event({ kind: 'workflow_start', workflowId, sessionId, timestamp, timeUs, projectName, agentPlan, estimatedDuration });
          break;
        }
        case Tag.AgentHandoff: {
          const artifactCount = ints[i++] as number;
          const timeUs = nums[n++] as number;
          const fromAgent = nameOrNull();
          const toAgent = nameOrNull();
          const workflowId = str();
          const sessionId = strOrNull();
          const timestamp = str();
          sink.event({ kind: 'agent_handoff', workflowId, sessionId, timestamp, timeUs, fromAgent, toAgent, artifacts: list(artifactCount) });
          break;
        }
        case Tag.WorkflowComplete: {
          const success = ints[i++] === 1;
          const agentCount = ints[i++] as number;
          const timeUs = nums[n++] as number;
          const durationSeconds = nums[n++] as number;
          const agentsExecuted = nameList(agentCount);
          const workflowId = str();
          const sessionId = strOrNull();
          const timestamp = str();
          sink.event({ kind: 'workflow_complete', workflowId, sessionId, timestamp, timeUs, durationSeconds, success, agentsExecuted });
          break;
        }
        case Tag.UnknownWorkflowEvent: {
          const timeUs = nums[n++] as number;
          const workflowId = str();
          const sessionId = strOrNull();
          const timestamp = str();
          sink.event({ kind: 'unknown_workflow_event', workflowId, sessionId, timestamp, timeUs, event: str() });
          break;
        }
        case Tag.Blank:
          sink.blank();
          break;
        case Tag.Skipped:
          sink.skipped(str());
          break;
        case Tag.Rejected: {
          const line = ints[i++] as number;
          const whole = ints[i++] === 1;
          const hasBytes = ints[i++] === 1;
          const byteOffset = nums[n++] as number;
          const bytes = hasBytes ? (blobs[b++] as Uint8Array) : null;
          sink.rejected(str(), { line, byteOffset, bytes, whole });
          break;
        }
        case Tag.Text: {
          const line = ints[i++] as number;
          sink.text(str(), line, nums[n++] as number);
          break;
        }
        default:
          throw new Error(`outcome batch: unknown tag ${String(tag)}`);
      }
    }
  }
}
