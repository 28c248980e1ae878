/**
 * Deterministic, realistic telemetry in the reference's formats, as a stream of lines.
 *
 * Workflows start at random times over the `days` before `now` (busier on weekday working
 * hours, UTC), overlap like real sessions, and run 2-5 agents from a pool of twelve whose skill
 * (success probability, duration, rating) differs per agent, task type, scope and, for a few
 * agents, drifts over the window. Coordination gaps sit between agents, ~3% of workflows
 * never complete (their last agent still running), a workflow still running at `now` is cut
 * there. Invocation lines are the final records at their start time: the shape the
 * reference's in-place rewrites leave on disk.
 *
 * Each file's lines come out sorted by timestamp (ties in generation order) without holding a
 * file in memory: workflows are generated in start order and a line waits in a small heap
 * until no later workflow can write before it.
 */
import { formatTimestampUs, parseTimestampUs, US_PER_DAY, US_PER_SECOND } from '../domain/time.js';
import type { SourceKind } from '../domain/sources.js';
import { cumulativeWeights, Random } from './random.js';

export const DEFAULT_SEED = 1;
export const DEFAULT_DAYS = 30;
/** `now` when a caller (a test, a benchmark) gives none: fixed, so output never depends on the clock. The CLI passes the clock. */
export const DEFAULT_NOW = '2026-11-01T00:00:00Z';

export interface GenerateOptions {
  readonly workflows: number;
  /** Non-negative safe integer (default 1). */
  readonly seed?: number;
  /** Workflows start within this many days before `now` (default 30; may be fractional). */
  readonly days?: number;
  /** Epoch microseconds; nothing is written after it (default 2026-11-01T00:00:00Z). */
  readonly nowUs?: number;
}

export interface GeneratedLine {
  readonly kind: SourceKind;
  /** One JSON record in Python `json.dumps` style, without the newline. */
  readonly line: string;
}

/** Tunable shares, exported so tests can state the proportions they expect. */
export const RATES = {
  openWorkflow: 0.03,
  rated: 0.71, // of finished invocations: ~70% of all, as running ones are never rated
  zeroDuration: 0.01,
  noTaskType: 0.05,
  templatePlan: 0.45,
  failureOfUnsuccessful: 0.64, // the rest are "partial"
  failureWithoutMessage: 0.12,
  partialWithMessage: 0.75,
} as const;

// ---------------------------------------------------------------------------------------------
// Profiles

type TaskType =
  | 'api_development'
  | 'ui_development'
  | 'bug_fix'
  | 'testing'
  | 'code_review'
  | 'security_audit'
  | 'documentation'
  | 'optimization'
  | 'infrastructure'
  | 'architecture'
  | 'analysis';

interface AgentProfile {
  readonly name: string;
  readonly type: string;
  readonly primaryTask: TaskType;
  /** Other task types the agent is given, with a success modifier and a duration factor. */
  readonly otherTasks: readonly (readonly [TaskType, number, number])[];
  readonly success: number;
  /** Change of the success probability from the start of the window to its end. */
  readonly drift: number;
  readonly medianSeconds: number;
  readonly qualityBias: number;
  readonly popularity: number;
  readonly tools: readonly string[];
  readonly artifact: string;
  readonly errors: readonly string[];
  readonly writes: 'src' | 'tests' | 'docs';
}

const DEV_TOOLS = ['Read', 'Grep', 'Glob', 'Edit', 'Write', 'Bash'];
const QA_TOOLS = ['Read', 'Grep', 'Glob', 'Bash', 'Edit'];

