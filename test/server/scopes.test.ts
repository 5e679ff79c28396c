import { describe, expect, it } from 'vitest';
import { parseScope } from '../../src/server/scopes.js';
import { hashSecret, mintToken } from '../../src/server/tokens.js';
import { withServer } from './support.js';

const REFUSED = [
  'write:payment:readonly',
  'read:',
  'read:a-b',
  'READ:x',
  'Write:x',
  'admin:x',
  'admin ',
  'read',
  'read:*x',
  'read:**',
  'read: x',
  'read:x y',
  'read:a,b',
  'read:$tokens',
  'read:x\u202e',
  'read:x\u200b',
  'read:x\ud800',
  'read:x\u0000',
  `read:${'x'.repeat(257)}`,
  'delete:everything',
  '',
];

describe('scopes', () => {
  it('parse admin, read:* / write:*, and read:/write: with a category that names no separator', () => {
    expect(parseScope('admin')).toEqual({ action: 'admin' });
    expect(parseScope('read:*')).toEqual({ action: 'read', category: '*' });
    expect(parseScope('write:*')).toEqual({ action: 'write', category: '*' });
    expect(parseScope('write:order')).toEqual({ action: 'write', category: 'order' });
    expect(parseScope('read:注文')).toEqual({ action: 'read', category: '注文' });
    expect(parseScope('read:order.v2_x')).toEqual({ action: 'read', category: 'order.v2_x' });
    for (const scope of REFUSED) expect(parseScope(scope), JSON.stringify(scope)).toBeUndefined();
    expect(parseScope(42)).toBeUndefined();
  });

  it('are refused at minting with INVALID_ARGUMENT unless they parse', () => {
    for (const scope of REFUSED) {
      expect(() => mintToken('team', ['read:*', scope]), JSON.stringify(scope)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }) as Error);
    }
    expect(mintToken('team', ['admin', 'write:order']).record.scopes).toEqual(['admin', 'write:order']);
  });

  it('grant nothing when stored malformed: write:payment:readonly neither writes nor reads payment', async () => {
    await withServer({ open: false }, async ({ app, store }) => {
      const secret = 'A'.repeat(43);
      await store.tokens!.create({ id: 'aaaaaaaaaaaa', name: 'old', secretHash: hashSecret(secret), scopes: ['write:payment:readonly', 'read:order', 'READ:stock', 'admin:x'] });
      const headers = { authorization: `Bearer trb_aaaaaaaaaaaa.${secret}` };
      const event = { events: [{ type: 'Paid', data: {} }] };
      await store.append('payment-1', [{ type: 'Paid', data: {} }]);
      await store.append('stock-1', [{ type: 'Reserved', data: {} }]);
      await store.append('order-1', [{ type: 'Placed', data: {} }]);
      const status = async (method: 'GET' | 'POST', url: string) => (await app.inject({ method, url, headers, payload: method === 'POST' ? event : undefined })).statusCode;
      expect(await status('POST', '/streams/payment-2')).toBe(403);
      expect(await status('GET', '/streams/payment-1')).toBe(403);
      expect(await status('GET', '/streams/stock-1')).toBe(403);
      // admin:x is not admin: the consumer over payment stays out of sight
      await store.consumers.register({ name: 'pay-feed', partitions: 1, startAt: 0, filter: { categories: ['payment'] } });
      expect((await app.inject({ method: 'GET', url: '/consumers', headers })).json()).toEqual([]);
      expect(await status('GET', '/consumers/pay-feed')).toBe(403);
      expect(await status('GET', '/streams/order-1')).toBe(200);
      expect(await store.headPosition()).toBe(3);
    });
  });
});
