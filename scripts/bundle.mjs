#!/usr/bin/env node
// Bundles the compiled CLI (dist/src/cli.js) into dist/bin/oak-telemetry.js, the package's
// `bin`. Node's ES module loader pays per file (resolve, read, link): a query answered by the
// daemon loaded ~40 of our modules plus commander's, ~40-50 ms of a ~200 ms process. One file
// per entry (with the lazily imported parts split off as chunks, still loaded only when asked)
// removes most of that. Our code, commander and rxjs (see rxjsEsm) are bundled; every other dependency stays a
// package import, so pino's transports, the MCP SDK and fastify load as their authors ship them.
// `hook` runs once per Claude Code event and must start fast: it is bundled apart into one
// self-contained file (dist/bin/hook.js), which the entry imports for that command alone.
// Plain JavaScript: it runs right after `tsc` in `npm run build`.
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const BUNDLED = new Set(['commander', 'rxjs']);
const external = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies }).filter((name) => !BUNDLED.has(name));
const outdir = path.join(root, 'dist', 'bin');

const HOOK_IMPORT = './cli/hookCommand.js';
const HOOK_FILE = 'hook.js';
const common = {
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external,
  // commander is CommonJS and requires node: builtins; an ES module has no `require` of its own.
  banner: { js: "import { createRequire as oakCreateRequire } from 'node:module'; const require = oakCreateRequire(import.meta.url);" },
  logLevel: 'warning',
};
/** The entry's import of the hook command points at the separate bundle instead of pulling it in. */
const hookApart = {
  name: 'hook-apart',
  setup(b) {
    b.onResolve({ filter: /^\.\/cli\/hookCommand\.js$/ }, (args) =>
      args.importer === path.join(root, 'dist', 'src', 'cli.js') ? { path: `./${HOOK_FILE}`, external: true } : undefined,
    );
  },
};

/**
 * rxjs from its ES2015 build, so only the operators we use are bundled: its package sends Node
 * to the CommonJS build, whose index loads all ~400 modules (~80 ms of every daemon start, before
 * the first snapshot). Its package exports do not name that file, hence a path, not a condition.
 */
const rxjsEsm = {
  name: 'rxjs-esm',
  setup(b) {
    b.onResolve({ filter: /^rxjs$/ }, () => ({ path: path.join(root, 'node_modules', 'rxjs', 'dist', 'esm', 'index.js') }));
  },
};

fs.rmSync(outdir, { recursive: true, force: true });
await build({
  ...common,
  entryPoints: { 'oak-telemetry': path.join(root, 'dist', 'src', 'cli.js') },
  outdir,
  chunkNames: 'chunks/[name]-[hash]',
  splitting: true,
  plugins: [hookApart, rxjsEsm],
});
await build({ ...common, entryPoints: [path.join(root, 'dist', 'src', 'cli', 'hookCommand.js')], outfile: path.join(outdir, HOOK_FILE) });
// The batch replay's decoding worker is started by file (src/io/parallelReplay.ts looks for it
// beside the chunk that replays, or one level up): its own self-contained bundle.
await build({ ...common, entryPoints: [path.join(root, 'dist', 'src', 'io', 'replayDecodeWorker.js')], outfile: path.join(outdir, 'replayDecodeWorker.js') });
const entry = fs.readFileSync(path.join(outdir, 'oak-telemetry.js'), 'utf8');
if (!entry.includes(`import("./${HOOK_FILE}")`)) throw new Error(`bundle: the entry no longer imports ${HOOK_IMPORT} as ./${HOOK_FILE}`);
fs.chmodSync(path.join(outdir, 'oak-telemetry.js'), 0o755);
