/**
 * RFC 4180 CSV, written by hand: a field is quoted when it holds a comma, a quote, CR or LF, or
 * starts or ends with a space (some readers trim those), and a quote inside is doubled. Lines
 * end in CRLF as the RFC says (DuckDB, Python's csv and spreadsheets all read it). null is an
 * empty field; a list is its JSON text, so `["a","b"]` stays one cell a reader can parse back.
 */
const NEEDS_QUOTES = /[",\r\n]|^ | $/;

export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvRow(values: readonly unknown[]): string {
  return values.map(csvField).join(',') + '\r\n';
}
