/**
 * Runs the real daemon (the built CLI) as a child process on a real directory, and waits on
 * what it publishes: snapshot.json and its pino log lines. Never on fixed sleeps.
 *
 * The snapshot is written atomically (tmp + rename), so a reader must never see half of it:
 * a snapshot.json that does not parse fails the test at once instead of being retried.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { expect } from 'vitest';
import { SOURCE_FILES, SOURCE_KINDS } from '../../src/domain/sources.js';
import type { Rejection } from '../../src/decode/rejection.js';
import { replayDirectory } from '../../src/io/replayFiles.js';
import type { Snapshot } from '../../src/queries/snapshot.js';
import * as q from '../../src/queries/telemetryQueries.js';
import { CLI, ROOT } from './cliRunner.js';
import { tempDirsPerTest, type TempDirs } from './tempDirs.js';

export { CLI, ROOT };
export const FIXTURE_150 = path.join(ROOT, 'fixtures/parity/generated-150');

/** Every pino line is a JSON object; these are the fields the tests look at. */
export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}
export const WARN = 40;
export const INFO = 30;

export interface DaemonOptions {
  readonly dir: string;
  /** Default: the daemon's own (<dir>/.oak-telemetry). */
  readonly stateDir?: string;
  readonly pollIntervalMs?: number;
  readonly snapshotIntervalMs?: number;
  readonly checkpointIntervalMs?: number;
  /** Written to a --config JSON file inside the telemetry dir (removed with it; the daemon ignores other files). */
  readonly config?: Record<string, unknown>;
  /** Wait for "daemon ready" before returning (default true). */
  readonly waitReady?: boolean;
  /** --http (default "off"); e.g. "127.0.0.1:0" for a free port, logged as "http listening". */
  readonly http?: string;
  readonly httpToken?: string;
  /** --otlp: receive OTLP here too (e.g. "127.0.0.1:0"; the port is logged as "otlp receiver listening"). */
  readonly otlp?: string;
  /** Aggregate this NATS server's (or cluster's, comma-separated) stream instead of the files in `dir`. */
  readonly nats?: string;
  /** Run the daemon as this user (the test runs as root): for faults such as EACCES. */
  readonly runAs?: { readonly uid: number; readonly gid: number };
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

const running = new Set<DaemonProcess>();

/** Kills whatever a failed test left running; call from afterEach. */
export async function killAllDaemons(): Promise<void> {
  await Promise.all([...running].map((d) => d.kill9()));
}

/** Temp dirs removed after each test of the calling file, once the daemons a failed test left are killed. */
export function daemonDirsPerTest(): TempDirs {
  return tempDirsPerTest(killAllDaemons);
}

export function tempDir(prefix = 'oak-daemon-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A telemetry dir holding a copy of fixtures/parity/generated-150. */
export function fixtureDir(): string {
  const dir = tempDir();
  for (const kind of SOURCE_KINDS) fs.copyFileSync(path.join(FIXTURE_150, SOURCE_FILES[kind]), path.join(dir, SOURCE_FILES[kind]));
  return dir;
}

export class DaemonProcess {
  readonly logs: LogLine[] = [];
  /** stdout lines that were not JSON (the daemon must only log JSON when not on a TTY). */
  readonly foreignLines: string[] = [];
  stderr = '';
  readonly exited: Promise<Exit>;
  private exit: Exit | null = null;
  private stdoutRest = '';
  private lastSnapshot: Snapshot | null = null;
  /** Called on every new log line and once stdout is closed: the pending waitForLog calls. */
  private readonly logWaiters = new Set<() => void>();
  /** The child exited and its stdout is read to the end ('close' comes after 'exit'): no line can come any more. */
  private closed = false;

  constructor(
    readonly child: ChildProcess,
    readonly dir: string,
    readonly stateDir: string,
  ) {
    running.add(this);
    child.stdout?.on('data', (chunk: Buffer) => this.onStdout(chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString('utf8')));
    child.once('close', () => {
      this.closed = true;
      for (const waiter of [...this.logWaiters]) waiter();
    });
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        running.delete(this);
        resolve(this.exit);
      });
    });
  }

  get snapshotPath(): string {
    return path.join(this.stateDir, 'snapshot.json');
  }

  get hasExited(): boolean {
    return this.exit !== null;
  }

  private onStdout(text: string): void {
    const parts = (this.stdoutRest + text).split('\n');
    this.stdoutRest = parts.pop() ?? '';
    for (const part of parts) {
      if (part.trim() === '') continue;
      try {
        this.logs.push(JSON.parse(part) as LogLine);
      } catch {
        this.foreignLines.push(part);
      }
    }
    for (const waiter of [...this.logWaiters]) waiter();
  }

  /** The current snapshot, or null before the first one. Throws if the file is not whole JSON. */
  readSnapshot(): Snapshot | null {
    let text: string;
    try {
      text = fs.readFileSync(this.snapshotPath, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    try {
      this.lastSnapshot = JSON.parse(text) as Snapshot;
    } catch (error) {
      throw new Error(`snapshot.json is not valid JSON (a half-written snapshot?): ${(error as Error).message}\n${text.slice(0, 300)}`);
    }
    return this.lastSnapshot;
  }

  /** The last snapshot read by waitFor/readSnapshot (for failure messages). */
  get last(): Snapshot | null {
    return this.lastSnapshot;
  }

  /** Polls snapshot.json every 20 ms until `predicate` holds; fails on timeout or if the daemon exits. */
  async waitFor(predicate: (s: Snapshot) => boolean, timeoutMs = 10_000, what = 'snapshot condition'): Promise<Snapshot> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const snapshot = this.readSnapshot();
      if (snapshot !== null && predicate(snapshot)) return snapshot;
      if (this.exit !== null) throw new WaitFailed(`daemon exited (${JSON.stringify(this.exit)}) while waiting for ${what}\n${this.describe()}`, snapshot);
      if (Date.now() > deadline) throw new WaitFailed(`timed out after ${timeoutMs} ms waiting for ${what}\n${this.describe()}`, snapshot);
      await delay(20);
    }
  }

  /** Waits until a log line matches (woken by each line the daemon prints, not by a timer); returns it. */
  waitForLog(predicate: (line: LogLine) => boolean, timeoutMs = 10_000, what = 'log line'): Promise<LogLine> {
    return new Promise((resolve, reject) => {
      let seen = 0;
      const settle = (outcome: () => void): void => {
        clearTimeout(timer);
        this.logWaiters.delete(check);
        outcome();
      };
      const check = (): void => {
        for (; seen < this.logs.length; seen++) {
          const line = this.logs[seen] as LogLine;
          if (predicate(line)) return settle(() => resolve(line));
        }
        if (this.closed) settle(() => reject(new Error(`daemon exited (${JSON.stringify(this.exit)}) while waiting for ${what}\n${this.describe()}`)));
      };
      const timer = setTimeout(() => settle(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${this.describe()}`))), timeoutMs);
      this.logWaiters.add(check);
      check();
    });
  }

  /** The API's base URL as the daemon logs it ("http listening"), with its trailing slash: for `new URL(route, url)` or `${url}api/...`. */
  async httpUrl(timeoutMs = 10_000): Promise<string> {
    return String((await this.waitForLog((l) => l.msg === 'http listening', timeoutMs, '"http listening"')).url);
  }

  /** Where the OTLP receiver listens ("otlp receiver listening"), as http://127.0.0.1:PORT. */
  async otlpUrl(timeoutMs = 10_000): Promise<string> {
    const line = await this.waitForLog((l) => l.msg === 'otlp receiver listening' && typeof l.port === 'number', timeoutMs, '"otlp receiver listening"');
    return `http://127.0.0.1:${String(line.port)}`;
  }

  logsWith(msg: string | RegExp): LogLine[] {
    return this.logs.filter((l) => (typeof msg === 'string' ? l.msg === msg : msg.test(l.msg)));
  }

  /** SIGTERM; the daemon must write its final files and exit 0 within 2 s. */
  async stop(): Promise<void> {
    expect(this.exit, 'daemon still running before stop()').toBeNull();
    const began = Date.now();
    this.child.kill('SIGTERM');
    const result = await Promise.race([this.exited, delay(2000).then(() => null)]);
    if (result === null) {
      await this.kill9();
      throw new Error(`daemon did not exit within 2 s of SIGTERM\n${this.describe()}`);
    }
    expect(result, `exit after SIGTERM (${Date.now() - began} ms)\n${this.describe()}`).toEqual({ code: 0, signal: null });
    expect(this.foreignLines, 'stdout lines that are not JSON').toEqual([]);
  }

  async kill9(): Promise<void> {
    if (this.exit !== null) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  describe(): string {
    const tail = this.logs.slice(-8).map((l) => JSON.stringify(l)).join('\n');
    return `--- last log lines ---\n${tail}\n--- stderr ---\n${this.stderr.slice(-2000)}`;
  }
}

/** A wait that ended without its condition: timed out, or the daemon is gone. */
export class WaitFailed extends Error {
  constructor(
    message: string,
    readonly lastSnapshot: Snapshot | null,
  ) {
    super(message);
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function daemonArgs(options: DaemonOptions): string[] {
  const args = [CLI, 'daemon', '--dir', options.dir, '--poll-interval-ms', String(options.pollIntervalMs ?? 200)];
  if (options.stateDir !== undefined) args.push('--state-dir', options.stateDir);
  if (options.snapshotIntervalMs !== undefined) args.push('--snapshot-interval-ms', String(options.snapshotIntervalMs));
  if (options.checkpointIntervalMs !== undefined) args.push('--checkpoint-interval-ms', String(options.checkpointIntervalMs));
  // Tests run daemons side by side: no API unless asked for (then on a free loopback port).
  args.push('--http', options.http ?? 'off');
  if (options.httpToken !== undefined) args.push('--http-token', options.httpToken);
  if (options.nats !== undefined) args.push('--nats', options.nats);
  if (options.otlp !== undefined) args.push('--otlp', options.otlp);
  if (options.config !== undefined) {
    const file = path.join(options.dir, 'daemon-test-config.json');
    fs.writeFileSync(file, JSON.stringify(options.config));
    args.push('--config', file);
  }
  return args;
}

/** Starts `oak-telemetry daemon`; by default resolves once it logged "daemon ready". */
export async function startDaemon(options: DaemonOptions): Promise<DaemonProcess> {
  expect(fs.existsSync(CLI), `${CLI} missing: run "npx tsc -p tsconfig.json" first`).toBe(true);
  const child = spawn(process.execPath, daemonArgs(options), { stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT, ...(options.runAs ?? {}) });
  const daemon = new DaemonProcess(child, options.dir, options.stateDir ?? path.join(options.dir, '.oak-telemetry'));
  if (options.waitReady ?? true) await daemon.waitForLog((l) => l.msg === 'daemon ready: following telemetry', 15_000, '"daemon ready"');
  return daemon;
}

/** Starts `oak-telemetry receive --otlp` on a free loopback port writing into `dir`; resolves once it listens. */
export async function startOtlpReceiver(dir: string, extraArgs: readonly string[] = []): Promise<{ receiver: DaemonProcess; url: string }> {
  const child = spawn(process.execPath, [CLI, 'receive', '--otlp', '127.0.0.1:0', '--dir', dir, ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT });
  const receiver = new DaemonProcess(child, dir, path.join(dir, '.oak-telemetry'));
  return { receiver, url: await receiver.otlpUrl() };
}

// ---- snapshot == batch replay ---------------------------------------------------------------

/** What a batch replay of the files as they are now says, in the snapshot's terms. */
export interface ReplayFigures {
  readonly stats: unknown;
  readonly workflows: unknown;
  readonly overhead: unknown;
  readonly rejectedCount: number;
  readonly applied: number;
  readonly sizes: Record<string, number>;
  readonly rejections: Rejection[];
}

export function replayFigures(dir: string, maxLineBytes?: number): ReplayFigures {
  const rejections: Rejection[] = [];
  const ingest = replayDirectory(dir, { ...(maxLineBytes === undefined ? {} : { maxLineBytes }), onRejection: (r) => rejections.push(r) });
  const json = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
  const p = ingest.totals.perSource;
  const sizes: Record<string, number> = {};
  for (const kind of SOURCE_KINDS) {
    try {
      sizes[kind] = fs.statSync(path.join(dir, SOURCE_FILES[kind])).size;
    } catch {
      sizes[kind] = 0;
    }
  }
  return {
    stats: json(q.stats(ingest.state)),
    workflows: json(q.workflows(ingest.state)),
    overhead: json(q.overhead(ingest.state)),
    rejectedCount: ingest.rejectedCount,
    applied: p.invocations.applied + p.metrics.applied + p.workflow_events.applied,
    sizes,
    rejections,
  };
}

/** The parts of a snapshot that must equal the replay once the daemon has caught up. */
function comparable(s: Snapshot) {
  return {
    stats: s.stats,
    workflows: s.workflows,
    overhead: s.overhead,
    lines_rejected: s.health.lines_rejected,
    events_applied: s.health.events_applied,
    lag_bytes: s.health.lag_bytes,
    sizes: Object.fromEntries(SOURCE_KINDS.map((k) => [k, s.sources?.[k].size])),
    offsets: Object.fromEntries(SOURCE_KINDS.map((k) => [k, s.sources?.[k].offset])),
  };
}

function expectedOf(r: ReplayFigures) {
  return {
    stats: r.stats,
    workflows: r.workflows,
    overhead: r.overhead,
    lines_rejected: r.rejectedCount,
    events_applied: r.applied,
    lag_bytes: 0,
    sizes: r.sizes,
    offsets: r.sizes,
  };
}

/**
 * Waits until the snapshot equals a batch replay of the files as they are now, caught up:
 * no lag, every source read to its end (so the files must end with a newline). On timeout,
 * fails with a diff of the last snapshot against the replay.
 */
export async function waitForReplayParity(
  daemon: DaemonProcess,
  options: { maxLineBytes?: number; timeoutMs?: number; extra?: (s: Snapshot) => boolean } = {},
): Promise<{ snapshot: Snapshot; replay: ReplayFigures }> {
  const replay = replayFigures(daemon.dir, options.maxLineBytes);
  const expected = expectedOf(replay);
  try {
    const snapshot = await daemon.waitFor(
      (s) => isDeepStrictEqual(comparable(s), expected) && (options.extra?.(s) ?? true),
      options.timeoutMs ?? 10_000,
      'snapshot == batch replay',
    );
    return { snapshot, replay };
  } catch (error) {
    if (error instanceof WaitFailed && error.lastSnapshot !== null) {
      expect(comparable(error.lastSnapshot), error.message).toEqual(expected);
    }
    throw error;
  }
}

// ---- state-dir files ---------------------------------------------------------------------------

export function readJsonLines(file: string): Array<Record<string, unknown>> {
  if (!fs.existsSync(file)) return [];
  const text = fs.readFileSync(file, 'utf8');
  if (text !== '') expect(text.endsWith('\n'), `${file} ends with a newline`).toBe(true);
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/**
 * rejected.jsonl holds exactly the replay's rejections: each once (no duplicate file+line),
 * with file, line, byte offset and reason.
 */
export function expectRejectedLogMatchesReplay(stateDir: string, replay: ReplayFigures): Array<Record<string, unknown>> {
  const records = readJsonLines(path.join(stateDir, 'rejected.jsonl'));
  const keys = records.map((r) => `${String(r.file)}:${String(r.line)}`);
  expect(new Set(keys).size, `duplicate (file, line) in rejected.jsonl: ${keys.join(' ')}`).toBe(keys.length);
  const got = records.map((r) => ({ file: r.file, line: r.line, byte_offset: r.byte_offset, reason: r.reason })).sort(byPlace);
  const want = replay.rejections
    .map((r) => ({ file: SOURCE_FILES[r.file], line: r.line, byte_offset: r.byteOffset, reason: r.reason }))
    .sort(byPlace);
  expect(got).toEqual(want);
  return records;
}

function byPlace(a: { file: unknown; line: unknown }, b: { file: unknown; line: unknown }): number {
  return String(a.file).localeCompare(String(b.file)) || Number(a.line) - Number(b.line);
}

/** Polls a condition on anything (files other than the snapshot); fails on timeout. */
export async function waitUntil(condition: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(20);
  }
}
