import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../src/core/event.js';
import type { ProjectionDefinition } from '../../src/projections/definition/projection.js';
import { runProjection } from '../../src/projections/feeding/runner.js';
import { requestRebuild } from '../../src/projections/lifecycle/rebuild.js';
import { waitForProjection } from '../../src/projections/lifecycle/progress.js';
import { projectionStatus } from '../../src/projections/reading/status.js';
import { queryLakes } from '../../src/projections/reading/queries.js';
import { lakeSink, writeEvent } from '../../src/projections/sinks/lake.js';
import { tableSink, type TableContext } from '../../src/projections/sinks/table.js';
import type { EventStore } from '../../src/store/event-store.js';
import { backends, scratch } from '../support/backends.js';
import { until } from '../subscriptions/processes.js';
import { withStore } from '../projections/fixtures.js';

const FAST = { watchMs: 50, pageSize: 200, leaseMs: 2_000, heartbeatMs: 200 };
const CUSTOMER = { subject: 'data.customerId', fields: ['data.email'] };
const ADA_EMAIL = 'ada.lovelace@example.com';
const BOB_EMAIL = 'bob.babbage@example.com';

/** Every customer's e-mail as a table row: the read model a support team keeps. */
function emails(version = 1): ProjectionDefinition<TableContext> {
  return {
    name: 'customer_emails',
    version,
    filter: { categories: ['customer'] },
    sink: tableSink({ schema: (table) => [`CREATE TABLE ${table} (customer TEXT PRIMARY KEY, email TEXT NOT NULL)`] }),
    handlers: {
      Registered: async (event: RecordedEvent, { tx, table }: TableContext) => {
        const { customerId, email } = event.data as { customerId: string; email: unknown };
        await tx.execute(tx.dialect.placeholders(`INSERT INTO ${table} (customer, email) VALUES (?, ?)`), [customerId, JSON.stringify(email)]);
      },
    },
  };
}

async function seed(store: EventStore): Promise<void> {
  await store.privacy!.declare('customer', CUSTOMER);
  await store.append('customer-ada', [{ type: 'Registered', data: { customerId: 'ada', email: ADA_EMAIL } }]);
  await store.append('customer-bob', [{ type: 'Registered', data: { customerId: 'bob', email: BOB_EMAIL } }]);
}

function filesUnder(directory: string): string[] {
  return readdirSync(directory, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

describe.each(backends)('personal data in projections on $name', ({ location }) => {
  it('a lake holds only ciphertext, and after a forget a lake built again holds the forgotten marker', async () => {
    await withStore(location('privacy_lake'), async (store) => {
      await seed(store);
      const directory = join(scratch, `privacy-lake-${store.sql!.dialect.name}`);
      const lake = { name: 'people', version: 1, sink: lakeSink({ directory, rollRows: 1, rollMs: 50 }), handlers: { '*': writeEvent } };
      let running = await runProjection(store, lake, FAST);
      await waitForProjection(store, 'people', await store.headPosition(), { timeoutMs: 30_000 });
      await running.stop();
      const { rows } = await queryLakes(store, `SELECT data->>'customerId' AS customer, CAST(data->'email' AS VARCHAR) AS sealed FROM people WHERE category = 'customer' ORDER BY 1`);
      expect(rows.map((row) => row.customer)).toEqual(['ada', 'bob']);
      for (const row of rows) expect((row.sealed as string)).toMatch(/^\{"\$encrypted":"v2\.\d+\./);
      for (const file of filesUnder(directory)) {
        const bytes = readFileSync(file).toString('latin1');
        expect(bytes).not.toContain(ADA_EMAIL);
        expect(bytes).not.toContain(BOB_EMAIL);
      }

      await store.privacy!.forget('ada');
      await store.append('customer-ada', [{ type: 'Registered', data: { customerId: 'ada', email: 'after@example.com' } }]);
      running = await runProjection(store, lake, FAST);
      await waitForProjection(store, 'people', await store.headPosition(), { timeoutMs: 30_000 });
      await running.stop();
      const { rows: later } = await queryLakes(store, `SELECT position, CAST(data->'email' AS VARCHAR) AS email FROM people WHERE category = 'customer' ORDER BY position`);
      // ada's first registration was written before the forget: the file keeps its ciphertext, which no key opens now
      expect(later.map((row) => (row.email as string).slice(0, 16))).toEqual(['{"$encrypted":"v', '{"$encrypted":"v', '{"$encrypted":"v']);
      for (const file of filesUnder(directory)) expect(readFileSync(file).toString('latin1')).not.toContain('after@example.com');

      // a lake built again after the forget writes the marker in place of ada's first e-mail
      running = await runProjection(store, { ...lake, version: 2 }, FAST);
      await until(async () => (await projectionStatus(store))[0]!.generation === 2 && (await projectionStatus(store))[0]!.rebuilding === null, 'the new version takes over', 60_000);
      await waitForProjection(store, 'people', await store.headPosition(), { timeoutMs: 30_000 });
      await running.stop();
      const { rows: rebuilt } = await queryLakes(store, `SELECT CAST(data->'email' AS VARCHAR) AS email FROM people WHERE category = 'customer' ORDER BY position`);
      expect(rebuilt.map((row) => (row.email as string).slice(0, 16))).toEqual(['{"$personal":"fo', '{"$encrypted":"v', '{"$encrypted":"v']);
    });
  });

  it('a projection rebuilt after a forget holds no trace of the forgotten e-mail; other subjects are unaffected', async () => {
    await withStore(location('privacy_rebuild'), async (store) => {
      await seed(store);
      const running = await runProjection(store, emails(), FAST);
      try {
        await waitForProjection(store, 'customer_emails', await store.headPosition(), { timeoutMs: 30_000 });
        const before = await store.sql!.query<{ customer: string; email: string }>('SELECT customer, email FROM customer_emails ORDER BY customer');
        expect(before).toEqual([
          { customer: 'ada', email: JSON.stringify(ADA_EMAIL) },
          { customer: 'bob', email: JSON.stringify(BOB_EMAIL) },
        ]);
        await store.privacy!.forget('ada');
        await requestRebuild(store, 'customer_emails');
        await until(async () => (await projectionStatus(store))[0]!.generation === 2, 'the rebuild switches readers over', 60_000);
        const after = await store.sql!.query<{ customer: string; email: string }>('SELECT customer, email FROM customer_emails ORDER BY customer');
        expect(after).toEqual([
          { customer: 'ada', email: JSON.stringify({ $personal: 'forgotten' }) },
          { customer: 'bob', email: JSON.stringify(BOB_EMAIL) },
        ]);
      } finally {
        await running.stop();
      }
    });
  });
});
