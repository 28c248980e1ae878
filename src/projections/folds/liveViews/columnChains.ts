import type { Int32Column } from '../../store/columns.js';

/**
 * Singly linked chains held in two columns: `head` (per owner, its first item, -1 when none)
 * and `next` (per item, the following item of its chain, -1 at the end). The live views keep
 * each workflow's rows this way in two orders (timestamp, first-seen position), which differ
 * only in where a row is inserted, and each session's workflows. The columns are passed, not
 * an object holding them, so the holders' different shapes do not make these loops polymorphic.
 */

/**
 * Whether `other` belongs after `item` in the chain's order. A module-level function with
 * its data in `context`, so inserting allocates no closure per row.
 */
export type Follows<C> = (context: C, item: number, other: number) => boolean;

/** Inserts `item` into `owner`'s chain before the first item it `follows`, at the end when none; returns the item now after it, -1 at the end. */
export function insertBefore<C>(head: Int32Column, next: Int32Column, owner: number, item: number, follows: Follows<C>, context: C): number {
  let prev = -1;
  let at = head.get(owner);
  while (at >= 0 && !follows(context, item, at)) {
    prev = at;
    at = next.get(at);
  }
  next.set(item, at);
  if (prev < 0) head.set(owner, item);
  else next.set(prev, item);
  return at;
}

/** Takes `item` out of `owner`'s chain; returns the item that was before it, -1 when it was the first. */
export function unlinkItem(head: Int32Column, next: Int32Column, owner: number, item: number): number {
  let prev = -1;
  let at = head.get(owner);
  while (at >= 0 && at !== item) {
    prev = at;
    at = next.get(at);
  }
  if (at < 0) throw new Error(`chain: ${item} is not in ${owner}'s chain`);
  const following = next.get(item);
  if (prev < 0) head.set(owner, following);
  else next.set(prev, following);
  next.set(item, -1);
  return prev;
}
