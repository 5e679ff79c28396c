/**
 * Runs every step, in order, even when an earlier one fails, then throws the
 * first failure: a stop that goes wrong must not leave what comes after it
 * (the store above all) open, with timers still running against it.
 */
export async function closeInOrder(steps: readonly (() => Promise<unknown> | undefined)[]): Promise<void> {
  const failures: unknown[] = [];
  for (const step of steps) {
    try {
      await step();
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length > 0) throw failures[0];
}
