import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  installHooks,
  isOwnHookCommand,
  OWN_HOOK_EVENTS,
  OWN_HOOK_MARKER,
  removeHooks,
  SettingsShapeError,
  type JsonObject,
  type JsonValue,
} from '../../src/intake/claudeCode/hookSettings.js';
import { hookCommandLine, shellQuote } from '../../src/intake/claudeCode/hookCommandLine.js';

const CMD = hookCommandLine('/usr/bin/node', '/opt/oak/dist/src/cli.js', '/p/telemetry');
const OTHER_CMD = hookCommandLine('/usr/local/bin/node', '/old/place/cli.js', '/p/telemetry');
const text = (value: unknown): string => JSON.stringify(value);

const eventName = fc.constantFrom(...OWN_HOOK_EVENTS.map((e) => e.event), 'PostToolBatch', 'Notification', '__proto__', 'constructor');
const foreignCommand = fc.string().filter((s) => !s.includes(OWN_HOOK_MARKER));
const hook: fc.Arbitrary<JsonValue> = fc.oneof(
  fc.record({ type: fc.constant('command'), command: foreignCommand }),
  fc.record({ type: fc.constant('command'), command: foreignCommand, timeout: fc.nat() }),
);
const group: fc.Arbitrary<JsonValue> = fc.oneof(
  fc.record({ hooks: fc.array(hook, { minLength: 1, maxLength: 3 }) }),
  fc.record({ matcher: fc.constantFrom('Agent', 'Agent|Task', 'Bash', '*', ''), hooks: fc.array(hook, { minLength: 1, maxLength: 3 }) }),
  // Groups Claude Code would reject are still kept as they are.
  fc.constantFrom<JsonValue>('junk', null, { matcher: 'x' }, { hooks: 'not an array' }),
);
/**
 * Any settings object, with or without (non-empty) hooks of the user's own. An empty `hooks`
 * object or event list is left out: --remove drops the ones it empties, and cannot tell one the
 * user had (meaning nothing to Claude Code) from one init made.
 */
const settingsArb: fc.Arbitrary<JsonObject> = fc
  .record({
    other: fc.dictionary(fc.string().filter((k) => k !== 'hooks'), fc.jsonValue() as fc.Arbitrary<JsonValue>, { maxKeys: 4 }),
    hooks: fc.option(fc.dictionary(eventName, fc.array(group, { minLength: 1, maxLength: 3 }), { minKeys: 1, maxKeys: 5 }), { nil: undefined }),
    hooksFirst: fc.boolean(),
  })
  .map(({ other, hooks, hooksFirst }) => {
    const entries: [string, JsonValue][] = Object.entries(other);
    if (hooks !== undefined) entries[hooksFirst ? 'unshift' : 'push'](['hooks', hooks]);
    return Object.fromEntries(entries) as JsonObject;
  });

