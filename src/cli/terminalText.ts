import { wellFormed } from '../domain/jsonText.js';

/**
 * Text from the log (agent names, task types, workflow ids) shown to a person. A name may hold
 * anything JSON allows, so a terminal escape (`\x1b]0;...\x07` retitles the window, `\x1b[2J`
 * clears it) or a newline would act on the terminal or break a table row. Each C0 control
 * (tab and newline included), DEL, C1 control, U+2028/U+2029 and bidirectional control is shown
 * as a visible escape: `\xNN` up to U+00FF, `\uNNNN` above. A lone surrogate becomes U+FFFD, as
 * in the JSON documents. A backslash is left as it is: `\x1b` in a name and an escaped ESC look
 * alike, which is the price of showing ordinary names unchanged.
 */
const CONTROL = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const CONTROL_BUT_NEWLINE = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function visible(c: string): string {
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** One line with no control character: for a table cell or a value inside a sentence. */
export function oneLine(text: string): string {
  return wellFormed(text).replace(CONTROL, visible);
}

/** The same, keeping the newlines our own renderings put between lines: what reaches stdout. */
export function withoutControls(text: string): string {
  return wellFormed(text).replace(CONTROL_BUT_NEWLINE, visible);
}

// Zero-width: combining marks and format characters (a ZWJ joins an emoji sequence).
const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}]$/u;
const EMOJI = /^\p{Emoji_Presentation}$/u;

/** East Asian Wide and Fullwidth blocks: a terminal gives each of these two columns. */
function isWide(code: number): boolean {
  return (
    (code >= 0x1100 && code <= 0x115f) ||
    (code >= 0x2e80 && code <= 0x303e) ||
    (code >= 0x3041 && code <= 0x33ff) ||
    (code >= 0x3400 && code <= 0x4dbf) ||
    (code >= 0x4e00 && code <= 0x9fff) ||
    (code >= 0xa000 && code <= 0xa4cf) ||
    (code >= 0xac00 && code <= 0xd7a3) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0xfe30 && code <= 0xfe4f) ||
    (code >= 0xff00 && code <= 0xff60) ||
    (code >= 0xffe0 && code <= 0xffe6) ||
    (code >= 0x20000 && code <= 0x3fffd)
  );
}

function charWidth(c: string): number {
  if (ZERO_WIDTH.test(c)) return 0;
  return isWide(c.codePointAt(0) as number) || EMOJI.test(c) ? 2 : 1;
}

/** Columns a terminal gives `text` (one line, controls already escaped). */
export function displayWidth(text: string): number {
  let n = 0;
  for (const c of text) n += charWidth(c);
  return n;
}

/** `text` in at most `width` columns: cut with `ellipsis` at the end when it does not fit. */
export function cutToWidth(text: string, width: number, ellipsis: string): string {
  if (displayWidth(text) <= width) return text;
  const room = width - displayWidth(ellipsis);
  if (room < 0) return ellipsis.slice(0, Math.max(0, width));
  let used = 0;
  let out = '';
  for (const c of text) {
    const w = charWidth(c);
    if (used + w > room) break;
    out += c;
    used += w;
  }
  return out + ellipsis;
}

/**
 * A sentence broken at spaces into lines of at most `width` columns; later lines start with
 * `indent`. A word longer than a line is broken where it reaches the edge (a path stays whole
 * across the break, which a cut would not keep).
 */
export function wrapToWidth(text: string, width: number, indent = ''): string[] {
  if (!Number.isFinite(width) || displayWidth(text) <= width) return [text];
  const lead = /^ */.exec(text)?.[0] ?? '';
  const lines: string[] = [];
  let start = lead;
  let line = lead;
  const push = () => {
    lines.push(line.trimEnd());
    line = start = indent;
  };
  for (const word of unbreakable(text.slice(lead.length).split(' '))) {
    const sep = line === start ? '' : ' ';
    if (displayWidth(line + sep + word) <= width) {
      line += sep + word;
      continue;
    }
    if (line !== start) push();
    let rest = word;
    while (displayWidth(line + rest) > width) {
      let piece = '';
      for (const c of rest) {
        if (displayWidth(line + piece + c) > width) break;
        piece += c;
      }
      if (piece === '') piece = [...rest][0] as string;
      line += piece;
      rest = rest.slice(piece.length);
      push();
    }
    line += rest;
  }
  if (line !== start) lines.push(line);
  return lines;
}

/** A number and its unit ("2.7 d", "12 min") stay on one line. */
const UNIT = /^(s|ms|min|h|d|points?|runs?|x)[,;:.)]*$/;

function unbreakable(words: string[]): string[] {
  const out: string[] = [];
  for (const word of words) {
    const last = out.length - 1;
    if (last >= 0 && UNIT.test(word) && /\d$/.test(out[last] as string)) out[last] += ` ${word}`;
    else out.push(word);
  }
  return out;
}

/** Every line of `text` in at most `width` columns: a longer one (a sentence) wrapped, its continuation indented by two more spaces. */
export function wrapLines(text: string, width: number): string[] {
  if (!Number.isFinite(width)) return [text];
  return text.split('\n').flatMap((line) => wrapToWidth(line, width, `${/^ */.exec(line)?.[0] ?? ''}  `));
}
