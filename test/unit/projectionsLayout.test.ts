import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

// The rule of docs/state.md and STYLE.md, checked on the sources: store/ <- folds/ <- views/,
// and nothing in projections/ touches the world (node: modules, rxjs, pino, the clock).
const ROOT = join(import.meta.dirname, '../../src/projections');
const LAYERS = ['store', 'folds', 'views'] as const;

function sources(): Array<{ layer: string; file: string; text: string }> {
  return readdirSync(ROOT, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => ({ layer: file.split(/[\\/]/)[0] as string, file, text: readFileSync(join(ROOT, file), 'utf8') }));
}

function importsOf(text: string): string[] {
  return [...text.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)].map((m) => m[1] as string);
}

describe('src/projections layout', () => {
  it('every file sits in store/, folds/ or views/', () => {
    for (const { layer, file } of sources()) expect(LAYERS, file).toContain(layer);
  });

  it('imports only point down: views -> folds -> store -> domain', () => {
    for (const { layer, file, text } of sources()) {
      const below = LAYERS.slice(0, LAYERS.indexOf(layer as (typeof LAYERS)[number]) + 1);
      for (const spec of importsOf(text)) {
        expect(spec.startsWith('.'), `${file} imports ${spec}`).toBe(true);
        // The folder the import lands in: a layer of projections/, or the src/ folder beside it.
        const landed = relative(ROOT, resolve(ROOT, dirname(file), spec)).split(sep);
        const target = landed[0] === '..' ? landed[1] : landed[0];
        const allowed = [...below, 'domain'];
        expect(allowed, `${file} imports ${spec}`).toContain(target);
      }
    }
  });

  it('nothing reads the clock', () => {
    for (const { file, text } of sources()) expect(text, file).not.toMatch(/Date\.now|new Date\(|performance\.now|process\./);
  });
});
