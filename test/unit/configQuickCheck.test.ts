import fs from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultConfigPath, LOG_LEVELS, schemasNow } from '../../src/config.js';
import { plainlyValidLayer } from '../../src/configQuickCheck.js';

/** Values near every bound and pattern of the schemas, valid and not. */
const edgy = fc.oneof(
  fc.constantFrom(-2, -1, -0.5, 0, 0.5, 1, 1.5, 2, 5, 6, 99.5, 100, 100.5, 2 ** 53, NaN, Infinity, -Infinity),
  fc.double(),
  fc.integer(),
  fc.constantFrom(null, undefined, true, '', ' ', 'x', ' x', 'x ', 'a b', 'OAK', 'a.b', 'info', 'INFO', 'off', 'localhost:80', '[::1]:7467', ':80', 'h:123456'),
  fc.constantFrom('nats://h:4222', 'tls://h', 'http://h', 'nats://', 'nats://a b', 'x'.repeat(64), 'x'.repeat(65), '/tmp/x', 'rel'),
  fc.string({ maxLength: 6 }),
  fc.constant([]),
  fc.constant({}),
);

const defaults = JSON.parse(fs.readFileSync(defaultConfigPath(), 'utf8')) as Record<string, unknown>;

/** Layers: the defaults with some fields dropped, replaced by edgy values, nested ones too, or unknown keys added. */
function layer(): fc.Arbitrary<unknown> {
  const paths = [
    ...Object.keys(defaults).filter((k) => k !== 'alerts' && k !== 'nats').map((k) => [k]),
    ...Object.keys(defaults.nats as object).map((k) => ['nats', k]),
    ...['overhead', 'openWorkflow', 'agentSuccess'].flatMap((a) => Object.keys((defaults.alerts as Record<string, object>)[a]!).map((k) => ['alerts', a, k])),
    ['alerts'], ['nats'], ['alerts', 'overhead'], ['unknown'], ['nats', 'unknown'], ['alerts', 'overhead', 'unknown'],
  ];
  const edit = fc.record({ at: fc.constantFrom(...paths), drop: fc.boolean(), value: edgy });
  return fc.array(edit, { maxLength: 4 }).map((edits) => {
    const copy = structuredClone(defaults);
    for (const { at, drop, value } of edits) {
      let node: Record<string, unknown> = copy;
      for (const key of at.slice(0, -1)) {
        const next = node[key];
        if (typeof next !== 'object' || next === null || Array.isArray(next)) break;
        node = next as Record<string, unknown>;
      }
      const last = at[at.length - 1]!;
      if (drop) delete node[last];
      else node[last] = value;
    }
    return copy;
  });
}

describe('configQuickCheck: a quick yes only where the zod schemas say yes', () => {
  it('the defaults file passes (else every command loads zod to start)', () => {
    expect(plainlyValidLayer(defaults, LOG_LEVELS, true)).toBe(true);
    expect(plainlyValidLayer({}, LOG_LEVELS, false)).toBe(true);
    expect(plainlyValidLayer({ dir: undefined, stateDir: undefined, nats: { url: undefined, stream: undefined } }, LOG_LEVELS, false)).toBe(true);
  });

  it('never valid where zod is not, and zod would return the layer unchanged', () => {
    const schemas = schemasNow();
    fc.assert(
      fc.property(layer(), fc.boolean(), (input, complete) => {
        if (!plainlyValidLayer(input, LOG_LEVELS, complete)) return;
        const result = (complete ? schemas.complete : schemas.layer).safeParse(input);
        expect(result.success).toBe(true);
        expect(result.data).toEqual(input);
      }),
      { numRuns: 3000 },
    );
  });
});
