/**
 * What the CLI shows a person: any name becomes a one-line table cell with no control
 * character, so nothing in the log can act on the terminal or break a row.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { renderTable } from '../../src/cli/table.js';
import { cutToWidth, displayWidth, oneLine, withoutControls, wrapLines } from '../../src/cli/terminalText.js';

const anyText = fc.oneof(
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) }),
  fc.string({ unit: 'binary' }),
  fc.uint8Array().map((bytes) => Buffer.from(bytes).toString('utf8')),
  fc.uint8Array().map((bytes) => Buffer.from(bytes).toString('latin1')),
  fc.constantFrom('\x1b]0;owned\x07', '\x1b[2J', 'x\ny', 'a\r\nb', '\u2028\u2029', '\x7f\x9b', '\u202eevil', '\ud800'),
);

const CONTROL = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

describe('terminal text', () => {
  it('makes any name a one-line table cell without control characters', () => {
    fc.assert(
      fc.property(anyText, anyText, (name, other) => {
        const lines = renderTable(['Agent', 'Runs', 'Task'], [[name, 1, other], ['plain', 22, name]]).split('\n');
        expect(lines).toHaveLength(4);
        for (const line of lines) {
          expect(line).not.toMatch(CONTROL);
          expect(line).not.toMatch(LONE_SURROGATE);
        }
        expect(lines[2]?.startsWith(oneLine(name))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('shows each control as a visible escape and keeps our own newlines when asked', () => {
    expect(oneLine('\x1b]0;owned\x07')).toBe('\\x1b]0;owned\\x07');
    expect(oneLine('a\nb\tc\x7f\x9b\u2028\u202e\ud800')).toBe('a\\x0ab\\x09c\\x7f\\x9b\\u2028\\u202e\ufffd');
    expect(oneLine('backend-architect \ud83d\ude00 café')).toBe('backend-architect \ud83d\ude00 café');
    expect(withoutControls('one\x1b[2J\ntwo')).toBe('one\\x1b[2J\ntwo');
  });
});

describe('fitting the terminal width', () => {
  const layout = (width: number) => ({ width, wide: false, arrow: '→', ellipsis: '…' });
  const cellText = fc.oneof(fc.string({ maxLength: 60 }), fc.constantFrom('コードレビュー担当エージェント', 'naïve café', '👩‍💻 pair', 'x'.repeat(120)));

  it('a table fits any width from 40 columns, wide characters counted twice, and keeps its rows', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(cellText, fc.nat(99_999), cellText, cellText), { maxLength: 8 }), fc.integer({ min: 40, max: 200 }), (rows, width) => {
        const lines = renderTable(['Agent', 'Runs', 'Task', 'Project'], rows, layout(width)).split('\n');
        expect(lines).toHaveLength(2 + rows.length);
        for (const line of lines) expect(displayWidth(line)).toBeLessThanOrEqual(width);
      }),
    );
  });

  it('leaves a table that fits as it is, and cuts the other columns before the first', () => {
    const rows = [['backend-architect', 12, 'api_development, optimization, bug_fix']];
    expect(renderTable(['Agent', 'Runs', 'Task'], rows, layout(200))).toBe(renderTable(['Agent', 'Runs', 'Task'], rows));
    const cut = renderTable(['Agent', 'Runs', 'Task'], rows, layout(40)).split('\n')[2];
    expect(cut).toBe('backend-architect    12  api_developmen…');
  });

  it('counts display columns: wide characters two, combining marks none', () => {
    expect(displayWidth('abc')).toBe(3);
    expect(displayWidth('コード')).toBe(6);
    expect(displayWidth('e\u0301')).toBe(1);
    expect(cutToWidth('コードレビュー', 7, '…')).toBe('コード…');
  });

  it('wraps sentences at spaces, a number and its unit together, within the width', () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[a-z0-9.]{1,30}$/), { maxLength: 40 }), fc.integer({ min: 40, max: 120 }), (words, width) => {
        for (const line of wrapLines(words.join(' '), width)) expect(displayWidth(line)).toBeLessThanOrEqual(width);
      }),
    );
    expect(wrapLines('idle before the first agent 1.6 h, after the last 2.7 d; parallel work 0.0 s', 58)).toEqual([
      'idle before the first agent 1.6 h, after the last 2.7 d;',
      '  parallel work 0.0 s',
    ]);
  });
});
