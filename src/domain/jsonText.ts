/**
 * JSON text that keeps the order we mean. JavaScript objects list integer-like keys ("42")
 * before all others, whatever the insertion order, so an agent named "42" would jump ahead
 * of agents seen before it. An object can carry its intended key order under KEY_ORDER (a
 * symbol, so JSON.stringify and Object.keys ignore it); `stringifyJson` honours it.
 */
export const KEY_ORDER: unique symbol = Symbol('oak-telemetry.keyOrder');

type Ordered = { [KEY_ORDER]?: readonly string[] };

/**
 * Sets the key order an object is to be written in; call it once the object holds its keys (and
 * add none after). When that order is not the one JSON.stringify would write, the object also
 * gets a hidden toJSON that makes stringifyJson's native pass give way to the walk.
 */
export function withKeyOrder<T extends object>(object: T, keys: readonly string[]): T {
  Object.defineProperty(object, KEY_ORDER, { value: keys, enumerable: false });
  if (sameKeys(Object.keys(object), keys)) return object;
  // A key named "toJSON" (an agent may be called that) leaves no room for the hidden one.
  const own = Object.getOwnPropertyDescriptor(object, 'toJSON');
  if (own === undefined) Object.defineProperty(object, 'toJSON', { value: orderedToJSON, enumerable: false, configurable: true, writable: true });
  else if (own.value !== orderedToJSON) nativeRefused = true;
  return object;
}

/** Thrown by orderedToJSON during the native pass: that document is written by the walk. */
const NATIVE_REFUSED: unique symbol = Symbol('oak-telemetry.nativeRefused');
/** Set while JSON.stringify runs for stringifyJson (a sync call: no other code runs meanwhile). */
let probing = false;
/** An ordered object met a "toJSON" key of its own: the native pass cannot see such objects, so it is never tried again. */
let nativeRefused = false;

/** An ordered object as JSON.stringify sees it: as it is when its natural order is the one meant, else refused (during stringifyJson). */
function orderedToJSON(this: object): object {
  if (probing && !sameKeys(Object.keys(this), (this as Ordered)[KEY_ORDER] ?? [])) throw NATIVE_REFUSED;
  return this;
}

function sameKeys(natural: readonly string[], meant: readonly string[]): boolean {
  if (natural.length !== meant.length) return false;
  for (let i = 0; i < natural.length; i++) if (natural[i] !== meant[i]) return false;
  return true;
}

/** The object's entries in their intended order. */
export function orderedEntries<V>(object: Readonly<Record<string, V>>): Array<[string, V]> {
  const order = (object as Ordered)[KEY_ORDER];
  if (order === undefined) return Object.entries(object);
  return order.filter((key) => Object.hasOwn(object, key)).map((key) => [key, object[key] as V]);
}

/**
 * Like JSON.stringify(value, null, indent), honouring KEY_ORDER, and always well-formed: every
 * JSON document we write (CLI --json, snapshot.json, the HTTP API, SSE, MCP) comes from here.
 * A lone surrogate (legal in a JSON string escape, so legal in the log) becomes U+FFFD: its
 * `\ud800` escape is refused by strict parsers and it has no UTF-8 encoding. DEL, the C1 controls,
 * U+2028/U+2029 and the bidi controls, which JSON.stringify leaves raw, are written as \u escapes so a document
 * printed to a terminal carries no control character. The string parses to the same text.
 */
export function stringifyJson(value: unknown, indent = 2): string {
  const step = ' '.repeat(indent);
  return nativeText(value, step) ?? write(value, '', step) ?? 'null';
}

/** The walk below, always: what the native pass must equal (tests compare them). */
export function stringifyJsonByWalk(value: unknown, indent = 2): string {
  return write(value, '', ' '.repeat(indent)) ?? 'null';
}

/**
 * In the native text, what the walk would write otherwise: a raw DEL, C1, U+2028/9 or bidi
 * control (the walk escapes them), or a lone surrogate (JSON.stringify escapes it as \udXXX
 * where the walk writes U+FFFD; a pair stays raw in both). A false hit (the text "\ud8" in a
 * string) only costs the walk.
 */
const NATIVE_DIFFERS = /[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]|\\ud[89a-f]/;

/**
 * JSON.stringify's text when it is the walk's, else undefined: the walk builds the document out
 * of thousands of small strings (a 150 KB snapshot took ~5 ms to write and ~2 ms more to flatten
 * into bytes, several times a second while ingesting); JSON.stringify writes it in well under
 * one. The two differ only on ordered objects whose order is not the natural one (their toJSON
 * refuses) and on the characters NATIVE_DIFFERS finds.
 */
