/**
 * How wide the tables may be and which characters they may use, decided once per command from
 * the terminal. Width: $COLUMNS when set (a person asking for a width, or a script pinning one),
 * else the terminal's own width when stdout is one, else no limit: output piped into grep or a
 * file keeps whole cells. Characters: "→" and "…" unless the locale says the terminal is not
 * UTF-8 (LC_ALL, LC_CTYPE or LANG set to something else, such as C), then "->" and "...".
 */
export interface Layout {
  /** Longest line in display columns; Infinity for none. */
  readonly width: number;
  /** --wide: every column (recommendations, hand-off chains, plans) and no width limit. */
  readonly wide: boolean;
  readonly arrow: string;
  readonly ellipsis: string;
}

export const UNLIMITED: Layout = { width: Infinity, wide: false, arrow: '→', ellipsis: '…' };

interface Terminal {
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/** Narrower than this, a table is all ellipses: a width below it is taken as this. */
const NARROWEST = 40;

export function terminalWidth(env: NodeJS.ProcessEnv, stdout: Terminal): number {
  const fromEnv = Number(env.COLUMNS);
  if (env.COLUMNS !== undefined && Number.isInteger(fromEnv) && fromEnv > 0) return Math.max(NARROWEST, fromEnv);
  if (stdout.isTTY && stdout.columns !== undefined && stdout.columns > 0) return Math.max(NARROWEST, stdout.columns);
  return Infinity;
}

export function isUtf8Locale(env: NodeJS.ProcessEnv): boolean {
  const locale = env.LC_ALL || env.LC_CTYPE || env.LANG;
  return locale === undefined || locale === '' || /utf-?8/i.test(locale);
}

export function layoutFor(opts: { wide?: boolean }, env: NodeJS.ProcessEnv = process.env, stdout: Terminal = process.stdout): Layout {
  const utf8 = isUtf8Locale(env);
  return {
    width: opts.wide ? Infinity : terminalWidth(env, stdout),
    wide: opts.wide === true,
    arrow: utf8 ? '→' : '->',
    ellipsis: utf8 ? '…' : '...',
  };
}
