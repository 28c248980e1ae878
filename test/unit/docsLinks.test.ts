/**
 * The README and docs/*.md link to each other by relative paths and #anchors; moving a
 * section or renaming a heading breaks them silently. Every link that is not a URL must name a
 * file that exists and, with an #anchor, a heading (GitHub's slug) or an id in that file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The prose of a Markdown file: fenced blocks blanked, so a `[x](y)` in an example is not a link. */
function prose(markdown: string): string[] {
  let fenced = false;
  return markdown.split('\n').map((line) => {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      return '';
    }
    return fenced ? '' : line;
  });
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens, -1, -2... for repeats. */
function githubSlugs(headings: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return headings.map((heading) => {
    const text = heading
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/<[^>]+>/g, '')
      .toLowerCase();
    const base = text.replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '').replace(/ /g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    return count === 0 ? base : `${base}-${count}`;
  });
}

function anchorsOf(file: string): Set<string> {
  const lines = prose(fs.readFileSync(file, 'utf8'));
  const headings = lines.flatMap((line) => {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    return m?.[1] !== undefined ? [m[1]] : [];
  });
  const ids = lines.flatMap((line) => [...line.matchAll(/\b(?:id|name)="([^"]+)"/g)].map((m) => m[1] ?? ''));
  return new Set([...githubSlugs(headings), ...ids]);
}

interface Link {
  readonly file: string;
  readonly line: number;
  readonly target: string;
}

function linksOf(file: string): Link[] {
  return prose(fs.readFileSync(file, 'utf8')).flatMap((line, i) => {
    const outsideCode = line.replace(/`[^`]*`/g, '');
    return [...outsideCode.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => ({ file, line: i + 1, target: m[1] ?? '' }));
  });
}

/** Why a link does not resolve, or null when it does. */
function brokenBecause(link: Link): string | null {
  if (/^[a-z][a-z0-9+.-]*:/i.test(link.target)) return null; // a URL: not ours to check offline
  const [rawPath = '', anchor] = link.target.split('#', 2);
  const target = rawPath === '' ? link.file : path.resolve(path.dirname(link.file), decodeURIComponent(rawPath));
  if (!fs.existsSync(target)) return `no such file ${path.relative(ROOT, target)}`;
  if (anchor === undefined) return null;
  if (!target.endsWith('.md')) return `an anchor into ${path.relative(ROOT, target)}, which is not Markdown`;
  return anchorsOf(target).has(decodeURIComponent(anchor)) ? null : `no heading #${anchor} in ${path.relative(ROOT, target)}`;
}

const pages = ['README.md', ...fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

describe('README and docs links', () => {
  it('computes anchors as GitHub does', () => {
    expect(githubSlugs(['Agents ask directly: `oak-telemetry mcp`', 'Hand-offs, gaps, estimates, bottlenecks', 'Results', 'Results'])).toEqual([
      'agents-ask-directly-oak-telemetry-mcp',
      'hand-offs-gaps-estimates-bottlenecks',
      'results',
      'results-1',
    ]);
  });

  it.each(pages)('%s: every relative link and #anchor resolves', (page) => {
    const broken = linksOf(path.join(ROOT, page)).flatMap((link) => {
      const why = brokenBecause(link);
      return why === null ? [] : [`${page}:${link.line}: (${link.target}) ${why}`];
    });
    expect(broken).toEqual([]);
  });

  it('README stays a newcomer page (under ~12 KB; the long sections live in docs/)', () => {
    expect(fs.statSync(path.join(ROOT, 'README.md')).size).toBeLessThanOrEqual(12 * 1024);
  });
});
