/**
 * The package as `npm pack` makes it, installed as `npm i -g ./oak-telemetry-*.tgz` would: its
 * file list holds what the bin needs (the bundle and its chunks, the OTLP .proto files,
 * config/default.json, the dashboard's files), every package the bin imports is a runtime
 * dependency, and the bin answers from a directory outside the repo with only the runtime
 * dependencies installed. Nothing is downloaded: `npm i -g` resolves versions from the
 * registry even with --offline (it wants each package's metadata, which `npm ci` never caches),
 * so the install here is `npm ci --omit=dev --offline` of the packed package with this repo's
 * lockfile, from the npm cache `npm ci` filled; it is skipped, saying so, when that cache lacks a
 * tarball.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliEnv, expectBuilt, ROOT } from '../support/cliRunner.js';
import { DaemonProcess } from '../support/daemonHarness.js';
import { tempDirsPerFile } from '../support/tempDirs.js';

const temp = tempDirsPerFile();
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
let work: string;
let tarball: string;
let packed: Set<string>;

function filesUnder(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(ROOT, path.join(entry.parentPath, entry.name)));
}

beforeAll(() => {
  expectBuilt();
  work = temp.make('oak-packed-');
  const r = spawnSync('npm', ['pack', '--json', '--offline', '--pack-destination', work], { cwd: ROOT, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  const [info] = JSON.parse(r.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  tarball = path.join(work, (info as { filename: string }).filename);
  packed = new Set(info?.files.map((f) => f.path));
}, 60_000);

describe('npm pack', () => {
  it('packs what the bin reads at run time, and no tests, fixtures or sources', () => {
    const needed = [...filesUnder('dist/bin'), ...filesUnder('proto'), ...filesUnder('src/http/dashboard'), 'config/default.json', 'package.json', 'README.md'];
    expect(needed.filter((file) => !packed.has(file))).toEqual([]);
    expect([...packed].filter((file) => /^(test|dist\/test|fixtures|scripts|dist\/scripts|node_modules)\//.test(file) || (file.endsWith('.ts') && !file.endsWith('.d.ts')))).toEqual([]);
  });

  it('every package the bin imports is a runtime dependency (a global install leaves the dev ones out)', () => {
    const builtins = new Set(builtinModules);
    const imported = new Set<string>();
    for (const file of filesUnder('dist/bin')) {
      const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
      for (const m of text.matchAll(/(?:from ?|import\(|require\()"([^".][^"]*)"/g)) imported.add(m[1] as string);
    }
    // Loaded by name rather than imported: the dashboard's uPlot files.
    imported.add('uplot');
    const packageOf = (spec: string) => spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/');
    const notRuntime = [...imported]
      .filter((spec) => /^(@[\w.-]+\/)?[\w.-]+(\/[\w./-]*)?$/.test(spec) && !spec.startsWith('node:') && !builtins.has(spec))
      .map(packageOf)
      .filter((name) => !(name in pkg.dependencies));
    expect(notRuntime).toEqual([]);
  });
});

describe('the packed bin, installed with its runtime dependencies only', () => {
  it('answers outside the repo: version, generate, stats, export, and a daemon serving the dashboard', async (ctx) => {
    const root = path.join(work, 'installed');
    fs.mkdirSync(root);
    expect(spawnSync('tar', ['xzf', tarball, '-C', root, '--strip-components=1']).status).toBe(0);
    fs.copyFileSync(path.join(ROOT, 'package-lock.json'), path.join(root, 'package-lock.json'));
    const install = spawnSync('npm', ['ci', '--omit=dev', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: root, encoding: 'utf8' });
    if (install.status !== 0 && /ENOTCACHED/.test(install.stderr)) ctx.skip(`the npm cache lacks a runtime dependency's tarball (run npm ci first): ${install.stderr.split('\n')[0]}`);
    expect(install.status, install.stderr).toBe(0);
    // What only the dev dependencies pull (the lockfile marks it dev) stays out, as in a global install.
    const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
    const devOnly = Object.entries(lock.packages).filter(([where, entry]) => entry.dev === true && where.startsWith('node_modules/'));
    expect(devOnly.length).toBeGreaterThan(0);
    expect(devOnly.map(([where]) => where).filter((where) => fs.existsSync(path.join(root, where)))).toEqual([]);
    for (const name of Object.keys(pkg.dependencies)) expect(fs.existsSync(path.join(root, 'node_modules', name)), name).toBe(true);

    const bin = path.join(root, 'dist/bin/oak-telemetry.js');
    const outside = temp.make('oak-packed-cwd-');
    const run = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: outside, env: cliEnv(), encoding: 'utf8' });
    expect(run(['--version']).stdout.trim()).toBe('0.1.0');
    const data = path.join(outside, 'telemetry');
    expect(run(['generate', '--out', data, '--workflows', '20', '--seed', '1']).status).toBe(0);
    const stats = run(['stats', '--json', '--dir', data]);
    expect(stats.status, stats.stderr).toBe(0);
    const total = (JSON.parse(stats.stdout) as { total_invocations: number }).total_invocations;
    const exported = run(['export', 'invocations', '--dir', data]);
    expect(exported.stdout.trim().split('\n')).toHaveLength(total);

    const child = spawn(process.execPath, [bin, 'daemon', '--dir', data, '--http', '127.0.0.1:0'], { cwd: outside, env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    const daemon = new DaemonProcess(child, data, path.join(data, '.oak-telemetry'));
    try {
      const url = await daemon.httpUrl();
      for (const route of ['', 'assets/app.js', 'assets/uPlot.iife.min.js', 'api/v1/stats']) expect((await fetch(new URL(route, url))).status, route).toBe(200);
    } finally {
      child.kill('SIGTERM');
      await daemon.exited;
    }
  }, 120_000);
});
