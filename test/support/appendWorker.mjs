// Child process for test/int/concurrentAppend.test.ts:
//   node appendWorker.mjs <built appendOnlyWriter.js> <file> <worker> <count>
// Appends `count` lines from lineFor() through the real appendLine, as fast as it can.
import { pathToFileURL } from 'node:url';

const KiB = 1024;

/** Deterministic line i of a worker: mostly small, some over 64 KiB, up to ~200 KiB. */
export function lineFor(worker, i) {
  const kind = i % 10;
  const size = kind === 0 ? 64 * KiB + ((i * 7919) % (136 * KiB)) : kind < 4 ? 4 * KiB + i * 37 : 10 + ((i * 131) % 900);
  // A per-worker filler letter makes any interleaving of two writers visible in the text.
  const fill = String.fromCharCode(97 + (worker % 26));
  return JSON.stringify({ worker, i, size, pad: fill.repeat(size), end: `w${worker}-${i}` });
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const [modulePath, file, worker, count] = process.argv.slice(2);
  const { appendLine } = await import(pathToFileURL(modulePath).href);
  for (let i = 0; i < Number(count); i++) appendLine(file, lineFor(Number(worker), i));
}
