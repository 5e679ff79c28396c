/**
 * Waits for every promise, then throws the first failure: unlike `Promise.all`,
 * one stop that fails does not return while the others are still stopping.
 */
export async function settleAll(promises: readonly Promise<unknown>[]): Promise<void> {
  const failure = (await Promise.allSettled(promises)).find((result) => result.status === 'rejected');
  if (failure !== undefined) throw failure.reason;
}