const AGENTS: readonly AgentProfile[] = [
  {
    name: 'backend-architect', type: 'development', primaryTask: 'api_development',
    otherTasks: [['architecture', -0.06, 1.2], ['optimization', -0.14, 1.3], ['bug_fix', -0.08, 1.1]],
    success: 0.84, drift: 0, medianSeconds: 1500, qualityBias: 0.25, popularity: 10, tools: DEV_TOOLS, artifact: 'api-changes',
    errors: ['API contract mismatch', 'migration failed: column already exists', "type error: property 'id' does not exist on type 'Order'"], writes: 'src',
  },
  {
    name: 'frontend-developer', type: 'development', primaryTask: 'ui_development',
    otherTasks: [['testing', -0.1, 1.2], ['optimization', -0.12, 1.3]],
    success: 0.78, drift: 0, medianSeconds: 1300, qualityBias: 0.1, popularity: 9, tools: DEV_TOOLS, artifact: 'ui-changes',
    errors: ['lint errors in 3 files', 'snapshot tests out of date', 'accessibility check failed: 4 violations'], writes: 'src',
  },
  {
    name: 'code-reviewer', type: 'quality', primaryTask: 'code_review',
    otherTasks: [['security_audit', -0.1, 1.3], ['testing', -0.08, 1.2]],
    success: 0.9, drift: 0, medianSeconds: 450, qualityBias: 0.3, popularity: 11, tools: ['Read', 'Grep', 'Glob', 'Bash'], artifact: 'review',
    errors: ['review incomplete: diff too large', 'merge conflict in src/index.ts'], writes: 'src',
  },
  {
    name: 'qa-specialist', type: 'quality', primaryTask: 'testing',
    otherTasks: [['bug_fix', -0.1, 1.2], ['code_review', -0.05, 1.1]],
    success: 0.82, drift: 0, medianSeconds: 1100, qualityBias: 0.15, popularity: 10, tools: QA_TOOLS, artifact: 'test-report',
    errors: ['tests failed', '3 of 42 tests failed', 'flaky test: checkout.spec.ts'], writes: 'tests',
  },
  {
    name: 'unit-test-expert', type: 'quality', primaryTask: 'testing',
    otherTasks: [['bug_fix', -0.12, 1.3]],
    success: 0.74, drift: 0, medianSeconds: 900, qualityBias: -0.1, popularity: 7, tools: QA_TOOLS, artifact: 'coverage',
    errors: ['tests failed', 'coverage below threshold: 71% < 80%', 'mock setup failed: module not found'], writes: 'tests',
  },
  {
    name: 'debug-specialist', type: 'development', primaryTask: 'bug_fix',
    otherTasks: [['optimization', -0.1, 1.2], ['testing', -0.08, 1.1]],
    success: 0.56, drift: 0.24, medianSeconds: 1400, qualityBias: 0, popularity: 8, tools: DEV_TOOLS, artifact: 'diagnosis',
    errors: ['could not reproduce the failure', 'fix reverted: regression in integration tests', 'tests failed'], writes: 'src',
  },
  {
    name: 'systems-architect', type: 'architecture', primaryTask: 'architecture',
    otherTasks: [['infrastructure', -0.1, 1.3], ['api_development', -0.12, 1.2]],
    success: 0.8, drift: 0, medianSeconds: 1800, qualityBias: 0.35, popularity: 7, tools: ['Read', 'Glob', 'Grep', 'Write', 'WebFetch'], artifact: 'design',
    errors: ['design rejected: conflicts with existing service boundaries', 'context window exceeded'], writes: 'docs',
  },
  {
    name: 'security-auditor', type: 'security', primaryTask: 'security_audit',
    otherTasks: [['code_review', -0.06, 1.1], ['infrastructure', -0.14, 1.4]],
    success: 0.86, drift: 0, medianSeconds: 1200, qualityBias: 0.2, popularity: 6, tools: ['Read', 'Grep', 'Glob', 'Bash', 'WebFetch'], artifact: 'audit',
    errors: ['security scan found 2 high severity issues', 'secret detected in config file', 'dependency audit failed: 5 vulnerable packages'], writes: 'src',
  },
  {
    name: 'technical-writer', type: 'documentation', primaryTask: 'documentation',
    otherTasks: [['analysis', -0.12, 1.3]],
    success: 0.93, drift: 0, medianSeconds: 900, qualityBias: 0.4, popularity: 8, tools: ['Read', 'Glob', 'Write', 'Edit'], artifact: 'docs',
    errors: ['docs build failed: broken link', 'example code does not compile'], writes: 'docs',
  },
  {
    name: 'data-scientist', type: 'analysis', primaryTask: 'analysis',
    otherTasks: [['optimization', -0.1, 1.2]],
    success: 0.64, drift: 0, medianSeconds: 1600, qualityBias: -0.05, popularity: 5, tools: ['Read', 'Bash', 'Write', 'WebFetch'], artifact: 'analysis',
    errors: ['query timed out on warehouse', 'not enough data for significance', 'out of memory'], writes: 'docs',
  },
  {
    name: 'performance-optimizer', type: 'development', primaryTask: 'optimization',
    otherTasks: [['bug_fix', -0.1, 1.2], ['infrastructure', -0.12, 1.3]],
    success: 0.5, drift: 0, medianSeconds: 1700, qualityBias: -0.15, popularity: 6, tools: DEV_TOOLS, artifact: 'profile',
    errors: ['benchmark regression of 12%', 'out of memory', 'cache invalidation broke 2 tests'], writes: 'src',
  },
  {
    name: 'infrastructure-specialist', type: 'development', primaryTask: 'infrastructure',
    otherTasks: [['architecture', -0.1, 1.2]],
    success: 0.68, drift: -0.3, medianSeconds: 2000, qualityBias: -0.2, popularity: 6, tools: ['Read', 'Grep', 'Edit', 'Write', 'Bash'], artifact: 'runbook',
    errors: ['deployment failed: health check timeout', 'terraform plan failed: state lock held', 'docker build failed: base image not found'], writes: 'src',
  },
];

