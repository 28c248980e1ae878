import { describe, expect, it } from 'vitest';
import * as q from '../../src/queries/telemetryQueries.js';
import { fold, invocation, update, us } from '../support/events.js';

const NOW = us('2026-03-01T00:00:00Z');
const names = (matches: ReadonlyArray<{ agent_name: string }>) => matches.map((m) => m.agent_name);

describe('best agent: relevance', () => {
  it('keywords match as substrings: "api" matches "rapid"', () => {
    const state = fold([
      invocation({ agentName: 'quick', taskDescription: 'Make a RAPID prototype', status: 'success', durationSeconds: 90 }),
      invocation({ agentName: 'other', taskDescription: 'write docs', status: 'success' }),
    ]);
    // R = 1, T = 1, rate 1: ((1 x 0.6) + (0.1 x 0.4)) x 1 / 3 = 0.64 / 3 = 0.21333..
    expect(q.bestAgents(state, { task: 'API', minConfidence: 0, nowUs: NOW })).toEqual([
      {
        agent_name: 'quick',
        confidence: expect.closeTo(0.64 / 3, 12),
        success_rate: 1,
        avg_duration_minutes: 1.5, // 90 s / 60
        total_tasks: 1,
        recent_performance: 'insufficient_data', // one invocation
      },
    ]);
  });

  it('stopwords and words of 2 characters or fewer are not keywords', () => {
    // "Do it on the DB to fix a UI bug" -> [fix, bug]
    const state = fold([
      invocation({ agentName: 'noise', taskDescription: 'do it on the db to a ui' }),
      invocation({ agentName: 'match', taskDescription: 'Fix the bug' }),
    ]);
    const matches = q.bestAgents(state, { task: 'Do it on the DB to fix a UI bug', minConfidence: 0, nowUs: NOW });
    expect(names(matches)).toEqual(['match']);
    // R = 2: (1.2 + 0.04) / 3 = 0.41333..
    expect(matches[0]?.confidence).toBeCloseTo(1.24 / 3, 12);
  });

  it('a repeated keyword counts twice', () => {
    const state = fold([invocation({ agentName: 'ops', taskDescription: 'Deploy the service' })]);
    // [deploy, deploy, service]: R = 3 -> (1.8 + 0.04) / 3 = 0.61333.. >= 0.5
    const best = q.bestAgentFor(state, { task: 'deploy deploy service', nowUs: NOW });
    expect(best?.agent_name).toBe('ops');
    expect(best?.confidence).toBeCloseTo(1.84 / 3, 12);
    // [deploy, service]: R = 2 -> 0.41333.. < 0.5 (default minimum): none
    expect(q.bestAgentFor(state, { task: 'deploy service', nowUs: NOW })).toBeNull();
  });

  it('domain bonuses: +2.0 when in the agent type, +1.5 when in the task type, case-insensitive', () => {
    const state = fold([
      invocation({ agentName: 'none', agentType: 'frontend', taskType: null, taskDescription: 'unrelated' }),
      invocation({ agentName: 'tt', agentType: 'general', taskType: 'backend_api', taskDescription: 'unrelated' }),
      invocation({ agentName: 'be', agentType: 'Backend-Service', taskType: 'feature', taskDescription: 'unrelated' }),
      invocation({ agentName: 'both', agentType: 'Backend', taskType: 'backend', taskDescription: 'login page' }),
    ]);
    const all = q.bestAgents(state, { task: 'login', domain: 'BackEnd', minConfidence: 0, nowUs: NOW });
    // both: 1 + 2 + 1.5 = 4.5 -> (2.7 + 0.04) / 3 = 0.91333..
    // be: 2 (domain alone) -> (1.2 + 0.04) / 3 = 0.41333..
    // tt: 1.5 -> (0.9 + 0.04) / 3 = 0.31333..; none: 0, not a candidate
    expect(names(all)).toEqual(['both', 'be', 'tt']);
    expect(all.map((m) => m.confidence)).toEqual([
      expect.closeTo(2.74 / 3, 12),
      expect.closeTo(1.24 / 3, 12),
      expect.closeTo(0.94 / 3, 12),
    ]);
    // an empty domain gives no bonus: only the keyword hit, R = 1 -> 0.21333..
    const plain = q.bestAgents(state, { task: 'login', domain: '', minConfidence: 0, nowUs: NOW });
    expect(names(plain)).toEqual(['both']);
    expect(plain[0]?.confidence).toBeCloseTo(0.64 / 3, 12);
  });

  it('non-ASCII words are keywords too', () => {
    const state = fold([invocation({ agentName: 'cv', taskDescription: 'RÉSUMÉ export' })]);
    // [résumé, parsing]: R = 1
    expect(q.bestAgents(state, { task: 'Résumé parsing', minConfidence: 0, nowUs: NOW })[0]?.confidence).toBeCloseTo(0.64 / 3, 12);
  });
});

