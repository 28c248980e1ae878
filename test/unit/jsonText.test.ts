/**
 * stringifyJson writes well-formed JSON for any text: a strict UTF-8 decoder and JSON.parse
 * accept it, it carries no raw control character, and it parses back to the text with each
 * lone surrogate replaced by U+FFFD (String.prototype.toWellFormed is the oracle).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringifyJson, stringifyJsonByWalk, wellFormed, withKeyOrder } from '../../src/domain/jsonText.js';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const toWellFormed = (s: string): string => (s as unknown as { toWellFormed(): string }).toWellFormed();

/** Any UTF-16 code units (lone surrogates included), any bytes decoded as UTF-8 or Latin-1. */
const anyText = fc.oneof(
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) }),
  fc.string({ unit: 'binary' }),
  fc.uint8Array().map((bytes) => Buffer.from(bytes).toString('utf8')),
  fc.uint8Array().map((bytes) => Buffer.from(bytes).toString('latin1')),
  fc.constantFrom('\ud800', '\udfff', 'a\udc00b', '\x1b]0;owned\x07', '\x1b[2J', 'x\ny', '\u2028\u2029', '\x7f\x9b', '\u202eevil\u2066', '__proto__', '\ud83d\ude00'),
);

/** Raw characters a JSON document of ours never holds: C0 except the indent's newline, DEL, C1, U+2028/9, bidi controls. */
const RAW_CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

describe('stringifyJson', () => {
  it('writes any name as well-formed JSON with no raw control character, in values and keys', () => {
    fc.assert(
      fc.property(anyText, (name) => {
        const document = { agents: withKeyOrder({ [name]: { agent_name: name } }, [name]), names: [name, 'plain'] };
        for (const indent of [2, 0]) {
          const text = stringifyJson(document, indent);
          expect(strictUtf8.decode(Buffer.from(text, 'utf8'))).toBe(text);
          expect(text).not.toMatch(RAW_CONTROL);
          const parsed = JSON.parse(text) as { agents: Record<string, { agent_name: string }>; names: string[] };
          const expected = toWellFormed(name);
          expect(parsed.names).toEqual([expected, 'plain']);
          expect(Object.keys(parsed.agents)).toEqual([expected]);
          expect(parsed.agents[expected]?.agent_name).toBe(expected);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('replaces a lone surrogate with U+FFFD and keeps a pair', () => {
    expect(stringifyJson('\ud800')).toBe('"\ufffd"');
    expect(stringifyJson('a\udc00\ud83d\ude00')).toBe('"a\ufffd\ud83d\ude00"');
    expect(stringifyJson('\x1b[2J\x9b\u2028')).toBe('"\\u001b[2J\\u009b\\u2028"');
    expect(wellFormed('x\ud800')).toBe('x\ufffd');
  });
});

/** Keys JSON.stringify would move ahead ("42"), keys that look like it but are not ("042"), any text. */
const anyKey = fc.oneof(anyText, fc.constantFrom('42', '0', '7', '042', '-1', '4294967294', '4294967295', '__proto__', 'a', 'b'));

/** An object holding `entries` in the order given (keys such as "__proto__" included). */
function plain(entries: ReadonlyArray<readonly [string, unknown]>): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (const [key, value] of entries) Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  return object;
}

const { document } = fc.letrec((tie) => ({
  leaf: fc.oneof(anyText, fc.double(), fc.integer(), fc.boolean(), fc.constant(null), fc.constant(undefined), fc.date({ noInvalidDate: true })),
  document: fc.oneof({ depthSize: 'small', withCrossShrink: true }, tie('leaf'), tie('array'), tie('object'), tie('ordered')),
  array: fc.array(tie('document'), { maxLength: 5 }),
  object: fc.array(fc.tuple(anyKey, tie('document')), { maxLength: 5 }).map(plain),
  ordered: fc
    .uniqueArray(fc.tuple(anyKey, tie('document')), { maxLength: 6, selector: ([key]) => key })
    .chain((entries) => fc.shuffledSubarray(entries.map(([key]) => key), { minLength: entries.length }).map((order) => withKeyOrder(plain(entries), order))),
}));

describe('stringifyJson: JSON.stringify where it writes the same text', () => {
  it('equals the walk for any document: ordered objects, integer-like keys, controls, lone surrogates, indents', () => {
    fc.assert(
      fc.property(document, fc.constantFrom(0, 2, 4, 11), (value, indent) => {
        expect(stringifyJson(value, indent)).toBe(stringifyJsonByWalk(value, indent));
      }),
      { numRuns: 3000 },
    );
  });

  it('writes an agent named "42" after the agents seen before it', () => {
    const agents = withKeyOrder({ b: 1, 42: 2 }, ['b', '42']);
    expect(stringifyJson({ agents }, 0)).toBe('{"agents":{"b":1,"42":2}}');
    expect(JSON.stringify(agents)).toBe('{"42":2,"b":1}');
  });
});

// Last in this file: an ordered object with a key of its own named "toJSON" turns the native pass off for the process.
describe('stringifyJson: an agent named "toJSON"', () => {
  it('is written in the order meant, beside an agent named "42"', () => {
    const agents = withKeyOrder(plain([['toJSON', 1], ['42', 2]]), ['toJSON', '42']);
    expect(stringifyJson({ agents }, 0)).toBe('{"agents":{"toJSON":1,"42":2}}');
    expect(stringifyJson({ agents }, 0)).toBe(stringifyJsonByWalk({ agents }, 0));
  });
});