describe('installHooks / removeHooks (the pure settings merge)', () => {
  it('init then --remove gives back the original settings, key order included', () => {
    fc.assert(
      fc.property(settingsArb, (settings) => {
        const before = text(settings);
        const installed = installHooks(settings, CMD);
        expect(installed.changed).toBe(true);
        const removed = removeHooks(installed.settings);
        expect(text(removed.settings)).toBe(before);
        expect(text(settings)).toBe(before); // the input is not mutated
      }),
    );
  });

  it('init twice equals init once, and the second run reports no change', () => {
    fc.assert(
      fc.property(settingsArb, (settings) => {
        const once = installHooks(settings, CMD);
        const twice = installHooks(once.settings, CMD);
        expect(twice.changed).toBe(false);
        expect(twice.changes.every((c) => c.action === 'unchanged')).toBe(true);
        expect(text(twice.settings)).toBe(text(once.settings));
      }),
    );
  });

  it('init with a new command replaces the old one in place of a fresh init', () => {
    fc.assert(
      fc.property(settingsArb, (settings) => {
        const moved = installHooks(installHooks(settings, OTHER_CMD).settings, CMD);
        expect(text(moved.settings)).toBe(text(installHooks(settings, CMD).settings));
        expect(moved.changes.every((c) => c.action === 'updated')).toBe(true);
      }),
    );
  });

  it("keeps every hook that is not ours, on the same events, in the same order", () => {
    fc.assert(
      fc.property(settingsArb, (settings) => {
        const hooks = installHooks(settings, CMD).settings.hooks as Record<string, JsonValue[]>;
        const original = (settings.hooks ?? {}) as Record<string, JsonValue[]>;
        for (const [event, groups] of Object.entries(original)) {
          expect(text(hooks[event]!.slice(0, groups.length))).toBe(text(groups));
        }
      }),
    );
  });

  it('registers each event once; the tool events only for the Agent tool (and Task)', () => {
    const hooks = installHooks({}, CMD).settings.hooks as Record<string, { matcher?: string; hooks: { command: string }[] }[]>;
    expect(Object.keys(hooks)).toEqual(OWN_HOOK_EVENTS.map((e) => e.event));
    for (const event of ['PreToolUse', 'PostToolUse', 'PostToolUseFailure']) expect(hooks[event]![0]!.matcher).toBe('Agent|Task');
    for (const event of ['SubagentStart', 'SubagentStop', 'StopFailure', 'UserPromptSubmit', 'Stop', 'SessionStart', 'SessionEnd']) {
      expect(hooks[event]).toEqual([{ hooks: [{ type: 'command', command: CMD, timeout: 10 }] }]);
    }
  });

  it('takes only our command out of a group the user added a hook to, and keeps theirs', () => {
    const installed = installHooks({}, CMD).settings as { hooks: Record<string, { hooks: JsonValue[] }[]> };
    installed.hooks.Stop![0]!.hooks.push({ type: 'command', command: 'notify-send done' });
    const removed = removeHooks(installed);
    expect(removed.settings).toEqual({ hooks: { Stop: [{ hooks: [{ type: 'command', command: 'notify-send done' }] }] } });
  });

  it('takes ours out of an event it no longer registers', () => {
    const old = { hooks: { Notification: [{ hooks: [{ type: 'command', command: OTHER_CMD }] }, { hooks: [{ type: 'command', command: 'x' }] }] } };
    const installed = installHooks(old, CMD);
    expect((installed.settings.hooks as JsonObject).Notification).toEqual([{ hooks: [{ type: 'command', command: 'x' }] }]);
    expect(installed.changes[0]).toEqual({ action: 'removed', event: 'Notification' });
  });

  it('--remove on settings without our hooks changes nothing', () => {
    fc.assert(
      fc.property(settingsArb, (settings) => {
        const removed = removeHooks(settings);
        expect(removed.changed).toBe(false);
        expect(removed.settings).toBe(settings);
      }),
    );
  });

  it('refuses hooks of a shape it cannot merge into', () => {
    expect(() => installHooks({ hooks: 'x' }, CMD)).toThrow(SettingsShapeError);
    expect(() => installHooks({ hooks: { Stop: {} } }, CMD)).toThrow(/hooks\.Stop/);
    expect(() => removeHooks({ hooks: [] })).toThrow(/"hooks" is an array/);
  });
});

describe('hookCommandLine', () => {
  it('quotes paths for the shell and ends with the marker', () => {
    const line = hookCommandLine('/usr/bin/node', "/home/o'neil/my oak/cli.js", '/data/tele metry');
    expect(line).toBe(`/usr/bin/node '/home/o'\\''neil/my oak/cli.js' hook --dir '/data/tele metry' ${OWN_HOOK_MARKER}`);
    expect(isOwnHookCommand(line)).toBe(true);
    expect(shellQuote('$(rm -rf /)')).toBe("'$(rm -rf /)'");
  });
});
