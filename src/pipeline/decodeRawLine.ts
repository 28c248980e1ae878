import type { SourceKind } from '../domain/sources.js';
import { decodeBytes, type DecodeOutcome, decodeText } from '../decode/decodeLine.js';
import type { RawLine } from './splitLines.js';

/** A line as the splitter handed it over: already-decoded text, its bytes, or too long to keep. */
export function decodeRawLine(kind: SourceKind, raw: RawLine, maxLineBytes: number): DecodeOutcome {
  if (raw.text !== undefined) return decodeText(kind, raw.text);
  if (raw.bytes === null) return { type: 'rejected', reason: `line longer than ${maxLineBytes} bytes` };
  return decodeBytes(kind, raw.bytes, maxLineBytes);
}
