import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { packageRoot } from '../config.js';

/** A static file of the dashboard, read once at start-up: nothing is fetched from elsewhere. */
export interface Asset {
  readonly type: string;
  readonly body: Buffer;
}

const require = createRequire(import.meta.url);

/** The dashboard page, its script and style, and uPlot from the package's own dependencies. */
export function dashboardAssets(): Map<string, Asset> {
  const dir = path.join(packageRoot(), 'src', 'http', 'dashboard');
  const uplot = path.dirname(require.resolve('uplot/dist/uPlot.iife.min.js'));
  const read = (file: string, type: string): Asset => ({ type, body: fs.readFileSync(file) });
  return new Map([
    ['/', read(path.join(dir, 'index.html'), 'text/html; charset=utf-8')],
    ['/assets/app.js', read(path.join(dir, 'app.js'), 'text/javascript; charset=utf-8')],
    ['/assets/charts.js', read(path.join(dir, 'charts.js'), 'text/javascript; charset=utf-8')],
    ['/assets/style.css', read(path.join(dir, 'style.css'), 'text/css; charset=utf-8')],
    ['/assets/favicon.svg', read(path.join(dir, 'favicon.svg'), 'image/svg+xml')],
    ['/assets/uPlot.iife.min.js', read(path.join(uplot, 'uPlot.iife.min.js'), 'text/javascript; charset=utf-8')],
    ['/assets/uPlot.min.css', read(path.join(uplot, 'uPlot.min.css'), 'text/css; charset=utf-8')],
  ]);
}
