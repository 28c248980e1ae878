import { Option } from 'commander';
import { loadSettings, type Settings } from '../config.js';

/** The flags of a command that reads the state (the queries, report, mcp) that feed the settings. */
export interface SettingsOpts {
  dir?: string;
  stateDir?: string;
  config?: string;
  nats?: string;
  stream?: string;
}

/** --state-dir and --config, as the daemon has them. */
export function settingsOptions(): Option[] {
  return [
    new Option('--state-dir <path>', "the daemon's state dir, where its checkpoint and daemon.json are (default: $OAK_TELEMETRY_STATE_DIR, else <dir>/.oak-telemetry)"),
    configOption(),
  ];
}

export function configOption(): Option {
  return new Option('--config <file>', "JSON settings file, as the daemon's (default: $OAK_TELEMETRY_CONFIG); OAK_TELEMETRY_* env and flags win over it");
}

/** The settings every command resolves alike: defaults < config file < OAK_TELEMETRY_* env < flags. */
export function settingsFor(opts: SettingsOpts, env: NodeJS.ProcessEnv = process.env): Settings {
  return loadSettings({
    configFile: opts.config,
    env,
    flags: { dir: opts.dir, stateDir: opts.stateDir, nats: { url: opts.nats, stream: opts.stream } },
  });
}
