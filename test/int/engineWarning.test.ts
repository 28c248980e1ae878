/**
 * `npm ci` warns that cookie@2.0.2 wants Node 22. It comes from fastify -> light-my-request, which
 * fastify loads only for `inject()` (a request without a socket, for tests). These show the
 * warning is harmless on Node 20: a daemon serving the dashboard, the API and /metrics never
 * loads either package, and where a test does inject, cookie 2.0.2 (an ES module that
 * light-my-request requires) works on this Node (require of an ES module: Node >= 20.19).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, cliEnv, expectBuilt } from '../support/cliRunner.js';
import { daemonDirsPerTest, DaemonProcess } from '../support/daemonHarness.js';

const temp = daemonDirsPerTest();

/** Preloaded into the daemon: records every package name a require() asks for, written out at exit. */
const RECORD_REQUIRES = `
const Module = require('node:module');
const fs = require('node:fs');
const asked = new Set();
const load = Module._load;
Module._load = function (request, ...rest) { asked.add(request); return load.call(this, request, ...rest); };
process.on('exit', () => fs.writeFileSync(process.env.OAK_TEST_REQUIRED_OUT, [...asked].join('\\n')));
`;

describe('cookie@2.0.2 (engines: node >= 22) on Node 20', () => {
  it('a daemon serving the dashboard, the API and /metrics never loads light-my-request or cookie', async () => {
    expectBuilt();
    const dir = temp.make('oak-engine-');
    const preload = path.join(dir, 'recordRequires.cjs');
    const required = path.join(dir, 'required.txt');
    fs.writeFileSync(preload, RECORD_REQUIRES);
    const telemetry = path.join(dir, 'telemetry');
    fs.mkdirSync(telemetry);
    const child = spawn(process.execPath, ['--require', preload, CLI, 'daemon', '--dir', telemetry, '--http', '127.0.0.1:0'], {
      env: { ...cliEnv(), OAK_TEST_REQUIRED_OUT: required },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const daemon = new DaemonProcess(child, telemetry, path.join(telemetry, '.oak-telemetry'));
    const url = await daemon.httpUrl();
    for (const route of ['', 'api/v1/stats', 'api/v1/report', 'metrics', 'readyz']) await (await fetch(new URL(route, url))).arrayBuffer();
    child.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);
    const asked = fs.readFileSync(required, 'utf8').split('\n');
    expect(asked).toContain('avvio'); // fastify's own requires are seen
    expect(asked.filter((name) => /light-my-request|^cookie$/.test(name))).toEqual([]);
  });

  it('where a test injects a request, light-my-request with cookie 2.0.2 works on this Node', async () => {
    const require = createRequire(import.meta.url);
    const cookieDir = path.dirname(path.dirname(require.resolve('cookie')));
    expect((JSON.parse(fs.readFileSync(path.join(cookieDir, 'package.json'), 'utf8')) as { version: string }).version).toBe('2.0.2');
    const inject = require('light-my-request') as (
      handler: (req: { headers: Record<string, string> }, res: { end(body: string): void }) => void,
      options: { url: string; cookies: Record<string, string> },
    ) => Promise<{ body: string }>;
    const res = await inject((req, res) => res.end(req.headers.cookie ?? ''), { url: '/', cookies: { session: 'a b' } });
    expect(res.body).toBe('session=a%20b');
  });
});
