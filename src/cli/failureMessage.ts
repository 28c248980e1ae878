import { OakError } from '../errors.js';
import { oneLine } from './terminalText.js';

/** Set to 1 to print the stack of an unexpected error under its one-line message. */
export const DEBUG_ENV = 'OAK_TELEMETRY_DEBUG';

/** An error from the operating system (fs, net): a code such as ENOENT, often a path. */
export interface SystemError extends Error {
  code: string;
  path?: string;
  syscall?: string;
}

export function isSystemError(error: unknown): error is SystemError {
  if (!(error instanceof Error)) return false;
  const { code, syscall } = error as Partial<SystemError>;
  return typeof code === 'string' && (/^E[A-Z0-9]+$/.test(code) || typeof syscall === 'string');
}

/** An error a client library names with a code (NATS: CONNECTION_REFUSED); Node's own ERR_* codes are bugs. */
function isServiceError(error: unknown): error is Error & { code: string } {
  const code = error instanceof Error ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && code !== '' && !code.startsWith('ERR_');
}

/** "not a directory (ENOTDIR)" from Node's "ENOTDIR: not a directory, open '/x'". */
export function describeSystemError(error: SystemError): string {
  const text = error.message.replace(/^E[A-Z0-9]+: /, '').replace(/, [a-z_]+(?: '.*')?$/s, '');
  // Our own FileFault already ends with its code.
  return text.endsWith(`(${error.code})`) ? text : `${text} (${error.code})`;
}

/**
 * What the CLI prints on stderr when a command fails, and its exit code. An error we throw on
 * purpose or one from the system (a path that is a file, a directory where a file should be,
 * no permission) is one line naming the path and the problem: the user's to fix, not a bug.
 * Anything else is a bug: its message on one line, the stack only with OAK_TELEMETRY_DEBUG=1.
 */
export function failureMessage(error: unknown, env: NodeJS.ProcessEnv = process.env): { text: string; exitCode: number } {
  if (error instanceof OakError) return { text: `oak-telemetry: ${oneLine(error.message)}\n`, exitCode: error.exitCode };
  if (isSystemError(error)) {
    const problem = describeSystemError(error);
    const where = error.path !== undefined && !problem.includes(error.path) ? `${error.path}: ` : '';
    return { text: `oak-telemetry: ${oneLine(where + problem)}\n`, exitCode: 1 };
  }
  if (isServiceError(error)) {
    const code = String(error.code);
    return { text: `oak-telemetry: ${oneLine(error.message.includes(code) ? error.message : `${error.message} (${code})`)}\n`, exitCode: 1 };
  }
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  if (env[DEBUG_ENV] === '1') {
    const stack = error instanceof Error && error.stack !== undefined ? error.stack : message;
    return { text: `oak-telemetry: unexpected error: ${oneLine(message)}\n${stack}\n`, exitCode: 1 };
  }
  return { text: `oak-telemetry: unexpected error: ${oneLine(message)} (${DEBUG_ENV}=1 prints the stack)\n`, exitCode: 1 };
}
