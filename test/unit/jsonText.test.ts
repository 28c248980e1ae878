/**
 * stringifyJson writes well-formed JSON for any text: a strict UTF-8 decoder and JSON.parse
 * accept it, it carries no raw control character, and it parses back to the text with each
 * lone surrogate replaced by U+FFFD (String.prototype.toWellFormed is the oracle).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringifyJson, wellFormed, withKeyOrder } from '../../src/domain/jsonText.js';

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
