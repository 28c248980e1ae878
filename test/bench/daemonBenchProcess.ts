/**
 * Helpers of the daemon sections (query, live, restart): a daemon child process that can be
 * waited on and always stopped, snapshot reading, copies of telemetry dirs, and the feed of
 * generated lines the live writer replays. Generic process helpers live in benchProcess.ts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { SOURCE_FILES, SOURCE_KINDS, type SourceKind } from '../../src/domain/sources.js';
import { generateTelemetry, type GenerateOptions } from '../../src/generate/generateTelemetry.js';

/** Wall-clock time in ms with sub-ms precision, comparable between processes on one machine. */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function stateDirOf(dir: string): string {
  return path.join(dir, '.oak-telemetry');
}

export function snapshotPathOf(dir: string): string {
  return path.join(stateDirOf(dir), 'snapshot.json');
}

/** The parts of snapshot.json the benches read. */
export interface SnapshotView {
  readonly generated_at: string;
  readonly sources: Record<SourceKind, { readonly size: number; readonly offset: number }>;
  readonly health: { readonly events_applied: number; readonly lag_bytes: number; readonly lines_rejected: number; readonly rebuilds: number; readonly rewrites_as_changes?: number };
}

/** Reads and parses snapshot.json; null when missing (or, defensively, unparsable). */
export function readSnapshot(file: string): SnapshotView | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    return JSON.parse(text) as SnapshotView;
  } catch {
    return null; // written atomically (rename), so this should not happen
  }
}

/** Polls `probe` every `everyMs` until it returns a value other than undefined. */
export async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs: number, everyMs = 5): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/**
 * CPU a process has used so far, in ms: its main thread, and all its threads (V8's compiler
 * and GC helpers, libuv's pool), from /proc's schedstat (ns, not the 10 ms ticks of stat).
 * Less disturbed by other work on a shared machine than wall time. NaN where /proc has none.
 */
export function processCpuMs(pid: number | undefined): { readonly main: number; readonly all: number } {
  const ran = (file: string) => Number(fs.readFileSync(file, 'utf8').split(' ')[0]) / 1e6;
  try {
    if (pid === undefined) throw new Error('no pid');
    let all = 0;
    for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
      try {
        all += ran(`/proc/${pid}/task/${task}/schedstat`);
      } catch {
        // A thread that ended between the listing and the read.
      }
    }
    return { main: ran(`/proc/${pid}/task/${pid}/schedstat`), all };
  } catch {
    return { main: Number.NaN, all: Number.NaN };
  }
}

export interface LogLine {
  readonly msg?: string;
  readonly [key: string]: unknown;
}

/**
 * `node dist/bin/oak-telemetry.js daemon --dir D`, its JSON log lines collected with the wall time each
 * arrived. Always end it with stop() or kill() (in a finally).
 */
export class DaemonProcess {
  readonly startedAt: number;
  readonly logs: Array<{ readonly at: number; readonly line: LogLine }> = [];
  private readonly child: ChildProcess;
  private readonly exited: Promise<number | null>;
  private exitCode: number | null | undefined = undefined;
  private stderr = '';
  private pending = '';

