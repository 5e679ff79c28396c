import { describe } from 'vitest';
import { appendContract } from './append.contract.js';
import { asOfContract } from './as-of.contract.js';
import { concurrencyContract } from './concurrency.contract.js';
import { conditionsContract } from './conditions.contract.js';
import { consumersContract } from './consumers.contract.js';
import type { StoreHarness } from './harness.js';
import { idempotencyContract } from './idempotency.contract.js';
import { metadataContract } from './metadata.contract.js';
import { multiAppendContract } from './multi-append.contract.js';
import { propertiesContract } from './properties.contract.js';
import { readsContract } from './reads.contract.js';
import { snapshotsContract } from './snapshots.contract.js';
import { subscriptionsContract } from './subscriptions.contract.js';
import { tagsContract } from './tags.contract.js';
import { transactionsContract } from './transactions.contract.js';
import { waitContract } from './wait.contract.js';

/**
 * The store contract suite. Every backend runs it unchanged, through a
 * harness that hands out fresh stores; no case may be skipped.
 */
export function describeEventStoreContract(harness: StoreHarness): void {
  describe(`EventStore contract: ${harness.name}`, () => {
    appendContract(harness);
    idempotencyContract(harness);
    readsContract(harness);
    metadataContract(harness);
    concurrencyContract(harness);
    waitContract(harness);
    propertiesContract(harness);
    subscriptionsContract(harness);
    consumersContract(harness);
    transactionsContract(harness);
    snapshotsContract(harness);
    multiAppendContract(harness);
    tagsContract(harness);
    conditionsContract(harness);
    asOfContract(harness);
  });
}
