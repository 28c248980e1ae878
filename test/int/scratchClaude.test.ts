import fs from 'node:fs';
import path from 'node:path';
import { it } from 'vitest';
import { startFakeAnthropic } from '../support/fakeAnthropic.js';
import { dumpCommand, makeClaudeProject, readDumpedPayloads, runClaude, writeProjectSettings } from '../support/claudeCode.js';
import { tempDirsPerTest } from '../support/tempDirs.js';

const temp = tempDirsPerTest();
it('explores', async () => {
  const api = await startFakeAnthropic((call) => {
    if (call.agent === 'main') {
      if (call.turn === 0) return { text: 'I will delegate.', toolUses: [
        { name: 'Agent', input: { description: 'Design login API', prompt: 'Design it', subagent_type: 'backend-architect' } },
        { name: 'Agent', input: { description: 'Build form', prompt: 'Build it', subagent_type: 'frontend-dev' } }] };
      return { text: 'final answer ' + call.turn };
    }
    if (call.agent === 'backend-architect' && call.turn === 0) return { toolUses: [{ name: 'Agent', input: { description: 'Sub', prompt: 'Sub it', subagent_type: 'frontend-dev', run_in_background: false } }] };
    return { text: 'done' };
  });
  const project = makeClaudeProject(temp, [{ name: 'backend-architect', description: 'Designs APIs', category: 'development' }, { name: 'frontend-dev', description: 'Builds UIs' }]);
  const dump = path.join(project.root, '..', 'dump');
  fs.mkdirSync(dump);
  const hook = [{ hooks: [{ type: 'command', command: dumpCommand(dump) }] }];
  const events = ['PreToolUse','PostToolUse','PostToolUseFailure','SubagentStart','SubagentStop','StopFailure','UserPromptSubmit','Stop','SessionStart','SessionEnd'];
  writeProjectSettings(project, { hooks: Object.fromEntries(events.map((e) => [e, hook])) });
  const run = await runClaude(project, { apiUrl: api.url, prompt: 'Build the login API' });
  console.log(run.code, run.ms, run.stdout.slice(0, 300), run.stderr.slice(0, 2000));
  for (const r of api.requests) { const b = r.body as any; console.log(r.method, r.url, r.agent, JSON.stringify(r.reply).slice(0,150), 'tools:', (b?.tools ?? []).map((t: any) => t.name).join(','));
   if (r.agent) for (const m of b.messages) console.log('   ', m.role, JSON.stringify(m.content).slice(0, 300)); }
  for (const p of readDumpedPayloads(dump)) console.log(p.hook_event_name, p.tool_name ?? '', p.agent_type ?? '', p.agent_id ?? '', JSON.stringify((p as any).tool_response ?? (p as any).prompt ?? '').slice(0, 200));
  await api.close();
});
