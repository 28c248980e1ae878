import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { csvField, csvRow } from '../../src/cli/csvText.js';

/** An RFC 4180 reader for one row, to check that whatever we write reads back the same. */
function readRow(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        const quote = line.indexOf('"', i);
        field += line.slice(i, quote);
        i = quote + 1;
        if (line[i] !== '"') break;
        field += '"';
        i++;
      }
    } else {
      const end = line.slice(i).search(/,|\r\n$/);
      field = line.slice(i, i + end);
      i += end;
    }
    fields.push(field);
    if (line.startsWith('\r\n', i)) return fields;
    i++;
  }
}

describe('csvText', () => {
  it('quotes what needs it and leaves the rest bare; null is empty, a list its JSON', () => {
    expect(csvRow(['plain', 'a,b', 'say "hi"', 'two\nlines', ' padded', null, 4.5, true, ['x', 'y']])).toBe(
      'plain,"a,b","say ""hi""","two\nlines"," padded",,4.5,true,"[""x"",""y""]"\r\n',
    );
  });

  it('any row of strings reads back as written', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: fc.constantFrom('a', ',', '"', '\n', '\r', ' ', 'é') }), { minLength: 1 }), (values) => {
        expect(readRow(csvRow(values))).toEqual(values);
      }),
    );
  });

  it('a field is never left bare with a separator in it', () => {
    for (const text of [',', '"', '\r', '\n']) expect(csvField(`x${text}y`).startsWith('"')).toBe(true);
  });
});