const AGENT_INDEX = new Map(AGENTS.map((a, i) => [a.name, i]));
const AGENT_WEIGHTS = cumulativeWeights(AGENTS.map((a) => a.popularity));

/** Plans teams reuse; the rest of the workflows draw 2-5 distinct agents by popularity. */
const PLAN_TEMPLATES: readonly (readonly string[])[] = [
  ['systems-architect', 'backend-architect', 'code-reviewer', 'qa-specialist'],
  ['backend-architect', 'unit-test-expert', 'code-reviewer'],
  ['frontend-developer', 'qa-specialist'],
  ['debug-specialist', 'unit-test-expert'],
  ['security-auditor', 'backend-architect', 'code-reviewer'],
  ['performance-optimizer', 'qa-specialist'],
  ['data-scientist', 'technical-writer'],
  ['infrastructure-specialist', 'security-auditor', 'technical-writer'],
  ['systems-architect', 'frontend-developer', 'backend-architect', 'qa-specialist', 'technical-writer'],
  ['backend-architect', 'frontend-developer', 'unit-test-expert', 'code-reviewer', 'technical-writer'],
  ['debug-specialist', 'code-reviewer', 'qa-specialist', 'technical-writer'],
];
const TEMPLATE_WEIGHTS = cumulativeWeights([10, 9, 6, 6, 5, 4, 3, 4, 4, 4, 5]);
const PLAN_SIZE_WEIGHTS = cumulativeWeights([0.8, 1, 1.1, 1.1]); // 2, 3, 4 or 5 agents

const VERBS: Readonly<Record<TaskType, readonly string[]>> = {
  api_development: ['implement', 'build', 'design', 'add'],
  ui_development: ['build', 'implement', 'redesign', 'add'],
  bug_fix: ['fix', 'debug', 'investigate', 'patch'],
  testing: ['test', 'verify', 'cover'],
  code_review: ['review', 'inspect', 'check'],
  security_audit: ['audit', 'harden', 'scan', 'review'],
  documentation: ['document', 'describe', 'explain'],
  optimization: ['optimize', 'profile', 'tune', 'speed'],
  infrastructure: ['deploy', 'provision', 'migrate', 'configure'],
  architecture: ['design', 'plan', 'restructure', 'model'],
  analysis: ['analyze', 'measure', 'investigate', 'report'],
};

const NOUNS: Readonly<Record<TaskType, readonly string[]>> = {
  api_development: ['api', 'endpoint', 'webhook', 'pagination', 'schema', 'graphql'],
  ui_development: ['component', 'dashboard', 'react', 'form', 'modal', 'layout'],
  bug_fix: ['crash', 'regression', 'race', 'leak', 'timeout', 'error'],
  testing: ['coverage', 'integration', 'suite', 'fixtures', 'e2e', 'mocks'],
  code_review: ['diff', 'module', 'refactor', 'changes', 'patch'],
  security_audit: ['security', 'authentication', 'token', 'secrets', 'permissions', 'injection'],
  documentation: ['readme', 'guide', 'onboarding', 'changelog', 'reference', 'api'],
  optimization: ['cache', 'query', 'latency', 'memory', 'bundle', 'throughput'],
  infrastructure: ['pipeline', 'kubernetes', 'terraform', 'docker', 'queue', 'database'],
  architecture: ['service', 'boundaries', 'events', 'schema', 'database', 'modules'],
  analysis: ['metrics', 'funnel', 'churn', 'logs', 'experiment', 'data'],
};

