/**
 * How the agents a workflow executed compare with its plan: the same order, reordered, planned
 * agents skipped, unplanned ones added, or both. Read by the hand-off view and kept per workflow
 * by the live views.
 */

export type Adherence = 'same_order' | 'reordered' | 'skipped' | 'added' | 'skipped_and_added';

/** Multiset difference a - b, in the order of a. */
function without(a: readonly string[], b: readonly string[]): string[] {
  const left = new Map<string, number>();
  for (const name of b) left.set(name, (left.get(name) ?? 0) + 1);
  const out: string[] = [];
  for (const name of a) {
    const n = left.get(name) ?? 0;
    if (n > 0) left.set(name, n - 1);
    else out.push(name);
  }
  return out;
}

export function adherenceOf(plan: readonly string[], executed: readonly string[]): { adherence: Adherence; skipped: string[]; added: string[] } {
  const skipped = without(plan, executed);
  const added = without(executed, plan);
  const same = plan.length === executed.length && plan.every((name, i) => executed[i] === name);
  const adherence: Adherence = same
    ? 'same_order'
    : skipped.length === 0 && added.length === 0
      ? 'reordered'
      : added.length === 0
        ? 'skipped'
        : skipped.length === 0
          ? 'added'
          : 'skipped_and_added';
  return { adherence, skipped, added };
}
