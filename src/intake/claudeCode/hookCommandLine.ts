import { OWN_HOOK_MARKER } from './hookSettings.js';

/**
 * The command Claude Code runs for each hook: this node and this CLI by absolute path (a hook
 * runs with whatever PATH the agent has, where `oak-telemetry` may not be), `hook --dir <dir>`,
 * then our marker as a shell comment. Claude Code runs it through a shell, hence the quoting.
 */
export function hookCommandLine(nodePath: string, cliPath: string, telemetryDir: string): string {
  return `${shellQuote(nodePath)} ${shellQuote(cliPath)} hook --dir ${shellQuote(telemetryDir)} ${OWN_HOOK_MARKER}`;
}

/** POSIX single quoting: everything literal, a quote written as '\''. Plain paths stay bare for readability. */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}
