// Child process for test/int/httpLimits.test.ts, so that reading the answers does not slow the
// test's own event loop (which times /healthz):
//   node httpFlood.mjs <base url> <concurrency>
// Asks for heavy views without pause (half the same one, half differing by parameters) until
// stdin closes; prints {"answered": N} every 50 answers, then a summary line
// {"answered": N, "statuses": {"200": n, ...}, "retryAfter": [distinct Retry-After values]}.
import http from 'node:http';

const [base, concurrency] = process.argv.slice(2);
const agent = new http.Agent({ keepAlive: true, maxSockets: Number(concurrency) });
const statuses = {};
const retryAfter = new Set();
let answered = 0;
let sent = 0;
let flooding = true;
process.stdin.on('data', () => undefined);
process.stdin.on('end', () => (flooding = false));

function routeOf(n) {
  if (n % 2 === 0) return '/api/v1/gaps?limit=0';
  return `/api/v1/${['gaps', 'handoffs', 'estimates', 'bottlenecks'][n % 4]}?limit=0&project=Project%20${n % 40}`;
}

function hit(url) {
  return new Promise((resolve) => {
    const request = http.get(url, { agent }, (response) => {
      // The body is discarded unread: the client's own work stays small.
      response.resume();
      response.on('end', () => resolve([response.statusCode, response.headers['retry-after']]));
    });
    request.on('error', (error) => resolve([error.code ?? 'error', undefined]));
  });
}

async function client() {
  while (flooding) {
    const [status, retry] = await hit(base + routeOf(sent++));
    statuses[status] = (statuses[status] ?? 0) + 1;
    if (status === 429) retryAfter.add(retry);
    if (++answered % 50 === 0) process.stdout.write(`${JSON.stringify({ answered })}\n`);
  }
}

await Promise.all(Array.from({ length: Number(concurrency) }, client));
agent.destroy();
process.stdout.write(`${JSON.stringify({ answered, statuses, retryAfter: [...retryAfter] })}\n`);
