import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { isTributaryError } from '../../src/core/errors.js';
import { openStore } from '../../src/open/open-store.js';
import { FORGETS_STREAM, subjectTag } from '../../src/store/audit.js';
import type { EventStore } from '../../src/store/event-store.js';
import { KEY_FRESH_MS } from '../../src/privacy/key-cache.js';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { backupStore } from '../../src/backup/backup-store.js';
import { restoreBackup } from '../../src/backup/restore-backup.js';
import { backends, scratch } from '../support/backends.js';

/** The backup file's text, unzipped when it is compressed. */
function gunzipOrRaw(bytes: Buffer): string {
  try {
    return gunzipSync(bytes).toString('latin1');
  } catch {
    return bytes.toString('latin1');
  }
}

const CUSTOMER = { subject: 'data.customerId', fields: ['data.email', 'data.address'] };
const ADA_EMAIL = 'ada.lovelace@example.com';
const BOB_EMAIL = 'bob.babbage@example.com';

let opened: EventStore[] = [];
afterEach(async () => {
  await Promise.all(opened.map((store) => store.close()));
  opened = [];
});

let count = 0;
for (const { name, location } of backends) {
  describe(`crypto-shredding on ${name}`, () => {
    async function open(where = location(`privacy_${count++}`)): Promise<{ store: EventStore; where: string }> {
      const store = await openStore(where);
      opened.push(store);
      return { store, where };
    }

    /** Every byte the log's table holds for the events, as the database stores them. */
    async function rawLog(where: string): Promise<string> {
      if (name === 'sqlite') return readFileSync(where).toString('latin1') + readFileSync(`${where}-wal`, { flag: 'a+' }).toString('latin1');
      const url = new URL(where);
      const schema = url.searchParams.get('schema')!;
      url.search = '';
      const client = new pg.Client({ connectionString: url.toString() });
      await client.connect();
      try {
        const { rows } = await client.query<{ text: string }>(`SELECT string_agg(data::text || coalesce(metadata::text, ''), ' ') AS text FROM ${schema}.events`);
        return rows[0]!.text;
      } finally {
        await client.end();
      }
    }

    async function seeded(): Promise<{ store: EventStore; where: string }> {
      const opened = await open();
      await opened.store.privacy!.declare('customer', CUSTOMER);
      await opened.store.append('customer-ada', [{ type: 'Registered', data: { customerId: 'ada', email: ADA_EMAIL, address: { city: 'London' }, plan: 'gold' } }]);
      await opened.store.append('customer-bob', [{ type: 'Registered', data: { customerId: 'bob', email: BOB_EMAIL, plan: 'free' } }]);
      return opened;
    }

    it('stores only ciphertext, reads plaintext, and tags each event with its subject', async () => {
      const { store, where } = await seeded();
      const [ada] = (await store.readStream('customer-ada')).events;
      expect(ada!.data).toEqual({ customerId: 'ada', email: ADA_EMAIL, address: { city: 'London' }, plan: 'gold' });
      expect((await store.lookup!.event(ada!.id))!.data).toEqual(ada!.data);
      expect(ada!.tags).toContain(subjectTag('ada'));
      const all = await store.readAll({ categories: ['customer'] });
      expect(all.events.map((e) => (e.data as { email: string }).email)).toEqual([ADA_EMAIL, BOB_EMAIL]);
      const tagged = await store.readAll({ tags: [subjectTag('bob')] });
      expect(tagged.events.map((e) => e.stream)).toEqual(['customer-bob']);
      const raw = await rawLog(where);
      expect(raw).not.toContain(ADA_EMAIL);
      expect(raw).not.toContain('London');
      expect(raw).toContain('$encrypted');
      expect(raw).toContain('gold');
    });

    it('after forget, the subject reads as forgotten everywhere and other subjects are unaffected', async () => {
      const { store } = await seeded();
      const answer = await store.privacy!.forget('ada', { reason: 'erasure request', by: 'dpo' });
      expect(answer).toMatchObject({ subject: 'ada', outcome: 'FORGOTTEN', reason: 'erasure request', by: 'dpo' });
      const [ada] = (await store.readStream('customer-ada')).events;
      expect(ada!.data).toEqual({ customerId: 'ada', email: { $personal: 'forgotten' }, address: { $personal: 'forgotten' }, plan: 'gold' });
      const [bob] = (await store.readStream('customer-bob')).events;
      expect((bob!.data as { email: string }).email).toBe(BOB_EMAIL);
      const audit = await store.readStream(FORGETS_STREAM);
      expect(audit.events.map((e) => e.data)).toEqual([expect.objectContaining({ subject: 'ada', outcome: 'FORGOTTEN', reason: 'erasure request', by: 'dpo' })]);
      expect(audit.events[0]!.tags).toEqual([subjectTag('ada')]);
    });

    it('a later append for a forgotten subject gets a new key, readable while the old values stay forgotten', async () => {
      const { store } = await seeded();
      await store.privacy!.forget('ada');
      await store.append('customer-ada', [{ type: 'EmailChanged', data: { customerId: 'ada', email: 'new@example.com' } }]);
      const events = (await store.readStream('customer-ada')).events;
      expect(events.map((e) => (e.data as { email: unknown }).email)).toEqual([{ $personal: 'forgotten' }, 'new@example.com']);
    });

    it('forgetting twice or an unknown subject answers NO_KEY, with an audit event each time', async () => {
      const { store } = await seeded();
      expect((await store.privacy!.forget('ada')).outcome).toBe('FORGOTTEN');
      expect((await store.privacy!.forget('ada')).outcome).toBe('NO_KEY');
      expect((await store.privacy!.forget('nobody')).outcome).toBe('NO_KEY');
      const audit = await store.readStream(FORGETS_STREAM);
      expect(audit.events.map((e) => [(e.data as { subject: string }).subject, (e.data as { outcome: string }).outcome])).toEqual([
        ['ada', 'FORGOTTEN'],
        ['ada', 'NO_KEY'],
        ['nobody', 'NO_KEY'],
      ]);
    });

    it('refuses malformed declarations and forgets with coded errors', async () => {
      const { store } = await open();
      const bad: unknown[] = [
        { subject: 'customerId', fields: ['data.email'] },
        { fields: ['data.email'] },
        { subject: 'data.customerId', fields: [] },
        { subject: 'data.customerId', fields: ['data.customerId'] },
        { subject: 'data.customer.id', fields: ['data.customer'] },
        { subject: 'data.customerId', fields: ['data.a', 'data.a.b'] },
        { subject: 'data.customerId', fields: ['data..x'] },
        { subject: 'data.customerId', fields: ['data.$encrypted'] },
        { subject: 'data.customerId', fields: ['data.email'], extra: true },
        'data.email',
      ];
      for (const declaration of bad) {
        await expect(store.privacy!.declare('customer', declaration as never), JSON.stringify(declaration)).rejects.toSatisfy((e) => isTributaryError(e, 'INVALID_PERSONAL_FIELDS'));
      }
      for (const category of ['', '$audit', 'a-b', 'a:b']) {
        await expect(store.privacy!.declare(category, CUSTOMER)).rejects.toSatisfy((e) => isTributaryError(e, 'INVALID_PERSONAL_FIELDS'));
      }
      await expect(store.privacy!.forget('')).rejects.toSatisfy((e) => isTributaryError(e, 'INVALID_ARGUMENT'));
      expect(await store.privacy!.list()).toEqual([]);
    });

    it('accepts a path no event has and reports it; get and list show the declaration', async () => {
      const { store } = await open();
      await store.append('customer-ada', [{ type: 'Registered', data: { customerId: 'ada', email: ADA_EMAIL } }]);
      const answer = await store.privacy!.declare('customer', CUSTOMER);
      expect(answer).toMatchObject({ category: 'customer', ...CUSTOMER, unusedPaths: ['data.address'], sampled: 1 });
      expect(await store.privacy!.get('customer')).toMatchObject({ category: 'customer', ...CUSTOMER });
      expect(await store.privacy!.get('order')).toBeUndefined();
      expect((await store.privacy!.list()).map((d) => d.category)).toEqual(['customer']);
    });

    it('refuses an event carrying personal fields without a subject', async () => {
      const { store } = await open();
      await store.privacy!.declare('customer', CUSTOMER);
      await expect(store.append('customer-x', [{ type: 'Registered', data: { email: ADA_EMAIL } }])).rejects.toSatisfy((e) => isTributaryError(e, 'INVALID_EVENT'));
      await store.append('customer-x', [{ type: 'Noted', data: { note: 'no personal data' } }]);
    });

    it('keeps an append with an id an idempotent retry', async () => {
      const { store } = await open();
      await store.privacy!.declare('customer', CUSTOMER);
      const event = { id: '0191e1c4-6a2b-7cc3-9d3e-2f1c1d1e1f10', type: 'Registered', data: { customerId: 'ada', email: ADA_EMAIL } };
      const first = await store.append('customer-ada', [event]);
      const again = await store.append('customer-ada', [event]);
      expect(again).toEqual(first);
    });

    it('encrypts branch appends and appendMany, and decrypts them on read', async () => {
      const { store, where } = await open();
      await store.privacy!.declare('customer', CUSTOMER);
      await store.appendMany([{ stream: 'customer-ada', events: [{ type: 'Registered', data: { customerId: 'ada', email: ADA_EMAIL } }] }]);
      await store.branches!.create('what-if', { at: await store.headPosition() });
      const branch = store.branch!('what-if');
      await branch.append('customer-ada', [{ type: 'EmailChanged', data: { customerId: 'ada', email: 'branch.secret@example.com' } }]);
      const events = (await branch.readStream('customer-ada')).events;
      expect(events.map((e) => (e.data as { email: string }).email)).toEqual([ADA_EMAIL, 'branch.secret@example.com']);
      const raw = name === 'sqlite' ? readFileSync(where).toString('latin1') + readFileSync(`${where}-wal`, { flag: 'a+' }).toString('latin1') : '';
      expect(raw).not.toContain('branch.secret@example.com');
      await store.privacy!.forget('ada');
      const after = (await branch.readStream('customer-ada')).events;
      expect(after.map((e) => (e.data as { email: unknown }).email)).toEqual([{ $personal: 'forgotten' }, { $personal: 'forgotten' }]);
    });

    it('a forget in another handle stops this one decrypting within the key bound', async () => {
      const { store, where } = await seeded();
      const other = (await open(where)).store;
      expect(((await other.readStream('customer-ada')).events[0]!.data as { email: string }).email).toBe(ADA_EMAIL);
      await store.privacy!.forget('ada');
      await new Promise((resolve) => setTimeout(resolve, KEY_FRESH_MS + 50));
      expect(((await other.readStream('customer-ada')).events[0]!.data as { email: unknown }).email).toEqual({ $personal: 'forgotten' });
      // nor encrypts with the forgotten key: its next append makes ada a new one, readable everywhere
      await other.append('customer-ada', [{ type: 'Registered', data: { customerId: 'ada', email: 'again@example.com' } }]);
      const emails = (await store.readStream('customer-ada')).events.map((e) => (e.data as { email: unknown }).email);
      expect(emails).toEqual([{ $personal: 'forgotten' }, 'again@example.com']);
    });

    it('a backup holds only ciphertext, and restored without the keys reads every personal value as forgotten', async () => {
      const { store } = await seeded();
      const file = join(scratch, `privacy-backup-${count++}.tbk`);
      await backupStore(store, file);
      const bytes = gunzipOrRaw(readFileSync(file));
      expect(bytes).not.toContain(ADA_EMAIL);
      expect(bytes).toContain('$encrypted');
      const { store: target } = await open();
      await restoreBackup(file, target);
      const events = (await target.readAll({ categories: ['customer'] })).events;
      expect(events.map((e) => (e.data as { email: unknown }).email)).toEqual([{ $personal: 'forgotten' }, { $personal: 'forgotten' }]);
      expect(events.map((e) => (e.data as { plan: string }).plan)).toEqual(['gold', 'free']);
    });

    it('two handles making a subject key at once share one key', async () => {
      const { store, where } = await open();
      await store.privacy!.declare('customer', CUSTOMER);
      const other = (await open(where)).store;
      await Promise.all([
        store.append('customer-ada', [{ type: 'Registered', data: { customerId: 'ada', email: 'one@example.com' } }]),
        other.append('customer-ada', [{ type: 'Registered', data: { customerId: 'ada', email: 'two@example.com' } }]),
      ]);
      const events = (await store.readStream('customer-ada')).events;
      const keyIds = new Set(events.map((e) => (JSON.parse(e.dataJson) as { email: unknown }).email));
      expect([...keyIds].sort()).toEqual(['one@example.com', 'two@example.com']);
      const sealed = await store.privacy!.seal(events);
      const ids = new Set(sealed.map((e) => ((e.data as { email: { $encrypted: string } }).email.$encrypted.split('.')[1])));
      expect(ids.size).toBe(1);
    });
  });
}
