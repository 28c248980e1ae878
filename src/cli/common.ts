import path from 'node:path';
import { Command, Option } from 'commander';
import { stringifyJson } from '../domain/jsonText.js';
import { UsageError } from '../errors.js';
import { withoutControls } from './terminalText.js';

/** Telemetry directory: --dir, else $OAK_TELEMETRY_DIR (when not empty), else ./telemetry. */
export function resolveDir(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const dir = flag ?? (env.OAK_TELEMETRY_DIR || './telemetry');
  return path.resolve(dir);
}

export function dirOption(): Option {
  return new Option('--dir <path>', 'telemetry directory (default: $OAK_TELEMETRY_DIR, else ./telemetry)');
}

export function sourceOption(): Option {
  return new Option(
    '--source <source>',
    "auto: ask the running daemon, else its checkpoint plus what the files gained since, else a replay; replay: read the files from the start",
  ).default('auto');
}

export function parseNumber(flag: string, raw: string): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value)) throw new UsageError(`${flag} must be a number, got ${JSON.stringify(raw)}`);
  return value;
}

export function parseNonNegative(flag: string, raw: string): number {
  const value = parseNumber(flag, raw);
  if (value < 0) throw new UsageError(`${flag} must be >= 0, got ${raw}`);
  return value;
}

export function parseBoolean(flag: string, raw: string): boolean {
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw new UsageError(`${flag} must be true or false, got ${JSON.stringify(raw)}`);
}

/** Comma-separated list; empty items dropped ("a,,b" -> [a, b]; "" -> []). */
export function parseList(raw: string): string[] {
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/**
 * Writes one line (a newline is added) to stdout. The CLI's only way to print results; a control
 * character a rendering let through is escaped here, so none reaches the terminal.
 */
export function printLine(text: string): void {
  process.stdout.write(withoutControls(text) + '\n');
}

export function printJson(value: unknown): void {
  process.stdout.write(stringifyJson(value) + '\n');
}

/** Applies our conventions to a command and its sub-commands: errors throw instead of exiting. */
export function withConventions(cmd: Command): Command {
  cmd.exitOverride();
  cmd.showHelpAfterError('(add --help for usage)');
  for (const sub of cmd.commands) withConventions(sub);
  return cmd;
}

/** --nats and --stream: answer from the JetStream stream the shippers fill instead of the files. */
export function natsOptions(): Option[] {
  return [
    new Option('--nats <url>', 'replay from this NATS JetStream server (the stream `oak-telemetry ship` fills) instead of the files'),
    new Option('--stream <name>', 'JetStream stream, with --nats (default OAK)'),
  ];
}
