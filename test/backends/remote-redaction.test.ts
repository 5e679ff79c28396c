import { expect, it } from 'vitest';
import { openRemoteStore } from '../../src/backends/remote/remote-store.js';
import { REDACTIONS_STREAM } from '../../src/store/audit.js';
import { redact } from '../../src/time/corrections/redact.js';
import { listening, withServer } from '../server/support.js';

// a busy test machine must not shed these requests: the overload tests cover shedding
const UNSHED = { overload: { maxEventLoopDelayMs: 0 } };

it('a remote store redacts through the server, with the same answers and refusals as an embedded one', async () => {
  await withServer({ open: false, ...UNSHED }, async ({ app, store, namedToken }) => {
    const { authorization } = await namedToken('dpo', 'write:account');
    const remote = openRemoteStore({ url: await listening(app), token: authorization.slice('Bearer '.length) });
    try {
      await remote.append('account-1', [{ type: 'Deposited', data: { note: 'card 4111' } }]);
      const [secret] = (await remote.readStream('account-1')).events;
      const first = await redact(remote, secret!.id, { reason: 'leak', by: 'ignored: the server names the token' });
      expect(first).toMatchObject({ alreadyRedacted: false, marker: { redacted: true, reason: 'leak', by: 'dpo' } });
      expect(first.event).toMatchObject({ id: secret!.id, position: 1, revision: 0 });
      expect(first.event.data).toEqual(first.marker);
      const second = await redact(remote, secret!.id, { reason: 'again' });
      expect(second).toMatchObject({ alreadyRedacted: true, marker: first.marker });
      expect((await remote.readStream('account-1')).events[0]!.data).toEqual(first.marker);
      expect((await store.readStream(REDACTIONS_STREAM)).events).toHaveLength(1);
      await expect(redact(remote, '0190f1c2-0000-7000-8000-000000000000', { reason: 'x' })).rejects.toMatchObject({ code: 'EVENT_NOT_FOUND' });
      await expect(redact(remote, 'not-an-id', { reason: 'x' })).rejects.toMatchObject({ code: 'EVENT_NOT_FOUND' });
      await expect(redact(remote, secret!.id, { reason: '' })).rejects.toMatchObject({ code: 'INVALID_CORRECTION' });
      await store.append('payment-1', [{ type: 'Paid', data: {} }]);
      const [paid] = (await store.readStream('payment-1')).events;
      await expect(redact(remote, paid!.id, { reason: 'x' })).rejects.toMatchObject({ code: 'EVENT_NOT_FOUND' });
    } finally {
      await remote.close();
    }
  });
});
