import { afterEach, describe, expect, it } from 'vitest';
import { openBackend } from '../../src/backends/open-store.js';
import { openRemoteStore } from '../../src/backends/remote/remote-store.js';
import { buildServer } from '../../src/server/server.js';
import { mintToken } from '../../src/server/tokens.js';
import { backends } from '../support/backends.js';
import { SseClient } from '../server/sse-client.js';
import { listening } from '../server/support.js';

const ADA_EMAIL = 'ada.lovelace@example.com';
const WITHHELD = { $personal: 'withheld' };
const FORGOTTEN = { $personal: 'forgotten' };

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A server on a bare backend with one token per role; `call` sends JSON as the named role. */
async function served(location: string) {
  const store = await openBackend(location);
  const roles = {
    producer: ['write:customer'],
    support: ['personal:customer'],
    analyst: ['read:customer'],
    orders: ['write:order', 'personal:order'],
    admin: ['admin'],
  };
  const tokens = {} as Record<keyof typeof roles, string>;
  for (const [role, scopes] of Object.entries(roles)) {
    const { token, record } = mintToken(role, scopes);
    await store.tokens!.create(record);
    tokens[role as keyof typeof roles] = token;
  }
  const app = await buildServer({ store, open: false });
  const base = await listening(app);
  closers.push(async () => {
    await app.close();
    await store.close();
  });
  const call = async (role: keyof typeof roles, method: string, path: string, body?: unknown) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${tokens[role]}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> & { error?: { code: string } } };
  };
  return { base, tokens, call };
}

const emailsOf = (body: Record<string, unknown>) => (body.events as { data: { email: unknown } }[]).map((event) => event.data.email);

