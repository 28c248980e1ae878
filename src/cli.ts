#!/usr/bin/env node
/**
 * The entry point only chooses: `hook` runs on every Claude Code subagent event and must start
 * fast, so it is imported alone, before commander, zod or anything a query needs is loaded
 * (test/bench/hookBench.ts measures it). Every other command goes to the commander program.
 */
const argv = process.argv;
if (argv[2] === 'hook') {
  const { runHookCommand } = await import('./cli/hookCommand.js');
  process.exitCode = await runHookCommand(argv.slice(3));
} else {
  const { main } = await import('./cli/program.js');
  process.exitCode = await main(argv);
}
