import { confidenceParts, FULL_WEIGHT_RUNS, type AgentMatch } from '../projections/views/bestAgent.js';
import { renderBestAgents } from './render.js';
import { percent, renderTable } from './table.js';
import { UNLIMITED, type Layout } from './terminalLayout.js';
import { oneLine } from './terminalText.js';

/** Agents shown as the closest when none reaches the minimum confidence. */
const CLOSEST = 3;

/**
 * best-agent's table, from every agent with a matching run (min confidence 0): those at or above
 * `minConfidence` (the first alone without --all), else the closest few with what their
 * confidence is made of and the flags that would change the answer.
 */
export function renderBestAgentAnswer(
  candidates: readonly AgentMatch[],
  args: { minConfidence: number; all: boolean; domain?: string | undefined },
  layout: Layout = UNLIMITED,
  limit = Infinity,
): string {
  const matches = candidates.filter((m) => m.confidence >= args.minConfidence);
  if (matches.length > 0) return renderBestAgents(args.all ? matches : matches.slice(0, 1), layout, limit);
  const domainHint = args.domain === undefined ? '--domain WORD' : 'another --domain';
  if (candidates.length === 0) {
    return [
      'No agent has run a task sharing a word with this one.',
      `Try other words in --task, or ${domainHint} to match agents whose agent type or task type contains WORD.`,
    ].join('\n');
  }
  const closest = candidates.slice(0, CLOSEST);
  const best = closest[0] as AgentMatch;
  const lower = Math.floor(best.confidence * 100) / 100;
  return [
    `No agent reaches confidence ${args.minConfidence} for this task. The closest:`,
    '',
    renderTable(
      ['Agent', 'Confidence', 'Runs', 'Success', 'Relevance'],
      closest.map((m) => {
        const { relevance } = confidenceParts(m);
        return [m.agent_name, m.confidence.toFixed(3), m.total_tasks, percent(m.success_rate), relevance === null ? '-' : relevance.toFixed(2)];
      }),
      layout,
    ),
    '',
    `Confidence = (0.6 x relevance + 0.4 x min(runs/${FULL_WEIGHT_RUNS}, 1)) x success / 3. Relevance is how many of the ` +
      "task's words an agent's matching runs held, on average; 0.5 needs about 2 words matched by a reliable agent.",
    '',
    'What would change the answer:',
    `  --min-confidence ${lower.toFixed(2)}  would answer ${oneLine(best.agent_name)} (${best.confidence.toFixed(3)})`,
    `  ${domainHint}  adds 2 to the relevance of runs whose agent type contains WORD, 1.5 whose task type does (e.g. api)`,
    '  more specific words in --task  match fewer, closer runs',
  ].join('\n');
}
