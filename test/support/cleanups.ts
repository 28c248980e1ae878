import { afterEach } from 'vitest';

export type CleanupStep = () => Promise<void> | void;

/**
 * Undo steps (stop a server, unmount, remove a dir) run after each test of the calling file,
 * last registered first, whether the test passed or not. `before` runs ahead of them: kill the
 * processes that still use what the steps take away.
 */
export function cleanupsPerTest(before?: CleanupStep): (step: CleanupStep) => void {
  const steps: CleanupStep[] = [];
  afterEach(async () => {
    try {
      await before?.();
    } finally {
      for (const step of steps.splice(0).reverse()) await step();
    }
  });
  return (step) => {
    steps.push(step);
  };
}
