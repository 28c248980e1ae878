// The fake Messages API lives in scripts/support, where `npm run build` compiles it for
// `npm run demo:claude-code` too; the tests import it from here as before.
export * from '../../scripts/support/fakeAnthropic.js';
