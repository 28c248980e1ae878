import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  cliDocuments,
  diff,
  differences,
  libraryDocuments,
  parityCaseDirs,
  parityQuestions,
  readExpected,
} from '../support/parityCompare.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const casesRoot = path.join(root, 'fixtures/parity');
const cli = path.join(root, 'dist/bin/oak-telemetry.js');
const cases = parityCaseDirs(casesRoot);
/** One process per question (up to ~40 a case, ~0.3 s each on an idle machine, far more under load). */
const CLI_CASE_TIMEOUT_MS = 240_000;

describe('parity cases', () => {
  it('are all there (copied from the reference)', () => {
    const names = cases.map((c) => path.basename(c));
    expect(names).toEqual(
      expect.arrayContaining(['edge-mixed', 'empty', 'generated-150', 'seed-demo', 'seed-multi-workflow', 'seed-single-workflow']),
    );
  });

  for (const caseDir of cases) {
    const name = path.basename(caseDir);

    it(`${name}: the library (replayDirectory + queries) gives the expected answers`, () => {
      const docs = libraryDocuments(caseDir);
      expect(docs.length).toBe(parityQuestions(readExpected(caseDir)).length);
      expect(differences(docs)).toEqual([]);
    });

    it(`${name}: the CLI as a process gives the expected answers`, () => {
      expect(fs.existsSync(cli), `${cli} missing: run "npm run build" first`).toBe(true);
      expect(differences(cliDocuments(caseDir, cli))).toEqual([]);
    }, CLI_CASE_TIMEOUT_MS);
  }
});

describe('the comparison (port of check_cli.py diff) can fail', () => {
  it('allows one unit in the last digit of rounded numbers, not two', () => {
    expect(diff({ success_rate: 0.667 }, { success_rate: 0.666 })).toEqual([]);
    expect(diff({ success_rate: 0.667 }, { success_rate: 0.665 })).toEqual(['.success_rate: expected 0.667, got 0.665']);
    expect(diff({ average_quality: 4.25 }, { average_quality: 4.26 })).toEqual([]);
    expect(diff({ average_quality: 4.25 }, { average_quality: 4.27 })).toHaveLength(1);
    // Unrounded documents (ranking, best-agent) get the 1e-9 relative rule, except score.
    expect(diff({ success_rate: 0.667 }, { success_rate: 0.666 }, '', '', false)).toHaveLength(1);
    expect(diff([{ score: 0.84 }], [{ score: 0.841 }], '', '', false)).toEqual([]);
    expect(diff([{ score: 0.84 }], [{ score: 0.842 }], '', '', false)).toHaveLength(1);
    expect(diff({ confidence: 1e6 }, { confidence: 1e6 + 1e-4 }, '', '', false)).toEqual([]);
    expect(diff({ confidence: 0.5 }, { confidence: 0.5 + 1e-8 }, '', '', false)).toHaveLength(1);
  });

  it('checks only the keys of expected, exact list lengths, and types', () => {
    expect(diff({ a: 1 }, { a: 1, extra: 2 })).toEqual([]);
    expect(diff({ a: 1, b: 2 }, { a: 1 })).toEqual(['.b: missing']);
    expect(diff({ l: [1, 2] }, { l: [1, 2, 3] })).toHaveLength(1);
    expect(diff({ o: { x: 1 } }, { o: null })).toEqual(['.o: expected an object, got null']);
    expect(diff({ s: 'stable' }, { s: 'improving' })).toHaveLength(1);
    expect(diff({ s: null }, { s: 0 })).toHaveLength(1);
    // As in Python, a bool is an int when compared to a number.
    expect(diff({ n: 1 }, { n: true })).toEqual([]);
    // Agent names such as __proto__ are ordinary keys.
    expect(diff(JSON.parse('{"__proto__": {"n": 1}}'), JSON.parse('{"__proto__": {"n": 2}}'))).toHaveLength(1);
    expect(diff(JSON.parse('{"__proto__": {"n": 1}}'), {})).toEqual(['.__proto__: missing']);
  });

  it('reports a tampered expectation for a real case', () => {
    const caseDir = cases.find((c) => path.basename(c) === 'edge-mixed');
    expect(caseDir).toBeDefined();
    const docs = libraryDocuments(caseDir as string);
    const tampered = docs.map((d) =>
      d.name === 'workflows' ? { ...d, expected: { ...(d.expected as object), total_workflows: -1 } } : d,
    );
    expect(differences(tampered)).toEqual([expect.stringMatching(/^workflows\.total_workflows: expected -1, got \d+$/)]);
  });
});
