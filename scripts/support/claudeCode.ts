/**
 * Runs the real `claude` CLI (the pinned devDependency) in `-p` mode inside a temp project,
 * against a fake Messages API (fakeAnthropic.ts). Everything it writes goes to temp dirs (HOME,
 * CLAUDE_CONFIG_DIR, CLAUDE_CODE_TMPDIR), and it only talks to loopback. Used by the tests
 * (through test/support/claudeCode.ts) and by `npm run demo:claude-code`, so it imports nothing
 * of vitest.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../../src/config.js';
import { AGENT_MARKER } from './fakeAnthropic.js';

export const CLAUDE_BIN = path.join(packageRoot(), 'node_modules/.bin/claude');

export interface AgentDefinition {
  readonly name: string;
  readonly description: string;
  /** Written as `category:` in the front matter when given. */
  readonly category?: string;
  /** Extra front matter lines (e.g. `tools: Bash`). */
  readonly frontMatter?: Readonly<Record<string, string>>;
  /** The body; the fake API's marker for this agent is appended to it. */
  readonly body?: string;
}

export interface ClaudeProject {
  /** The project dir: `claude` runs here; `.claude/agents/` holds the definitions. */
  readonly root: string;
  readonly home: string;
  /** CLAUDE_CONFIG_DIR: user settings and session transcripts. */
  readonly configDir: string;
  readonly tmpDir: string;
}

/** A project under `base` (an empty dir) with `.claude/agents/<name>.md` for each definition, and its isolated dirs. */
export function createClaudeProject(base: string, agents: readonly AgentDefinition[] = []): ClaudeProject {
  const project: ClaudeProject = {
    root: path.join(base, 'project'),
    home: path.join(base, 'home'),
    configDir: path.join(base, 'home', '.claude'),
    tmpDir: path.join(base, 'tmp'),
  };
  for (const dir of [project.root, project.configDir, project.tmpDir]) fs.mkdirSync(dir, { recursive: true });
  if (agents.length > 0) fs.mkdirSync(path.join(project.root, '.claude', 'agents'), { recursive: true });
  for (const agent of agents) {
    fs.writeFileSync(path.join(project.root, '.claude', 'agents', `${agent.name}.md`), agentFile(agent));
  }
  return project;
}

export function agentFile(agent: AgentDefinition): string {
  const front = [`name: ${agent.name}`, `description: ${agent.description}`];
  if (agent.category !== undefined) front.push(`category: ${agent.category}`);
  for (const [key, value] of Object.entries(agent.frontMatter ?? {})) front.push(`${key}: ${value}`);
  const body = agent.body ?? `You are ${agent.name}.`;
  return `---\n${front.join('\n')}\n---\n\n${body}\n\n${AGENT_MARKER}${agent.name}\n`;
}

/** Writes `<project>/.claude/settings.json` (e.g. hooks of the project's own). */
export function writeProjectSettings(project: ClaudeProject, settings: unknown): void {
  fs.mkdirSync(path.join(project.root, '.claude'), { recursive: true });
  fs.writeFileSync(path.join(project.root, '.claude', 'settings.json'), JSON.stringify(settings, null, 2) + '\n');
}

export interface ClaudeRunOptions {
  /** The fake API's base URL (FakeAnthropic.url). */
  readonly apiUrl: string;
  readonly prompt: string;
  /** A later prompt in the session `claude -p` printed the id of (its JSON `session_id`). */
  readonly resume?: string;
  /** Default 30 s; the process group is killed then. */
  readonly timeoutMs?: number;
  readonly extraArgs?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** Default CLAUDE_BIN. */
  readonly bin?: string;
  /** Called with the child's pid once it runs: a caller that stops early kills its group with killClaude. */
  readonly onSpawn?: (pid: number) => void;
}

export interface ClaudeRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed (`--output-format json`), when it is JSON. */
  readonly result?: ClaudeResult;
  readonly ms: number;
}

/** The fields of `--output-format json` we use. */
export interface ClaudeResult {
  readonly type: string;
  readonly subtype?: string;
  readonly is_error?: boolean;
  readonly result?: string;
  readonly session_id?: string;
  readonly num_turns?: number;
}

/**
 * The environment: the runner's PATH and nothing of its own config; the API on loopback; no
 * telemetry, update checks or other non-essential traffic.
 */
export function claudeEnv(project: ClaudeProject, apiUrl: string, extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: project.home,
    CLAUDE_CONFIG_DIR: project.configDir,
    CLAUDE_CODE_TMPDIR: project.tmpDir,
    TMPDIR: project.tmpDir,
    ANTHROPIC_BASE_URL: apiUrl,
    ANTHROPIC_API_KEY: 'test',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_AUTOUPDATER: '1',
    DISABLE_TELEMETRY: '1',
    DISABLE_ERROR_REPORTING: '1',
    CLAUDE_CODE_ENABLE_TELEMETRY: '0',
    ...extra,
  };
}

/**
 * `claude -p PROMPT --output-format json` in the project. Asynchronous on purpose: the fake API
 * lives in this process and must keep answering while the CLI runs.
 */
export function runClaude(project: ClaudeProject, options: ClaudeRunOptions): Promise<ClaudeRun> {
  const args = ['-p', options.prompt, '--output-format', 'json'];
  if (options.resume !== undefined) args.push('--resume', options.resume);
  args.push(...(options.extraArgs ?? []));
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(options.bin ?? CLAUDE_BIN, args, {
      cwd: project.root,
      env: claudeEnv(project, options.apiUrl, options.env),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    if (child.pid !== undefined) options.onSpawn?.(child.pid);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => {
      stderr += `\n[claudeCode harness] killed after ${options.timeoutMs ?? 30_000} ms\n`;
      killClaude(child.pid);
    }, options.timeoutMs ?? 30_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      // Hooks or background tasks it started die with it.
      killClaude(child.pid);
      resolve({ code, signal, stdout, stderr, result: parseResult(stdout), ms: Date.now() - started });
    });
  });
}

/** Kills a `claude` run's whole process group (its hooks and background tasks with it). */
export function killClaude(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

function parseResult(stdout: string): ClaudeResult | undefined {
  try {
    const value: unknown = JSON.parse(stdout);
    return typeof value === 'object' && value !== null ? (value as ClaudeResult) : undefined;
  } catch {
    return undefined;
  }
}

export function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}
