/**
 * Rounds like Python's round(x, digits): to the nearest, ties to even, judged on the exact
 * binary value of x (so 2.675 -> 2.67 because the double is below the tie, and 0.125 -> 0.12).
 * toFixed works on the exact value but breaks ties upwards, so exact ties are fixed here.
 */
export function pyRound(x: number, digits: number): number {
  if (!Number.isFinite(x) || x === 0) return x === 0 ? 0 : x;
  const sign = x < 0 ? -1 : 1;
  const a = Math.abs(x);
  if (a >= 1e21) return x;
  // Far from a tie (judged with a margin far above the error of the product), toFixed is right
  // as it is; only near a tie is the exact binary value looked at (toFixed(100) is slow).
  const scaled = a * 10 ** digits;
  if (scaled < 2 ** 40 && Math.abs(scaled - Math.floor(scaled) - 0.5) > 1e-6) {
    const result = sign * Number(a.toFixed(digits));
    return result === 0 ? 0 : result;
  }
  const exact = a.toFixed(100);
  const dot = exact.indexOf('.');
  const tail = exact.slice(dot + 1 + digits);
  let text = a.toFixed(digits);
  if (/^50*$/.test(tail)) {
    const truncated = exact.slice(0, digits === 0 ? dot : dot + 1 + digits);
    const lastDigit = Number(truncated[truncated.length - 1]);
    if (lastDigit % 2 === 0) text = truncated;
  }
  const result = sign * Number(text);
  return result === 0 ? 0 : result;
}
