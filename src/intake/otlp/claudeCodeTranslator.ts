import type { KeyedRecord } from '../claudeCode/hookRecords.js';
import type { Emitted } from '../claudeCode/sessionState.js';
import { markWritten } from '../claudeCode/translateHook.js';
import { deriveRecords } from './claudeCodeDerive.js';
import { addLog, addSpan, claudeCodeEventName, newSession, sessionIdOf, type CcSession } from './claudeCodeFacts.js';
import type { OtlpLogRecord, OtlpSpan } from './otlpModel.js';
import type { OtlpRecord } from './otlpRecords.js';
import type { TranslatorLimits } from './traceTranslator.js';

/**
 * Claude Code's own OTLP export (its log events, and with CLAUDE_CODE_ENHANCED_TELEMETRY_BETA=1
 * its spans) -> the records its hooks write. Pure apart from its bounded state: sessions held
 * (facts keyed by prompt, tool call, subagent) and, for each, what was written, so a record is
 * written again only when it changed (a later invocation or workflow_complete with the same id
 * replaces the earlier one in every projection) and an exporter's retry writes nothing.
 *
 * Limits are the trace translator's: a session with no new event for `traceIdleMs` is let go
 * (its open workflows closed with what is known, as SessionEnd closes them for the hook), and
 * beyond `maxSpans` facts the least recently active sessions are. What a session wrote is
 * remembered for `maxRememberedTraces` sessions after it goes, so late events write no
 * workflow_start twice.
 */

/** Sessions remembered after they go: each keeps its written records' JSON (a few KB), so fewer than traces. */
const MAX_REMEMBERED_SESSIONS = 10_000;

export interface ClaudeCodeTranslation {
  readonly records: readonly OtlpRecord[];
  /** Forgets the written marks of this call, when its records could not be appended: a retry writes them. */
  readonly undo: () => void;
}

export type CategoryLookup = (type: string, projectDir: string | null) => string | null;

export class ClaudeCodeTranslator {
  private readonly sessions = new Map<string, CcSession>();
  private readonly remembered = new Map<string, Emitted>();
  private factCount = 0;

  constructor(
    private readonly limits: TranslatorLimits,
    private readonly categoryOf: CategoryLookup,
  ) {}

  get heldSessions(): number {
    return this.sessions.size;
  }

  /** Logs and spans of Claude Code (others are not looked at: isClaudeCodeSpan / claudeCodeEventName pick them). */
  accept(logs: readonly OtlpLogRecord[], spans: readonly OtlpSpan[], nowMs: number): ClaudeCodeTranslation {
    const touched = new Set<CcSession>();
    // The session's own order, so a batch's events are taken as they happened.
    const ordered = logs
      .map((record) => ({ record, event: claudeCodeEventName(record), seq: Number(record.attributes.get('event.sequence') ?? 0) }))
      .filter((l): l is { record: OtlpLogRecord; event: string; seq: number } => l.event !== null)
      .sort((a, b) => a.seq - b.seq);
    for (const { record, event } of ordered) {
      const session = this.sessionFor(sessionIdOf(record.attributes), nowMs);
      if (session === null) continue;
      this.change(session, () => addLog(session, record, event));
      touched.add(session);
    }
    for (const span of spans) {
      const session = this.sessionFor(sessionIdOf(span.attributes), nowMs);
      if (session === null) continue;
      this.change(session, () => addSpan(session, span));
      touched.add(session);
    }
    return this.emit(touched, false);
  }

  /** Lets go of sessions idle past the time limit and, beyond the memory cap, the idlest ones. */
  sweep(nowMs: number): readonly OtlpRecord[] {
    const gone: CcSession[] = [];
    for (const session of this.sessions.values()) {
      const idle = nowMs - session.lastSeenMs >= this.limits.traceIdleMs;
      if (!idle && this.factCount - gone.reduce((n, s) => n + s.facts, 0) <= this.limits.maxSpans) break;
      gone.push(session);
    }
    const { records } = this.emit(new Set(gone), true);
    for (const session of gone) this.forget(session);
    return records;
  }

  private sessionFor(sessionId: string | null, nowMs: number): CcSession | null {
    if (sessionId === null) return null;
    let session = this.sessions.get(sessionId);
    if (session === undefined) session = newSession(sessionId, this.remembered.get(sessionId));
    else this.sessions.delete(sessionId);
    // Map order is least recently active first.
    this.sessions.set(sessionId, session);
    session.lastSeenMs = nowMs;
    return session;
  }

  private change(session: CcSession, add: () => void): void {
    const before = session.facts;
    add();
    this.factCount += session.facts - before;
  }

  private emit(sessions: ReadonlySet<CcSession>, flushing: boolean): ClaudeCodeTranslation {
    const records: OtlpRecord[] = [];
    const marks: Array<{ emitted: Emitted; snapshot: Emitted }> = [];
    for (const session of sessions) {
      const keyed: KeyedRecord[] = deriveRecords(session, { categoryOf: this.categoryOf, flushing });
      if (keyed.length === 0) continue;
      marks.push({ emitted: session.emitted, snapshot: copyEmitted(session.emitted) });
      for (const record of keyed) {
        records.push({ kind: record.file, record: record.record });
        markWritten(session.emitted, record);
      }
    }
    return {
      records,
      undo: () => {
        for (const { emitted, snapshot } of marks) restore(emitted, snapshot);
      },
    };
  }

  private forget(session: CcSession): void {
    this.sessions.delete(session.sessionId);
    this.factCount -= session.facts;
    this.remembered.delete(session.sessionId);
    this.remembered.set(session.sessionId, session.emitted);
    for (const oldest of this.remembered.keys()) {
      if (this.remembered.size <= Math.min(this.limits.maxRememberedTraces, MAX_REMEMBERED_SESSIONS)) break;
      this.remembered.delete(oldest);
    }
  }
}

function copyEmitted(e: Emitted): Emitted {
  return { invocations: new Map(e.invocations), starts: new Set(e.starts), handoffs: new Set(e.handoffs), completes: new Map(e.completes) };
}

function restore(target: Emitted, from: Emitted): void {
  target.invocations.clear();
  for (const [k, v] of from.invocations) target.invocations.set(k, v);
  target.starts.clear();
  for (const k of from.starts) target.starts.add(k);
  target.handoffs.clear();
  for (const k of from.handoffs) target.handoffs.add(k);
  target.completes.clear();
  for (const [k, v] of from.completes) target.completes.set(k, v);
}
