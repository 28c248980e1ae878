import { byText } from '../../domain/byText.js';

/** The `limit` entries with the largest key (ties: smaller id first), without sorting them all. */
export function topBy<T>(items: readonly T[], limit: number, key: (item: T) => number, id: (item: T) => string): T[] {
  // The scan below compares with the last kept entry, which a limit of 0 never has.
  if (!(limit > 0)) return [];
  const before = (a: { key: number; id: string }, b: { key: number; id: string }) => b.key - a.key || byText(a.id, b.id);
  if (limit >= items.length / 8) {
    return items
      .map((item) => ({ item, key: key(item), id: id(item) }))
      .sort(before)
      .slice(0, limit)
      .map((entry) => entry.item);
  }
  const top: Array<{ item: T; key: number; id: string }> = [];
  for (const item of items) {
    const entry = { item, key: key(item), id: '' };
    if (top.length >= limit && entry.key < (top[top.length - 1] as (typeof top)[number]).key) continue;
    entry.id = id(item);
    let at = top.length;
    while (at > 0 && before(entry, top[at - 1] as (typeof top)[number]) < 0) at--;
    if (at >= limit) continue;
    top.splice(at, 0, entry);
    if (top.length > limit) top.pop();
  }
  return top.map((entry) => entry.item);
}

