/**
 * topPatterns picks the first `limit` patterns in one pass: the same list as sorting every
 * pattern by count (descending), then first group position, and cutting it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type PatternCounts, topPatterns } from '../../src/projections/folds/liveViews/patternCounts.js';
import { Int32Column } from '../../src/projections/store/columns.js';
import type { WorkflowStatsState } from '../../src/projections/folds/workflowStats.js';

describe('topPatterns', () => {
  it('equals sort-then-cut for any counts, ties and limit', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 50 })), { maxLength: 40 }),
        fc.integer({ min: 0, max: 8 }),
        (patterns, limit) => {
          const counts: PatternCounts = {
            pattern: new Int32Column(-1),
            groupSeq: new Int32Column(-1),
            count: patterns.map(([count]) => count),
            first: patterns.map(([, first]) => first),
            stale: false,
          };
          const stats = { patternNames: { at: (p: number) => `pattern ${p}` } } as unknown as WorkflowStatsState;
          const seen = patterns.map((_, p) => p).filter((p) => patterns[p]![0] > 0);
          seen.sort((a, b) => patterns[b]![0] - patterns[a]![0] || patterns[a]![1] - patterns[b]![1]);
          const expected = seen.slice(0, limit).map((p) => ({ pattern: `pattern ${p}`, count: patterns[p]![0] }));
          expect(topPatterns({ patterns: counts }, stats, limit)).toEqual(expected);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
