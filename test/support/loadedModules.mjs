// Preloaded with `node --import` by tests that ask what a command loads: every ES module URL
// (through a load hook) and every CommonJS file (require's cache at exit) goes, one per line, to
// the file named by OAK_TEST_LOADED_MODULES.
import fs from 'node:fs';
import { createRequire, register } from 'node:module';

const out = process.env.OAK_TEST_LOADED_MODULES;
if (out) {
  const hook = `
    import fs from 'node:fs';
    export async function load(url, context, next) {
      fs.appendFileSync(${JSON.stringify(out)}, url + '\\n');
      return next(url, context);
    }`;
  register(`data:text/javascript,${encodeURIComponent(hook)}`);
  const cache = createRequire(import.meta.url).cache;
  process.on('exit', () => fs.appendFileSync(out, Object.keys(cache).map((file) => `${file}\n`).join('')));
}
