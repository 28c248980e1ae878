import { Command } from 'commander';
import { parseNumber } from './common.js';

interface ReceiveOpts {
  otlp?: string;
  otlpToken?: string;
  dir?: string;
  config?: string;
  maxSpans?: string;
  traceIdleMs?: string;
  logLevel?: string;
}

/** How long shutdown may take before the process exits anyway. */
const SHUTDOWN_LIMIT_MS = 2000;

export function buildReceiveCommand(): Command {
  return new Command('receive')
    .description(
      'receive OpenTelemetry (OTLP/HTTP, protobuf or JSON, gzip) from agent frameworks and append what it says about agents ' +
        '(invocations, workflows, hand-offs) to the telemetry files of --dir; LLM and tool spans are not stored. ' +
        'Settings: config/default.json < --config file < OAK_TELEMETRY_* env < flags',
    )
    .requiredOption('--otlp <host[:port]>', 'listen here (port 4318 when only a host is given; port 0 picks a free one), e.g. 127.0.0.1:4318')
    .option('--dir <path>', 'telemetry directory (default: $OAK_TELEMETRY_DIR, else ./telemetry)')
    .option('--otlp-token <token>', 'bearer token exporters must send (required beyond loopback; default: $OAK_TELEMETRY_OTLP_TOKEN)')
    .option('--config <file>', 'JSON file with any of the settings of config/default.json (its "otlp" section)')
    .option('--max-spans <n>', 'spans held for traces not yet complete before the idlest are flushed (default 100000)')
    .option('--trace-idle-ms <n>', 'a trace with no new span for this long is flushed (default 900000: 15 minutes)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent (default info)')
    .action(async (opts: ReceiveOpts) => {
      const [{ loadSettings }, { createLogger }, otlpAddress, { startOtlpReceiver }] = await Promise.all([
        import('../config.js'),
        import('../log.js'),
        import('../intake/otlp/otlpAddress.js'),
        import('../intake/otlp/otlpReceiver.js'),
      ]);
      const number = (flag: string, raw: string | undefined) => (raw === undefined ? undefined : parseNumber(flag, raw));
      const settings = loadSettings({
        configFile: opts.config,
        flags: {
          dir: opts.dir,
          logLevel: opts.logLevel as 'info' | undefined,
          otlp: { token: opts.otlpToken, maxSpans: number('--max-spans', opts.maxSpans), traceIdleMs: number('--trace-idle-ms', opts.traceIdleMs) },
        },
      });
      const address = otlpAddress.parseOtlpAddress(opts.otlp!);
      otlpAddress.requireOtlpTokenBeyondLoopback(address, settings.otlp.token);
      const log = createLogger(settings.logLevel);
      const receiver = await startOtlpReceiver({
        address,
        token: settings.otlp.token,
        dir: settings.dir,
        maxLineBytes: settings.maxLineBytes,
        limits: { maxSpans: settings.otlp.maxSpans, traceIdleMs: settings.otlp.traceIdleMs, maxRememberedTraces: 100_000 },
        maxRequestsInFlight: settings.otlp.maxRequestsInFlight,
        log,
      });
      await new Promise<void>((resolve) => {
        let stopping = false;
        const shutdown = (signal: NodeJS.Signals) => {
          if (stopping) return;
          stopping = true;
          log.info({ signal }, 'shutting down');
          const timer = setTimeout(() => {
            log.error('shutdown took longer than 2 s; exiting');
            process.exit(1);
          }, SHUTDOWN_LIMIT_MS);
          timer.unref();
          void receiver.close().then(() => {
            clearTimeout(timer);
            resolve();
          });
        };
        process.on('SIGTERM', shutdown);
        process.on('SIGINT', shutdown);
      });
    });
}