describe('best agent: per-agent figures', () => {
  it('only relevant invocations count: tasks, success rate and truthy durations', () => {
    const state = fold([
      invocation({ agentName: 'mix', taskDescription: 'monthly report', status: 'success', durationSeconds: 60 }),
      invocation({ agentName: 'mix', taskDescription: 'monthly report', status: 'success', durationSeconds: 0 }),
      invocation({ agentName: 'mix', taskDescription: 'weekly report', status: 'failure', durationSeconds: null }),
      invocation({ agentName: 'mix', taskDescription: 'report again', status: 'unknown', durationSeconds: 180 }),
      invocation({ agentName: 'mix', taskDescription: 'cleanup', status: 'failure', durationSeconds: 1000 }),
    ]);
    // T = 4, successes 2 -> 0.5; R = 4 -> avg 1; factor 0.4
    // confidence = (0.6 + 0.16) x 0.5 / 3 = 0.12666..; durations (60 + 180) / 2 / 60 = 2 minutes
    expect(q.bestAgents(state, { task: 'report', minConfidence: 0, nowUs: NOW })).toEqual([
      {
        agent_name: 'mix',
        confidence: expect.closeTo(0.38 / 3, 12),
        success_rate: 0.5,
        avg_duration_minutes: 2,
        total_tasks: 4,
        recent_performance: 'stable', // 5 invocations, none in either window at NOW
      },
    ]);
  });

  it('confidence is capped at 1; ties in first-seen order', () => {
    const task = (agentName: string) =>
      invocation({ agentName, agentType: 'backend', taskType: 'backend', taskDescription: 'alpha beta gamma' });
    const events = Array.from({ length: 10 }, () => [task('zeta'), task('alpha')]).flat();
    // R = 3 + 2 + 1.5 = 6.5, T = 10: (3.9 + 0.4) x 1 / 3 = 1.433.. -> 1
    const all = q.bestAgents(fold(events), { task: 'alpha beta gamma', domain: 'backend', nowUs: NOW });
    expect(all.map((m) => [m.agent_name, m.confidence])).toEqual([
      ['zeta', 1],
      ['alpha', 1],
    ]);
  });

  it('the task-count factor stops growing at 10 tasks', () => {
    const events = Array.from({ length: 20 }, (_, n) =>
      invocation({ agentName: 'busy', taskDescription: 'triage', status: n % 2 === 0 ? 'success' : 'failure' }),
    );
    // T = 20, R = 1 each, rate 0.5: (0.6 + min(2, 1) x 0.4) x 0.5 / 3 = 0.5 / 3 = 0.1666..
    const [busy] = q.bestAgents(fold(events), { task: 'triage', minConfidence: 0, nowUs: NOW });
    expect(busy).toMatchObject({ total_tasks: 20, success_rate: 0.5 });
    expect(busy?.confidence).toBeCloseTo(0.5 / 3, 12);
  });

  it('ties are ordered by each agent\'s first relevant invocation', () => {
    const state = fold([
      invocation({ agentName: 'late', taskDescription: 'unrelated' }),
      invocation({ agentName: 'early', taskDescription: 'index rebuild' }),
      invocation({ agentName: 'late', taskDescription: 'index rebuild' }),
    ]);
    // both R = 2, T = 1, rate 1 -> 0.41333..; early's relevant invocation comes first
    expect(names(q.bestAgents(state, { task: 'index rebuild', minConfidence: 0, nowUs: NOW }))).toEqual(['early', 'late']);
  });

  it('min_confidence keeps confidence >= the minimum', () => {
    const state = fold([
      invocation({ agentName: 'strong', agentType: 'backend', taskDescription: 'login' }),
      invocation({ agentName: 'weak', taskDescription: 'login' }),
    ]);
    // strong: 1 + 2 = 3 -> (1.8 + 0.04) / 3 = 0.61333..; weak: 0.21333..
    const all = q.bestAgents(state, { task: 'login', domain: 'backend', minConfidence: 0, nowUs: NOW });
    expect(names(all)).toEqual(['strong', 'weak']);
    const strong = all[0]!.confidence;
    expect(strong).toBeCloseTo(1.84 / 3, 12);
    expect(names(q.bestAgents(state, { task: 'login', domain: 'backend', minConfidence: strong, nowUs: NOW }))).toEqual(['strong']);
    expect(names(q.bestAgents(state, { task: 'login', domain: 'backend', nowUs: NOW }))).toEqual(['strong']);
    expect(q.bestAgents(state, { task: 'login', domain: 'backend', minConfidence: 0.62, nowUs: NOW })).toEqual([]);
    expect(q.bestAgentFor(state, { task: 'login', domain: 'backend', minConfidence: 0.62, nowUs: NOW })).toBeNull();
  });

  it('nothing matches: an empty list and null', () => {
    const state = fold([invocation({ taskDescription: 'something else' })]);
    expect(q.bestAgents(state, { task: 'kubernetes', minConfidence: 0, nowUs: NOW })).toEqual([]);
    expect(q.bestAgentFor(fold([]), { task: 'kubernetes', nowUs: NOW })).toBeNull();
  });

  it('recent_performance is the 30-day trend at now', () => {
    const state = fold([
      invocation({ agentName: 'trendy', taskDescription: 'parse logs', status: 'failure', timestamp: '2026-02-09T00:00:00Z' }),
      invocation({ agentName: 'trendy', taskDescription: 'parse logs', status: 'success', timestamp: '2026-02-28T00:00:00Z' }),
    ]);
    // recent 1/1 vs historical 0/1 -> improving; a year later both are outside: stable
    expect(q.bestAgentFor(state, { task: 'parse logs', minConfidence: 0, nowUs: NOW })?.recent_performance).toBe('improving');
    expect(q.bestAgentFor(state, { task: 'parse logs', minConfidence: 0, nowUs: us('2027-03-01T00:00:00Z') })?.recent_performance).toBe('stable');
  });

  it('replacement: a finished invocation and a changed description are re-scored', () => {
    const i1 = invocation({ agentName: 'writer', taskDescription: 'write docs', status: 'unknown' });
    const args = { task: 'write docs', minConfidence: 0, nowUs: NOW };
    // unknown: rate 0 -> confidence 0 (still >= 0)
    expect(q.bestAgents(fold([i1]), args).map((m) => [m.agent_name, m.confidence])).toEqual([['writer', 0]]);
    // success: R = 2 -> (1.2 + 0.04) / 3
    const done = update(i1, { status: 'success' });
    expect(q.bestAgents(fold([i1, done]), args)[0]).toMatchObject({ total_tasks: 1, success_rate: 1, confidence: expect.closeTo(1.24 / 3, 12) });
    // description changed: no keyword left
    expect(q.bestAgents(fold([i1, done, update(done, { taskDescription: 'fix bug' })]), args)).toEqual([]);
    // renamed: the match moves to the new name
    expect(names(q.bestAgents(fold([i1, done, update(done, { agentName: 'editor' })]), args))).toEqual(['editor']);
  });

  it('agent names __proto__ and constructor are ordinary names', () => {
    const state = fold([
      invocation({ agentName: '__proto__', taskDescription: 'migrate schema' }),
      invocation({ agentName: 'constructor', taskDescription: 'migrate schema' }),
    ]);
    expect(names(q.bestAgents(state, { task: 'migrate', minConfidence: 0, nowUs: NOW }))).toEqual(['__proto__', 'constructor']);
  });
});
