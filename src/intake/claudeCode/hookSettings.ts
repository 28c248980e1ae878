/**
 * The hooks `oak-telemetry init claude-code` puts into a Claude Code settings object, and the
 * merge that adds or takes them out: settings in, settings out plus what changed. Pure: the
 * file, its backup and the printing are the CLI's (src/cli/initCommand.ts).
 *
 * Our own entries are recognised by OWN_HOOK_MARKER, a shell comment at the end of the hook's
 * command. Claude Code runs the command through a shell, so the comment costs nothing, and it
 * survives a move of node or of the CLI (a path-based match would not). We mark the command and
 * not the matcher group because Claude Code validates the groups' keys; a group we did not
 * write is never touched except to take our own command out of it.
 */

/** Ends every command we write; a hook command containing it is ours. */
export const OWN_HOOK_MARKER = '# oak-telemetry:claude-code';

/** The Agent tool (Task is its name in older Claude Code versions), matched exactly. */
export const AGENT_TOOL_MATCHER = 'Agent|Task';

/** Seconds Claude Code waits for our hook; it normally takes ~0.1 s, and must never hold the agent up for long. */
export const HOOK_TIMEOUT_SECONDS = 10;

/**
 * What we register: the tool events only for the Agent tool, so an ordinary tool call runs no
 * hook; the others have no matcher (they fire once per prompt, subagent or session).
 */
export const OWN_HOOK_EVENTS: readonly { readonly event: string; readonly matcher?: string }[] = [
  { event: 'SessionStart' },
  { event: 'UserPromptSubmit' },
  { event: 'PreToolUse', matcher: AGENT_TOOL_MATCHER },
  { event: 'PostToolUse', matcher: AGENT_TOOL_MATCHER },
  { event: 'PostToolUseFailure', matcher: AGENT_TOOL_MATCHER },
  { event: 'SubagentStart' },
  { event: 'SubagentStop' },
  { event: 'StopFailure' },
  { event: 'Stop' },
  { event: 'SessionEnd' },
];

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface HookChange {
  readonly action: 'added' | 'updated' | 'removed' | 'unchanged';
  readonly event: string;
  readonly matcher?: string;
}

export interface MergeResult {
  readonly settings: JsonObject;
  readonly changes: readonly HookChange[];
  /** True when `settings` differs from the input (some change is not 'unchanged'). */
  readonly changed: boolean;
}

/** The settings have a shape we cannot merge into without guessing (e.g. `hooks` is a string). */
export class SettingsShapeError extends Error {}

/**
 * Adds our hooks (each event once, with `command`), replacing any older command of ours and
 * taking ours out of events we no longer register. Everything else is kept in place.
 */
export function installHooks(settings: JsonObject, command: string): MergeResult {
  const hooks = hooksOf(settings);
  const next = new Map<string, JsonValue>(Object.entries(hooks ?? {}));
  const changes: HookChange[] = [];
  const wanted = new Set(OWN_HOOK_EVENTS.map((e) => e.event));
  for (const [event, groups] of next) {
    if (wanted.has(event)) continue;
    const kept = withoutOwn(event, groups);
    if (kept.removed) {
      changes.push({ action: 'removed', event });
      setOrDrop(next, event, kept.groups);
    }
  }
  for (const { event, matcher } of OWN_HOOK_EVENTS) {
    const groups = groupsOf(event, next.get(event));
    const group = ownGroup(command, matcher);
    if (isExactlyOurs(groups, group)) {
      changes.push({ action: 'unchanged', event, ...(matcher === undefined ? {} : { matcher }) });
      continue;
    }
    const kept = withoutOwn(event, groups);
    next.set(event, [...kept.groups, group]);
    changes.push({ action: kept.removed ? 'updated' : 'added', event, ...(matcher === undefined ? {} : { matcher }) });
  }
  return result(settings, next, changes);
}

