import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { SOURCE_FILES, SOURCE_KINDS, type SourceKind } from '../domain/sources.js';
import { parseTimestampUs, US_PER_SECOND } from '../domain/time.js';
import { UsageError } from '../errors.js';
// Types only: the generator is loaded when `generate` runs, so other commands do not pay for it.
import type { GenerateOptions } from '../generate/generateTelemetry.js';
import { parseNumber, printLine } from './common.js';

/** Bytes handed to the kernel per write: few syscalls, little memory. */
const WRITE_CHUNK_BYTES = 1024 * 1024;
const MAX_WORKFLOWS = 10_000_000;
const MAX_SEED = 0xffffffff;
const MAX_DAYS = 36_500;
// The generator's defaults, repeated here for --help without loading it (a test holds them equal).
const HELP_DEFAULT_SEED = '1';
const HELP_DEFAULT_DAYS = '30';
const EXAMPLE_NOW = '2026-11-01T00:00:00Z';

export interface GenerateSummary {
  readonly lines: Readonly<Record<SourceKind, number>>;
  readonly bytes: Readonly<Record<SourceKind, number>>;
}

/**
 * Writes the generated files into `dir` (created if missing), replacing files of the same
 * names. Streams: lines are encoded straight into one fixed buffer per file, written out when
 * full, so memory stays flat whatever the size.
 */
export async function writeGeneratedTelemetry(dir: string, options: GenerateOptions): Promise<GenerateSummary> {
  const { generateTelemetry } = await import('../generate/generateTelemetry.js');
  fs.mkdirSync(dir, { recursive: true });
  const lines = { invocations: 0, metrics: 0, workflow_events: 0 };
  const outputs = {} as Record<SourceKind, ChunkedFile>;
  try {
    for (const kind of SOURCE_KINDS) outputs[kind] = new ChunkedFile(path.join(dir, SOURCE_FILES[kind]));
    for (const { kind, line } of generateTelemetry(options)) {
      outputs[kind].writeLine(line);
      lines[kind]++;
    }
    for (const kind of SOURCE_KINDS) outputs[kind].flush();
  } finally {
    for (const kind of SOURCE_KINDS) outputs[kind]?.close();
  }
  return {
    lines,
    bytes: { invocations: outputs.invocations.bytes, metrics: outputs.metrics.bytes, workflow_events: outputs.workflow_events.bytes },
  };
}

/** A file written through one reused buffer (building strings per chunk costs more in GC than the writing). */
class ChunkedFile {
  private readonly fd: number;
  private readonly buffer = Buffer.allocUnsafe(WRITE_CHUNK_BYTES);
  private used = 0;
  bytes = 0;

  constructor(filePath: string) {
    this.fd = fs.openSync(filePath, 'w');
  }

  writeLine(line: string): void {
    // A UTF-16 unit takes at most 3 UTF-8 bytes; plus the newline.
    const worst = line.length * 3 + 1;
    if (this.used + worst > this.buffer.length) {
      this.flush();
      if (worst > this.buffer.length) {
        this.writeBytes(Buffer.from(line + '\n', 'utf8'));
        return;
      }
    }
    this.used += this.buffer.write(line, this.used, 'utf8');
    this.buffer[this.used++] = 0x0a;
  }

  flush(): void {
    this.writeBytes(this.buffer.subarray(0, this.used));
    this.used = 0;
  }

  close(): void {
    fs.closeSync(this.fd);
  }

  private writeBytes(bytes: Buffer): void {
    let offset = 0;
    while (offset < bytes.length) offset += fs.writeSync(this.fd, bytes, offset, bytes.length - offset);
    this.bytes += bytes.length;
  }
}

interface GenerateOpts {
  out: string;
  workflows: string;
  seed?: string;
  days?: string;
  now?: string;
  force?: boolean;
}

