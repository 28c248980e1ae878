/**
 * A small program that logs one multi-agent workflow through the library and then asks
 * the questions. Run it with `npm run build && node dist/examples/logAndQuery.js [dir]`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TelemetryLogger, replayDirectory, queries, parseTimestampUs } from '../src/index.js';

const dir = process.argv[2] ?? fs.mkdtempSync(path.join(os.tmpdir(), 'oak-example-'));
const logger = new TelemetryLogger({ dir });

const workflowId = logger.logWorkflowStart({ projectName: 'example', agentPlan: ['planner', 'coder'], estimatedDuration: 900 });

const plan = logger.logInvocation({ agentName: 'planner', agentType: 'architecture', taskDescription: 'Plan the search API', taskType: 'architecture_design', workflowId });
logger.updateInvocation(plan, { durationSeconds: 120, status: 'success' });
logger.logSuccessMetric({ invocationId: plan, success: true, qualityRating: 5 });

logger.logAgentHandoff({ workflowId, fromAgent: 'planner', toAgent: 'coder', artifacts: ['docs/search-api.md'] });

const code = logger.logInvocation({ agentName: 'coder', agentType: 'development', taskDescription: 'Implement the search API endpoint', taskType: 'api_development', workflowId });
logger.updateInvocation(code, { durationSeconds: 480, status: 'success' });
logger.logSuccessMetric({ invocationId: code, success: true, qualityRating: 4 });

logger.logWorkflowComplete({ workflowId, durationSeconds: 700, success: true, agentsExecuted: ['planner', 'coder'] });

const { state } = replayDirectory(dir);
const nowUs = parseTimestampUs(new Date().toISOString());
const report = {
  dir,
  stats: queries.stats(state),
  overhead: queries.overhead(state),
  best_for_search_endpoint: queries.bestAgentFor(state, { task: 'search API endpoint', minConfidence: 0, nowUs }),
};
process.stdout.write(JSON.stringify(report, null, 2) + '\n');
