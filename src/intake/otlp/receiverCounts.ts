/** One (route, status) pair and how many requests got that answer. */
export interface RequestCount {
  readonly route: string;
  readonly code: number;
  readonly count: number;
}

/**
 * What the receiver has done, as plain counts for /metrics (read at scrape time, as every other
 * figure there): requests by route and status, spans accepted and rejected (the partial
 * successes' counts, and every span of a request answered 503), and requests in flight now.
 */
export class ReceiverCounts {
  inFlight = 0;
  spansAccepted = 0;
  spansRejected = 0;
  private readonly requests = new Map<string, { route: string; code: number; count: number }>();

  request(route: string, code: number): void {
    const key = `${route} ${code}`;
    const known = this.requests.get(key);
    if (known === undefined) this.requests.set(key, { route, code, count: 1 });
    else known.count++;
  }

  spans(accepted: number, rejected: number): void {
    this.spansAccepted += accepted;
    this.spansRejected += rejected;
  }

  requestCounts(): RequestCount[] {
    return [...this.requests.values()].map((r) => ({ ...r }));
  }
}
