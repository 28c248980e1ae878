/**
 * Serializes like Python's `json.dumps(value)` with default arguments: ", " and ": " separators
 * and every character outside printable ASCII escaped as \uXXXX (ensure_ascii). Files written by
 * us and by the Python OaK logger then look alike, so mixed files diff cleanly.
 * Non-finite numbers become null (Python would emit NaN, which is not JSON).
 */
export function toPythonJson(value: unknown): string {
  if (value === null || value === undefined || typeof value === 'function' || typeof value === 'symbol') return 'null';
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : 'null';
  if (typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return '[' + value.map(toPythonJson).join(', ') + ']';
  const withToJson = value as { toJSON?: () => unknown };
  if (typeof withToJson.toJSON === 'function') return toPythonJson(withToJson.toJSON());
  const parts: string[] = [];
  for (const [key, item] of Object.entries(value)) {
    // Like JSON.stringify: undefined members are left out rather than written as null.
    if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
    parts.push(quote(key) + ': ' + toPythonJson(item));
  }
  return '{' + parts.join(', ') + '}';
}

function quote(s: string): string {
  // JSON.stringify already escapes control characters, quotes and lone surrogates; what is left
  // outside " ".."~" (DEL and all non-ASCII code units) is escaped per UTF-16 unit, as Python does.
  return JSON.stringify(s).replace(/[^\x20-\x7e]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}