const TOPICS = [
  'payment', 'search', 'login', 'checkout', 'cache', 'notifications', 'billing', 'onboarding', 'reporting', 'inventory',
  'profile', 'upload', 'export', 'analytics', 'queue', 'authentication', 'migration', 'dashboard', 'scheduler', 'webhooks',
];
const TOPIC_WEIGHTS = cumulativeWeights(TOPICS.map((_, i) => 1 / Math.pow(i + 1, 0.6)));
const FILE_STEMS = ['service', 'handler', 'client', 'model', 'routes', 'store', 'utils', 'config', 'index', 'worker'];

const LANGUAGE_SETS: readonly (readonly [readonly string[], string])[] = [
  [['TypeScript'], 'ts'],
  [['TypeScript'], 'ts'],
  [['Python'], 'py'],
  [['TypeScript', 'Python'], 'ts'],
  [['Go'], 'go'],
  [['Python'], 'py'],
  [['Rust'], 'rs'],
  [['Java'], 'java'],
  [['JavaScript'], 'js'],
  [['TypeScript', 'Go'], 'ts'],
];

const PROJECT_COUNT = 40;
const PROJECT_WEIGHTS = cumulativeWeights(Array.from({ length: PROJECT_COUNT }, (_, i) => 1 / Math.pow(i + 1, 0.8)));

const GENERAL_ERRORS = [
  'tests failed',
  'build broke: missing module',
  'timeout after 600s',
  'timeout after 900s',
  'timeout after 1800s',
  'lint errors in 3 files',
  'tool call failed: Bash exited with code 1',
  'rate limited by upstream API',
  'context window exceeded',
  'permission denied writing to .env',
  'dependency install failed',
];

const GOOD_NOTES = ['clear and correct', 'great explanation', 'exactly what was asked', 'clean diff, good tests'];
const MIXED_NOTES = ['ok but needed a second pass', 'missed a few edge cases', 'slow but correct'];
const BAD_NOTES = ['had to redo most of it', 'ignored the spec', 'broke the build', 'too slow, gave up'];

const SCOPES = ['small', 'medium', 'large'] as const;
const SCOPE_WEIGHTS = cumulativeWeights([40, 30, 30]);
const SCOPE_SUCCESS = [0.04, 0, -0.08];
const SCOPE_DURATION = [0.6, 1, 1.5];

// ---------------------------------------------------------------------------------------------
// Line formatting (Python json.dumps style: ", " and ": "; all generated text is plain ASCII)

const q = (s: string): string => '"' + s + '"';
const list = (items: readonly string[]): string => (items.length === 0 ? '[]' : '["' + items.join('", "') + '"]');
const orNull = (s: string | null): string => (s === null ? 'null' : q(s));
/** A float as Python prints a value rounded to 0.1 ("2190.0"); exact zero stays "0" like the reference's int. */
const seconds = (s: number | null): string => (s === null ? 'null' : s === 0 ? '0' : s.toFixed(1));

/**
 * Same text as `formatTimestampUs` ("2026-11-06T13:03:40.050470Z"), without a Date per call:
 * the date part is cached per day, the rest is arithmetic. A third of the generator's time
 * went to formatting timestamps before.
 */
class TimestampFormatter {
  private day = NaN;
  private datePart = '';

  format(us: number): string {
    const day = Math.floor(us / US_PER_DAY);
    if (day !== this.day) {
      this.day = day;
      this.datePart = formatTimestampUs(day * US_PER_DAY).slice(0, 11);
    }
    const inDay = us - day * US_PER_DAY;
    const micros = inDay % US_PER_SECOND;
    const secondOfDay = (inDay - micros) / US_PER_SECOND;
    const minuteOfDay = Math.floor(secondOfDay / 60);
    return (
      this.datePart +
      (TWO_DIGITS[Math.floor(minuteOfDay / 60)] as string) +
      ':' +
      (TWO_DIGITS[minuteOfDay % 60] as string) +
      ':' +
      (TWO_DIGITS[secondOfDay % 60] as string) +
      '.' +
      String(micros).padStart(6, '0') +
      'Z'
    );
  }
}

