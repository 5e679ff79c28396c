import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runBranchDiff } from '../../src/cli/commands/branch-diff.js';
import type { CommandContext } from '../../src/cli/context.js';
import { openStore } from '../../src/open/open-store.js';
import { addDeclaredProjection } from '../../src/projections/lifecycle/file-projections.js';
import { backends } from '../support/backends.js';
import { refusal } from '../support/refusal.js';
import { appendOrders, dumpTables } from '../time/order-fixtures.js';

const ORDERS = { name: 'orders', version: 1, sink: 'table', categories: ['order'], key: 'data.orderId', fields: { total: 'data.total', carrier: 'data.carrier' }, delete: ['OrderCancelled'] };

/** Runs `branch diff` with `args` on a fresh handle of `location` (the runner closes it); returns stdout. */
async function branchDiff(location: string, args: string[], values: CommandContext['values'] = {}): Promise<string> {
  let out = '';
  const stdout = new Writable({ write: (chunk: Buffer, _encoding, done) => ((out += chunk.toString()), done()) });
  const context: CommandContext = {
    positionals: ['diff', ...args],
    values,
    openStore: () => openStore(location),
    openLocation: (other) => openStore(other),
    stdin: process.stdin,
    stdout,
    signal: new AbortController().signal,
  };
  await runBranchDiff(context, args);
  return out;
}

describe.each(backends)('branch diff on $name', ({ name: backend, location }) => {
  it('prints the rows a real branch adds, removes and changes against main, as text and as JSON, and changes nothing', async () => {
    const where = location(`branch-diff-${backend}`);
    const live = await openStore(where);
    try {
      await appendOrders(live, 0, 4);
      await addDeclaredProjection(live, ORDERS);
      await live.branches!.create('late');
      const late = live.branch!('late');
      await late.append('order-2', [{ type: 'OrderShipped', data: { orderId: 'o2', carrier: 'dhl' } }]);
      await late.append('order-0', [{ type: 'OrderCancelled', data: { orderId: 'o0' } }]);
      await late.append('order-9', [{ type: 'OrderPlaced', data: { orderId: 'o9', total: 90 } }]);
      const before = await dumpTables(live);

      const text = await branchDiff(where, ['orders', 'main', 'late']);
      expect(text.split('\n')).toEqual([
        'orders (table, keyed by key), main -> late: 1 added, 1 removed, 1 changed',
        '+ key=o9  {"key":"o9","total":"90","carrier":null}',
        '- key=o0  {"key":"o0","total":"0","carrier":null}',
        '~ key=o2  carrier: null -> "dhl"',
        '',
      ]);
      const json = JSON.parse(await branchDiff(where, ['orders', 'late', 'main'], { json: true })) as Record<string, unknown>;
      expect(json).toMatchObject({ projection: 'orders', sink: 'table', keyedBy: ['key'], added: [{ key: { key: 'o0' } }], removed: [{ key: { key: 'o9' } }] });
      expect(json['changed']).toEqual([{ key: { key: 'o2' }, before: expect.objectContaining({ carrier: 'dhl' }) as unknown, after: expect.objectContaining({ carrier: null }) as unknown }]);

      expect(await refusal(branchDiff(where, ['orders', 'main']))).toMatchObject({ code: 'INVALID_ARGUMENT' });
      expect(await refusal(branchDiff(where, ['orders', 'main', 'gone']))).toMatchObject({ code: 'BRANCH_NOT_FOUND' });
      expect(await refusal(branchDiff(where, ['nothing', 'main', 'late']))).toMatchObject({ code: 'PROJECTION_NOT_FOUND' });
      const reopened = await openStore(where);
      expect(await dumpTables(reopened)).toEqual(before);
      await reopened.close();
    } finally {
      await live.close();
    }
  });
});
