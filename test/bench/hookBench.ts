import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { type BenchContext, type BenchRow, summarize } from './benchTypes.js';

/**
 * The Claude Code hook as Claude Code runs it: a whole process per payload (a SubagentStart of a
 * session with state, which appends a record), beside `node -e 0` measured in the same run.
 */
const PAYLOAD = JSON.stringify({
  session_id: 'bench-session',
  cwd: '/home/dev/shop',
  prompt_id: 'bench-prompt',
  hook_event_name: 'SubagentStart',
  agent_type: 'backend-architect',
});

export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  const dir = path.join(ctx.workDir, 'hook-bench');
  fs.mkdirSync(dir, { recursive: true });
  const runs = Math.max(ctx.runs, ctx.quick ? 7 : 21);
  const time = (args: string[], input: string): number => {
    const t = performance.now();
    const r = spawnSync(process.execPath, args, { input, stdio: ['pipe', 'ignore', 'inherit'] });
    if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}`);
    return performance.now() - t;
  };
  const prompt = JSON.stringify({ session_id: 'bench-session', cwd: '/home/dev/shop', prompt_id: 'bench-prompt', hook_event_name: 'UserPromptSubmit', prompt: 'bench' });
  time([ctx.cli, 'hook', '--dir', dir], prompt);
  const hook: number[] = [];
  const floor: number[] = [];
  for (let i = 0; i < runs; i++) {
    floor.push(time(['-e', '0'], ''));
    hook.push(time([ctx.cli, 'hook', '--dir', dir], PAYLOAD.replace('"agent_type"', `"agent_id": "a${i}", "agent_type"`)));
  }
  const h = summarize(hook);
  const f = summarize(floor);
  ctx.log(`hook: median ${h.median.toFixed(1)} ms, node -e 0: ${f.median.toFixed(1)} ms`);
  return [
    {
      name: 'hook: one Claude Code hook payload, as a whole process',
      unit: 'ms',
      ...h,
      baseline: { name: 'node -e 0', median: f.median },
      ratio: h.median / f.median,
      target: '<= 100 ms',
      met: h.median <= 100,
    },
  ];
}
