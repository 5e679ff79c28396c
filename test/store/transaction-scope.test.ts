import { expect, it } from 'vitest';
import { isTributaryError } from '../../src/core/errors.js';
import { TransactionScope } from '../../src/store/transaction-scope.js';

it('knows work started inside its open transaction, and nothing outside it or after it', async () => {
  const scope = new TransactionScope();
  const other = new TransactionScope();
  let detached!: Promise<boolean>;
  const seen = await scope.enter(async () => {
    await Promise.resolve();
    detached = new Promise((resolve) => setTimeout(resolve, 10)).then(() => scope.inside());
    return { inside: scope.inside(), other: other.inside(), nested: await other.enter(async () => [scope.inside(), other.inside()]) };
  });
  expect(seen).toEqual({ inside: true, other: false, nested: [true, true] });
  expect(scope.inside()).toBe(false);
  expect(await detached).toBe(false);
});

it('refuses with TRANSACTION_REENTRY naming the call and what to do instead', async () => {
  const scope = new TransactionScope();
  expect(() => scope.refuse('store.append')).not.toThrow();
  const error = await scope.enter(async () => {
    try {
      scope.refuse('store.append');
      return undefined;
    } catch (caught) {
      return caught;
    }
  });
  expect(isTributaryError(error, 'TRANSACTION_REENTRY')).toBe(true);
  expect(error).toMatchObject({ details: { operation: 'store.append' } });
  expect((error as Error).message).toMatch(/tx.*after the transaction returns/);
});
