import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Checks an Authorization header against the configured token in constant time (both sides
 * hashed first, so their lengths do not leak either).
 */
export function bearerMatches(header: string | undefined, token: string): boolean {
  if (header === undefined) return false;
  const match = /^Bearer (.+)$/.exec(header);
  if (match === null) return false;
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(match[1] as string), digest(token));
}