const TWO_DIGITS = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));

/** For tests: the generator's timestamp text for epoch microseconds. */
export function formatGeneratedTimestamp(us: number): string {
  return new TimestampFormatter().format(us);
}

// ---------------------------------------------------------------------------------------------
// Ordering: a min-heap of pending lines per file, keyed by (time, generation order)

interface Pending {
  us: number;
  seq: number;
  line: string;
}

class LineHeap {
  private readonly items: Pending[] = [];

  get size(): number {
    return this.items.length;
  }

  peekUs(): number {
    return this.items.length === 0 ? Infinity : (this.items[0] as Pending).us;
  }

  push(item: Pending): void {
    const a = this.items;
    let i = a.length;
    a.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = a[parent] as Pending;
      if (!before(item, p)) break;
      a[i] = p;
      i = parent;
    }
    a[i] = item;
  }

  pop(): Pending {
    const a = this.items;
    const top = a[0] as Pending;
    const last = a.pop() as Pending;
    const n = a.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const child = r < n && before(a[r] as Pending, a[l] as Pending) ? r : l;
        if (!before(a[child] as Pending, last)) break;
        a[i] = a[child] as Pending;
        i = child;
      }
      a[i] = last;
    }
    return top;
  }
}

function before(x: Pending, y: Pending): boolean {
  return x.us < y.us || (x.us === y.us && x.seq < y.seq);
}

// ---------------------------------------------------------------------------------------------
// Schedule

/** Relative activity by UTC hour and weekday: a team's working day, quieter nights and weekends. */
function activity(us: number): number {
  const hour = Math.floor(us / 3_600_000_000) % 24;
  const weekday = (Math.floor(us / US_PER_DAY) + 4) % 7; // 1970-01-01 was a Thursday
  const daily = hour >= 8 && hour < 18 ? 1 : hour >= 6 && hour < 22 ? 0.45 : 0.12;
  return weekday === 0 || weekday === 6 ? daily * 0.35 : daily;
}

function startTimes(rng: Random, count: number, fromUs: number, spanUs: number): Float64Array {
  const starts = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    let us: number;
    do us = fromUs + Math.floor(rng.next53() * spanUs);
    while (rng.next() >= activity(us));
    starts[i] = us;
  }
  return starts.sort();
}

// ---------------------------------------------------------------------------------------------
// One workflow

interface Emit {
  (kind: SourceKind, us: number, line: string): void;
}

interface Context {
  readonly rng: Random;
  readonly time: TimestampFormatter;
  readonly seed: number;
  readonly nowUs: number;
  readonly fromUs: number;
  readonly spanUs: number;
}

function pickPlan(rng: Random): string[] {
  if (rng.chance(RATES.templatePlan)) return [...(PLAN_TEMPLATES[rng.weightedIndex(TEMPLATE_WEIGHTS)] as readonly string[])];
  const size = 2 + rng.weightedIndex(PLAN_SIZE_WEIGHTS);
  const plan: string[] = [];
  while (plan.length < size) {
    const name = (AGENTS[rng.weightedIndex(AGENT_WEIGHTS)] as AgentProfile).name;
    if (!plan.includes(name)) plan.push(name);
  }
  return plan;
}

function taskText(rng: Random, task: TaskType, topic: string): string {
  const words = [rng.pick(VERBS[task])];
  const target = 4 + rng.int(3);
  if (rng.chance(0.7)) words.push(topic);
  const nouns = NOUNS[task];
  while (words.length < target) {
    const word = rng.chance(0.6) ? rng.pick(nouns) : (TOPICS[rng.weightedIndex(TOPIC_WEIGHTS)] as string);
    if (!words.includes(word)) words.push(word);
  }
  return words.join(' ');
}

function toolsFor(rng: Random, agent: AgentProfile): string[] {
  const tools = ['Read'];
  for (const tool of agent.tools) if (tool !== 'Read' && rng.chance(0.55)) tools.push(tool);
  return tools;
}

