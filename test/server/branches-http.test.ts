import { afterEach, describe, expect, it } from 'vitest';
import { openBackend } from '../../src/backends/open-store.js';
import { openRemoteStore } from '../../src/backends/remote/remote-store.js';
import { buildServer } from '../../src/server/server.js';
import { mintToken } from '../../src/server/tokens.js';
import { backends } from '../support/backends.js';
import { SseClient } from './sse-client.js';
import { listening } from './support.js';
import { codeOf } from '../support/refusal.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A server on a bare backend (the server puts the registry and branches in front) with an order log, and a remote store over it with `scopes`. */
async function served(location: string, scopes: string[]) {
  // a bare backend: the server puts the registry and the branches in front of it
  const store = await openBackend(location);
  await store.append('order-1', [{ type: 'Placed', data: {} }, { type: 'Paid', data: {} }]);
  await store.append('order-2', [{ type: 'Placed', data: {} }]);
  const { token, record } = mintToken('order-team', scopes);
  await store.tokens!.create(record);
  const app = await buildServer({ store, open: false });
  const base = await listening(app);
  const remote = openRemoteStore({ url: base, token });
  closers.push(async () => {
    await remote.close();
    await app.close();
    await store.close();
  });
  return { base, token, remote, store };
}

describe.each(backends)('branches over HTTP on $name', ({ location }) => {
  it('creates, lists, describes and deletes branches, recording the token as creator', async () => {
    const { remote, base, token } = await served(location('manage'), ['write:order']);
    const auth = { authorization: `Bearer ${token}` };
    const info = await remote.branches.create('late', { at: 2 });
    expect(info).toMatchObject({ name: 'late', forkPosition: 2, createdBy: 'order-team', events: 0, categories: [] });
    expect((await remote.branches.create('by-time', { at: new Date(Date.now() + 60_000) })).forkPosition).toBe(3);
    expect((await remote.branches.list()).map((branch) => branch.name)).toEqual(['by-time', 'late']);
    expect(await remote.branches.describe('late')).toEqual(info);
    expect(await codeOf(remote.branches.create('late'))).toBe('BRANCH_EXISTS');
    expect(await codeOf(remote.branches.create('Late'))).toBe('INVALID_BRANCH_NAME');
    expect(await codeOf(remote.branches.create('later', { at: 4 }))).toBe('INVALID_AS_OF');
    expect(await codeOf(remote.branches.describe('nope'))).toBe('BRANCH_NOT_FOUND');
    // the server refuses what the library refuses, with the same codes, whatever the client
    const post = (body: unknown) => fetch(`${base}/branches`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    for (const [body, code] of [
      [{ name: 7 }, 'INVALID_BRANCH_NAME'],
      [{ name: 'ok', at: 1.5 }, 'INVALID_AS_OF'],
      [{ name: 'ok', at: -1 }, 'INVALID_AS_OF'],
      [{ name: 'ok', at: 'soon' }, 'INVALID_AS_OF'],
    ] as const) {
      const answer = await post(body);
      expect([answer.status, ((await answer.json()) as { error: { code: string } }).error.code]).toEqual([400, code]);
    }
    await remote.branches.delete('late');
    expect(await codeOf(remote.branches.delete('late'))).toBe('BRANCH_NOT_FOUND');
    expect((await remote.branches.list()).map((branch) => branch.name)).toEqual(['by-time']);
  });

  it("reads and appends a branch through a remote store, leaving the real log as it was", async () => {
    const { remote, store } = await served(location('log'), ['write:order']);
    await remote.branches.create('what-if', { at: 2 });
    const branch = remote.branch('what-if');
    expect(await codeOf(branch.append('order-1', [{ type: 'Refunded', data: {} }], { expectedRevision: 0 }))).toBe('WRONG_EXPECTED_REVISION');
    const appended = await branch.append('order-1', [{ type: 'Refunded', data: {} }], { expectedRevision: 1 });
    expect(appended).toMatchObject({ nextExpectedRevision: 2, position: 3 });
    const many = await branch.appendMany([{ stream: 'order-3', events: [{ type: 'Placed', data: {} }] }]);
    expect(many.position).toBe(4);
    const stream = await branch.readStream('order-1');
    expect(stream.events.map((e) => [e.type, e.revision, e.position])).toEqual([
      ['Placed', 0, 1],
      ['Paid', 1, 2],
      ['Refunded', 2, 3],
    ]);
    expect(stream.events[2]!.metadata).toMatchObject({ appendedBy: 'order-team' });
    expect((await branch.readAll()).events.map((e) => `${e.stream}:${e.type}`)).toEqual(['order-1:Placed', 'order-1:Paid', 'order-1:Refunded', 'order-3:Placed']);
    expect((await branch.readAll({ query: [{ types: ['Refunded'] }] })).events.map((e) => e.position)).toEqual([3]);
    expect((await branch.readAll({ asOf: 3 })).events).toHaveLength(3);
    expect(await branch.streamInfo('order-1')).toEqual({ stream: 'order-1', exists: true, lastRevision: 2, lastPosition: 3, deleted: false });
    expect(await branch.headPosition()).toBe(4);
    expect(await codeOf(branch.readStream('order-2'))).toBe('STREAM_NOT_FOUND');
    expect(await codeOf(branch.deleteStream('order-1'))).toBe('BRANCH_UNSUPPORTED');
    expect(await codeOf(branch.append('order-1', [{ type: 'X', data: {} }], { condition: { failIfEventsMatch: [{ types: ['Refunded'] }], after: 2 } }))).toBe('APPEND_CONDITION_FAILED');
    expect(await codeOf(remote.branch('gone').append('order-1', [{ type: 'X', data: {} }]))).toBe('BRANCH_NOT_FOUND');
    expect(await codeOf(remote.branch('gone').readAll())).toBe('BRANCH_NOT_FOUND');
    expect(() => remote.branch('Bad!')).toThrow(expect.objectContaining({ code: 'INVALID_BRANCH_NAME' }));
    const waiting = branch.waitForPosition(4, { timeoutMs: 10_000 });
    await branch.append('order-3', [{ type: 'Shipped', data: {} }]);
    expect(await waiting).toBe(5);
    expect(await store.headPosition()).toBe(3);
    expect((await store.readAll()).events.map((e) => e.type)).toEqual(['Placed', 'Paid', 'Placed']);
    expect(await remote.branches.describe('what-if')).toMatchObject({ events: 3, categories: ['order'] });
  });

  it("refuses another team's token on every branch route", async () => {
    const { base, remote, store } = await served(location('refused'), ['write:order']);
    await remote.branches.create('orders', { at: 1 });
    await remote.branch('orders').append('order-1', [{ type: 'Refunded', data: {} }]);
    const { token, record } = mintToken('payment-team', ['write:payment']);
    await store.tokens!.create(record);
    const other = openRemoteStore({ url: base, token });
    closers.push(() => other.close());
    const branch = other.branch('orders');
    expect(await other.branches.list()).toEqual([]);
    expect(await codeOf(other.branches.describe('orders'))).toBe('FORBIDDEN');
    expect(await codeOf(other.branches.delete('orders'))).toBe('FORBIDDEN');
    expect(await codeOf(branch.readStream('order-1'))).toBe('FORBIDDEN');
    expect(await codeOf(branch.streamInfo('order-1'))).toBe('FORBIDDEN');
    expect(await codeOf(branch.append('order-1', [{ type: 'Forged', data: {} }]))).toBe('FORBIDDEN');
    expect(await codeOf(branch.appendMany([{ stream: 'order-1', events: [{ type: 'Forged', data: {} }] }]))).toBe('FORBIDDEN');
    expect(await codeOf(branch.readAll({ categories: ['order'] }))).toBe('FORBIDDEN');
    expect(await codeOf(branch.readAll({ query: [{ types: ['Refunded'] }], categories: ['order'] }))).toBe('FORBIDDEN');
    expect((await branch.readAll()).events).toEqual([]);
    const live = await fetch(`${base}/branches/orders/streams/order-1/subscribe?after=0`, { headers: { authorization: `Bearer ${token}` } });
    expect(live.status).toBe(403);
    await live.body?.cancel();
    const everything = await fetch(`${base}/branches/orders/all/subscribe?after=0&category=order`, { headers: { authorization: `Bearer ${token}` } });
    expect(everything.status).toBe(403);
    await everything.body?.cancel();
    // a branch of payment's: the order team neither sees nor deletes it
    await other.branches.create('payments');
    await other.branch('payments').append('payment-1', [{ type: 'Paid', data: {} }]);
    expect((await remote.branches.list()).map((info) => info.name)).toEqual(['orders']);
    expect(await codeOf(remote.branches.delete('payments'))).toBe('FORBIDDEN');
    expect(await remote.branches.describe('orders')).toMatchObject({ events: 1, categories: ['order'] });
  });

  it('feeds a branch append live to a subscriber of the branch, never to one of the real log', async () => {
    const { base, token, remote } = await served(location('live'), ['write:order']);
    await remote.branches.create('live');
    const auth = { authorization: `Bearer ${token}` };
    const onBranch = await SseClient.open(`${base}/branches/live/all/subscribe?after=0`, auth);
    const onStream = await SseClient.open(`${base}/branches/live/streams/order-9/subscribe?after=0`, auth);
    const onReal = await SseClient.open(`${base}/all/subscribe?after=0`, auth);
    closers.push(async () => [onBranch, onStream, onReal].forEach((client) => client.close()));
    await onBranch.until((client) => client.messages.some((m) => m.event === 'caught-up'), 'the branch feed is live');
    await onReal.until((client) => client.messages.some((m) => m.event === 'caught-up'), 'the real feed is live');
    await remote.branch('live').append('order-9', [{ type: 'WhatIf', data: {} }]);
    await onBranch.until((client) => client.messages.some((m) => m.data?.includes('WhatIf') === true), 'the branch event arrives');
    await onStream.until((client) => client.messages.some((m) => m.data?.includes('WhatIf') === true), 'the branch stream event arrives');
    expect(onBranch.messages.find((m) => m.data?.includes('WhatIf') === true)?.id).toBe('4');
    await remote.append('order-2', [{ type: 'RealOne', data: {} }]);
    await onReal.until((client) => client.messages.some((m) => m.data?.includes('RealOne') === true), 'the real event arrives');
    expect(onReal.messages.some((m) => m.data?.includes('WhatIf') === true)).toBe(false);
  });
});
