import { oneLine } from './cli/terminalText.js';

/**
 * The daemon's log for a person at a terminal, made from the same JSON lines pino writes to a
 * file or a pipe: one line per entry, cut to the terminal's width, and at start-up one short
 * block (dashboard, what is followed, what was read) printed when the daemon is ready, so it is
 * the last thing on the screen. A multi-line pretty print of every field (an alert's list of
 * open workflows took 58 lines) scrolled the dashboard's address away.
 */
export interface TerminalLogOptions {
  /** Columns of the terminal, read per line (it may be resized). */
  readonly width: () => number;
  readonly color: boolean;
}

interface Entry {
  readonly level?: number;
  readonly time?: number;
  readonly msg?: string;
  readonly [field: string]: unknown;
}

/** Fields every line has or that the line's words already say. */
const SKIPPED = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'name']);
const LEVELS: ReadonlyArray<readonly [number, string, string]> = [
  [60, 'FATAL', '\x1b[31m'],
  [50, 'ERROR', '\x1b[31m'],
  [40, 'WARN ', '\x1b[33m'],
  [30, 'info ', ''],
  [0, 'debug', '\x1b[2m'],
];
const RESET = '\x1b[0m';

export class TerminalLogFormat {
  private url: string | null = null;
  private token = false;
  private caughtUp: Entry | null = null;

  constructor(private readonly options: TerminalLogOptions) {}

  /** The text to print for one JSON line (ending in a newline), or '' when it goes into the start block. */
  format(line: string): string {
    let entry: Entry;
    try {
      entry = JSON.parse(line) as Entry;
    } catch {
      return this.cut(line.trimEnd()) + '\n';
    }
    switch (entry.msg) {
      case 'http listening':
        this.url = typeof entry.url === 'string' ? entry.url : null;
        this.token = entry.token === 'required';
        return '';
      case 'caught up':
        this.caughtUp = entry;
        return '';
      case 'daemon ready: following telemetry':
        return this.startBlock(entry);
      default:
        return this.oneLineOf(entry) + '\n';
    }
  }

  private startBlock(ready: Entry): string {
    const followed = typeof ready.dir === 'string' ? oneLine(ready.dir) : `stream ${oneLine(String(ready.stream))}`;
    const read = this.caughtUp;
    const rejected = Number(read?.lines_rejected ?? 0);
    const lines = [
      'oak-telemetry daemon ready',
      `  dashboard  ${this.url === null ? 'off (--http off)' : `${oneLine(this.url)}   (API under /api/v1/, Prometheus /metrics${this.token ? '; token required' : ''})`}`,
      `  following  ${followed}`,
      `  state      ${oneLine(String(ready.state_dir))}`,
      `  read       ${read === null ? '?' : `${read.events_applied} events, ${rejected} bad line${rejected === 1 ? '' : 's'}${rejected > 0 ? ' (oak-telemetry validate lists them)' : ''}, in ${read.ms} ms`}`,
      '  Ctrl-C stops it; from here on, one line per event.',
    ];
    const [title, ...rest] = lines.map((text) => this.cut(text));
    return [this.paint(title as string, '\x1b[1m'), ...rest].join('\n') + '\n';
  }

  private oneLineOf(entry: Entry): string {
    const level = entry.level ?? 30;
    const [, label, color] = LEVELS.find(([at]) => level >= at) ?? (LEVELS[3] as (typeof LEVELS)[number]);
    const msg = oneLine(String(entry.msg ?? ''));
    const isAlert = msg.startsWith('alert:') || msg.startsWith('resolved:');
    const fields: string[] = [];
    for (const [key, value] of Object.entries(entry)) {
      if (SKIPPED.has(key) || value === undefined || value === null) continue;
      const shown = describe(key, value);
      // alert and key repeat what the message says.
      if (shown === null || (isAlert && (key === 'alert' || key === 'key') && msg.includes(shown))) continue;
      fields.push(`${key}=${shown}`);
    }
    const time = typeof entry.time === 'number' ? new Date(entry.time).toTimeString().slice(0, 8) : '--:--:--';
    const head = `${time} ${isAlert && level >= 40 ? 'ALERT' : label} `;
    const text = this.cut(`${head}${msg}${fields.length > 0 ? '  ' + fields.join(' ') : ''}`);
    return color === '' ? text : this.paint(text.slice(0, head.length), color) + text.slice(head.length);
  }

  private cut(text: string): string {
    const width = Math.max(20, this.options.width());
    return text.length <= width ? text : text.slice(0, width - 1) + '…';
  }

  private paint(text: string, code: string): string {
    return this.options.color ? code + text + RESET : text;
  }
}

/** A field as a short word: scalars as they are, an error by its message, a list by its first item and how many more. */
function describe(key: string, value: unknown): string | null {
  if (typeof value === 'string') {
    const shown = oneLine(value);
    return /[\s"]/.test(shown) || shown === '' ? `"${shown.replaceAll('"', '\\"')}"` : shown;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const first = describe(key, typeof value[0] === 'object' && value[0] !== null ? Object.values(value[0] as object)[0] : value[0]);
    return value.length === 1 ? `[${first}]` : `[${first} +${value.length - 1}]`;
  }
  if (typeof value === 'object' && value !== null && 'message' in value) return describe(key, (value as { message: unknown }).message);
  return null;
}
