import { defineConfig } from 'vitest/config';

// Three projects so each kind runs on its own: `npm run test:unit` needs neither a build nor the
// Debian packages (chromium, nats-server) that int and e2e use; `npm test` still runs all three.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default', './test/support/summaryReporter.ts'],
    projects: [
      // Unit tests share one module graph per worker instead of importing src/ again for each
      // file: 15 s instead of 40 s on two cores. So a unit test must undo what it changes in
      // shared modules (fake timers, env, a global registry) in afterEach; vi.mock needs isolation.
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'], isolate: false } },
      { extends: true, test: { name: 'int', include: ['test/int/**/*.test.ts'] } },
      { extends: true, test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'] } },
    ],
  },
});
