/**
 * Runs the built CLI as shipped (dist/bin/oak-telemetry.js, the package's bin) as a user would, with the runner's OAK_* variables
 * removed so that the machine running the tests cannot steer the answers.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const CLI = path.join(ROOT, 'dist/bin/oak-telemetry.js');

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** What the CLI wrote, undecoded: for tests of the output's encoding itself. */
export interface CliBytes {
  readonly code: number | null;
  readonly stdout: Buffer;
  readonly stderr: Buffer;
}

export interface CliOptions {
  /** Default: the repository root. */
  readonly cwd?: string;
  /** Added after the runner's OAK_* variables are removed. */
  readonly env?: Readonly<Record<string, string>>;
  readonly input?: string;
  readonly timeoutMs?: number;
  /** A command that runs the CLI in its place, e.g. setpriv as another user (smallTmpfs's AS_NOBODY). */
  readonly prefix?: readonly string[];
}

/** What sets the tables' width and characters (see src/cli/terminalLayout.ts): a test gives them when it means to. */
const LAYOUT_VARIABLES = new Set(['COLUMNS', 'LC_ALL', 'LC_CTYPE', 'LANG']);

/** The runner's environment without the variables the CLI reads (OAK_TELEMETRY_*, OAK_SESSION_ID, COLUMNS, the locale...). */
export function cliEnv(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('OAK_') && !LAYOUT_VARIABLES.has(key)) env[key] = value;
  return { ...env, ...extra };
}

export function expectBuilt(): void {
  expect(fs.existsSync(CLI), `${CLI} missing: run "npm run build" first`).toBe(true);
}

/** `oak-telemetry ...args`: exit code and output, whatever they are. */
export function runCli(args: readonly string[], options: CliOptions = {}): CliRun {
  const r = runCliBytes(args, options);
  return { code: r.code, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
}

/** As runCli, with the output as the bytes written (decoding would hide invalid UTF-8). */
export function runCliBytes(args: readonly string[], options: CliOptions = {}): CliBytes {
  expectBuilt();
  const [command = process.execPath, ...before] = [...(options.prefix ?? []), process.execPath];
  const r = spawnSync(command, [...before, CLI, ...args], {
    cwd: options.cwd ?? ROOT,
    env: cliEnv(options.env),
    input: options.input ?? '',
    // spawnSync blocks the event loop, so vitest's own timeout cannot end a CLI that hangs.
    timeout: options.timeoutMs ?? 50_000,
  });
  if (r.error !== undefined) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs a query with --json that must succeed silently and print one JSON document. */
export function runCliJson<T = unknown>(args: readonly string[], options: CliOptions = {}): T {
  const r = runCli([...args, '--json'], options);
  const what = `${args.join(' ')} --json\n${r.stderr}`;
  expect(r.code, what).toBe(0);
  expect(r.stderr, what).toBe('');
  expect(r.stdout.endsWith('\n'), what).toBe(true);
  return JSON.parse(r.stdout) as T;
}

/** Exit 1, nothing on stdout, one line on stderr that matches `line`, no stack trace. */
export function expectOneLineFailure(args: readonly string[], line: RegExp, options: CliOptions = {}): CliRun {
  const r = runCli(args, options);
  const what = `${args.join(' ')}\n${r.stderr}`;
  expect(r.code, what).toBe(1);
  expect(r.stdout, what).toBe('');
  expect(r.stderr.endsWith('\n'), what).toBe(true);
  expect(r.stderr.trimEnd().split('\n'), what).toHaveLength(1);
  expect(r.stderr, what).toMatch(line);
  expect(r.stderr, what).not.toMatch(/^\s+at /m);
  return r;
}