/** Takes exactly our own hook commands out; a group, event list or `hooks` object left empty by that goes too. */
export function removeHooks(settings: JsonObject): MergeResult {
  const hooks = hooksOf(settings);
  const next = new Map<string, JsonValue>(Object.entries(hooks ?? {}));
  const changes: HookChange[] = [];
  for (const [event, groups] of next) {
    const kept = withoutOwn(event, groups);
    if (!kept.removed) continue;
    changes.push({ action: 'removed', event });
    setOrDrop(next, event, kept.groups);
  }
  return result(settings, next, changes);
}

export function isOwnHookCommand(command: unknown): boolean {
  return typeof command === 'string' && command.includes(OWN_HOOK_MARKER);
}

function ownGroup(command: string, matcher: string | undefined): JsonObject {
  const hook: JsonObject = { type: 'command', command, timeout: HOOK_TIMEOUT_SECONDS };
  return matcher === undefined ? { hooks: [hook] } : { matcher, hooks: [hook] };
}

function result(settings: JsonObject, next: Map<string, JsonValue>, changes: HookChange[]): MergeResult {
  const changed = changes.some((c) => c.action !== 'unchanged');
  if (!changed) return { settings, changes, changed };
  // Object.fromEntries defines own properties, so a key such as "__proto__" stays a key.
  const hooks: JsonObject = Object.fromEntries(next);
  if (!Object.hasOwn(settings, 'hooks')) return { settings: Object.fromEntries([...Object.entries(settings), ['hooks', hooks]]), changes, changed };
  // Only taking our entries out can empty `hooks` here (an empty one the user had means no change).
  const entries = Object.entries(settings)
    .filter(([key]) => key !== 'hooks' || next.size > 0)
    .map(([key, value]): [string, JsonValue] => [key, key === 'hooks' ? hooks : value]);
  return { settings: Object.fromEntries(entries), changes, changed };
}

function hooksOf(settings: JsonObject): JsonObject | undefined {
  if (!Object.hasOwn(settings, 'hooks')) return undefined;
  const hooks = settings.hooks;
  if (!isObject(hooks)) throw new SettingsShapeError(`"hooks" is ${describe(hooks)}, not an object`);
  return hooks;
}

function groupsOf(event: string, value: JsonValue | undefined): JsonValue[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new SettingsShapeError(`"hooks.${event}" is ${describe(value)}, not an array`);
  return value;
}

/** The event's groups with our commands taken out; a group only ours disappears, a shared one keeps the rest. */
function withoutOwn(event: string, value: JsonValue | undefined): { groups: JsonValue[]; removed: boolean } {
  const groups = groupsOf(event, value);
  let removed = false;
  const kept: JsonValue[] = [];
  for (const group of groups) {
    if (!isObject(group) || !Array.isArray(group.hooks)) {
      kept.push(group);
      continue;
    }
    const own = group.hooks.filter((hook) => isObject(hook) && isOwnHookCommand(hook.command));
    if (own.length === 0) {
      kept.push(group);
      continue;
    }
    removed = true;
    const rest = group.hooks.filter((hook) => !(isObject(hook) && isOwnHookCommand(hook.command)));
    if (rest.length > 0) kept.push(Object.fromEntries(Object.entries(group).map(([k, v]) => [k, k === 'hooks' ? rest : v])));
  }
  return { groups: kept, removed };
}

/** The event already holds our group, as we would write it, once, and no other command of ours. */
function isExactlyOurs(groups: readonly JsonValue[], wanted: JsonObject): boolean {
  let ours = 0;
  let exact = false;
  for (const group of groups) {
    if (!isObject(group) || !Array.isArray(group.hooks)) continue;
    const own = group.hooks.filter((hook) => isObject(hook) && isOwnHookCommand(hook.command)).length;
    ours += own;
    if (own > 0 && sameJson(group, wanted)) exact = true;
  }
  return exact && ours === 1;
}

function setOrDrop(map: Map<string, JsonValue>, event: string, groups: JsonValue[]): void {
  if (groups.length === 0) map.delete(event);
  else map.set(event, groups);
}

function sameJson(a: JsonValue, b: JsonValue): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => sameJson(x, b[i]!));
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && sameJson(a[k]!, b[k]!));
  }
  return false;
}

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: JsonValue | undefined): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}
