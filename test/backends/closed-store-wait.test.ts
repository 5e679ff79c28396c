import { expect, it } from 'vitest';
import { openStore } from '../../src/open/open-store.js';
import { isTributaryError } from '../../src/core/errors.js';
import { backends } from '../support/backends.js';
import { activeTimers } from '../support/watched-store.js';

it.each(backends)('$name: a wait on a closed store is refused at once and leaves no waiter, timer or connection behind', async ({ location }) => {
  const store = await openStore(location('closed-wait'));
  await store.append('order-1', [{ type: 'Placed', data: {} }]);
  await store.close();
  const timers = activeTimers();
  const handles = process.getActiveResourcesInfo().length;
  const started = performance.now();
  const error = await store.waitForPosition(5, { timeoutMs: 100 }).then(
    () => undefined,
    (failure: unknown) => failure,
  );
  expect(isTributaryError(error, 'STORE_CLOSED')).toBe(true);
  expect(performance.now() - started).toBeLessThan(100);
  // a waiter left behind would fire after its 100 ms and reject with nobody listening: an unhandled rejection fails this file
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(activeTimers()).toBeLessThanOrEqual(timers);
  expect(process.getActiveResourcesInfo().length).toBeLessThanOrEqual(handles);
});
