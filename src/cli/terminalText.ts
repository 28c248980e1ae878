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
