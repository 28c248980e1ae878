/**
 * JSON text that keeps the order we mean. JavaScript objects list integer-like keys ("42")
 * before all others, whatever the insertion order, so an agent named "42" would jump ahead
 * of agents seen before it. An object can carry its intended key order under KEY_ORDER (a
 * symbol, so JSON.stringify and Object.keys ignore it); `stringifyJson` honours it.
 */
export const KEY_ORDER: unique symbol = Symbol('oak-telemetry.keyOrder');

type Ordered = { [KEY_ORDER]?: readonly string[] };

/** Sets the key order an object is to be written in. */
export function withKeyOrder<T extends object>(object: T, keys: readonly string[]): T {
  Object.defineProperty(object, KEY_ORDER, { value: keys, enumerable: false });
  return object;
}

/** The object's entries in their intended order. */
export function orderedEntries<V>(object: Readonly<Record<string, V>>): Array<[string, V]> {
  const order = (object as Ordered)[KEY_ORDER];
  if (order === undefined) return Object.entries(object);
  return order.filter((key) => Object.hasOwn(object, key)).map((key) => [key, object[key] as V]);
}

/** Like JSON.stringify(value, null, indent), honouring KEY_ORDER. */
export function stringifyJson(value: unknown, indent = 2): string {
  return write(value, '', ' '.repeat(indent)) ?? 'null';
}

function write(value: unknown, current: string, step: string): string | undefined {
  if (value === null) return 'null';
  if (typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return write((value as { toJSON: () => unknown }).toJSON(), current, step);
  }
  if (typeof value !== 'object') return JSON.stringify(value);
  const inner = current + step;
  const open = step === '' ? '' : '\n' + inner;
  const close = step === '' ? '' : '\n' + current;
  const sep = step === '' ? ',' : ',\n' + inner;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return '[' + open + value.map((item) => write(item, inner, step) ?? 'null').join(sep) + close + ']';
  }
  const parts: string[] = [];
  for (const [key, item] of orderedEntries(value as Record<string, unknown>)) {
    const text = write(item, inner, step);
    if (text !== undefined) parts.push(JSON.stringify(key) + (step === '' ? ':' : ': ') + text);
  }
  if (parts.length === 0) return '{}';
  return '{' + open + parts.join(sep) + close + '}';
}