describe.each(backends)('personal data over HTTP on $name', ({ location }) => {
  it('declares, withholds from read-only tokens on every read door, forgets, and refuses other teams', async () => {
    const { base, tokens, call } = await served(location('privacy_http'));
    const declaration = { subject: 'data.customerId', fields: ['data.email', 'data.phone'] };
    expect((await call('orders', 'PUT', '/privacy/customer', declaration)).status).toBe(403);
    expect((await call('analyst', 'PUT', '/privacy/customer', declaration)).status).toBe(403);
    const declared = await call('producer', 'PUT', '/privacy/customer', declaration);
    expect(declared).toMatchObject({ status: 200, body: { category: 'customer', ...declaration, unusedPaths: ['data.customerId', 'data.email', 'data.phone'], sampled: 0 } });
    expect((await call('analyst', 'GET', '/privacy/customer')).body).toMatchObject({ declaration: { category: 'customer', ...declaration } });
    expect((await call('orders', 'GET', '/privacy/customer')).status).toBe(403);
    expect((await call('orders', 'GET', '/privacy/order')).body).toEqual({ declaration: null });
    expect(((await call('orders', 'GET', '/privacy')).body.declarations as unknown[]).length).toBe(0);
    expect(((await call('analyst', 'GET', '/privacy')).body.declarations as unknown[]).length).toBe(1);

    expect((await call('producer', 'POST', '/streams/customer-ada', { events: [{ type: 'Registered', data: { customerId: 'ada', email: ADA_EMAIL } }] })).status).toBe(201);
    expect((await call('producer', 'POST', '/streams/customer-bob', { events: [{ type: 'Registered', data: { customerId: 'bob', email: 'bob@example.com' } }] })).status).toBe(201);

    for (const role of ['producer', 'support', 'admin'] as const) expect(emailsOf((await call(role, 'GET', '/streams/customer-ada')).body)).toEqual([ADA_EMAIL]);
    expect(emailsOf((await call('analyst', 'GET', '/streams/customer-ada')).body)).toEqual([WITHHELD]);
    expect(emailsOf((await call('analyst', 'GET', '/all?category=customer')).body)).toEqual([WITHHELD, WITHHELD]);
    expect(emailsOf((await call('support', 'GET', '/all?category=customer')).body)).toEqual([ADA_EMAIL, 'bob@example.com']);
    expect(emailsOf((await call('analyst', 'POST', '/all/query', { query: [{ types: ['Registered'] }] })).body)).toEqual([WITHHELD, WITHHELD]);
    expect((await call('orders', 'GET', '/streams/customer-ada')).status).toBe(403);
    const adaId = ((await call('producer', 'GET', '/streams/customer-ada')).body.events as { id: string }[])[0]!.id;
    expect(((await call('analyst', 'GET', `/events/${adaId}`)).body.data as { email: unknown }).email).toEqual(WITHHELD);
    expect(((await call('support', 'GET', `/events/${adaId}`)).body.data as { email: unknown }).email).toBe(ADA_EMAIL);
    const history = (await call('analyst', 'GET', '/history/ada')).body.entries as { event: { data: { email: unknown } } }[];
    expect(history.map((entry) => entry.event.data.email)).toEqual([WITHHELD]);

    // server-sent events: a read-only subscriber and a plaintext one each get their own view
    const analystFeed = await SseClient.open(`${base}/all/subscribe?category=customer&after=0`, { authorization: `Bearer ${tokens.analyst}` });
    const supportFeed = await SseClient.open(`${base}/all/subscribe?category=customer&after=0`, { authorization: `Bearer ${tokens.support}` });
    await analystFeed.until((client) => client.events.length === 2, 'two events');
    await supportFeed.until((client) => client.events.length === 2, 'two events');
    expect(analystFeed.events.map(({ event }) => (event.data as { email: unknown }).email)).toEqual([WITHHELD, WITHHELD]);
    expect(supportFeed.events.map(({ event }) => (event.data as { email: unknown }).email)).toEqual([ADA_EMAIL, 'bob@example.com']);
    analystFeed.close();
    supportFeed.close();

    // forgetting needs write on every declared category (or admin)
    expect((await call('analyst', 'POST', '/privacy/forget', { subject: 'ada' })).status).toBe(403);
    const refused = await call('orders', 'POST', '/privacy/forget', { subject: 'ada' });
    expect(refused.status).toBe(403);
    // another team learns neither which categories declare personal fields nor that customer is one of them
    expect(JSON.stringify(refused.body)).not.toContain('customer');
    expect((await call('analyst', 'POST', '/privacy/forget', { subject: 'ada' })).body.error).toMatchObject({ categories: ['customer'] });
    const forgot = await call('producer', 'POST', '/privacy/forget', { subject: 'ada', reason: 'erasure request' });
    expect(forgot).toMatchObject({ status: 200, body: { subject: 'ada', outcome: 'FORGOTTEN', reason: 'erasure request', by: 'producer' } });
    expect((await call('admin', 'POST', '/privacy/forget', { subject: 'ada' })).body).toMatchObject({ outcome: 'NO_KEY' });
    expect(emailsOf((await call('support', 'GET', '/all?category=customer')).body)).toEqual([FORGOTTEN, 'bob@example.com']);
    expect(emailsOf((await call('analyst', 'GET', '/all?category=customer')).body)).toEqual([FORGOTTEN, WITHHELD]);
    const audit = await call('admin', 'GET', '/streams/$audit-forgets');
    expect((audit.body.events as { data: { outcome: string; by: string | null } }[]).map((event) => [event.data.outcome, event.data.by])).toEqual([
      ['FORGOTTEN', 'producer'],
      ['NO_KEY', 'admin'],
    ]);
  });

  it('a remote store declares, shows, reads and forgets through the server, as its token may', async () => {
    const { base, tokens } = await served(location('privacy_remote'));
    const producer = openRemoteStore({ url: base, token: tokens.producer });
    const analyst = openRemoteStore({ url: base, token: tokens.analyst });
    closers.push(async () => {
      await producer.close();
      await analyst.close();
    });
    const answer = await producer.privacy.declare('customer', { subject: 'data.customerId', fields: ['data.email'] });
    expect(answer).toMatchObject({ category: 'customer', unusedPaths: ['data.customerId', 'data.email'] });
    expect(await analyst.privacy.get('customer')).toMatchObject({ subject: 'data.customerId', fields: ['data.email'] });
    expect((await analyst.privacy.list()).map((d) => d.category)).toEqual(['customer']);
    await expect(analyst.privacy.declare('customer', { subject: 'x', fields: [] })).rejects.toMatchObject({ code: 'INVALID_PERSONAL_FIELDS' });
    await producer.append('customer-ada', [{ type: 'Registered', data: { customerId: 'ada', email: ADA_EMAIL } }]);
    expect(((await producer.readStream('customer-ada')).events[0]!.data as { email: unknown }).email).toBe(ADA_EMAIL);
    expect(((await analyst.readStream('customer-ada')).events[0]!.data as { email: unknown }).email).toEqual(WITHHELD);
    await expect(analyst.privacy.forget('ada')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(await producer.privacy.forget('ada', { reason: 'erasure request' })).toMatchObject({ outcome: 'FORGOTTEN', by: 'producer' });
    expect(((await producer.readStream('customer-ada')).events[0]!.data as { email: unknown }).email).toEqual(FORGOTTEN);
  });

  it('refuses what the library refuses, with the same codes', async () => {
    const { call } = await served(location('privacy_http_refusals'));
    for (const body of [{}, { subject: 'customerId', fields: ['data.email'] }, { subject: 'data.id', fields: [] }, { subject: 'data.id', fields: ['data.id'] }, { subject: 'data.id', fields: ['data.a'], more: 1 }, ['data.a']]) {
      const answer = await call('admin', 'PUT', '/privacy/customer', body);
      expect([answer.status, answer.body.error?.code], JSON.stringify(body)).toEqual([400, 'INVALID_PERSONAL_FIELDS']);
    }
    const badCategory = await call('admin', 'PUT', '/privacy/a:b', { subject: 'data.id', fields: ['data.a'] });
    expect([badCategory.status, badCategory.body.error?.code]).toEqual([400, 'INVALID_PERSONAL_FIELDS']);
    for (const body of [{}, { subject: '' }, { subject: 7 }]) {
      const answer = await call('admin', 'POST', '/privacy/forget', body);
      expect([answer.status, answer.body.error?.code], JSON.stringify(body)).toEqual([400, 'INVALID_ARGUMENT']);
    }
    // with nothing declared, forgetting is for admin alone
    expect((await call('producer', 'POST', '/privacy/forget', { subject: 'ada' })).status).toBe(403);
  });
});