  constructor(cli: string, dir: string, extraArgs: readonly string[] = [], nodeFlags: readonly string[] = []) {
    this.startedAt = wallNow();
    this.child = spawn(process.execPath, [...nodeFlags, cli, 'daemon', '--dir', dir, '--http', 'off', ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (chunk: string) => {
      const at = wallNow();
      this.pending += chunk;
      let nl: number;
      while ((nl = this.pending.indexOf('\n')) !== -1) {
        const text = this.pending.slice(0, nl);
        this.pending = this.pending.slice(nl + 1);
        try {
          this.logs.push({ at, line: JSON.parse(text) as LogLine });
        } catch {
          this.logs.push({ at, line: { msg: text } });
        }
      }
    });
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-4000);
    });
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code) => {
        this.exitCode = code;
        resolve(code);
      });
      this.child.on('error', () => {
        this.exitCode = null;
        resolve(null);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  /** The first log line whose msg starts with `prefix`, with the time it arrived. */
  findLog(prefix: string): { readonly at: number; readonly line: LogLine } | undefined {
    return this.logs.find((l) => typeof l.line.msg === 'string' && l.line.msg.startsWith(prefix));
  }

  /** Waits for a log line; fails early if the daemon exits first. */
  waitForLog(prefix: string, timeoutMs: number): Promise<{ readonly at: number; readonly line: LogLine }> {
    return waitFor(
      `daemon log "${prefix}"`,
      () => {
        const found = this.findLog(prefix);
        if (found !== undefined) return found;
        if (!this.running) throw new Error(`daemon exited (${String(this.exitCode)}) before "${prefix}": ${this.stderr.trim().slice(-500)}`);
        return undefined;
      },
      timeoutMs,
      2,
    );
  }

  /**
   * SIGTERM (final snapshot and checkpoint), then SIGKILL after `graceMs`. Resolves when the
   * process is gone. Note: the daemon installs its SIGTERM handler only once it is ready; a
   * SIGTERM during catch-up ends it at once.
   */
  async stop(graceMs = 120_000): Promise<number | null> {
    if (!this.running) return this.exitCode ?? null;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGKILL: for runs whose state is thrown away (saves the final checkpoint write). */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

/** Copies the three telemetry files (only them: no state dir) into a new directory. */
export function copyTelemetry(from: string, to: string): void {
  fs.mkdirSync(to, { recursive: true });
  for (const kind of SOURCE_KINDS) fs.copyFileSync(path.join(from, SOURCE_FILES[kind]), path.join(to, SOURCE_FILES[kind]));
}

export function telemetrySizes(dir: string): Record<SourceKind, number> {
  const size = (kind: SourceKind) => {
    try {
      return fs.statSync(path.join(dir, SOURCE_FILES[kind])).size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw error;
    }
  };
  return { invocations: size('invocations'), metrics: size('metrics'), workflow_events: size('workflow_events') };
}

export function lineCount(dir: string): number {
  let n = 0;
  for (const kind of SOURCE_KINDS) {
    const bytes = fs.readFileSync(path.join(dir, SOURCE_FILES[kind]));
    for (let i = bytes.indexOf(0x0a); i !== -1; i = bytes.indexOf(0x0a, i + 1)) n++;
  }
  return n;
}

/** The kind digit of a feed line: "0" invocations, "1" metrics, "2" workflow events. */
export const FEED_KINDS: readonly SourceKind[] = SOURCE_KINDS;

/**
 * Writes generated lines, in generation order, to `file`: one line per record, prefixed by its
 * kind digit (see FEED_KINDS). The live writer replays them. Returns the number of lines.
 */
export function writeFeed(file: string, options: GenerateOptions, maxLines = Number.POSITIVE_INFINITY): number {
  const fd = fs.openSync(file, 'w');
  const buffer = Buffer.allocUnsafe(1 << 20);
  let used = 0;
  let lines = 0;
  const flush = () => {
    let at = 0;
    while (at < used) at += fs.writeSync(fd, buffer, at, used - at);
    used = 0;
  };
  try {
    for (const { kind, line } of generateTelemetry(options)) {
      if (lines >= maxLines) break;
      if (used + line.length * 3 + 2 > buffer.length) flush();
      buffer[used++] = 0x30 + FEED_KINDS.indexOf(kind);
      used += buffer.write(line, used, 'utf8');
      buffer[used++] = 0x0a;
      lines++;
    }
    flush();
  } finally {
    fs.closeSync(fd);
  }
  return lines;
}

/** Generated lines grouped per file, as the bytes to append (for the restart bench). */
export function generatedBytes(options: GenerateOptions): Record<SourceKind, Buffer> {
  const parts: Record<SourceKind, string[]> = { invocations: [], metrics: [], workflow_events: [] };
  for (const { kind, line } of generateTelemetry(options)) parts[kind].push(line + '\n');
  return {
    invocations: Buffer.from(parts.invocations.join(''), 'utf8'),
    metrics: Buffer.from(parts.metrics.join(''), 'utf8'),
    workflow_events: Buffer.from(parts.workflow_events.join(''), 'utf8'),
  };
}

/** Nearest-rank percentile (p in 0..100) of unsorted values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

export function formatMs(ms: number): string {
  return ms >= 100 ? ms.toFixed(0) : ms.toFixed(1);
}