function nativeText(value: unknown, step: string): string | undefined {
  // JSON.stringify caps the indent at 10; undefined (a function, a symbol) is the walk's to answer.
  if (nativeRefused || step.length > 10) return undefined;
  let text: string | undefined;
  const outer = probing;
  probing = true;
  try {
    text = JSON.stringify(value, null, step) as string | undefined;
  } catch {
    // NATIVE_REFUSED, or what the walk fails on too (a BigInt, a cycle): the walk answers, or throws as it always did.
    return undefined;
  } finally {
    probing = outer;
  }
  if (text === undefined || NATIVE_DIFFERS.test(text)) return undefined;
  return text;
}

/** Any surrogate, DEL, C1, U+2028/9, bidi controls: the only strings that need more than JSON.stringify. */
const NEEDS_CARE = /[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const RAW_CONTROL = /[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** The text with each lone surrogate replaced by U+FFFD (String.prototype.toWellFormed, which ES2023 typings lack). */
export function wellFormed(text: string): string {
  return NEEDS_CARE.test(text) ? text.replace(LONE_SURROGATE, '\ufffd') : text;
}

/** A JSON string literal for the text: well-formed, every control character escaped. */
export function jsonString(text: string): string {
  // The test keeps the common case (plain text, written many times a second) one regex scan.
  if (!NEEDS_CARE.test(text)) return JSON.stringify(text);
  return JSON.stringify(text.replace(LONE_SURROGATE, '\ufffd')).replace(RAW_CONTROL, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

function write(value: unknown, current: string, step: string): string | undefined {
  if (value === null) return 'null';
  if (typeof value === 'object') {
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    // An ordered object's toJSON is only the native pass's: the walk honours KEY_ORDER itself.
    if (typeof toJSON === 'function' && toJSON !== orderedToJSON) return write((toJSON as () => unknown).call(value), current, step);
  }
  if (typeof value === 'string') return jsonString(value);
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
    if (text !== undefined) parts.push(jsonString(key) + (step === '' ? ':' : ': ') + text);
  }
  if (parts.length === 0) return '{}';
  return '{' + open + parts.join(sep) + close + '}';
}

/**
 * JSON.parse that keeps the document's key order: an object whose keys JSON.parse would
 * reorder (integer-like keys such as an agent named "42" go first) carries the written order
 * under KEY_ORDER, so `orderedEntries` walks it as the writer meant. Every key is an own data
 * property ("__proto__" included). For documents we wrote (the API's answers rendered as tables).
 */
export function parseJson(text: string): unknown {
  let at = 0;
  const space = () => {
    while (at < text.length && (text[at] === ' ' || text[at] === '\n' || text[at] === '\r' || text[at] === '\t')) at++;
  };
  const fail = (): never => {
    throw new SyntaxError(`not valid JSON at offset ${at}`);
  };
  const stringToken = (): string => {
    const start = at;
    at++;
    while (at < text.length && text[at] !== '"') at += text[at] === '\\' ? 2 : 1;
    if (at >= text.length) fail();
    at++;
    return JSON.parse(text.slice(start, at)) as string;
  };
  const value = (): unknown => {
    space();
    const c = text[at];
    if (c === '{') {
      at++;
      const object: Record<string, unknown> = {};
      const keys: string[] = [];
      space();
      if (text[at] === '}') {
        at++;
        return object;
      }
      for (;;) {
        space();
        if (text[at] !== '"') fail();
        const key = stringToken();
        space();
        if (text[at] !== ':') fail();
        at++;
        Object.defineProperty(object, key, { value: value(), enumerable: true, writable: true, configurable: true });
        keys.push(key);
        space();
        if (text[at] === ',') {
          at++;
          continue;
        }
        if (text[at] !== '}') fail();
        at++;
        const natural = Object.keys(object);
        if (natural.some((key, i) => key !== keys[i])) withKeyOrder(object, keys);
        return object;
      }
    }
    if (c === '[') {
      at++;
      const array: unknown[] = [];
      space();
      if (text[at] === ']') {
        at++;
        return array;
      }
      for (;;) {
        array.push(value());
        space();
        if (text[at] === ',') {
          at++;
          continue;
        }
        if (text[at] !== ']') fail();
        at++;
        return array;
      }
    }
    if (c === '"') return stringToken();
    const literal = /^(?:true|false|null|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)/.exec(text.slice(at, at + 64));
    if (literal === null) return fail();
    at += literal[0].length;
    return JSON.parse(literal[0]);
  };
  const result = value();
  space();
  if (at !== text.length) fail();
  return result;
}
