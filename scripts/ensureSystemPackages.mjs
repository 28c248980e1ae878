#!/usr/bin/env node
// Installs the Debian packages the tests run for real when they are missing (Chromium for the
// dashboard test, nats-server for the scale-out tests), so `npm ci && npm test` passes on a
// fresh machine. Nothing is downloaded while a test runs. Plain JavaScript: it runs before the
// TypeScript build.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

const PACKAGES = [
  { name: 'chromium', binary: '/usr/bin/chromium' },
  { name: 'nats-server', binary: '/usr/sbin/nats-server' },
];

const missing = PACKAGES.filter((p) => !fs.existsSync(p.binary));
if (missing.length === 0) process.exit(0);

const names = missing.map((p) => p.name);
const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const apt = (args) => {
  const [command, ...rest] = asRoot ? ['apt-get', ...args] : ['sudo', '-n', 'apt-get', ...args];
  execFileSync(command, rest, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
};
process.stderr.write(`oak-telemetry tests: installing ${names.join(', ')} from Debian (apt-get)\n`);
try {
  apt(['update']);
  apt(['install', '-y', '--no-install-recommends', ...names]);
} catch (error) {
  process.stderr.write(`could not install ${names.join(', ')}: ${error.message}\ninstall them with: apt-get install -y ${names.join(' ')}\n`);
  process.exit(1);
}
