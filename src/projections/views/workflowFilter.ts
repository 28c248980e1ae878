import type { WorkflowDetailsState } from '../folds/workflowDetails.js';
import type { WorkflowTimingsState } from '../folds/workflowTimings.js';

/** `--project P` and `--since ISO` for the workflow views. */
export interface WorkflowFilter {
  readonly project?: string | undefined;
  /** Epoch microseconds: workflows that started (or, without a start, completed) at or after it. */
  readonly sinceUs?: number | undefined;
}

/** A predicate over workflow numbers. */
export function workflowPredicate(
  filter: WorkflowFilter,
  details: WorkflowDetailsState,
  timings: WorkflowTimingsState,
): (ref: number) => boolean {
  const { project, sinceUs } = filter;
  if (project === undefined && sinceUs === undefined) return () => true;
  const projectRef = project === undefined ? undefined : details.names.find(project);
  return (ref) => {
    if (projectRef !== undefined && (projectRef < 0 || details.project.get(ref) !== projectRef)) return false;
    if (sinceUs !== undefined) {
      const started = timings.startTime.get(ref);
      const at = Number.isNaN(started) ? timings.completeTime.get(ref) : started;
      if (!(at >= sinceUs)) return false;
    }
    return true;
  };
}