function filePath(rng: Random, agent: AgentProfile, topic: string, ext: string): string {
  const stem = rng.pick(FILE_STEMS);
  if (agent.writes === 'tests') return `tests/${topic}/test_${stem}.${ext}`;
  if (agent.writes === 'docs') return `docs/${topic}/${stem}.md`;
  return `src/${topic}/${stem}.${ext}`;
}

function errorFor(rng: Random, agent: AgentProfile): string {
  return rng.chance(0.5) ? rng.pick(agent.errors) : rng.pick(GENERAL_ERRORS);
}

function timeoutSeconds(message: string | null): number | null {
  const m = message === null ? null : /^timeout after (\d+)s$/.exec(message);
  return m ? Number(m[1]) : null;
}

function ratingNote(rng: Random, quality: number): string | null {
  if (!rng.chance(0.12)) return null;
  return rng.pick(quality >= 4 ? GOOD_NOTES : quality === 3 ? MIXED_NOTES : BAD_NOTES);
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

function generateWorkflow(ctx: Context, index: number, startUs: number, emit: Emit): void {
  const { rng, nowUs } = ctx;
  const workflowId = `wf-${ctx.seed}-${String(index).padStart(7, '0')}`;
  const sessionId = rng.uuid();
  const project = rng.weightedIndex(PROJECT_WEIGHTS);
  const [languages, ext] = LANGUAGE_SETS[project % LANGUAGE_SETS.length] as readonly [readonly string[], string];
  const codebase = `"codebase": {"languages": ${list(languages)}}`;
  const topic = TOPICS[rng.weightedIndex(TOPIC_WEIGHTS)] as string;
  const plan = pickPlan(rng);
  const runningAt = rng.chance(RATES.openWorkflow) ? rng.int(plan.length) : -1;
  const progress = ctx.spanUs > 0 ? (startUs - ctx.fromUs) / ctx.spanUs : 1;
  const estimate = rng.chance(0.25) ? 'null' : rng.chance(0.15) ? String(rng.pick([1800, 3600, 7200, 10800])) : plan.length <= 3 ? '3600' : '7200';
  const head = `"workflow_id": ${q(workflowId)}, "session_id": ${q(sessionId)}, `;

  emit(
    'workflow_events',
    startUs,
    `{"timestamp": ${q(ctx.time.format(startUs))}, "event": "workflow_start", ${head}"project_name": "Project ${project}", "agent_plan": ${list(plan)}, "estimated_duration": ${estimate}}`,
  );

  let t = startUs + Math.floor(rng.between(0.2, 6) * US_PER_SECOND);
  let previousEndUs = startUs;
  let allSucceeded = true;
  for (let k = 0; k < plan.length; k++) {
    const agent = AGENTS[AGENT_INDEX.get(plan[k] as string) as number] as AgentProfile;
    if (k > 0) {
      // Logged by the orchestrator just before the next agent starts, never before the last one ended.
      const handoffUs = Math.max(previousEndUs, t - Math.floor(rng.between(0.05, 1.5) * US_PER_SECOND));
      if (handoffUs > nowUs) return;
      const from = plan[k - 1] as string;
      const fromArtifact = (AGENTS[AGENT_INDEX.get(from) as number] as AgentProfile).artifact;
      const artifacts = [`artifacts/${from}/${fromArtifact}-${k - 1}.md`];
      if (rng.chance(0.3)) artifacts.push(`artifacts/${from}/notes-${k - 1}.md`);
      emit(
        'workflow_events',
        handoffUs,
        `{"timestamp": ${q(ctx.time.format(handoffUs))}, "event": "agent_handoff", ${head}"from_agent": ${q(from)}, "to_agent": ${q(agent.name)}, "artifacts": ${list(artifacts)}}`,
      );
    }
    if (t > nowUs) return;

    // What the agent is asked to do.
    let task: TaskType = agent.primaryTask;
    let successShift = 0.04;
    let durationFactor = 1;
    if (agent.otherTasks.length > 0 && rng.chance(0.2)) {
      const [other, shift, factor] = rng.pick(agent.otherTasks);
      task = other;
      successShift = shift;
      durationFactor = factor;
    }
    const scope = rng.weightedIndex(SCOPE_WEIGHTS);
    const features = rng.chance(RATES.noTaskType) ? '{}' : `{"task": {"type": ${q(task)}, "scope": ${q(SCOPES[scope] as string)}}, ${codebase}}`;
    const invocationId = rng.uuid();
    const prefix =
      `{"timestamp": ${q(ctx.time.format(t))}, "session_id": ${q(sessionId)}, "invocation_id": ${q(invocationId)}, ` +
      `"agent_name": ${q(agent.name)}, "agent_type": ${q(agent.type)}, "task_description": ${q(taskText(rng, task, topic))}, ` +
      `"state_features": ${features}, "parent_invocation_id": null, "workflow_id": ${q(workflowId)}, "spec_id": null, ` +
      `"spec_section": [], "agent_variant": null, "task_type": null, "q_value": null, "exploration": null, "reward": null, ` +
      `"learning_enabled": false, "tools_used": ${list(toolsFor(rng, agent))}, "duration_seconds": `;
    // The line as first logged: the agent is still running, nothing has updated it yet.
    const running = (): string =>
      `${prefix}null, "outcome": {"status": "unknown", "error_message": null, "files_modified": [], "files_created": [], ` +
      `"tests_passed": null, "build_succeeded": null}, "metadata": {}}`;
    if (k === runningAt) {
      emit('invocations', t, running());
      return;
    }

    // How it goes.
    const pSuccess = clamp(agent.success + successShift + (SCOPE_SUCCESS[scope] as number) + agent.drift * (progress - 0.5), 0.05, 0.98);
    const status = rng.chance(pSuccess) ? 'success' : rng.chance(RATES.failureOfUnsuccessful) ? 'failure' : 'partial';
    let errorMessage: string | null = null;
    if (status === 'failure' && !rng.chance(RATES.failureWithoutMessage)) errorMessage = errorFor(rng, agent);
    if (status === 'partial' && rng.chance(RATES.partialWithMessage)) errorMessage = errorFor(rng, agent);
    const timeout = timeoutSeconds(errorMessage);
    let duration: number;
    if (rng.chance(RATES.zeroDuration)) duration = 0;
    else if (timeout !== null) duration = Math.round((timeout + rng.between(0, 4)) * 10) / 10;
    else {
      const median = agent.medianSeconds * (SCOPE_DURATION[scope] as number) * durationFactor * (status === 'success' ? 1 : 1.15);
      duration = Math.round(clamp(rng.logNormal(median, 0.5), 15, 3 * 3600) * 10) / 10;
    }
    const endUs = t + Math.round(duration * US_PER_SECOND);
    if (endUs > nowUs) {
      emit('invocations', t, running());
      return;
    }

    const modified: string[] = [];
    const created: string[] = [];
    const touched = status === 'failure' && rng.chance(0.3) ? 0 : 1 + rng.int(3);
    for (let f = 0; f < touched; f++) {
      const p = filePath(rng, agent, topic, ext);
      if (!modified.includes(p)) modified.push(p);
    }
    if (agent.writes !== 'docs' && rng.chance(0.25)) created.push(filePath(rng, agent, topic, ext));
    const testsBroken = errorMessage !== null && /test/.test(errorMessage);
    const buildBroken = errorMessage !== null && /build|compile|install|module/.test(errorMessage);
    const testsPassed = status === 'success' ? rng.chance(0.97) : testsBroken ? false : status === 'partial' ? rng.chance(0.4) : rng.chance(0.25);
    emit(
      'invocations',
      t,
      `${prefix}${seconds(duration)}, "outcome": {"status": ${q(status)}, "error_message": ${orNull(errorMessage)}, ` +
        `"files_modified": ${list(modified)}, "files_created": ${list(created)}, "tests_passed": ${testsPassed}, ` +
        `"build_succeeded": ${!buildBroken}}, "metadata": {}}`,
    );
    if (status !== 'success') allSucceeded = false;

    if (rng.chance(RATES.rated)) {
      const automated = rng.chance(0.15);
      const metricUs = endUs + Math.floor((automated ? rng.between(0.5, 5) : Math.min(rng.logNormal(120, 1.2), 86_400)) * US_PER_SECOND);
      const g = rng.gaussian();
      const quality =
        status === 'success'
          ? clamp(Math.round(4 + agent.qualityBias + 0.8 * g), 3, 5)
          : clamp(Math.round((status === 'partial' ? 2.3 : 1.8) + agent.qualityBias / 2 + 0.8 * g), 1, 3);
      const success = status === 'success';
      const wouldUseAgain = quality === 3 ? (success ? !rng.chance(0.15) : rng.chance(0.25)) : success;
      let alternative: string | null = null;
      if (!success && rng.chance(0.2)) {
        const other = rng.pick(AGENTS.filter((a) => a.primaryTask === task && a !== agent));
        alternative = other?.name ?? null;
      }
      if (metricUs <= nowUs) {
        emit(
          'metrics',
          metricUs,
          `{"timestamp": ${q(ctx.time.format(metricUs))}, "invocation_id": ${q(invocationId)}, "success": ${success}, ` +
            `"quality_rating": ${quality}, "feedback_source": ${automated ? '"automated"' : '"human"'}, ` +
            `"feedback_notes": ${orNull(automated ? null : ratingNote(rng, quality))}, "would_use_again": ${wouldUseAgain}, ` +
            `"alternative_agent_suggested": ${orNull(alternative)}}`,
        );
      }
    }

    // Coordination before the next agent (or before the workflow is closed): planning, review,
    // waiting for a human now and then.
    const gapSeconds =
      k < plan.length - 1
        ? rng.chance(0.06)
          ? rng.between(1200, 5400)
          : clamp(rng.logNormal(200, 0.9), 1, 7200)
        : clamp(rng.logNormal(90, 0.8), 1, 3600);
    previousEndUs = endUs;
    t = endUs + Math.floor(gapSeconds * US_PER_SECOND);
  }

  if (t > nowUs) return;
  emit(
    'workflow_events',
    t,
    `{"timestamp": ${q(ctx.time.format(t))}, "event": "workflow_complete", ${head}"duration_seconds": ${Math.floor((t - startUs) / US_PER_SECOND)}, ` +
      `"success": ${allSucceeded}, "agents_executed": ${list(plan)}}`,
  );
}

// ---------------------------------------------------------------------------------------------
// The stream

const KINDS: readonly SourceKind[] = ['invocations', 'metrics', 'workflow_events'];

/**
 * Yields every line of the three files; each file's lines in timestamp order (ties in
 * generation order). Same options, same lines. Memory: the start times (8 bytes per workflow)
 * plus the lines of the workflows still running at any moment.
 */
export function* generateTelemetry(options: GenerateOptions): Generator<GeneratedLine, void, undefined> {
  const workflows = options.workflows;
  const seed = options.seed ?? DEFAULT_SEED;
  const days = options.days ?? DEFAULT_DAYS;
  const nowUs = options.nowUs ?? parseTimestampUs(DEFAULT_NOW);
  if (!Number.isSafeInteger(workflows) || workflows < 0) throw new RangeError(`workflows must be a whole number >= 0, got ${workflows}`);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be a whole number >= 0, got ${seed}`);
  if (!Number.isFinite(days) || days <= 0) throw new RangeError(`days must be > 0, got ${days}`);
  if (!Number.isFinite(nowUs)) throw new RangeError('now must be a valid time');

  const spanUs = Math.floor(days * US_PER_DAY);
  const fromUs = nowUs - spanUs;
  // Separate streams: the schedule does not shift when the content of a workflow changes.
  const starts = startTimes(new Random(seed, 1), workflows, fromUs, spanUs);
  const ctx: Context = { rng: new Random(seed, 2), time: new TimestampFormatter(), seed, nowUs, fromUs, spanUs };

  const heaps: Record<SourceKind, LineHeap> = { invocations: new LineHeap(), metrics: new LineHeap(), workflow_events: new LineHeap() };
  let seq = 0;
  const emit: Emit = (kind, us, line) => heaps[kind].push({ us, seq: seq++, line });

  for (let i = 0; i < workflows; i++) {
    const startUs = starts[i] as number;
    // Every line still to come is at or after this start; ties go to the earlier workflow.
    for (const kind of KINDS) {
      const heap = heaps[kind];
      while (heap.peekUs() <= startUs) yield { kind, line: heap.pop().line };
    }
    generateWorkflow(ctx, i, startUs, emit);
  }
  for (const kind of KINDS) {
    const heap = heaps[kind];
    while (heap.size > 0) yield { kind, line: heap.pop().line };
  }
}
