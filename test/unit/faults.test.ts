import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { SOURCE_FILES } from '../../src/domain/sources.js';
import { FaultRegistry } from '../../src/io/faults.js';
import { FileFault, openRegularFile } from '../../src/io/regularFile.js';
import { SourceSet } from '../../src/io/sourceSet.js';
import { replayDirectory } from '../../src/io/replayFiles.js';
import { capturedLog } from '../support/capturedLog.js';

const capturedLogger = () => capturedLog();

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oak-faults-'));
  dirs.push(dir);
  return dir;
}

function isDirError(): Error {
  return Object.assign(new Error('gone'), { code: 'EISDIR' });
}

describe('FaultRegistry', () => {
  it('logs a fault once when it starts and once when it clears, whatever the number of attempts', () => {
    const { log, lines } = capturedLogger();
    const faults = new FaultRegistry(log, () => '2026-12-03T00:00:00.000000Z');
    for (let i = 0; i < 50; i++) faults.raise('success_metrics.jsonl', 'open', isDirError());
    expect(faults.faults()).toEqual([
      { file: 'success_metrics.jsonl', op: 'open', code: 'EISDIR', message: 'gone', since: '2026-12-03T00:00:00.000000Z', attempts: 50 },
    ]);
    expect(faults.errorCounts()).toEqual([{ op: 'open', file: 'success_metrics.jsonl', code: 'EISDIR', count: 50 }]);
    faults.clear('success_metrics.jsonl', 'open');
    faults.clear('success_metrics.jsonl', 'open');
    expect(faults.faults()).toEqual([]);
    expect(lines.map((l) => l.msg)).toEqual(['I/O fault: open success_metrics.jsonl: EISDIR', 'I/O fault cleared: open success_metrics.jsonl']);
    // Counts stay: they are a counter, not a gauge.
    expect(faults.errorCounts()[0]?.count).toBe(50);
  });

  it('a new code on the same file and operation is logged as a new fault, keeping its start', () => {
    const { log, lines } = capturedLogger();
    let now = 0;
    const faults = new FaultRegistry(log, () => String(now++));
    faults.raise('checkpoint.bin', 'write', Object.assign(new Error('full'), { code: 'ENOSPC' }));
    faults.raise('checkpoint.bin', 'write', Object.assign(new Error('ro'), { code: 'EROFS' }));
    expect(faults.faults()).toMatchObject([{ code: 'EROFS', since: '0', attempts: 2 }]);
    expect(lines).toHaveLength(2);
  });

  it('tells listeners when a fault starts or clears, not on every attempt', () => {
    const { log } = capturedLogger();
    const faults = new FaultRegistry(log, () => 't');
    let changes = 0;
    faults.onChange(() => changes++);
    for (let i = 0; i < 5; i++) faults.raise('x', 'read', isDirError());
    faults.clear('x', 'read');
    expect(changes).toBe(2);
    // ...while the attempts between (which the daemon's poll shows) are counted.
    expect(faults.failedAttempts()).toBe(5);
  });
});

describe('openRegularFile', () => {
  it('refuses a directory and a FIFO without blocking, and says what they are', () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'd'));
    expect(() => openRegularFile(path.join(dir, 'd'))).toThrow(/it is a directory \(EISDIR\)/);
    const fifo = path.join(dir, 'p');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    expect(() => openRegularFile(fifo)).toThrow(/FIFO \(named pipe\), not a regular file \(ENOTREG\)/);
    expect(openRegularFile(path.join(dir, 'missing'))).toBeNull();
  });

  it('a symlink loop is a FileFault with ELOOP', () => {
    const dir = tempDir();
    fs.symlinkSync('b', path.join(dir, 'a'));
    fs.symlinkSync('a', path.join(dir, 'b'));
    try {
      openRegularFile(path.join(dir, 'a'));
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(FileFault);
      expect(error).toMatchObject({ code: 'ELOOP', op: 'stat', path: path.join(dir, 'a') });
    }
  });

  it('the batch replay refuses a FIFO at once instead of hanging in open', () => {
    const dir = tempDir();
    expect(spawnSync('mkfifo', [path.join(dir, SOURCE_FILES.workflow_events)]).status).toBe(0);
    expect(() => replayDirectory(dir)).toThrow(/not a regular file/);
  });
});

describe('SourceSet with a fault sink', () => {
  it('reports a faulted file, reads the others, retries with backoff, and clears once it heals', () => {
    const dir = tempDir();
    const line = `${JSON.stringify({ invocation_id: 'a', agent_name: 'x', agent_type: 't', timestamp: '2026-01-01T00:00:00Z', session_id: 's' })}\n`;
    fs.writeFileSync(path.join(dir, SOURCE_FILES.invocations), line);
    fs.mkdirSync(path.join(dir, SOURCE_FILES.metrics));
    const { log } = capturedLogger();
    const faults = new FaultRegistry(log, () => 't');
    let now = 1000;
    const sources = new SourceSet(dir, 1 << 20, undefined, 'full', faults, () => now);
    const read: string[] = [];
    expect(sources.readAll((kind) => read.push(kind))).toEqual({ kind: 'ok', more: false });
    expect(read).toEqual(['invocations']);
    expect(faults.faults()).toMatchObject([{ file: SOURCE_FILES.metrics, op: 'open', code: 'EISDIR', attempts: 1 }]);
    // Within the backoff the file is not touched again.
    now += 50;
    sources.readAll(() => undefined);
    expect(faults.faults()[0]?.attempts).toBe(1);
    now += 100;
    sources.readAll(() => undefined);
    expect(faults.faults()[0]?.attempts).toBe(2);
    // Doubling: 200 ms now.
    now += 150;
    sources.readAll(() => undefined);
    expect(faults.faults()[0]?.attempts).toBe(2);
    fs.rmdirSync(path.join(dir, SOURCE_FILES.metrics));
    now += 100;
    sources.readAll(() => undefined);
    expect(faults.faults()).toEqual([]);
    expect(sources.anyFaulted()).toBe(false);
  });

  it('without a sink (one-shot commands) a fault is thrown with the path and reason', () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, SOURCE_FILES.workflow_events));
    const sources = new SourceSet(dir, 1 << 20);
    expect(() => sources.readAll(() => undefined)).toThrow(`cannot open ${path.join(dir, SOURCE_FILES.workflow_events)}: it is a directory (EISDIR)`);
  });
});
