/**
 * What the HTTP API lets a client take, so that no client, however many or slow, can starve
 * the following of the files or take the descriptors the daemon needs to read them.
 * Sized for a daemon serving a few people and a Prometheus beside agents, on loopback or a LAN.
 */

/**
 * Open connections at once; Node closes any beyond at accept. A systemd service starts with
 * 1024 descriptors (and `ulimit -n 512` was enough to break an uncapped daemon): 256 leaves
 * the rest for the telemetry files, the watcher, the state writes and the checkpoint. The
 * event stream has its own, lower cap (64 clients).
 */
export const MAX_CONNECTIONS = 256;

/**
 * A request's header must be complete this long after its connection opened. Real clients
 * send it in one packet; an idle connection holding half a header is closed after this.
 */
export const HEADERS_TIMEOUT_MS = 5000;

/** The whole request (the API takes no bodies, so a header plus nothing). */
export const REQUEST_TIMEOUT_MS = 10_000;

/** An idle keep-alive connection between requests (Node's own default; fastify's is 72 s). */
export const KEEP_ALIVE_TIMEOUT_MS = 5000;

/** How often Node looks for connections past the two timeouts above (its default is 30 s). */
export const CONNECTIONS_CHECK_INTERVAL_MS = 1000;

/**
 * Heavy computations (a view that walks every invocation, the snapshot, /metrics) admitted at
 * once: running or waiting their turn. They run one after another; a request beyond this is
 * answered 429 with Retry-After. Requests for an answer already being computed, or already
 * computed for the current state, wait for it or take it and are not counted. At 30k
 * workflows one computation takes 0.05-0.6 s, so the last admitted waits a few seconds.
 */
export const MAX_HEAVY_PENDING = 4;

/**
 * Share of the event loop heavy computations may take: after one that took T ms, the next
 * starts no sooner than T * (1 / share - 1) ms later, so the files are read, the snapshot
 * written and /healthz answered in between.
 */
export const HEAVY_MAX_SHARE = 0.25;

/** Answers kept per state version, by total size of their bodies and by count. */
export const ANSWER_CACHE_BYTES = 96 * 1024 * 1024;
export const ANSWER_CACHE_ENTRIES = 64;
