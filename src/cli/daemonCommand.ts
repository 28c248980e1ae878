import { Command } from 'commander';
import type { DaemonConfig } from '../config.js';
import { parseNumber } from './common.js';
import { telemetryDirFor } from './telemetryDir.js';

interface DaemonOpts {
  dir?: string;
  stateDir?: string;
  config?: string;
  pollIntervalMs?: string;
  snapshotIntervalMs?: string;
  checkpointIntervalMs?: string;
  logLevel?: string;
  http?: string;
  httpToken?: string;
  nats?: string;
  stream?: string;
  consumer?: string;
  otlp?: string;
  otlpToken?: string;
  createDir?: boolean;
}

/** How long shutdown may take before the process exits anyway. */
const SHUTDOWN_LIMIT_MS = 2000;

export function buildDaemonCommand(): Command {
  return new Command('daemon')
    .description(
      'follow the telemetry files (or, with --nats, the JetStream stream shippers fill), keep every projection current, write snapshot.json and a checkpoint to the state dir, and log alerts. ' +
        'Settings: config/default.json < --config file < OAK_TELEMETRY_* env < flags',
    )
    .option('--dir <path>', 'telemetry directory (default: $OAK_TELEMETRY_DIR, else ./telemetry); it must exist')
    .option('--create-dir', 'create the telemetry directory when it is missing (else a missing one is an error: a mistyped --dir would follow nothing)')
    .option('--state-dir <path>', 'where snapshot.json, the checkpoint and logs go (default: <dir>/.oak-telemetry)')
    .option('--config <file>', 'JSON file with any of the settings of config/default.json')
    .option('--poll-interval-ms <n>', 'safety poll interval (default 2000)')
    .option('--snapshot-interval-ms <n>', 'least time between snapshot writes while changes keep coming (default 25)')
    .option('--checkpoint-interval-ms <n>', 'checkpoint interval while changing (default 5000)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent (default info)')
    .option('--http <host:port>', 'serve the read-only HTTP API here, or "off" (default 127.0.0.1:7467; port 0 picks a free one)')
    .option('--nats <url>', 'follow this NATS JetStream server instead of the files: the stream `oak-telemetry ship` fills (default: $OAK_TELEMETRY_NATS)')
    .option('--stream <name>', 'JetStream stream, with --nats (default OAK)')
    .option('--consumer <name>', 'durable consumer name, with --nats (default: oak-telemetry-<hash of the state dir>)')
    .option('--http-token <token>', 'bearer token the API requires (required to listen beyond loopback; default: $OAK_TELEMETRY_HTTP_TOKEN)')
    .option('--otlp <host[:port]>', 'also receive OpenTelemetry (OTLP/HTTP) here and append it to --dir, as `receive` does (port 4318 when only a host is given; port 0 picks a free one; not with --nats; default: $OAK_TELEMETRY_OTLP)')
    .option('--otlp-token <token>', 'bearer token exporters must send (required beyond loopback; default: $OAK_TELEMETRY_OTLP_TOKEN)')
    .action(async (opts: DaemonOpts) => {
      // Loaded here, not at start-up: the query commands should not pay for the daemon's modules.
      const [{ loadDaemonConfig }, { settingsFrom }, { prefetchCheckpoint }] = await Promise.all([
        import('../config.js'),
        import('./daemonSettings.js'),
        import('../io/checkpointPrefetch.js'),
      ]);
      const number = (flag: string, raw: string | undefined) => (raw === undefined ? undefined : parseNumber(flag, raw));
      const config = loadDaemonConfig({
        configFile: opts.config,
        flags: {
          dir: opts.dir,
          stateDir: opts.stateDir,
          pollIntervalMs: number('--poll-interval-ms', opts.pollIntervalMs),
          snapshotIntervalMs: number('--snapshot-interval-ms', opts.snapshotIntervalMs),
          checkpointIntervalMs: number('--checkpoint-interval-ms', opts.checkpointIntervalMs),
          logLevel: opts.logLevel as DaemonConfig['logLevel'] | undefined,
          http: opts.http,
          httpToken: opts.httpToken,
          nats: { url: opts.nats, stream: opts.stream, consumer: opts.consumer },
          otlp: { listen: opts.otlp, token: opts.otlpToken },
        },
      });
      // With --otlp the daemon also writes the dir (as `receive` and `log` do, which create it).
      if (config.nats.url === null) telemetryDirFor(config.dir, opts.createDir === true || config.otlp.listen !== null);
      // The checkpoint is read off this thread while the daemon's modules load (most of them).
      const checkpoint = prefetchCheckpoint(config.stateDir);
      const [{ Daemon }, { createLogger }] = await Promise.all([import('../daemon.js'), import('../log.js')]);
      const log = createLogger(config.logLevel);
      const daemon = new Daemon(settingsFrom(config), log, Date.now, await checkpoint);
      // Listening from the start: a signal during the start-up catch-up also ends cleanly.
      const stopped = new Promise<void>((resolve) => {
        let stopping = false;
        const shutdown = (signal: NodeJS.Signals) => {
          if (stopping) return;
          stopping = true;
          log.info({ signal }, 'shutting down');
          daemon.requestStop();
          const timer = setTimeout(() => {
            log.error('shutdown took longer than 2 s; exiting');
            process.exit(1);
          }, SHUTDOWN_LIMIT_MS);
          timer.unref();
          started
            .then(() => daemon.stop())
            .then(
              () => {
                clearTimeout(timer);
                resolve();
              },
              (error: unknown) => {
                log.error({ err: error }, 'shutdown failed');
                process.exit(1);
              },
            );
        };
        // Another daemon took the state dir: this one ends (having written nothing there), exit 1.
        daemon.onFatal = (why) => {
          process.exitCode = 1;
          log.error({ why }, 'stopping');
          shutdown('SIGTERM');
        };
        // 'on', not 'once': a second signal during the shutdown must not take the default
        // action and kill the process halfway through it; the handler ignores repeats.
        process.on('SIGTERM', shutdown);
        process.on('SIGINT', shutdown);
      });
      const started = daemon.start();
      await started;
      await stopped;
    });
}
