import { expect, it } from 'vitest';
import { consumerStatus } from '../../src/subscriptions/status.js';
import { SseClient } from './sse-client.js';
import { listening, withServer } from './support.js';

it('closing the server waits for every HTTP group member to stop, even one whose client went away at the same moment', async () => {
  for (let round = 0; round < 5; round++) {
    let members: unknown[] = ['not read'];
    await withServer({}, async ({ app, store }) => {
      const base = await listening(app);
      await store.append('mail-1', [{ type: 'Send', data: {} }]);
      const client = await SseClient.open(`${base}/consumers/mailer/members/m/events?partitions=2`);
      // the event is in flight, waiting for an acknowledgement that never comes
      await client.until((c) => c.events.length === 1, 'the event is sent');
      client.close();
      await app.close();
      // the store is still open here: a member still stopping would still be listed, and would write after the store closed
      members = (await consumerStatus(store, ['mailer']))[0]!.members;
    });
    expect({ round, members }).toEqual({ round, members: [] });
  }
});
