/**
 * `oak-telemetry report | head`: once the reader has gone, a write to stdout fails with EPIPE,
 * which Node raises as an unhandled 'error' event (a stack trace on stderr, exit 1). There is
 * nobody left to answer, so a command stops quietly with 0, as `head` users expect. The daemon
 * only logs to stdout: it ignores the closed pipe and goes on serving.
 */
export function onClosedStdout(then: 'exit' | 'ignore', stream: NodeJS.WriteStream = process.stdout): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    if (then === 'exit') process.exit(0);
  });
}
