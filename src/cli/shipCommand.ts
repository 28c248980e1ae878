import os from 'node:os';
import { Command } from 'commander';
import { parseNumber } from './common.js';
import { telemetryDirFor } from './telemetryDir.js';

interface ShipOpts {
  dir?: string;
  nats?: string;
  host?: string;
  stream?: string;
  replicas?: string;
  stateDir?: string;
  config?: string;
  pollIntervalMs: string;
  once?: boolean;
  createDir?: boolean;
}

export function buildShipCommand(): Command {
  return new Command('ship')
    .description(
      'publish every complete line of the telemetry files to NATS JetStream (subject oak.<file kind>.<host>, de-duplicated by message id); ' +
        'offsets are kept only after JetStream acknowledged the lines before them. Settings as for the daemon: config/default.json < --config < env < flags',
    )
    .option('--dir <path>', 'telemetry directory (default: $OAK_TELEMETRY_DIR, else ./telemetry); it must exist')
    .option('--create-dir', 'create the telemetry directory when it is missing')
    .option('--nats <url>', 'NATS server URL, e.g. nats://127.0.0.1:4222 (default: $OAK_TELEMETRY_NATS; required)')
    .option('--host <name>', 'this machine in the subjects and message ids (default: the hostname)')
    .option('--stream <name>', 'JetStream stream, created over oak.> when missing (default OAK)')
    .option('--replicas <n>', 'copies of a stream this creates, in a cluster (default 1; limits: config "nats")')
    .option('--state-dir <path>', 'where the shipped offsets and rejected lines go (default: <dir>/.oak-telemetry)')
    .option('--config <file>', 'JSON file with any of the settings of config/default.json (its "nats" section: stream limits)')
    .option('--poll-interval-ms <n>', 'how often to look for new lines (a read of each file; the pause after a pass)', '50')
    .option('--once', 'ship what the files hold now, then exit')
    .action(async (opts: ShipOpts) => {
      const [{ Shipper }, { connectNats, ensureStream }, { createLogger }, { loadDaemonConfig }, { UsageError }] = await Promise.all([
        import('../transport/shipper.js'),
        import('../transport/natsStream.js'),
        import('../log.js'),
        import('../config.js'),
        import('../errors.js'),
      ]);
      const config = loadDaemonConfig({
        configFile: opts.config,
        flags: {
          dir: opts.dir,
          stateDir: opts.stateDir,
          nats: { url: opts.nats, stream: opts.stream, replicas: opts.replicas === undefined ? undefined : parseNumber('--replicas', opts.replicas) },
        },
      });
      const url = config.nats.url;
      if (url === null) throw new UsageError('ship needs a NATS server: --nats URL (or $OAK_TELEMETRY_NATS, or "nats": {"url": ...} in --config)');
      const streamSettings = { name: config.nats.stream, replicas: config.nats.replicas, maxAgeHours: config.nats.maxAgeHours, maxBytes: config.nats.maxBytes };
      const pollMs = parseNumber('--poll-interval-ms', opts.pollIntervalMs);
      telemetryDirFor(config.dir, opts.createDir === true);
      const log = createLogger(config.logLevel);
      const shipper = new Shipper({
        dir: config.dir,
        stateDir: config.stateDir,
        host: opts.host ?? os.hostname(),
        maxLineBytes: config.maxLineBytes,
        log,
      });
      let stopping = false;
      const stop = () => {
        stopping = true;
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
      let backoffMs = 250;
      let failing = false;
      while (!stopping) {
        let nc: Awaited<ReturnType<typeof connectNats>> | null = null;
        try {
          nc = await connectNats(url);
          const js = await ensureStream(nc, streamSettings);
          if (failing) log.info({ nats: url }, 'NATS reachable again: catching up');
          failing = false;
          backoffMs = 250;
          do {
            const shipped = await shipper.shipOnce(js);
            if (shipped.published + shipped.duplicates + shipped.rejected > 0) log.info(shipped, 'shipped');
            if (opts.once) break;
            await new Promise((resolve) => setTimeout(resolve, pollMs));
          } while (!stopping);
          await nc.drain();
          break;
        } catch (error) {
          // The failed connection goes too: it would go on reconnecting on its own.
          await nc?.close().catch(() => undefined);
          shipper.rewind();
          if (opts.once) throw new Error(`shipping to ${url} failed: ${(error as Error).message}`, { cause: error });
          // Logged once per outage, not per retry; the offsets stay where the last ack left them.
          if (!failing) log.warn({ nats: url, err: error }, 'NATS unreachable: keeping offsets, retrying with backoff');
          failing = true;
          await new Promise((resolve) => setTimeout(resolve, backoffMs));
          backoffMs = Math.min(backoffMs * 2, 5000);
        }
      }
    });
}
