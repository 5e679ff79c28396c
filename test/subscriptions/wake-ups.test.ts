import { expect, it } from 'vitest';
import { WakeUps } from '../../src/subscriptions/wake-ups.js';

const elapsed = async (work: () => Promise<unknown>): Promise<number> => {
  const started = performance.now();
  await work();
  return performance.now() - started;
};

it('a wake ends the sleep in progress', async () => {
  const wakeUps = new WakeUps();
  setTimeout(() => wakeUps.wake(), 10);
  expect(await elapsed(() => wakeUps.sleep(10_000))).toBeLessThan(5_000);
});

it('a wake while the loop is busy is kept: the next wait returns at once, the one after waits again', async () => {
  const wakeUps = new WakeUps();
  wakeUps.wake();
  let started = false;
  expect(await wakeUps.wait(async () => (started = true))).toBeUndefined();
  expect(started).toBe(false);
  expect(await elapsed(() => wakeUps.sleep(50))).toBeGreaterThanOrEqual(45);
});

it('a wait answers its value, ends with undefined when woken, and passes on its own errors', async () => {
  const wakeUps = new WakeUps();
  expect(await wakeUps.wait(async () => 7)).toBe(7);
  const aborting = (signal: AbortSignal) =>
    new Promise<number>((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));
  setTimeout(() => wakeUps.wake(), 10);
  expect(await wakeUps.wait(aborting)).toBeUndefined();
  await expect(wakeUps.wait(async () => Promise.reject(new Error('broken')))).rejects.toThrow('broken');
  expect(await wakeUps.wait(async () => 8)).toBe(8);
});
