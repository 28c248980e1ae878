import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { DEFAULT_MAX_LINE_BYTES } from '../decode/decodeLine.js';
import { dirOption, parseNumber, resolveDir } from './common.js';

export function buildShipCommand(): Command {
  return new Command('ship')
    .description(
      'publish every complete line of the telemetry files to NATS JetStream (subject oak.<file kind>.<host>, de-duplicated by message id); ' +
        'offsets are kept only after JetStream acknowledged the lines before them',
    )
    .addOption(dirOption())
    .requiredOption('--nats <url>', 'NATS server URL, e.g. nats://127.0.0.1:4222')
    .option('--host <name>', 'this machine in the subjects and message ids (default: the hostname)')
    .option('--stream <name>', 'JetStream stream (created over oak.> when missing)', 'OAK')
    .option('--state-dir <path>', 'where the shipped offsets and rejected lines go (default: <dir>/.oak-telemetry)')
    .option('--poll-interval-ms <n>', 'how often to look for new lines', '200')
    .option('--once', 'ship what the files hold now, then exit')
    .action(async (opts: { dir?: string; nats: string; host?: string; stream: string; stateDir?: string; pollIntervalMs: string; once?: boolean }) => {
      const [{ Shipper }, { connectNats, ensureStream }, { createLogger }] = await Promise.all([
        import('../transport/shipper.js'),
        import('../transport/natsStream.js'),
        import('../log.js'),
      ]);
      const dir = resolveDir(opts.dir);
      const pollMs = parseNumber('--poll-interval-ms', opts.pollIntervalMs);
      const log = createLogger('info');
      const shipper = new Shipper({
        dir,
        stateDir: path.resolve(opts.stateDir ?? path.join(dir, '.oak-telemetry')),
        host: opts.host ?? os.hostname(),
        maxLineBytes: DEFAULT_MAX_LINE_BYTES,
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
          nc = await connectNats(opts.nats);
          const js = await ensureStream(nc, opts.stream);
          if (failing) log.info({ nats: opts.nats }, 'NATS reachable again: catching up');
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
          if (opts.once) throw new Error(`shipping to ${opts.nats} failed: ${(error as Error).message}`, { cause: error });
          // Logged once per outage, not per retry; the offsets stay where the last ack left them.
          if (!failing) log.warn({ nats: opts.nats, err: error }, 'NATS unreachable: keeping offsets, retrying with backoff');
          failing = true;
          await new Promise((resolve) => setTimeout(resolve, backoffMs));
          backoffMs = Math.min(backoffMs * 2, 5000);
        }
      }
    });
}
