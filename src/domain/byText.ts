/** Compares strings by UTF-16 code units, as Python compares str (and as `<` does). */
export function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