function wholeNumber(flag: string, raw: string, min: number, max: number): number {
  const value = parseNumber(flag, raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(`${flag} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** Names of telemetry files in `dir` that exist and are not empty. */
function nonEmptyTelemetryFiles(dir: string): string[] {
  const found: string[] = [];
  for (const kind of SOURCE_KINDS) {
    try {
      if (fs.statSync(path.join(dir, SOURCE_FILES[kind])).size > 0) found.push(SOURCE_FILES[kind]);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return found;
}

/** `generate`: deterministic, realistic telemetry files for benchmarks and demos. */
export function buildGenerateCommand(): Command {
  return new Command('generate')
    .description(
      'write realistic, deterministic telemetry (the three JSONL files, in the reference format) for benchmarks and demos: ' +
        'workflows of 2-5 agents of different skill, ratings, hand-offs, failures, open workflows, over the days before --now. ' +
        'Same --seed and --now, same bytes',
    )
    .requiredOption('--out <dir>', 'directory to write agent_invocations.jsonl, success_metrics.jsonl and workflow_events.jsonl into')
    .requiredOption('--workflows <n>', 'number of workflows (about 3.5 invocations and 10 lines each; 30000 is about 150 MB)')
    .option('--seed <n>', `random seed, a whole number from 0 to ${MAX_SEED} (default: ${HELP_DEFAULT_SEED})`)
    .option('--days <n>', `workflows start within this many days before --now (default: ${HELP_DEFAULT_DAYS})`)
    .option(
      '--now <iso>',
      'end of the generated period; nothing is dated after it (default: the clock, so the data reads as recent to `open` and `trends`; ' +
        'give it for the same bytes on every run)',
    )
    .option('--force', 'replace telemetry files that already exist in --out and are not empty')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  oak-telemetry generate --out /tmp/telemetry --workflows 3000\n' +
        `  oak-telemetry generate --out /tmp/telemetry --workflows 30000 --seed 7 --days 60 --now ${EXAMPLE_NOW} --force\n`,
    )
    .action(async (opts: GenerateOpts) => {
      if (opts.out.trim() === '') throw new UsageError('--out must not be empty');
      const workflows = wholeNumber('--workflows', opts.workflows, 0, MAX_WORKFLOWS);
      const seed = opts.seed === undefined ? undefined : wholeNumber('--seed', opts.seed, 0, MAX_SEED);
      const days = opts.days === undefined ? undefined : parseNumber('--days', opts.days);
      if (days !== undefined && (days <= 0 || days > MAX_DAYS)) {
        throw new UsageError(`--days must be > 0 and at most ${MAX_DAYS}, got ${JSON.stringify(opts.days)}`);
      }
      // The clock only when --now is absent: the generator itself never reads it.
      const nowUs = opts.now === undefined ? Math.floor(Date.now() / 1000) * US_PER_SECOND : parseTimestampUs(opts.now);
      if (Number.isNaN(nowUs)) {
        throw new UsageError(`--now must be an ISO-8601 time such as ${EXAMPLE_NOW}, got ${JSON.stringify(opts.now)}`);
      }

      const dir = path.resolve(opts.out);
      if (fs.existsSync(dir) && !fs.statSync(dir).isDirectory()) throw new UsageError(`--out ${dir} exists and is not a directory`);
      const existing = nonEmptyTelemetryFiles(dir);
      if (existing.length > 0 && !opts.force) {
        throw new UsageError(`${dir} already holds telemetry (${existing.join(', ')}); add --force to replace it`);
      }

      const summary = await writeGeneratedTelemetry(dir, { workflows, seed, days, nowUs });
      for (const kind of SOURCE_KINDS) {
        printLine(`${path.join(dir, SOURCE_FILES[kind])}: ${summary.lines[kind]} lines, ${summary.bytes[kind]} bytes`);
      }
      if (opts.now === undefined) {
        const now = new Date(nowUs / 1000).toISOString().replace('.000Z', 'Z');
        printLine(`dated up to ${now}; --now ${now} writes the same bytes again`);
      }
    });
}
